/**
 * The deployment package's entry point (`dist/deploy/index.js`, built by scripts/build.mjs).
 *
 * It loads the app bundle `app.js` the way Node's CommonJS loader would, but hands V8 the code cache
 * the build made (`app.v8-<V8 version>.cache`): the bundle's functions arrive compiled, so a cold
 * start skips parsing 1.4 MB of JavaScript and compiling what registration runs. V8 accepts a cache
 * only from its own version and flags; the file is named by version, and when there is none for
 * this V8 (or V8 rejects it) the bundle is compiled from source as before: slower, never wrong.
 * In Azure the worker runs with the one V8 flag infra gives it, `--max-old-space-size=<MB>` sized
 * from the instance memory (infra/app/nodeHeap.json); the build makes a cache for each of those
 * sizes too, `app.v8-<V8 version>-old-space-<MB>.cache`, and this picks the one for the flag.
 *
 * V8 checks a cache's version, flags and source length, not its bytes: a damaged cache, or one made
 * for another bundle of the same length, can crash the process. So the file starts with a SHA-256
 * of the bundle and the cache together (0.6 ms here), and a cache that does not match is never
 * handed to V8.
 *
 * `node [--max-old-space-size=<MB>] index.js --write-code-cache` (re)makes the cache for the `node`
 * that runs it, with that flag: the build does this, and so can an operator whose Functions runtime
 * reports a different V8 (see docs/deploy.md).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { join } from 'node:path';
import { Script } from 'node:vm';

const APP = join(__dirname, 'app.js');
/** The old-space size this node was started with (`--max-old-space-size=<MB>`), if any. */
const oldSpace = process.execArgv
  .map((a) => /^--max[-_]old[-_]space[-_]size=(\d+)$/.exec(a)?.[1])
  .find((mb) => mb !== undefined);
const CACHE = join(
  __dirname,
  `app.v8-${process.versions.v8}${oldSpace === undefined ? '' : `-old-space-${oldSpace}`}.cache`,
);
const writing = require.main === module && process.argv.includes('--write-code-cache');

/**
 * `used`: V8 took the cache; `rejected`: there is one for this V8 but it does not match the bundle,
 * or V8 refused it; `none`: no cache for this V8.
 */
export type CodeCacheUse = 'used' | 'rejected' | 'none';

const DIGEST_BYTES = 32;

function digest(app: Buffer, data: Buffer): Buffer {
  return createHash('sha256').update(app).update(data).digest();
}

/** The V8 data of this V8's cache file, `mismatch` when its digest is not the bundle's, or undefined. */
function readCache(app: Buffer): Buffer | 'mismatch' | undefined {
  if (writing) return undefined; // a cache is made from a cold compile, never from another cache
  let file: Buffer;
  try {
    file = readFileSync(CACHE);
  } catch {
    const others = readdirSync(__dirname).filter((f) => /^app\.v8-.+\.cache$/.test(f));
    if (others.length > 0) {
      console.warn(
        `warden: no code cache for V8 ${process.versions.v8}` +
          `${oldSpace === undefined ? '' : ` with --max-old-space-size=${oldSpace}`} ` +
          `(the package has ${others.join(', ')}); compiling the bundle on this start. ` +
          `Build with Node ${process.version} to ship a matching one.`,
      );
    }
    return undefined;
  }
  const data = file.subarray(DIGEST_BYTES);
  return file.length > DIGEST_BYTES && digest(app, data).equals(file.subarray(0, DIGEST_BYTES))
    ? data
    : 'mismatch';
}

/**
 * Outside the Functions worker there is no `@azure/functions-core`; to make the cache the app is
 * loaded with a stand-in that accepts the registrations, provided the way the worker provides the
 * real one (by intercepting `require`).
 */
function standInForWorker(): void {
  const core = {
    setProgrammingModel: () => undefined,
    getProgrammingModel: () => undefined,
    log: () => undefined,
    registerHook: () => ({ dispose: () => undefined }),
    registerFunction: () => ({ dispose: () => undefined }),
  };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with each module as `this`
  const original = Module.prototype.require;
  Module.prototype.require = Object.assign(function (this: Module, id: string): unknown {
    return id === '@azure/functions-core' ? core : original.call(this, id);
  }, original);
}

if (writing) standInForWorker();

const appBytes = readFileSync(APP);
const cache = readCache(appBytes);
const cachedData = cache instanceof Buffer ? cache : undefined;
const script = new Script(
  `(function (exports, require, module, __filename, __dirname) {${appBytes.toString('utf8')}\n})`,
  { filename: APP, ...(cachedData !== undefined && { cachedData }) },
);
export const codeCache: CodeCacheUse =
  cache === undefined
    ? 'none'
    : cachedData === undefined || script.cachedDataRejected === true
      ? 'rejected'
      : 'used';
if (cache === 'mismatch') {
  console.warn(
    `warden: ${CACHE} does not match app.js (damaged, or from another build); compiled the bundle.`,
  );
} else if (codeCache === 'rejected') {
  console.warn(
    `warden: V8 rejected ${CACHE} (node started with other V8 flags: ${process.execArgv.join(' ') || 'none'}); ` +
      'compiled the bundle on this start.',
  );
}

const app = { exports: {} };
// The bundle requires only Node built-ins and @azure/functions-core, from the same folder as this file.
(script.runInThisContext() as (...args: unknown[]) => void).call(
  app.exports,
  app.exports,
  require,
  app,
  APP,
  __dirname,
);

if (writing) {
  // Made after the app ran, so the functions registration compiled are in the cache too.
  const data = script.createCachedData();
  // Written aside and renamed, so an interrupted write never leaves a cache behind.
  writeFileSync(`${CACHE}.tmp`, Buffer.concat([digest(appBytes, data), data]));
  renameSync(`${CACHE}.tmp`, CACHE);
  console.log(`wrote ${CACHE}`);
}

import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Registration } from '../../local/functionsCore';
import { createFakeCore } from '../../local/functionsCore';

/**
 * The deployment package is what Azure loads: `node scripts/build.mjs` writes dist/deploy/ (the
 * folder azure.yaml ships; this test builds it under a private --out folder). Loading it with a
 * stand-in for the worker's core module must register every function that functions/index.ts brings
 * in, and read nothing from node_modules; with the V8 code cache the build made, or without one.
 */
const root = resolve(__dirname, '../..');
// A private output folder: `npm test` runs elsewhere in this tree must not see a half-written dist/deploy.
const out = mkdtempSync(join(tmpdir(), 'warden-build-'));
const deploy = join(out, 'deploy');

/**
 * What the files functions/index.ts imports register, read from the sources: the literal names, and
 * how many `app.*(` registrations there are (so a name built at run time is still counted).
 */
function registeredInSources(): { names: string[]; count: number } {
  const index = readFileSync(join(root, 'functions/index.ts'), 'utf8');
  const files = [...index.matchAll(/^import\s+['"]\.\/([\w.-]+)['"]/gm)].map((m) => m[1]!);
  expect(files.length).toBeGreaterThan(0);
  const names: string[] = [];
  let count = 0;
  for (const file of files) {
    const source = readFileSync(join(root, 'functions', `${file}.ts`), 'utf8').replace(/^\s*\/\/.*$/gm, '');
    count += (source.match(/^\s*app\s*\.\s*\w+\s*\(/gm) ?? []).length;
    for (const m of source.matchAll(/\bapp\s*\.\s*\w+\s*\(\s*['"`]([^'"`$]+)['"`]/g)) names.push(m[1]!);
  }
  return { names: names.sort(), count };
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs'), '--out', out], {
    cwd: root,
    stdio: 'pipe',
  });
});

afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The cache the build makes is for the V8 of the node that ran it: this one. */
const cacheName = `app.v8-${process.versions.v8}.cache`;
/** The old-space sizes infra starts the worker with: the build makes a cache for each. */
const oldSpaceSizes = Object.values(
  (JSON.parse(readFileSync(join(root, 'infra/app/nodeHeap.json'), 'utf8')) as { oldSpaceMB: object })
    .oldSpaceMB,
) as number[];
const oldSpaceCacheName = (mb: number) => `app.v8-${process.versions.v8}-old-space-${mb}.cache`;

/**
 * Loads the package in `dir` as the worker would (its package.json main, `@azure/functions-core`
 * provided by intercepting require) in a fresh node: the names registered, what the entry point
 * says of its code cache, and what it wrote to stderr.
 */
function loadPackage(
  dir: string,
  nodeFlags: string[] = [],
): { names: string[]; codeCache: string; stderr: string } {
  const probe = `
    const Module = require('node:module');
    const names = [];
    const core = { setProgrammingModel() {}, getProgrammingModel() {}, log() {},
      registerHook() { return { dispose() {} }; },
      registerFunction(m) { names.push(m.name); return { dispose() {} }; } };
    const original = Module.prototype.require;
    Module.prototype.require = function (id) { return id === '@azure/functions-core' ? core : original.call(this, id); };
    const loaded = require(require('node:path').join(process.cwd(), require('./package.json').main));
    process.stdout.write(JSON.stringify({ names, codeCache: loaded.codeCache }));`;
  const run = spawnSync(process.execPath, [...nodeFlags, '-e', probe], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: '', WARDEN_LOG: 'quiet' },
  });
  if (run.status !== 0) throw new Error(`the package did not load: ${run.stderr}`);
  return { ...(JSON.parse(run.stdout) as { names: string[]; codeCache: string }), stderr: run.stderr };
}

describe('the deployment bundle', () => {
  it('is a package whose main is the entry point, with the bundle, its code caches, host.json and no dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(deploy, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(pkg.dependencies).toBeUndefined();
    expect(readdirSync(deploy).sort()).toEqual(
      [
        'app.js',
        'app.js.map',
        cacheName,
        ...oldSpaceSizes.map(oldSpaceCacheName),
        'host.json',
        'index.js',
        'package.json',
      ].sort(),
    );
    expect(JSON.parse(readFileSync(join(deploy, 'host.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')),
    );
  });

  it('requires only Node built-ins and the worker-provided @azure/functions-core', () => {
    for (const file of ['index.js', 'app.js']) {
      const code = readFileSync(join(deploy, file), 'utf8');
      // Calls only: ajv keeps `require("ajv/dist/runtime/…")` as text for its standalone code generator.
      const required = new Set(
        [...code.matchAll(/(?<![`'"\w$.])require\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!),
      );
      const builtins = new Set(builtinModules);
      const foreign = [...required].filter(
        (r) => r !== '@azure/functions-core' && !builtins.has(r) && !builtins.has(r.replace(/^node:/, '')),
      );
      expect({ file, foreign }).toEqual({ file, foreign: [] });
    }
  });

  describe('copied where no node_modules can be found', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'warden-deploy-'));
      cpSync(deploy, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('loads on its own, with the code cache V8 accepts', () => {
      const loaded = loadPackage(dir);
      expect(loaded.codeCache).toBe('used');
      expect(loaded.names.sort()).toEqual(expect.arrayContaining(registeredInSources().names));
      expect(loaded.stderr).toBe('');
    });

    it('never hands V8 a damaged cache, nor one made for another bundle of the same length', () => {
      const cache = join(dir, cacheName);
      const good = readFileSync(cache);
      const damaged = Buffer.from(good);
      damaged.fill(7, 64, 4096); // V8 itself would take this and crash (it checks length, not bytes)
      writeFileSync(cache, damaged);
      const loaded = loadPackage(dir);
      expect(loaded.codeCache).toBe('rejected');
      expect(loaded.names.sort()).toEqual(expect.arrayContaining(registeredInSources().names));
      expect(loaded.stderr).toContain('does not match app.js');

      writeFileSync(cache, good);
      const app = readFileSync(join(dir, 'app.js'), 'utf8');
      const other = app.replace('sourceMappingURL=app.js.map', 'sourceMappingURL=app.js.mAp');
      expect(other).not.toBe(app);
      expect(other.length).toBe(app.length);
      writeFileSync(join(dir, 'app.js'), other);
      expect(loadPackage(dir).codeCache).toBe('rejected');
    });

    it('uses its cache when node starts with the old-space size infra gives each instance memory', () => {
      expect(oldSpaceSizes.length).toBeGreaterThan(0);
      for (const mb of oldSpaceSizes) {
        const loaded = loadPackage(dir, [`--max-old-space-size=${mb}`]);
        expect({ mb, codeCache: loaded.codeCache, stderr: loaded.stderr }).toEqual({
          mb,
          codeCache: 'used',
          stderr: '',
        });
      }
      // A size the build made no cache for compiles the bundle, and says which caches there are.
      const other = loadPackage(dir, ['--max-old-space-size=777']);
      expect(other.codeCache).toBe('none');
      expect(other.stderr).toContain('with --max-old-space-size=777');
      expect(other.names.sort()).toEqual(expect.arrayContaining(registeredInSources().names));
    });

    it('still loads, compiling the bundle, when V8 refuses the cache (node started with other V8 flags)', () => {
      const loaded = loadPackage(dir, ['--max-semi-space-size=32']);
      expect(loaded.codeCache).toBe('rejected');
      expect(loaded.names.sort()).toEqual(expect.arrayContaining(registeredInSources().names));
      expect(loaded.stderr).toMatch(/V8 rejected .*--max-semi-space-size=32/);
    });

    it('says so when its cache is for another V8, and `--write-code-cache` makes one for this node', () => {
      renameSync(join(dir, cacheName), join(dir, 'app.v8-0.0.0-other.cache'));
      const without = loadPackage(dir);
      expect(without.codeCache).toBe('none');
      expect(without.names.sort()).toEqual(expect.arrayContaining(registeredInSources().names));
      expect(without.stderr).toContain('no code cache for V8');
      expect(without.stderr).toContain('app.v8-0.0.0-other.cache');

      execFileSync(process.execPath, [join(dir, 'index.js'), '--write-code-cache'], {
        cwd: dir,
        stdio: 'pipe',
        env: { ...process.env, NODE_PATH: '', WARDEN_LOG: 'quiet' },
      });
      expect(existsSync(join(dir, cacheName))).toBe(true);
      expect(loadPackage(dir).codeCache).toBe('used');
    });
  });

  it('registers every function that functions/index.ts registers', () => {
    const expected = registeredInSources();
    expect(expected.names.length).toBeGreaterThan(0);
    const registrations: Registration[] = [];
    jest.isolateModules(() => {
      jest.doMock('@azure/functions-core', () => createFakeCore((r) => registrations.push(r)), {
        virtual: true,
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built bundle, loaded as Azure loads it
      require(join(deploy, 'index.js'));
    });
    const names = registrations.map((r) => r.name).sort();
    expect(names).toEqual(expect.arrayContaining(expected.names));
    expect(names.length).toBeGreaterThanOrEqual(expected.count);
    expect(new Set(names).size).toBe(names.length);
    for (const r of registrations) expect(typeof r.handler).toBe('function');
  });
});

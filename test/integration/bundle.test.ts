import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Registration } from '../../local/functionsCore';
import { createFakeCore } from '../../local/functionsCore';

/**
 * The deployment package is what Azure loads: `node scripts/build.mjs` writes dist/deploy/ (the
 * folder azure.yaml ships; this test builds it under a private --out folder). Loading its bundle
 * with a stand-in for the worker's core module must register every function that functions/index.ts
 * brings in, and read nothing from node_modules.
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

describe('the deployment bundle', () => {
  it('is a package whose main is the bundle, with the app host.json and no dependencies', () => {
    const pkg = JSON.parse(readFileSync(join(deploy, 'package.json'), 'utf8'));
    expect(pkg.main).toBe('index.js');
    expect(pkg.dependencies).toBeUndefined();
    expect(readdirSync(deploy).sort()).toEqual(['host.json', 'index.js', 'index.js.map', 'package.json']);
    expect(JSON.parse(readFileSync(join(deploy, 'host.json'), 'utf8'))).toEqual(
      JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')),
    );
  });

  it('requires only Node built-ins and the worker-provided @azure/functions-core', () => {
    const code = readFileSync(join(deploy, 'index.js'), 'utf8');
    // Calls only: ajv keeps `require("ajv/dist/runtime/…")` as text for its standalone code generator.
    const required = new Set(
      [...code.matchAll(/(?<![`'"\w$.])require\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!),
    );
    const builtins = new Set(builtinModules);
    const foreign = [...required].filter(
      (r) => r !== '@azure/functions-core' && !builtins.has(r) && !builtins.has(r.replace(/^node:/, '')),
    );
    expect(foreign).toEqual([]);
  });

  it('loads on its own, copied where no node_modules can be found', () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-deploy-'));
    try {
      cpSync(deploy, dir, { recursive: true });
      const probe = `
        const Module = require('node:module');
        const names = [];
        const core = { setProgrammingModel() {}, getProgrammingModel() {}, log() {},
          registerHook() { return { dispose() {} }; },
          registerFunction(m) { names.push(m.name); return { dispose() {} }; } };
        const load = Module._load;
        Module._load = function (r, ...rest) { return r === '@azure/functions-core' ? core : load.call(this, r, ...rest); };
        require(require('node:path').join(process.cwd(), require('./package.json').main));
        process.stdout.write(JSON.stringify(names));`;
      const out = execFileSync(process.execPath, ['-e', probe], {
        cwd: dir,
        encoding: 'utf8',
        env: { ...process.env, NODE_PATH: '' },
      });
      expect((JSON.parse(out) as string[]).sort()).toEqual(
        expect.arrayContaining(registeredInSources().names),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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

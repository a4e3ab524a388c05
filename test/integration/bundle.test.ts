import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';

import type { Registration } from '../../local/functionsCore';
import { createFakeCore } from '../../local/functionsCore';

/**
 * The deployment package is what Azure loads: `node scripts/build.mjs` writes dist/deploy/ (the
 * folder azure.yaml ships). Loading its bundle with a stand-in for the worker's core module must
 * register every function that functions/index.ts brings in, and read nothing from node_modules.
 */
const root = resolve(__dirname, '../..');
const deploy = join(root, 'dist/deploy');

/** The function names registered by the files functions/index.ts imports, read from the sources. */
function registeredInSources(): string[] {
  const index = readFileSync(join(root, 'functions/index.ts'), 'utf8');
  const files = [...index.matchAll(/^import\s+['"]\.\/([\w.-]+)['"]/gm)].map((m) => m[1]!);
  expect(files.length).toBeGreaterThan(0);
  const names: string[] = [];
  for (const file of files) {
    const source = readFileSync(join(root, 'functions', `${file}.ts`), 'utf8');
    for (const m of source.matchAll(/\bapp\s*\.\s*\w+\s*\(\s*['"`]([^'"`]+)['"`]/g)) names.push(m[1]!);
  }
  return names.sort();
}

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'pipe' });
});

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
    const required = new Set([...code.matchAll(/\brequire\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1]!));
    const builtins = new Set(builtinModules);
    const foreign = [...required].filter(
      (r) => r !== '@azure/functions-core' && !builtins.has(r) && !builtins.has(r.replace(/^node:/, '')),
    );
    expect(foreign).toEqual([]);
  });

  it('registers every function that functions/index.ts registers', () => {
    const expected = registeredInSources();
    expect(expected.length).toBeGreaterThan(0);
    const registrations: Registration[] = [];
    jest.isolateModules(() => {
      jest.doMock('@azure/functions-core', () => createFakeCore((r) => registrations.push(r)), {
        virtual: true,
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built bundle, loaded as Azure loads it
      require(join(deploy, 'index.js'));
    });
    expect(registrations.map((r) => r.name).sort()).toEqual(expected);
    for (const r of registrations) expect(typeof r.handler).toBe('function');
  });
});

import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import {
  infraDir,
  lex,
  listBicepFiles,
  modules,
  outputs,
  params,
  readBicep,
  repoRoot,
  resourceTypes,
} from '../helpers/bicep';

/**
 * The templates are well-formed as far as a test can tell without the Bicep compiler: brackets and
 * strings close, every module path exists and gets exactly the params its file declares, every param
 * is used, every resource type carries an api-version, and azd's files agree with the templates.
 */
const files = listBicepFiles().map(readBicep);
const byPath = new Map(files.map((f) => [f.path, f]));

describe('the Bicep lexer used by these checks', () => {
  it('finds an unclosed bracket and a bracket closing the wrong thing, ignoring comments and strings', () => {
    expect(lex("var a = { b: [ 'x}' ] // ]\n").problems).toHaveLength(1);
    expect(lex('var a = { b: ( }\n').problems.length).toBeGreaterThan(0);
    expect(lex("var a = '${f({ x: 1 })}-y'\n/* ( */").problems).toEqual([]);
  });
});

describe('infra/**/*.bicep', () => {
  it('has the templates azd and the issue expect', () => {
    const names = files.map((f) => f.name);
    for (const n of [
      'infra/main.bicep',
      'infra/app/function.bicep',
      'infra/app/rbac.bicep',
      'infra/app/fleet-rbac.bicep',
    ])
      expect(names).toContain(n);
  });

  it.each(files.map((f) => [f.name, f] as const))('%s: brackets and strings are balanced', (_n, f) => {
    expect(f.problems).toEqual([]);
  });

  it.each(files.map((f) => [f.name, f] as const))('%s: a valid targetScope, if any', (_n, f) => {
    for (const m of f.code.matchAll(/^\s*targetScope\s*=\s*(.*)$/gm)) {
      const value = f.text
        .slice((m.index ?? 0) + m[0].indexOf(m[1]!))
        .split('\n')[0]!
        .trim();
      expect(["'resourceGroup'", "'subscription'", "'managementGroup'", "'tenant'"]).toContain(value);
    }
  });

  it.each(files.map((f) => [f.name, f] as const))(
    '%s: every resource type carries an api-version',
    (_n, f) => {
      for (const r of resourceTypes(f)) {
        expect({
          symbol: r.symbol,
          type: r.type,
          ok: /^[A-Za-z]+\.[A-Za-z.]+\/[\w/.]+@\d{4}-\d{2}-\d{2}(-preview)?$/.test(r.type),
        }).toEqual({
          symbol: r.symbol,
          type: r.type,
          ok: true,
        });
      }
    },
  );

  it.each(files.map((f) => [f.name, f] as const))('%s: every param is used', (_n, f) => {
    const unused = params(f)
      .map((p) => p.name)
      .filter((name) => {
        const uses = [...f.code.matchAll(new RegExp(`(?<![.\\w])${name}\\b`, 'g'))].filter((m) => {
          const lineStart = f.code.lastIndexOf('\n', m.index) + 1;
          const before = f.code.slice(lineStart, m.index);
          const after = f.code.slice((m.index ?? 0) + name.length);
          if (/^\s*param\s+$/.test(before)) return false; // the declaration
          if (/^\s*'?$/.test(before) && /^'?\s*:/.test(after)) return false; // an object key
          return true;
        });
        return uses.length === 0;
      });
    expect(unused).toEqual([]);
  });

  it.each(files.map((f) => [f.name, f] as const))(
    '%s: every module exists and is given exactly the params it declares',
    (_n, f) => {
      for (const m of modules(f)) {
        expect({ module: m.path, exists: m.file !== undefined && existsSync(m.file) }).toEqual({
          module: m.path,
          exists: true,
        });
        const target = byPath.get(m.file!) ?? readBicep(m.file!);
        const declared = params(target);
        const unknown = m.paramKeys.filter((k) => !declared.some((p) => p.name === k));
        const missing = declared
          .filter((p) => !p.hasDefault && !m.paramKeys.includes(p.name))
          .map((p) => p.name);
        expect({ module: m.path, unknown, missing }).toEqual({ module: m.path, unknown: [], missing: [] });
        const used = [
          ...f.code.matchAll(new RegExp(`\\b${m.symbol}(?:\\[[^\\]]*\\])?\\.outputs\\.(\\w+)`, 'g')),
        ].map((o) => o[1]!);
        const absent = used.filter((o) => !outputs(target).includes(o));
        expect({ module: m.path, outputsMissing: absent }).toEqual({ module: m.path, outputsMissing: [] });
      }
    },
  );

  it('every .bicep file is reachable from main.bicep', () => {
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const m of modules(byPath.get(path) ?? readBicep(path))) if (m.file) visit(m.file);
    };
    visit(join(infraDir, 'main.bicep'));
    expect(files.map((f) => f.path).filter((p) => !seen.has(p))).toEqual([]);
  });
});

describe('azd files', () => {
  const main = byPath.get(join(infraDir, 'main.bicep'))!;
  const parameters = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };

  it('main.parameters.json names only params of main.bicep, and gives every required one', () => {
    const declared = params(main);
    const given = Object.keys(parameters.parameters);
    expect(given.filter((g) => !declared.some((p) => p.name === g))).toEqual([]);
    expect(declared.filter((p) => !p.hasDefault && !given.includes(p.name)).map((p) => p.name)).toEqual([]);
  });

  it('azure.yaml ships the bundle package and runs hooks that exist and are executable', () => {
    const azure = parse(readFileSync(join(repoRoot, 'azure.yaml'), 'utf8')) as {
      infra: { provider: string; path: string; module: string };
      services: Record<string, { project: string; dist: string; language: string; host: string }>;
      hooks: Record<string, { posix: { run: string } }>;
    };
    expect(azure.infra).toEqual({ provider: 'bicep', path: 'infra', module: 'main' });
    expect(azure.services.warden).toMatchObject({
      project: '.',
      dist: 'dist/deploy',
      language: 'js',
      host: 'function',
    });
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts.build).toMatch(/scripts\/build\.mjs(?!.*--local)/);
    for (const hook of Object.values(azure.hooks)) {
      const script = join(repoRoot, hook.posix.run);
      expect(() => accessSync(script, constants.X_OK)).not.toThrow();
    }
    // The function app carries the azd service tag that matches the service name.
    expect(readFileSync(join(infraDir, 'app/function.bicep'), 'utf8')).toContain(
      "'azd-service-name': 'warden'",
    );
  });
});

import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { parse } from 'yaml';

import {
  describeCompiled,
  infraDir,
  listBicepFiles,
  modulePaths,
  ofType,
  readBicep,
  repoRoot,
} from '../helpers/bicep';

/**
 * What the Bicep compiler does not check: that no template is left out of the deployment, and that
 * azd's files agree with the templates. Syntax, types, api-versions, module parameters and outputs
 * are the compiler's (`npm run infra:check`).
 */
const files = listBicepFiles().map(readBicep);

describe('infra/**/*.bicep', () => {
  it('every .bicep file is reachable from main.bicep', () => {
    const seen = new Set<string>();
    const visit = (path: string) => {
      if (seen.has(path)) return;
      seen.add(path);
      for (const m of modulePaths(readBicep(path))) visit(m);
    };
    visit(join(infraDir, 'main.bicep'));
    expect(files.map((f) => f.path).filter((p) => !seen.has(p))).toEqual([]);
    expect(seen.size).toBeGreaterThan(10);
  });
});

describeCompiled('azd files', (template) => {
  const parameters = JSON.parse(readFileSync(join(infraDir, 'main.parameters.json'), 'utf8')) as {
    parameters: Record<string, { value: unknown }>;
  };
  const declared = template.parameters ?? {};

  it('main.parameters.json names only params of main.bicep, and gives every required one', () => {
    const given = Object.keys(parameters.parameters);
    expect(given.filter((g) => !(g in declared))).toEqual([]);
    expect(
      Object.entries(declared)
        .filter(([name, p]) => p.defaultValue === undefined && !given.includes(name))
        .map(([name]) => name),
    ).toEqual([]);
  });

  it('every value main.parameters.json takes from azd is allowed by main.bicep when it has a default', () => {
    for (const [name, p] of Object.entries(declared)) {
      const given = parameters.parameters[name]?.value;
      const fallback = typeof given === 'string' ? /^\$\{\w+=(.*)\}$/.exec(given)?.[1] : undefined;
      if (fallback === undefined || !p.allowedValues) continue;
      const value = p.type === 'int' ? Number(fallback) : fallback;
      expect({ name, allowed: p.allowedValues.includes(value) }).toEqual({ name, allowed: true });
    }
  });
});

describe('azure.yaml', () => {
  it('ships the bundle package and runs hooks that exist and are executable', () => {
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
  });
});

describeCompiled('the function app', (template) => {
  it("carries the azd service tag that matches azure.yaml's service name", () => {
    const sites = ofType(template, 'Microsoft.Web/sites').map((p) => p.resource as { tags?: unknown });
    expect(sites).toHaveLength(1);
    expect(sites[0]!.tags).toBe("[union(parameters('tags'), createObject('azd-service-name', 'warden'))]");
  });
});

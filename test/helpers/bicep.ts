import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * The templates as the real Bicep compiler sees them: `compiledMain()` is `infra/main.bicep` compiled to
 * ARM JSON (every module inlined as a nested deployment), so tests read resources, role assignments and
 * Event Grid filters from what ARM will be sent. The CLI is `scripts/bicep.sh` (NuGet, into `.cache/`);
 * where it is not installed the tests that need it say they skipped, unless `WARDEN_REQUIRE_BICEP=1`
 * (CI), which makes its absence a failure.
 */

export const repoRoot = resolve(__dirname, '../..');
export const infraDir = join(repoRoot, 'infra');

/** The files under `dir` whose names end with `suffix` (the .bicep files by default), sorted. */
export function listBicepFiles(dir = infraDir, suffix = '.bicep'): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listBicepFiles(p, suffix));
    else if (entry.name.endsWith(suffix)) out.push(p);
  }
  return out.sort();
}

export interface BicepFile {
  readonly path: string;
  /** Path relative to the repository root, for messages. */
  readonly name: string;
  readonly text: string;
  /** The text with `//` and `/* *\/` comments blanked (strings kept), for readers of declarations. */
  readonly code: string;
}

export function readBicep(path: string): BicepFile {
  const text = readFileSync(path, 'utf8');
  const code = text.replace(/'(?:[^'\\\n]|\\.)*'|\/\/[^\n]*|\/\*[\s\S]*?\*\//g, (m) =>
    m.startsWith("'") ? m : m.replace(/[^\n]/g, ' '),
  );
  return { path, name: relative(repoRoot, path), text, code };
}

/** Module paths a Bicep file references, resolved against it (registry references left out). */
export function modulePaths(file: BicepFile): string[] {
  return [...file.code.matchAll(/^\s*module\s+\w+\s+'([^']+)'/gm)]
    .map((m) => m[1]!)
    .filter((p) => !/^(br|ts)[:/]/.test(p))
    .map((p) => resolve(join(file.path, '..'), p));
}

// ---------------------------------------------------------------------------------------------
// Compiled ARM JSON
// ---------------------------------------------------------------------------------------------

export interface ArmParameter {
  readonly type: string;
  readonly defaultValue?: unknown;
  readonly allowedValues?: readonly unknown[];
}

export interface ArmResource {
  readonly type: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly scope?: string;
  readonly condition?: string | boolean;
  readonly location?: string;
  readonly identity?: Record<string, unknown>;
  readonly properties?: Record<string, unknown> & { template?: ArmTemplate };
}

export interface ArmTemplate {
  readonly parameters?: Record<string, ArmParameter>;
  readonly variables?: Record<string, unknown>;
  readonly resources: readonly ArmResource[] | Record<string, ArmResource>;
  readonly outputs?: Record<string, { type: string; value: unknown }>;
}

/** A resource with the template that declares it and the nested deployments (modules) above it. */
export interface Placed {
  readonly resource: ArmResource;
  readonly template: ArmTemplate;
  /** Names (expressions) of the nested deployments from main.bicep down to the template. */
  readonly path: readonly string[];
}

const bicepCli = (): string | undefined => {
  const r = spawnSync('bash', [join(repoRoot, 'scripts/bicep.sh'), '--path'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
};

let compiled: { template?: ArmTemplate; skipped?: string } | undefined;

/**
 * `infra/main.bicep` compiled by the real Bicep CLI, or undefined (with the reason in `bicepSkipped()`)
 * where the CLI is not installed. Compiled once per set of sources, cached under `.cache/`.
 */
export function compiledMain(): ArmTemplate | undefined {
  if (compiled) return compiled.template;
  const cli = bicepCli();
  if (cli === undefined) {
    const reason = 'the Bicep CLI is not installed (npm run infra:check installs it from NuGet)';
    if (process.env.WARDEN_REQUIRE_BICEP === '1') throw new Error(`WARDEN_REQUIRE_BICEP=1, but ${reason}`);
    compiled = { skipped: reason };
    return undefined;
  }
  const hash = createHash('sha256').update(cli);
  // The JSON files too: bicepconfig.json, and what the templates load (loadJsonContent).
  for (const f of [...listBicepFiles(), ...listBicepFiles(infraDir, '.json')])
    hash.update(relative(repoRoot, f)).update(readFileSync(f));
  const cacheDir = join(repoRoot, '.cache/bicep-build');
  const cached = join(cacheDir, `main-${hash.digest('hex').slice(0, 16)}.json`);
  if (!existsSync(cached)) {
    const r = spawnSync(cli, ['build', join(infraDir, 'main.bicep'), '--stdout'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`bicep build infra/main.bicep failed:\n${r.stderr}`);
    mkdirSync(cacheDir, { recursive: true });
    const partial = `${cached}.${process.pid}`;
    writeFileSync(partial, r.stdout);
    renameSync(partial, cached);
  }
  compiled = { template: JSON.parse(readFileSync(cached, 'utf8')) as ArmTemplate };
  return compiled.template;
}

/** Why `compiledMain()` is undefined. */
export function bicepSkipped(): string | undefined {
  compiledMain();
  return compiled?.skipped;
}

/**
 * `describe` over the compiled template; where the CLI is absent, a skipped block whose title says why
 * (jest counts it among the skipped tests).
 */
export function describeCompiled(title: string, body: (template: ArmTemplate) => void): void {
  const template = compiledMain();
  if (template) describe(title, () => body(template));
  else {
    console.warn(`skipped "${title}": ${bicepSkipped()}`);
    describe.skip(`${title} (skipped: ${bicepSkipped()})`, () => {
      it('needs the compiled template', () => undefined);
    });
  }
}

function resourceList(t: ArmTemplate): ArmResource[] {
  return Array.isArray(t.resources)
    ? [...(t.resources as ArmResource[])]
    : Object.values(t.resources as Record<string, ArmResource>);
}

/** Every resource of a template and of the modules it deploys, depth first. */
export function allResources(t: ArmTemplate, path: readonly string[] = []): Placed[] {
  return resourceList(t).flatMap((resource) => [
    { resource, template: t, path },
    ...(resource.type === 'Microsoft.Resources/deployments' && resource.properties?.template
      ? allResources(resource.properties.template, [...path, resource.name])
      : []),
  ]);
}

export function ofType(t: ArmTemplate, type: string): Placed[] {
  return allResources(t).filter((p) => p.resource.type.toLowerCase() === type.toLowerCase());
}

/** The module whose deployment name is `name`, or else whose name (an expression) contains it. */
export function moduleTemplate(t: ArmTemplate, name: string): ArmTemplate {
  const modules = ofType(t, 'Microsoft.Resources/deployments');
  const exact = modules.filter((p) => p.resource.name === name);
  const found = exact.length > 0 ? exact : modules.filter((p) => p.resource.name.includes(name));
  if (found.length !== 1) throw new Error(`${found.length} modules named like ${name}`);
  return found[0]!.resource.properties!.template!;
}

/**
 * An ARM expression with `variables('x')` and `variables('x').y` replaced by their string values from
 * the template that declares them, as quoted literals: `[subscriptionResourceId('…', '<guid>')]`.
 */
export function withVariables(expression: string, template: ArmTemplate): string {
  return expression.replace(/variables\('(\w+)'\)(?:\.(\w+))?/g, (whole, name: string, key?: string) => {
    const v = template.variables?.[name];
    const value = key === undefined ? v : (v as Record<string, unknown> | undefined)?.[key];
    return typeof value === 'string' && !value.startsWith('[') ? `'${value}'` : whole;
  });
}

/** The role definition GUID of a role assignment, when its expression names one. */
export function assignedRole(p: Placed): string | undefined {
  const expression = p.resource.properties?.roleDefinitionId;
  if (typeof expression !== 'string') return undefined;
  const id = withVariables(expression, p.template);
  return /'([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})'\)\]$/i
    .exec(id)?.[1]
    ?.toLowerCase();
}

export interface RolePermissions {
  readonly actions: string[];
  readonly notActions: string[];
  readonly dataActions: string[];
  readonly notDataActions: string[];
}

/** The permissions of the one custom role whose roleName starts with `name (`, as compiled. */
export function customRoleOf(template: ArmTemplate, name: string): RolePermissions {
  const found = ofType(template, 'Microsoft.Authorization/roleDefinitions').filter((p) =>
    String(p.resource.properties?.roleName)
      .replace(/variables\('(\w+)'\)/g, (_, v: string) => String(p.template.variables?.[v]))
      .includes(`'${name} (`),
  );
  if (found.length !== 1) throw new Error(`${found.length} custom roles named ${name}`);
  const permissions = found[0]!.resource.properties!.permissions as RolePermissions[];
  if (permissions.length !== 1) throw new Error(`${name}: ${permissions.length} permission blocks`);
  return permissions[0]!;
}

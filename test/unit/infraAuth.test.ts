import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { type ArmTemplate, describeCompiled, moduleTemplate, ofType, repoRoot } from '../helpers/bicep';

/**
 * App Service Authentication as deployed (the compiled authsettingsV2), the HTTP routes functions/
 * registers, and the table in docs/deploy.md agree: only the Event Grid webhook, the signed personal
 * links and the health probe answer without Entra sign-in, and every route says who may reach it.
 */

interface Registration {
  readonly file: string;
  readonly name: string;
  /** The path as a caller sees it: `/api/` + the route template. */
  readonly path: string;
  readonly methods: readonly string[];
  readonly authLevel: string;
  /** Who may reach it, where the registration declares it. */
  readonly access?: string;
}

/** Every HTTP route `functions/*.ts` registers (`app.http` or a wrapper of the same shape). */
function registrations(): Registration[] {
  const dir = join(repoRoot, 'functions');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .flatMap((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return [...text.matchAll(/\b(?:app\.http|httpRoute)\(\s*'([^']+)',\s*\{([\s\S]*?)\n\}\);/g)].map(
        (m) => {
          const body = m[2]!;
          const field = (key: string) => new RegExp(`\\b${key}:\\s*'([^']*)'`).exec(body)?.[1];
          const methods = /\bmethods:\s*\[([^\]]*)\]/.exec(body)?.[1] ?? '';
          const access = field('access');
          return {
            file,
            name: m[1]!,
            path: `/api/${field('route') ?? m[1]!}`,
            methods: [...methods.matchAll(/'(\w+)'/g)].map((x) => x[1]!),
            authLevel: field('authLevel') ?? 'function',
            ...(access === undefined ? {} : { access }),
          };
        },
      );
    });
}

/** The route table of docs/deploy.md ("Who can reach what"): path → methods and who. */
function docTable(): Map<string, { methods: string[]; who: string }> {
  const doc = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
  const section = doc.slice(doc.indexOf('### Who can reach what'));
  const rows = new Map<string, { methods: string[]; who: string }>();
  for (const m of section.matchAll(/^\| `([^`]+)` +\| ([A-Z, ]+?) +\| ([^|]+?) +\|/gm))
    rows.set(m[1]!, { methods: m[2]!.split(/,\s*/), who: m[3]! });
  return rows;
}

/** The access level a row of the table names first: anonymous, signed link, viewer or operator. */
function levelOf(who: string): 'anonymous' | 'signed-link' | 'viewer' | 'operator' | undefined {
  if (/^(anonymous|function key|Event Grid)/.test(who)) return 'anonymous';
  if (/^signed link/.test(who)) return 'signed-link';
  if (/^viewer/.test(who)) return 'viewer';
  if (/^operator/.test(who)) return 'operator';
  return undefined;
}

/** App Service's excludedPaths: exact, or a prefix ending in `/*`. */
function excludes(patterns: readonly string[], path: string): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? path.startsWith(p.slice(0, -1)) : path === p));
}

/** The Event Grid trigger's delivery endpoint (Event Grid calls it with the extension's system key). */
const EVENT_GRID_RUNTIME = '/runtime/webhooks/eventgrid';

const routes = registrations();
const table = docTable();

describe('the route table of docs/deploy.md', () => {
  it('finds the routes and the table', () => {
    expect(routes.map((r) => r.path)).toEqual(
      expect.arrayContaining(['/api/health', '/api/approvals/{planId}']),
    );
    expect(table.size).toBeGreaterThan(10);
  });

  it('has one row per HTTP route functions/ registers, with its methods, and nothing else', () => {
    // A new route? Add its row to docs/deploy.md, "Who can reach what", saying who may call it in Azure.
    const documented = [...table.keys()].filter((p) => p !== EVENT_GRID_RUNTIME).sort();
    expect(documented).toEqual(routes.map((r) => r.path).sort());
    for (const r of routes) expect({ [r.path]: table.get(r.path)?.methods }).toEqual({ [r.path]: r.methods });
    expect(table.has(EVENT_GRID_RUNTIME)).toBe(true);
  });

  it('names one access level per row, and the one the route declares where it declares one', () => {
    for (const [path, row] of table)
      expect({ path, level: levelOf(row.who) }).not.toEqual({ path, level: undefined });
    for (const r of routes.filter((x) => x.access !== undefined))
      expect({ path: r.path, level: levelOf(table.get(r.path)?.who ?? '') }).toEqual({
        path: r.path,
        level: r.access,
      });
  });

  it('says "function key" exactly for the routes the Functions host guards with one', () => {
    for (const r of routes)
      expect({ path: r.path, key: /function key/.test(table.get(r.path)?.who ?? '') }).toEqual({
        path: r.path,
        key: r.authLevel === 'function',
      });
  });
});

/** The app settings of the function module: one ARM expression (a union of objects) when compiled. */
function appSettingsOf(fn: ArmTemplate): string {
  const value: unknown = ofType(fn, 'Microsoft.Web/sites/config').find((p) =>
    p.resource.name.includes("'appsettings'"),
  )?.resource.properties;
  expect(typeof value).toBe('string');
  return value as string;
}

describeCompiled('App Service Authentication (compiled)', (template) => {
  const fn = moduleTemplate(template, 'function');
  const auth = ofType(fn, 'Microsoft.Web/sites/config').find((p) =>
    p.resource.name.includes("'authsettingsV2'"),
  );
  const props = auth?.resource.properties as {
    platform: { enabled: boolean };
    globalValidation: {
      requireAuthentication: boolean;
      unauthenticatedClientAction: string;
      excludedPaths: string;
    };
    identityProviders: { azureActiveDirectory: Record<string, unknown> };
    login: { tokenStore: { enabled: boolean } };
  };
  const excluded = fn.variables?.unauthenticatedPaths as string[];

  it('is on and requires Entra sign-in for every path it does not exclude', () => {
    expect(props.platform.enabled).toBe(true);
    expect(props.globalValidation).toMatchObject({
      requireAuthentication: true,
      unauthenticatedClientAction: 'RedirectToLoginPage',
      excludedPaths: "[variables('unauthenticatedPaths')]",
    });
    expect(props.identityProviders.azureActiveDirectory).toMatchObject({
      enabled: "[not(empty(parameters('authClientId')))]",
      registration: {
        clientId: "[parameters('authClientId')]",
        clientSecretSettingName: 'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID',
        openIdIssuer:
          "[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, tenant().tenantId)]",
      },
    });
  });

  it('excludes exactly the webhook, the Event Grid trigger, the signed links and the health probe', () => {
    const open = [...table].filter(([, row]) => ['anonymous', 'signed-link'].includes(levelOf(row.who)!));
    const closed = [...table].filter(([, row]) => ['viewer', 'operator'].includes(levelOf(row.who)!));
    expect(open.map(([path]) => path).filter((p) => !excludes(excluded, p))).toEqual([]);
    expect(closed.map(([path]) => path).filter((p) => excludes(excluded, p))).toEqual([]);
    // Each exclusion serves a route: none is left over from a route that is gone.
    for (const pattern of excluded)
      expect({ pattern, serves: open.some(([path]) => excludes([pattern], path)) }).toEqual({
        pattern,
        serves: true,
      });
    expect(open.map(([path]) => path).sort()).toEqual(
      [
        '/api/aks-events',
        '/api/approvals/{planId}',
        '/api/defer/{clusterKey}',
        '/api/health',
        '/api/plan-actions/{planId}/{action}',
        '/api/waves/{waveId}',
        EVENT_GRID_RUNTIME,
      ].sort(),
    );
  });

  it('the excluded link pages are the routes whose control is a signed token in the query', () => {
    const tokenPages = new Set(
      routes
        .filter((r) =>
          /query\.get\('token'\)/.test(readFileSync(join(repoRoot, 'functions', r.file), 'utf8')),
        )
        .map((r) => r.path),
    );
    expect([...tokenPages].sort()).toEqual(
      [...table]
        .filter(([, row]) => levelOf(row.who) === 'signed-link')
        .map(([path]) => path)
        .sort(),
    );
  });

  it('proves the app to Entra with its identity, not a secret, and keeps no tokens', () => {
    const settings = appSettingsOf(fn);
    expect(settings).toContain("'OVERRIDE_USE_MI_FIC_ASSERTION_CLIENTID', parameters('identityClientId')");
    expect(props.login.tokenStore.enabled).toBe(false);
  });

  it('sets the viewer and operator groups from main.bicep parameters', () => {
    const settings = appSettingsOf(fn);
    expect(settings).toContain("'WARDEN_VIEWER_GROUPS', parameters('viewerGroups')");
    expect(settings).toContain("'WARDEN_OPERATOR_GROUPS', parameters('operatorGroups')");
    expect(template.parameters?.viewerGroups).toMatchObject({ type: 'string', defaultValue: '' });
    expect(template.parameters?.operatorGroups).toMatchObject({ type: 'string', defaultValue: '' });
  });
});

describe('the app registration (infra/auth/app-roles.json)', () => {
  const roles = JSON.parse(readFileSync(join(repoRoot, 'infra/auth/app-roles.json'), 'utf8')) as {
    id: string;
    value: string;
    isEnabled: boolean;
  }[];

  it('defines the app roles Warden reads from the roles claim, each with its own id', () => {
    expect(roles.map((r) => r.value)).toEqual(['Warden.Viewer', 'Warden.Operator']);
    expect(new Set(roles.map((r) => r.id)).size).toBe(2);
    expect(roles.every((r) => r.isEnabled)).toBe(true);
  });
});

describeCompiled('the Flex Consumption instance (compiled)', (template) => {
  it('lets the instance memory be chosen among the sizes Flex offers, 2048 MB by default', () => {
    expect(template.parameters?.instanceMemoryMB).toMatchObject({
      type: 'string',
      defaultValue: '2048',
      allowedValues: ['512', '2048', '4096'],
    });
    const site = ofType(moduleTemplate(template, 'function'), 'Microsoft.Web/sites')[0]!.resource
      .properties as {
      functionAppConfig: { scaleAndConcurrency: { instanceMemoryMB: string }; runtime: unknown };
    };
    expect(site.functionAppConfig.scaleAndConcurrency.instanceMemoryMB).toBe(
      "[parameters('instanceMemoryMB')]",
    );
    expect(site.functionAppConfig.runtime).toEqual({ name: 'node', version: '22' });
  });

  it('starts the Node worker with an old space sized from the instance memory, for every size allowed', () => {
    const fn = moduleTemplate(template, 'function');
    const { oldSpaceMB } = JSON.parse(readFileSync(join(repoRoot, 'infra/app/nodeHeap.json'), 'utf8')) as {
      oldSpaceMB: Record<string, number>;
    };
    const sizes = template.parameters?.instanceMemoryMB?.allowedValues as string[];
    expect(Object.keys(oldSpaceMB).sort()).toEqual([...sizes].sort());
    for (const size of sizes) {
      // Below the instance memory, with room for the host, the young generation and buffers.
      expect({ size, oldSpace: oldSpaceMB[size]! <= Number(size) / 2 }).toEqual({ size, oldSpace: true });
    }
    // The table the Bicep loaded is the file's, indexed by the instance memory the app is given.
    const nodeOldSpace = fn.variables?.nodeOldSpaceMB as string;
    const loaded = /^\[variables\('(\$fxv#\d+)'\)\[string\(parameters\('instanceMemoryMB'\)\)\]\]$/.exec(
      nodeOldSpace,
    )?.[1];
    expect(loaded).toBeDefined();
    expect(fn.variables?.[loaded!]).toEqual(oldSpaceMB);
    expect(appSettingsOf(fn)).toContain(
      "'languageWorkers__node__arguments', format('--max-old-space-size={0}', variables('nodeOldSpaceMB'))",
    );
  });
});

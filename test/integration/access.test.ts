import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';

const VIEWERS = '2c8e4a10-0b1d-4c5e-9f3a-7d6b5e4c3a21';
const OPERATORS = '9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d';

/** The headers App Service sets for a signed-in Entra user. */
function signedIn(name: string, claims: { typ: string; val: string }[]): Record<string, string> {
  const principal = { auth_typ: 'aad', claims, name_typ: 'preferred_username', role_typ: 'roles' };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': '00000000-0000-0000-0000-00000000abcd',
    'x-ms-client-principal-name': name,
    'x-ms-client-principal-idp': 'aad',
  };
}

const CALLERS = {
  'no principal': {},
  viewer: signedIn('vera@contoso.com', [{ typ: 'groups', val: VIEWERS }]),
  operator: signedIn('otto@contoso.com', [{ typ: 'roles', val: 'Warden.Operator' }]),
  outsider: signedIn('eve@contoso.com', [{ typ: 'groups', val: '5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c' }]),
} as const;
type Caller = keyof typeof CALLERS;

interface PrintedRoute {
  readonly name: string;
  readonly methods: string[];
  readonly url: string;
  readonly access: string;
}

/** The HTTP routes `npm start` prints, each with the access it declared. */
function printedRoutes(output: string): PrintedRoute[] {
  return [...output.matchAll(/^ {2}http +(\S+) +(http:\/\/\S+) {2}\((\w+), ([\w -]+)\)$/gm)].map((m) => ({
    methods: (m[1] ?? '').split(','),
    url: m[2] ?? '',
    name: m[3] ?? '',
    access: m[4] ?? '',
  }));
}

/** A concrete URL for a route template: every parameter filled with a name nothing has. */
const concrete = (template: string): string => template.replace(/\{\*?(\w+)[^}]*\}/g, 'probe-$1');

/** Whether the answer is the access guard's refusal (rather than the route's own answer). */
async function refusal(r: Response): Promise<401 | 403 | undefined> {
  if (r.status !== 401 && r.status !== 403) return undefined;
  const text = await r.text();
  if (r.status === 401 && text.includes('sign in first: this needs a Warden')) return 401;
  if (r.status === 403 && text.includes('is not a Warden')) return 403;
  return undefined;
}

async function call(route: PrintedRoute, method: string, caller: Caller): Promise<Response> {
  return fetch(concrete(route.url), {
    method,
    headers: { ...CALLERS[caller], ...(method === 'POST' && { 'content-type': 'application/json' }) },
    ...(method === 'POST' && { body: '{}' }),
  });
}

describe('with WEBSITE_AUTH_ENABLED=True the local runtime closes every read and action to outsiders', () => {
  let warden: LocalWarden;
  beforeAll(async () => {
    warden = await startLocalWarden({
      env: {
        WEBSITE_AUTH_ENABLED: 'True',
        WARDEN_VIEWER_GROUPS: VIEWERS,
        WARDEN_OPERATOR_GROUPS: OPERATORS,
      },
    });
  }, 30_000);
  afterAll(() => warden.stop());

  test('every registered route × {no principal, viewer, operator, outsider}', async () => {
    const routes = printedRoutes(warden.output());
    expect(routes.length).toBeGreaterThan(10);
    expect(warden.output()).toContain('access    signed-in only (WEBSITE_AUTH_ENABLED=True)');
    const expected: Record<string, Record<Caller, 401 | 403 | undefined>> = {
      anonymous: { 'no principal': undefined, viewer: undefined, operator: undefined, outsider: undefined },
      'signed-link': {
        'no principal': undefined,
        viewer: undefined,
        operator: undefined,
        outsider: undefined,
      },
      viewer: { 'no principal': 401, viewer: undefined, operator: undefined, outsider: 403 },
      operator: { 'no principal': 401, viewer: 403, operator: undefined, outsider: 403 },
    };
    const seen: string[] = [];
    const wrong: string[] = [];
    for (const route of routes) {
      const want = expected[route.access];
      if (want === undefined) {
        wrong.push(`${route.name}: declared "${route.access}"`);
        continue;
      }
      for (const method of route.methods)
        for (const caller of Object.keys(CALLERS) as Caller[]) {
          const got = await refusal(await call(route, method, caller));
          seen.push(`${route.access} ${got ?? 'through'}`);
          if (got !== want[caller])
            wrong.push(
              `${method} ${route.name} as ${caller}: ${got ?? 'through'}, expected ${want[caller] ?? 'through'}`,
            );
        }
    }
    expect(wrong).toEqual([]);
    // Each level was met, and each refusal happened: the matrix is not vacuous.
    for (const line of [
      'viewer 401',
      'viewer 403',
      'viewer through',
      'operator 401',
      'operator 403',
      'operator through',
    ])
      expect(seen).toContain(line);
  }, 60_000);

  test('an anonymous read of the inventory gets 401', async () => {
    const r = await fetch(`${warden.url}/api/clusters`);
    expect(r.status).toBe(401);
    expect(await r.json()).toEqual({
      error: 'unauthorized',
      detail: 'sign in first: this needs a Warden viewer (Entra sign-in)',
    });
  });
});

describe('locally, without App Service Authentication', () => {
  test('every route stays open and the start says so in one line', async () => {
    const warden = await startLocalWarden({ env: { WARDEN_OPERATOR_GROUPS: OPERATORS } });
    try {
      const lines = warden
        .output()
        .split('\n')
        .filter((l) => l.startsWith('  access'));
      expect(lines).toEqual([
        '  access    open: App Service Authentication is off here, so no route asks who you are (in Azure reads need a Warden viewer, actions an operator)',
      ]);
      const routes = printedRoutes(warden.output());
      expect(routes.length).toBeGreaterThan(10);
      const refused: string[] = [];
      for (const route of routes)
        for (const method of route.methods)
          if ((await refusal(await call(route, method, 'no principal'))) !== undefined)
            refused.push(`${method} ${route.name}`);
      expect(refused).toEqual([]);
    } finally {
      await warden.stop();
    }
  }, 60_000);
});

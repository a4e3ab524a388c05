import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';

import type { Registration } from '../../local/functionsCore';
import { createFakeCore } from '../../local/functionsCore';
import { principalOf } from '../../shared/approvals/principal';
import { loadConfig } from '../../shared/config';
import type { Access, AccessSettings } from '../../shared/web/access';
import { accessOf, guard, refusalFor } from '../../shared/web/access';
import { BASE_ENV } from '../helpers/config';

const VIEWERS = '2c8e4a10-0b1d-4c5e-9f3a-7d6b5e4c3a21';
const OPERATORS = '9a7b6c5d-4e3f-4a1b-8c2d-1e0f9a8b7c6d';
const OTHERS = '5f4e3d2c-1b0a-4f9e-8d7c-6b5a4f3e2d1c';

/** The four headers App Service sets for a signed-in Entra user (all four: `request.user` needs them). */
function signedIn(
  name: string,
  claims: { typ: string; val: string }[],
  roleType = 'roles',
): Record<string, string> {
  const principal = { auth_typ: 'aad', claims, name_typ: 'preferred_username', role_typ: roleType };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': '00000000-0000-0000-0000-00000000abcd',
    'x-ms-client-principal-name': name,
    'x-ms-client-principal-idp': 'aad',
  };
}

const groups = (...ids: string[]) => ids.map((val) => ({ typ: 'groups', val }));
const roles = (...names: string[]) => names.map((val) => ({ typ: 'roles', val }));

const CALLERS = {
  'no principal': {},
  viewer: signedIn('vera@contoso.com', groups(VIEWERS)),
  operator: signedIn('otto@contoso.com', groups(OPERATORS)),
  outsider: signedIn('eve@contoso.com', groups(OTHERS)),
} as const;
type Caller = keyof typeof CALLERS;

const enforced: AccessSettings = {
  easyAuth: true,
  access: { viewerGroups: [VIEWERS], operatorGroups: [OPERATORS] },
};

const request = (headers: Record<string, string>, method = 'GET') =>
  new HttpRequest({ method, url: 'https://warden.example/api/plans', headers });

/** Every function functions/index.ts registers, captured as the worker would see them. */
function registrations(): Registration[] {
  const out: Registration[] = [];
  jest.isolateModules(() => {
    jest.doMock('@azure/functions-core', () => createFakeCore((r) => out.push(r)), { virtual: true });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the app's entry, loaded as Azure loads it
    require('../../functions/index');
  });
  return out;
}

const http = registrations().filter((r) => r.trigger.type === 'httpTrigger');

describe('every registered route declares who may reach it', () => {
  test('the app registers HTTP routes at all', () => {
    expect(http.length).toBeGreaterThan(10);
  });

  test.each(http.map((r) => [r.name, r] as const))('%s declares an access level', (_name, r) => {
    expect(accessOf(r.handler)).toBeDefined();
  });

  test('only the Event Grid webhook and the health probe answer anyone', () => {
    const anonymous = http.filter((r) => accessOf(r.handler) === 'anonymous').map((r) => r.name);
    expect(anonymous.sort()).toEqual(['aksEvents', 'health']);
  });

  test('every route that changes something is for operators, unless a signed link or the webhook is its control', () => {
    const acting = http.filter((r) =>
      (r.trigger.methods ?? ['GET', 'POST']).some(
        (m) => !['GET', 'HEAD', 'OPTIONS'].includes(m.toUpperCase()),
      ),
    );
    expect(acting.filter((r) => accessOf(r.handler) === 'viewer').map((r) => r.name)).toEqual([]);
    expect(acting.length).toBeGreaterThan(5);
    const links = http.filter((r) => accessOf(r.handler) === 'signed-link').map((r) => r.trigger.route);
    expect(links.every((route) => /^(approvals|waves|defer|plan-actions)\//.test(route ?? ''))).toBe(true);
  });
});

describe('with App Service Authentication on, each route × caller', () => {
  const expected: Record<Access, Record<Caller, 401 | 403 | 'through'>> = {
    anonymous: { 'no principal': 'through', viewer: 'through', operator: 'through', outsider: 'through' },
    'signed-link': { 'no principal': 'through', viewer: 'through', operator: 'through', outsider: 'through' },
    viewer: { 'no principal': 401, viewer: 'through', operator: 'through', outsider: 403 },
    operator: { 'no principal': 401, viewer: 403, operator: 'through', outsider: 403 },
  };
  const cases = http.flatMap((r) =>
    (Object.keys(CALLERS) as Caller[]).map((caller) => [r.name, caller, r] as const),
  );

  test.each(cases)('%s, %s', async (_name, caller, r) => {
    const access = accessOf(r.handler)!;
    const method = (r.trigger.methods ?? ['GET'])[0]!;
    let reached = false;
    const guarded = guard(
      access,
      () => {
        reached = true;
        return Promise.resolve({ status: 204 });
      },
      () => enforced,
    );
    const answer = await guarded(
      request(CALLERS[caller], method),
      new InvocationContext({ logHandler: () => {} }),
    );
    const want = expected[access][caller];
    if (want === 'through') {
      expect(reached).toBe(true);
      expect(answer.status).toBe(204);
    } else {
      expect(reached).toBe(false);
      expect(answer.status).toBe(want);
      expect((answer as HttpResponseInit).jsonBody).toEqual({
        error: want === 401 ? 'unauthorized' : 'forbidden',
        detail: expect.any(String),
      });
    }
  });
});

describe('the access guard', () => {
  test('locally (Easy Auth off) every level is open, even to forged principal headers', () => {
    const open: AccessSettings = { ...enforced, easyAuth: false };
    for (const access of ['viewer', 'operator'] as const)
      for (const caller of Object.keys(CALLERS) as Caller[])
        expect(refusalFor(access, request(CALLERS[caller]), open)).toBeUndefined();
  });

  test('the app roles Warden.Viewer and Warden.Operator grant what the groups grant; an operator is a viewer', () => {
    const viewerRole = request(signedIn('r@contoso.com', roles('Warden.Viewer')));
    const operatorRole = request(signedIn('o@contoso.com', roles('Warden.Operator')));
    const noGroups: AccessSettings = { easyAuth: true, access: { viewerGroups: [], operatorGroups: [] } };
    expect(refusalFor('viewer', viewerRole, noGroups)).toBeUndefined();
    expect(refusalFor('operator', viewerRole, noGroups)?.message).toContain('Warden.Operator');
    expect(refusalFor('viewer', operatorRole, noGroups)).toBeUndefined();
    expect(refusalFor('operator', operatorRole, noGroups)).toBeUndefined();
  });

  test('a refusal names the person and what would admit them', () => {
    const refused = refusalFor('operator', request(CALLERS.viewer), enforced);
    expect(refused?.message).toBe(
      'vera@contoso.com is not a Warden operator: that takes the app role Warden.Operator or a group in WARDEN_OPERATOR_GROUPS',
    );
  });

  test('a principal header that does not decode, or that names nobody, is no principal (401)', () => {
    const garbage = { ...CALLERS.viewer, 'x-ms-client-principal': '%%%not base64 json' };
    expect(refusalFor('viewer', request(garbage), enforced)?.name).toBe('UnauthorizedError');
    const nameless = { ...CALLERS.viewer, 'x-ms-client-principal-name': '' };
    delete (nameless as Record<string, string>)['x-ms-client-principal-name'];
    expect(refusalFor('viewer', request(nameless), enforced)?.name).toBe('UnauthorizedError');
  });
});

describe('principalOf', () => {
  test('reads the name, the id, the groups (lower case) and the roles App Service put in the principal', () => {
    const headers = signedIn('Ann@Contoso.com', [
      { typ: 'preferred_username', val: 'Ann@Contoso.com' },
      ...groups(VIEWERS.toUpperCase()),
      { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups', val: OPERATORS },
      { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Warden.Operator' },
    ]);
    expect(principalOf(request(headers), true)).toEqual({
      name: 'Ann@Contoso.com',
      id: '00000000-0000-0000-0000-00000000abcd',
      groups: [VIEWERS, OPERATORS],
      roles: ['Warden.Operator'],
    });
  });

  test('takes the roles from the claim type role_typ names', () => {
    const headers = signedIn('a@contoso.com', [{ typ: 'appRole', val: 'Warden.Viewer' }], 'appRole');
    expect(principalOf(request(headers), true)?.roles).toEqual(['Warden.Viewer']);
  });

  test('is never read with App Service Authentication off: the headers would be the caller’s own', () => {
    expect(principalOf(request(CALLERS.operator), false)).toBeUndefined();
  });
});

describe('settings', () => {
  test('WARDEN_VIEWER_GROUPS and WARDEN_OPERATOR_GROUPS are comma-separated group object ids', () => {
    const config = loadConfig({
      ...BASE_ENV,
      WARDEN_VIEWER_GROUPS: ` ${VIEWERS.toUpperCase()}, ${OTHERS}`,
      WARDEN_OPERATOR_GROUPS: OPERATORS,
    });
    expect(config.access).toEqual({ viewerGroups: [VIEWERS, OTHERS], operatorGroups: [OPERATORS] });
  });

  test('a value that is not a group id stops the start naming the setting', () => {
    expect(() => loadConfig({ ...BASE_ENV, WARDEN_OPERATOR_GROUPS: 'platform-team' })).toThrow(
      'setting WARDEN_OPERATOR_GROUPS: "platform-team" is not an Entra group object id (a GUID)',
    );
  });
});

import type { HttpRequest, HttpResponseInit } from '@azure/functions';

/** The person App Service Authentication signed in (`X-MS-CLIENT-PRINCIPAL*`), when it is on. */
export interface Principal {
  /** UPN or email (`X-MS-CLIENT-PRINCIPAL-NAME`, else the claim named by `name_typ`). */
  readonly name: string;
  /** The Entra object id (`X-MS-CLIENT-PRINCIPAL-ID`). */
  readonly id?: string;
  /** Entra group object ids from the `groups` claim, lower case. */
  readonly groups: readonly string[];
  /** App roles from the `roles` claim (the claim type `role_typ` names), e.g. `Warden.Operator`. */
  readonly roles: readonly string[];
}

interface Claim {
  readonly typ?: unknown;
  readonly val?: unknown;
}

// Claim types after App Service's default claims mapping (configure-authentication-user-identities.md,
// "Decoding the client principal header"): short names from the token, or the long URI forms.
const GROUP_TYPES = new Set(['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups']);
const ROLE_TYPES = new Set(['roles', 'role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role']);

function decodePrincipal(
  header: string,
): { claims: Claim[]; nameType?: string; roleType?: string } | undefined {
  try {
    const parsed = JSON.parse(Buffer.from(header, 'base64').toString('utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    const p = parsed as { claims?: unknown; name_typ?: unknown; role_typ?: unknown };
    const claims = Array.isArray(p.claims)
      ? p.claims.filter((c): c is Claim => typeof c === 'object' && c !== null)
      : [];
    return {
      claims,
      ...(typeof p.name_typ === 'string' && { nameType: p.name_typ }),
      ...(typeof p.role_typ === 'string' && { roleType: p.role_typ }),
    };
  } catch {
    return undefined;
  }
}

/**
 * The principal App Service Authentication put on the request, read from `X-MS-CLIENT-PRINCIPAL`
 * (base64 JSON `{ auth_typ, claims: [{ typ, val }], name_typ, role_typ }`) and its `-NAME` / `-ID`
 * companions. "External requests aren't allowed to set these headers" only while Easy Auth is on the
 * app (`easyAuth`, from `WEBSITE_AUTH_ENABLED`); without it they are whatever the caller sent, so they
 * are not read. A header that does not decode, or names nobody, is no principal.
 */
export function principalOf(request: HttpRequest, easyAuth: boolean): Principal | undefined {
  if (!easyAuth) return undefined;
  const header = request.headers.get('x-ms-client-principal');
  if (header === null || header.trim() === '') return undefined;
  const decoded = decodePrincipal(header.trim());
  if (decoded === undefined) return undefined;
  const values = (types: ReadonlySet<string>): string[] =>
    decoded.claims
      .filter((c) => typeof c.typ === 'string' && types.has(c.typ) && typeof c.val === 'string')
      .map((c) => c.val as string);
  const name =
    request.headers.get('x-ms-client-principal-name')?.trim() ||
    (decoded.nameType !== undefined ? values(new Set([decoded.nameType]))[0] : undefined);
  if (name === undefined || name === '') return undefined;
  const id = request.headers.get('x-ms-client-principal-id')?.trim() || undefined;
  const roleTypes = new Set([...ROLE_TYPES, ...(decoded.roleType !== undefined ? [decoded.roleType] : [])]);
  return {
    name,
    ...(id !== undefined && { id }),
    groups: values(GROUP_TYPES).map((g) => g.toLowerCase()),
    roles: values(roleTypes),
  };
}

/**
 * A redirect to App Service's Entra sign-in (`/.auth/login/aad`), which brings the person back to the
 * same path and query (configure-authentication-customize-sign-in-out.md, `post_login_redirect_uri`).
 */
export function signInRedirect(request: HttpRequest): HttpResponseInit {
  const url = new URL(request.url);
  const back = encodeURIComponent(`${url.pathname}${url.search}`);
  return {
    status: 302,
    headers: { location: `/.auth/login/aad?post_login_redirect_uri=${back}`, 'cache-control': 'no-store' },
  };
}

import type { IncomingHttpHeaders } from 'node:http';

/** Why the local host refuses a request before any route sees it. */
export interface Refusal {
  readonly status: 403 | 415;
  readonly error: string;
  readonly detail: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function isLoopbackHost(host: string, port: number): boolean {
  const h = host.trim().toLowerCase();
  return LOOPBACK_NAMES.some((name) => h === `${name}:${port}` || (port === 80 && h === name));
}

/** The media type without parameters, lower case (`application/json; charset=utf-8` -> `application/json`). */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

function isJsonType(type: string): boolean {
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

/**
 * What the local runtime checks on every request, since locally no function key or sign-in stands in
 * front of it and any web page the user visits can reach 127.0.0.1:
 *
 * - the `Host` must be a loopback name with this port (`127.0.0.1`, `localhost`, `[::1]`): a
 *   DNS-rebinding page reaches the port under its own host name and is refused;
 * - a state change (POST, PUT, PATCH, DELETE) must not come from another origin: an `Origin` other
 *   than this host's (`null` unless `Sec-Fetch-Site: same-origin` vouches for it), or a
 *   `Sec-Fetch-Site` other than `same-origin` / `none`, is refused (a cross-site form or fetch, a
 *   sandboxed frame; another local port is another origin too). Clients that send neither header
 *   (curl, the SDKs, Event Grid) are not browsers and go on;
 * - a state change's body must say what it is: JSON (`application/json`, `application/*+json`, which
 *   covers Event Grid's and CloudEvents' types) everywhere, and on `/api/*` also a page's form
 *   (`application/x-www-form-urlencoded`). `text/plain` JSON, which a cross-site fetch sends without
 *   a CORS preflight, is refused.
 *
 * Returns the refusal, or undefined when the request may go on.
 */
export function refuseNonLocal(
  method: string,
  path: string,
  headers: IncomingHttpHeaders,
  port: number,
  hasBody: boolean,
): Refusal | undefined {
  const host = header(headers, 'host') ?? '';
  if (!isLoopbackHost(host, port))
    return {
      status: 403,
      error: 'forbidden',
      detail: `Host "${host.slice(0, 100)}" is not a loopback name; the local runtime answers only 127.0.0.1:${port}, localhost:${port} and [::1]:${port}`,
    };
  if (!STATE_CHANGING.has(method.toUpperCase())) return undefined;
  const origin = header(headers, 'origin');
  const site = header(headers, 'sec-fetch-site')?.trim().toLowerCase();
  const foreignOrigin =
    origin !== undefined && origin !== 'null' && !isLoopbackHost(origin.replace(/^http:\/\//i, ''), port);
  // A page served with `Referrer-Policy: no-referrer` posts its own forms with `Origin: null`: then
  // only `Sec-Fetch-Site: same-origin` vouches for it.
  const unvouchedNull = origin === 'null' && site !== 'same-origin';
  if (foreignOrigin || unvouchedNull)
    return {
      status: 403,
      error: 'forbidden',
      detail: `a ${method} from the origin "${origin.slice(0, 100)}" is refused: the local runtime takes state changes only from its own pages`,
    };
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return {
      status: 403,
      error: 'forbidden',
      detail: `a ${method} with Sec-Fetch-Site "${site}" is refused: the local runtime takes state changes only from its own pages`,
    };
  if (!hasBody) return undefined;
  const type = mediaType(header(headers, 'content-type'));
  const formAllowed = /^\/api\//i.test(path);
  if (isJsonType(type) || (formAllowed && type === 'application/x-www-form-urlencoded')) return undefined;
  return {
    status: 415,
    error: 'unsupported media type',
    detail: `a ${method} body must be sent as application/json${formAllowed ? ' (or a form, application/x-www-form-urlencoded)' : ''}; got ${type === '' ? 'no content-type' : `"${type.slice(0, 100)}"`}`,
  };
}

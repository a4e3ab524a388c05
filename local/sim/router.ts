import type { IncomingHttpHeaders } from 'node:http';

/** One call as a simulator handler sees it. */
export interface SimRequest {
  readonly method: string;
  /** The URL path, decoded segments kept as sent. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  /** Parsed JSON body, `undefined` when there was none. */
  readonly body: unknown;
  /** Capture groups of the route's pattern. */
  readonly params: readonly string[];
  /** The simulator's own base URL (`https://127.0.0.1:PORT`), for LRO and paging links. */
  readonly baseUrl: string;
  /** Set when a fault asks the operation this call starts to fail. */
  readonly failOperation?: { readonly code: string; readonly message: string } | undefined;
}

export interface SimResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly handle: (req: SimRequest) => SimResponse;
}

/** An ARM error answer: `{ "error": { "code", "message", "subcode"? } }`. */
export function armError(
  status: number,
  code: string,
  message: string,
  extra: Record<string, unknown> = {},
): SimResponse {
  return { status, body: { error: { code, message, ...extra } } };
}

export function ok(body: unknown, headers?: Record<string, string>): SimResponse {
  return { status: 200, body, ...(headers && { headers }) };
}

const SEG = '([^/]+)';

/** `/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.ContainerService` as a pattern prefix. */
export const RG_PREFIX = `^/subscriptions/${SEG}/resourcegroups/${SEG}/providers/microsoft\\.containerservice`;
export const CLUSTER_PREFIX = `${RG_PREFIX}/managedclusters/${SEG}`;

/** Compiles a route path (case-insensitive, optional trailing slash). */
export function path(source: string): RegExp {
  return new RegExp(`${source}/?$`, 'i');
}

/** A route builder for handlers that take the simulator context: `on('GET', pattern, handler)`. */
export function routesOn<C>(
  ctx: C,
): (method: string, source: string, handle: (ctx: C, req: SimRequest) => SimResponse) => Route {
  return (method, source, handle) => ({ method, pattern: path(source), handle: (req) => handle(ctx, req) });
}

export function findRoute(
  routes: readonly Route[],
  method: string,
  p: string,
): { route: Route; params: string[] } | { allowed: string[] } | undefined {
  const allowed: string[] = [];
  for (const route of routes) {
    const m = route.pattern.exec(p);
    if (!m) continue;
    if (route.method !== method.toUpperCase()) {
      allowed.push(route.method);
      continue;
    }
    return { route, params: m.slice(1).map((s) => decodeURIComponent(s)) };
  }
  return allowed.length > 0 ? { allowed } : undefined;
}

/** A JSON object as handlers read request bodies. */
export type Json = Record<string, unknown>;

/** The value as a JSON object, or undefined when it is not one. */
export function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** A list page: `{ value, nextLink? }`, `value` always present (a page without it crashes the SDK). */
export function listPage(req: SimRequest, items: readonly unknown[], pageSize: number): SimResponse {
  const skip = Math.max(0, Number(req.query.get('$skipToken') ?? '0') || 0);
  const page = items.slice(skip, skip + pageSize);
  const next = skip + pageSize < items.length ? skip + pageSize : undefined;
  const q = new URLSearchParams(req.query);
  if (next !== undefined) q.set('$skipToken', String(next));
  return ok({
    value: page,
    ...(next !== undefined && { nextLink: `${req.baseUrl}${req.path}?${q.toString()}` }),
  });
}

/** The api-version the caller sent (the SDK default when absent). */
export function apiVersion(req: SimRequest): string {
  return req.query.get('api-version') ?? '2026-06-01';
}

export function checkIfMatch(req: SimRequest, etag: string | undefined): SimResponse | undefined {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  const strip = (s: string): string => s.replace(/^W\//, '').replace(/^"|"$/g, '');
  if (typeof ifMatch === 'string' && ifMatch !== '*' && (etag === undefined || strip(ifMatch) !== etag))
    return armError(
      412,
      'PreconditionFailed',
      `The specified If-Match '${ifMatch}' does not match the resource's ETag.`,
    );
  if (typeof ifMatch === 'string' && ifMatch === '*' && etag === undefined)
    return armError(412, 'PreconditionFailed', 'If-Match * but the resource does not exist.');
  if (ifNoneMatch === '*' && etag !== undefined)
    return armError(412, 'PreconditionFailed', 'If-None-Match * but the resource already exists.');
  return undefined;
}

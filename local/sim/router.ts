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

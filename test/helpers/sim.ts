import type { TokenCredential } from '@azure/core-auth';

import type { RunningSimulator, SimulatorOptions } from '../../local/sim';
import { startSimulator } from '../../local/sim';

/** Any token will do: the simulator accepts every bearer token. */
export const fakeCredential: TokenCredential = {
  getToken: () => Promise.resolve({ token: 'simulated-token', expiresOnTimestamp: Date.now() + 3_600_000 }),
};

/** Starts the simulator for a test: fast operations, no deliveries unless asked. */
export function startTestSimulator(
  options: Partial<SimulatorOptions> & Pick<SimulatorOptions, 'fleet'>,
): Promise<RunningSimulator> {
  return startSimulator({
    durations: { controlPlaneMs: 30, poolMs: 30, nodeImageMs: 30 },
    eventRetryDelaysMs: [20, 50, 100],
    ...options,
  });
}

/** SDK client options pointing at the simulator (https with its loopback certificate). */
export function clientOptions(sim: RunningSimulator): { endpoint: string; tlsOptions: { ca: string } } {
  return { endpoint: sim.armUrl, tlsOptions: { ca: sim.caCertPem ?? '' } };
}

/** A raw call to the simulator through Node's https, trusting its certificate. */
export async function simFetch(
  sim: RunningSimulator,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: unknown; text: string }> {
  const { request } = await import('node:https');
  const url = new URL(path.startsWith('http') ? path : `${sim.armUrl}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: sim.caCertPem,
        headers: {
          authorization: 'Bearer simulated-token',
          ...(payload !== undefined && { 'content-type': 'application/json' }),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const h: Record<string, string> = {};
          for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h[k] = v;
          resolve({
            status: res.statusCode ?? 0,
            headers: h,
            body: text === '' ? undefined : (JSON.parse(text) as unknown),
            text,
          });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/**
 * Where `actual` lacks the shape of `expected`: every key of an expected object present with the
 * same JSON type, recursively (arrays by their first element). `ignore` lists dotted paths to skip.
 */
export function shapeDiff(
  expected: unknown,
  actual: unknown,
  ignore: readonly string[] = [],
  at = '',
): string[] {
  if (ignore.includes(at)) return [];
  if (expected === null || expected === undefined) return [];
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
  if (kind(expected) !== kind(actual))
    return [`${at || '(root)'}: expected ${kind(expected)}, got ${kind(actual)}`];
  if (Array.isArray(expected)) {
    const a = actual as unknown[];
    if (expected.length === 0 || a.length === 0) return [];
    return shapeDiff(expected[0], a[0], ignore, `${at}[]`);
  }
  if (typeof expected === 'object') {
    const a = actual as Record<string, unknown>;
    return Object.entries(expected as Record<string, unknown>).flatMap(([k, v]) => {
      const p = at === '' ? k : `${at}.${k}`;
      if (ignore.includes(p)) return [];
      if (!(k in a)) return [`${p}: missing`];
      return shapeDiff(v, a[k], ignore, p);
    });
  }
  return [];
}

/** A call to the simulator's control API (`/_sim/…`), served by its mount on a throwaway local server. */
export async function simControl(
  sim: RunningSimulator,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  const { createServer } = await import('node:http');
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body));
  const server = createServer((req, res) => void sim.mount.handle(req, res, payload));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as { port: number }).port;
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      ...(body !== undefined && { body: payload, headers: { 'content-type': 'application/json' } }),
    });
    const text = await r.text();
    const out = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (r.status >= 400) throw new Error(`${method} ${path}: ${r.status} ${text}`);
    return out;
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

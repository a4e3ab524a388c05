import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { OperationKind } from './arm/throttle';
import { operationKind, TokenBuckets } from './arm/throttle';
import type { CallRecord, SimContext } from './context';
import type { Route, SimRequest, SimResponse } from './router';
import { armError, findRoute } from './router';

/**
 * The simulator's HTTP(S) front door, in the order ARM applies things: record the call, apply a
 * fault if one matches, take a throttling token (per subscription, ARM region and operation kind),
 * wait the configured latency, then route to a handler.
 */
export interface ServerOptions {
  readonly port: number;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly latencyMs: number;
  readonly armRegion: string;
  readonly maxCallLog: number;
}

export interface SimServer {
  readonly url: string;
  readonly calls: CallRecord[];
  readonly stats: SimStats;
  readonly buckets: TokenBuckets | undefined;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** Counters since start or the last reset: calls, 429s, by status and by API. */
export interface SimStats {
  calls: number;
  throttled: number;
  byStatus: Record<string, number>;
  byApi: Record<CallRecord['api'], number>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const KIND_WORD: Record<OperationKind, string> = { reads: 'read', writes: 'write', deletes: 'delete' };

export async function startServer(
  ctx: SimContext,
  routes: readonly Route[],
  options: ServerOptions,
): Promise<SimServer> {
  const calls: CallRecord[] = [];
  const stats: SimStats = {
    calls: 0,
    throttled: 0,
    byStatus: {},
    byApi: { arm: 0, resourcegraph: 0, other: 0 },
  };
  const buckets = ctx.throttle === false ? undefined : new TokenBuckets(ctx.throttle);
  let latencyMs = options.latencyMs;
  let baseUrl = '';

  const received = new WeakMap<IncomingMessage, string>();
  const record = (req: IncomingMessage, path: string, status: number, retryAfter?: string): void => {
    stats.calls += 1;
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    if (status === 429) stats.throttled += 1;
    const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
    const api = /^\/providers\/microsoft\.resourcegraph\//i.test(path)
      ? 'resourcegraph'
      : /^\/(subscriptions|providers)\//i.test(path)
        ? 'arm'
        : 'other';
    stats.byApi[api] += 1;
    calls.push({
      time: ctx.now().toISOString(),
      method: req.method ?? 'GET',
      path,
      status,
      subscription: sub,
      api,
      ...(received.has(req) && { receivedAt: received.get(req) }),
      ...(retryAfter !== undefined && /^\d+$/.test(retryAfter) && { retryAfterSeconds: Number(retryAfter) }),
    });
    if (calls.length > options.maxCallLog) calls.splice(0, calls.length - options.maxCallLog);
  };

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    r: SimResponse,
    extra: Record<string, string>,
  ): void => {
    record(req, path, r.status, extra['retry-after'] ?? r.headers?.['retry-after']);
    const headers: Record<string, string> = {
      'x-ms-request-id': randomUUID(),
      'x-ms-correlation-request-id': randomUUID(),
      'x-ms-routing-request-id': `${options.armRegion.toUpperCase()}:${ctx
        .now()
        .toISOString()
        .replace(/[-:]|\.\d+/g, '')}:${randomUUID()}`,
      'cache-control': 'no-cache',
      ...extra,
      ...r.headers,
    };
    if (r.body === undefined) {
      res.writeHead(r.status, headers);
      res.end();
      return;
    }
    const text = JSON.stringify(r.body);
    res.writeHead(r.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  };

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    received.set(req, ctx.now().toISOString());
    void (async () => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      const path = url.pathname;
      const method = (req.method ?? 'GET').toUpperCase();
      try {
        const raw = await readBody(req);
        const fault = ctx.faults.take(method, path);
        if (fault?.drop === true) {
          record(req, path, 0);
          req.socket.destroy();
          return;
        }
        if (fault?.latencyMs !== undefined) await sleep(fault.latencyMs);
        if (fault?.status !== undefined) {
          if (latencyMs > 0) await sleep(latencyMs);
          const r = armError(
            fault.status,
            fault.code ?? (fault.status === 429 ? 'TooManyRequests' : 'InternalServerError'),
            fault.message ?? `Simulated fault (${fault.status}).`,
          );
          send(
            req,
            res,
            path,
            r,
            fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
          );
          return;
        }

        const extra: Record<string, string> = {};
        const sub = /^\/subscriptions\/([^/]+)/i.exec(path)?.[1];
        // Subscription-scoped calls draw from the subscription's buckets; provider-scoped ARM calls
        // (operation status without a subscription) from the tenant's. Resource Graph has its quota.
        const tenantScoped = sub === undefined && /^\/providers\/(?!microsoft\.resourcegraph\/)/i.test(path);
        if (buckets && (sub !== undefined || tenantScoped)) {
          const kind = operationKind(method);
          const scope = sub === undefined ? 'tenant' : 'subscription';
          const decision = buckets.take(sub ?? 'tenant', options.armRegion, kind);
          if (!decision.ok) {
            if (latencyMs > 0) await sleep(latencyMs);
            const r = armError(
              429,
              sub === undefined ? 'TenantRequestsThrottled' : 'SubscriptionRequestsThrottled',
              `Number of '${KIND_WORD[kind]}' requests for ${sub === undefined ? 'tenant' : `subscription '${sub}'`} actor '${randomUUID()}' exceeded. Please try again after '${decision.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
            );
            send(req, res, path, r, {
              'retry-after': String(decision.retryAfterSeconds),
              [`x-ms-ratelimit-remaining-${scope}-${kind}`]: '0',
            });
            return;
          }
          extra[`x-ms-ratelimit-remaining-${scope}-${kind}`] = String(decision.remaining);
        }
        if (latencyMs > 0) await sleep(latencyMs);

        const found = findRoute(routes, method, path);
        if (!found) {
          send(
            req,
            res,
            path,
            armError(
              404,
              'InvalidResourceType',
              `The resource type could not be found for ${method} ${path}.`,
            ),
            extra,
          );
          return;
        }
        if ('allowed' in found) {
          send(
            req,
            res,
            path,
            armError(405, 'MethodNotAllowed', `The method ${method} is not allowed here.`),
            { ...extra, allow: found.allowed.join(', ') },
          );
          return;
        }
        if (!url.searchParams.has('api-version')) {
          send(
            req,
            res,
            path,
            armError(
              400,
              'MissingApiVersionParameter',
              'The api-version query parameter (?api-version=) is required for all requests.',
            ),
            extra,
          );
          return;
        }
        let body: unknown;
        if (raw.length > 0) {
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            send(
              req,
              res,
              path,
              armError(
                400,
                'InvalidRequestContent',
                'The request content was invalid and could not be deserialized.',
              ),
              extra,
            );
            return;
          }
        }
        const simReq: SimRequest = {
          method,
          path,
          query: url.searchParams,
          headers: req.headers,
          body,
          params: found.params,
          baseUrl,
          failOperation:
            fault?.failOperation === undefined || fault.failOperation === false
              ? undefined
              : {
                  code:
                    (typeof fault.failOperation === 'object' ? fault.failOperation.code : undefined) ??
                    'UpgradeFailed',
                  message:
                    (typeof fault.failOperation === 'object' ? fault.failOperation.message : undefined) ??
                    'Simulated failure: drain of node aks-nodepool-00000 failed, a PodDisruptionBudget does not allow the eviction.',
                },
        };
        send(req, res, path, found.route.handle(simReq), extra);
        // A write may have changed the fleet (Resource Graph's POST is a query).
        if (method !== 'GET' && !/^\/providers\/microsoft\.resourcegraph\//i.test(path))
          ctx.hooks.changed?.();
      } catch (e) {
        if (!res.headersSent)
          send(
            req,
            res,
            path,
            armError(500, 'InternalServerError', e instanceof Error ? e.message : String(e)),
            {},
          );
        else res.end();
      }
    })();
  };

  const server: Server = options.tls
    ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, handler)
    : createHttpServer(handler);
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  baseUrl = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  return {
    url: baseUrl,
    calls,
    stats,
    buckets,
    setLatency(ms) {
      latencyMs = ms;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

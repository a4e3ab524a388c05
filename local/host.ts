import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Timer } from '@azure/functions';
import { HttpRequest, HttpResponse, InvocationContext } from '@azure/functions';

import type { Registration } from './functionsCore';
import { refuseNonLocal } from './loopbackGuard';
import { parseNcrontab } from './ncrontab';
import { startQueuePollers } from './queuePoller';

/** Extra HTTP surface mounted beside the functions: the simulator, the outbox viewer. */
export interface Mount {
  readonly prefix: string;
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void>;
}

export interface HostOptions {
  readonly registrations: readonly Registration[];
  readonly port: number;
  readonly routePrefix?: string;
  readonly mounts?: readonly Mount[];
  /** Run timers on their schedules (off in most tests, which run them on demand). */
  readonly runTimers?: boolean;
  /** Poll the Storage Queues of `app.storageQueue` functions (default on; see queuePoller.ts). */
  readonly runQueues?: boolean;
  readonly log?: (line: string) => void;
  /** Where handler logs go; defaults to the console. */
  readonly logHandler?: (level: string, ...args: unknown[]) => void;
}

export interface RunningHost {
  readonly url: string;
  readonly port: number;
  /** Runs a non-HTTP function now, as `POST /admin/functions/{name}` does. */
  run(name: string, input?: unknown): Promise<unknown>;
  close(): Promise<void>;
}

/** Largest body the host reads, like the Functions host's 100 MB request limit. */
const MAX_HOST_BODY = 100 * 1024 * 1024;

interface Route {
  readonly registration: Registration;
  readonly methods: readonly string[];
  readonly pattern: RegExp;
  readonly params: readonly string[];
}

/** Compiles a Functions route template (`approvals/{planId}`, `{id?}`, `{*rest}`, `{n:int}`) to a regex. */
export function compileRoute(template: string): { pattern: RegExp; params: string[] } {
  const params: string[] = [];
  const source = template
    .replace(/^\/+|\/+$/g, '')
    .split('/')
    .map((segment) => {
      const m = /^\{(\*)?([A-Za-z_][A-Za-z0-9_]*)(?::[^}?]+)?(\?)?\}$/.exec(segment);
      if (!m) return '/' + segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      params.push(m[2] ?? '');
      if (m[1]) return '(?:/(.*))?';
      return m[3] ? '(?:/([^/]+))?' : '/([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}/?$`, 'i'), params };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_HOST_BODY) {
        reject(new Error('request body over the host limit'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Bad input the host itself refuses (as the Functions host does), answered 400 instead of a host error. */
class BadHostInput extends Error {}

function decodeSegment(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadHostInput(`the path has a malformed percent-encoding: "${text.slice(0, 80)}"`);
  }
}

/** The request's URL; a Host that is not a valid authority (refused by the guard anyway) reads as loopback. */
function requestUrl(req: IncomingMessage): URL {
  try {
    return new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  } catch {
    return new URL(req.url ?? '/', 'http://127.0.0.1');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' });
  res.end(text);
}

/**
 * Hosts the registered functions over HTTP the way the Functions host does: HTTP triggers under
 * `/api`, Event Grid triggers at `/runtime/webhooks/eventgrid?functionName=…`, any non-HTTP function
 * on demand at `POST /admin/functions/{name}`, timers on their NCRONTAB schedules, and storage-queue
 * triggers from their queues. Every request, mounts included, first passes `refuseNonLocal`
 * (loopbackGuard.ts): loopback `Host` only, no cross-origin state change, a declared body type.
 */
export async function startHost(options: HostOptions): Promise<RunningHost> {
  const prefix = (options.routePrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const log = options.log ?? ((line: string) => console.log(line));
  const byName = new Map(options.registrations.map((r) => [r.name.toLowerCase(), r]));
  const routes: Route[] = options.registrations
    .filter((r) => r.trigger.type === 'httpTrigger')
    .map((r) => {
      const { pattern, params } = compileRoute(`${prefix}/${r.trigger.route ?? r.name}`);
      const methods = (r.trigger.methods ?? ['GET', 'POST']).map((m) => m.toUpperCase());
      return { registration: r, methods, pattern, params };
    });

  const context = (functionName: string): InvocationContext =>
    new InvocationContext({
      invocationId: randomUUID(),
      functionName,
      ...(options.logHandler !== undefined && {
        logHandler: (level, ...args) => options.logHandler?.(level, `[${functionName}]`, ...args),
      }),
    });

  async function run(name: string, input?: unknown): Promise<unknown> {
    const registration = byName.get(name.toLowerCase());
    if (!registration) throw new Error(`no function named ${name}`);
    if (registration.trigger.type === 'timerTrigger') {
      const now = new Date();
      const timer: Timer = {
        isPastDue: false,
        schedule: { adjustForDST: false },
        scheduleStatus: { last: now.toISOString(), next: now.toISOString(), lastUpdated: now.toISOString() },
      };
      return await registration.handler(input ?? timer, context(registration.name));
    }
    return await registration.handler(input, context(registration.name));
  }

  async function handleHttp(
    route: Route,
    match: RegExpExecArray,
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    url: URL,
  ): Promise<void> {
    const params: Record<string, string> = {};
    route.params.forEach((p, i) => {
      const v = match[i + 1];
      if (v !== undefined) params[p] = decodeSegment(v);
    });
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    }
    // As App Service's front end does: CLIENT-IP set (over whatever the caller sent), and the
    // address appended to X-Forwarded-For after what the caller wrote there.
    const socket = req.socket.remoteAddress;
    if (socket !== undefined) {
      const hop = `${socket.includes(':') ? `[${socket}]` : socket}:${req.socket.remotePort ?? 0}`;
      headers['client-ip'] = hop;
      headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${hop}` : hop;
    }
    const request = new HttpRequest({
      method: req.method ?? 'GET',
      url: url.toString(),
      headers,
      params,
      query: Object.fromEntries(url.searchParams),
      ...(body.length > 0 && { body: { bytes: body } }),
    });
    const result = (await route.registration.handler(
      request,
      context(route.registration.name),
    )) as ConstructorParameters<typeof HttpResponse>[0];
    const response = result instanceof HttpResponse ? result : new HttpResponse(result ?? {});
    const out = Buffer.from(await response.arrayBuffer());
    const outHeaders: Record<string, string> = {};
    response.headers.forEach((v, k) => (outHeaders[k] = v));
    res.writeHead(response.status, outHeaders);
    res.end(out);
  }

  async function handleEventGridWebhook(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    url: URL,
  ): Promise<void> {
    const name = url.searchParams.get('functionName') ?? '';
    const registration = byName.get(name.toLowerCase());
    if (!registration || registration.trigger.type !== 'eventGridTrigger') {
      send(res, 404, { error: 'not found', detail: `no Event Grid function named "${name}"` });
      return;
    }
    let events: unknown;
    try {
      events = JSON.parse(body.toString('utf8'));
    } catch {
      send(res, 400, { error: 'bad request', detail: 'body is not JSON' });
      return;
    }
    const list = Array.isArray(events)
      ? (events as Record<string, unknown>[])
      : [events as Record<string, unknown>];
    // The Event Grid extension answers the handshake itself; the function never sees it.
    const first = list[0];
    if (
      req.headers['aeg-event-type'] === 'SubscriptionValidation' ||
      first?.eventType === 'Microsoft.EventGrid.SubscriptionValidationEvent'
    ) {
      const data = first?.data as { validationCode?: string } | undefined;
      send(res, 200, { validationResponse: data?.validationCode ?? '' });
      return;
    }
    try {
      for (const event of list) await registration.handler(event, context(registration.name));
      res.writeHead(202).end();
    } catch (e) {
      send(res, 500, { error: 'function failed', detail: e instanceof Error ? e.message : String(e) });
    }
  }

  let port = 0;
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = requestUrl(req);
      try {
        const body = await readBody(req);
        const path = url.pathname;
        const refusal = refuseNonLocal(req.method ?? 'GET', path, req.headers, port, body.length > 0);
        if (refusal) {
          log(`refused ${req.method ?? ''} ${path}: ${refusal.detail}`);
          send(res, refusal.status, { error: refusal.error, detail: refusal.detail });
          return;
        }
        for (const mount of options.mounts ?? []) {
          // A mount owns its prefix and everything below it; a mount at `/` owns only the front page.
          const owns =
            mount.prefix === '/'
              ? path === '/'
              : path === mount.prefix || path.startsWith(`${mount.prefix.replace(/\/+$/, '')}/`);
          if (owns) {
            await mount.handle(req, res, body);
            return;
          }
        }
        if (path.toLowerCase() === '/runtime/webhooks/eventgrid' && req.method === 'POST') {
          await handleEventGridWebhook(req, res, body, url);
          return;
        }
        const admin = /^\/admin\/functions\/([^/]+)$/i.exec(path);
        if (admin && req.method === 'POST') {
          const name = decodeSegment(admin[1] ?? '');
          if (!byName.has(name.toLowerCase())) {
            send(res, 404, { error: 'not found', detail: `no function named "${name}"` });
            return;
          }
          let input: unknown;
          if (body.length > 0) {
            try {
              const parsed = JSON.parse(body.toString('utf8')) as { input?: unknown } | null;
              input =
                typeof parsed?.input === 'string' && parsed.input !== ''
                  ? (JSON.parse(parsed.input) as unknown)
                  : parsed?.input || undefined;
            } catch {
              throw new BadHostInput('the body must be JSON such as {"input":""}');
            }
          }
          await run(name, input);
          res.writeHead(202).end();
          return;
        }
        let allowed: string[] | undefined;
        for (const route of routes) {
          const m = route.pattern.exec(path);
          if (!m) continue;
          if (!route.methods.includes((req.method ?? 'GET').toUpperCase())) {
            allowed = [...(allowed ?? []), ...route.methods];
            continue;
          }
          await handleHttp(route, m, req, res, body, url);
          return;
        }
        if (allowed) {
          res.writeHead(405, { allow: allowed.join(', ') }).end();
          return;
        }
        send(res, 404, { error: 'not found', detail: `no route for ${req.method ?? 'GET'} ${path}` });
      } catch (e) {
        if (e instanceof BadHostInput && !res.headersSent) {
          send(res, 400, { error: 'bad request', detail: e.message });
          return;
        }
        log(
          `host error on ${req.method ?? ''} ${url.pathname}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
        if (!res.headersSent)
          send(res, 500, { error: 'host error', detail: e instanceof Error ? e.message : String(e) });
        else res.end();
      }
    })();
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  if (options.runTimers) {
    for (const r of options.registrations.filter((x) => x.trigger.type === 'timerTrigger')) {
      const schedule = parseNcrontab(r.trigger.schedule ?? '');
      const arm = (): void => {
        if (closed) return;
        const next = schedule.next(new Date());
        const t = setTimeout(
          () => {
            run(r.name)
              .catch((e: unknown) =>
                log(`timer ${r.name} failed: ${e instanceof Error ? e.message : String(e)}`),
              )
              .finally(arm);
          },
          Math.max(0, next.getTime() - Date.now()),
        );
        t.unref();
        timers.push(t);
      };
      if (r.trigger.runOnStartup) void run(r.name).catch(() => {});
      arm();
    }
  }

  const queues =
    options.runQueues === false
      ? undefined
      : startQueuePollers({ registrations: options.registrations, run, log });

  return {
    url,
    port,
    run,
    async close() {
      closed = true;
      for (const t of timers) clearTimeout(t);
      await queues?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

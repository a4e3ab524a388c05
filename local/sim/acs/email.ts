import { createHash, createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';

import { closeNow, listenOnLoopback } from '../loopback';

/**
 * Azure Communication Services Email, enough of it for the real `@azure/communication-email` SDK:
 * `POST /emails:send` (202 + `Operation-Location` + `retry-after`), `GET /emails/operations/{id}`,
 * the access-key HMAC signature checked as the service checks it (401 otherwise), `Operation-Id`
 * deduplication, the send quota (429 + `Retry-After`), and faults for tests. Control API on the same
 * server: `GET|DELETE /_control/sent`, `POST /_control/faults`.
 */

/** An email the simulator accepted (once per operation id). */
export interface SimEmail {
  readonly operationId: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly plainText?: string;
  readonly html?: string;
  readonly at: string;
}

export interface AcsEmailSimOptions {
  /** Base64 access key; random when unset. */
  readonly accessKey?: string;
  /** The service's clock for quota windows and outages (tests pass a simulated one). Signatures use real time. */
  readonly clock?: () => Date;
  /** Send quota; default the custom-domain limits of the service-limits doc (30/min, 100/h). */
  readonly quota?: { readonly perMinute: number; readonly perHour: number };
  /** How far `x-ms-date` may be from real time, like the service (15 min). */
  readonly maxClockSkewMs?: number;
}

export interface AcsFaults {
  /** Every request is answered 503 until then (sim clock). */
  outageUntil?: Date;
  /** The next N sends are answered with `status5xx` (default 500). */
  fail5xx: number;
  status5xx: number;
  /** The next N sends are answered 429 with `Retry-After: retryAfterS`. */
  throttle429: number;
  retryAfterS: number;
}

interface Operation {
  readonly id: string;
  readonly bodyHash: string;
  status: 'Running' | 'Succeeded' | 'Failed';
  error?: { code: string; message: string };
}

const MAX_RECIPIENTS = 50;
const MAX_BODY = 10 * 1024 * 1024;

function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/**
 * Recomputes the signature of a request signed with an ACS access key: the string to sign is
 * `VERB\n<path>?<query>\n<x-ms-date>;<host>;<x-ms-content-sha256>` (communication-common's
 * communicationAccessKeyCredentialPolicy), HMAC-SHA256 keyed with the base64-decoded access key.
 * Returns why it is refused, or undefined when it is valid.
 */
export function verifyAcsSignature(input: {
  readonly method: string;
  /** The request target as received (`/emails:send?api-version=…`). */
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  readonly accessKey: string;
  readonly now: Date;
  readonly maxClockSkewMs?: number;
}): string | undefined {
  const header = (name: string): string | undefined => {
    const v = input.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  const auth = header('authorization');
  if (auth === undefined) return 'no Authorization header';
  const m = /^HMAC-SHA256 SignedHeaders=([^&]+)&Signature=(.+)$/.exec(auth.trim());
  if (!m) return 'Authorization is not "HMAC-SHA256 SignedHeaders=…&Signature=…"';
  const signedHeaders = (m[1] ?? '').split(';').map((h) => h.trim().toLowerCase());
  for (const required of ['x-ms-date', 'host', 'x-ms-content-sha256']) {
    if (!signedHeaders.includes(required)) return `SignedHeaders lacks ${required}`;
  }
  const values: string[] = [];
  for (const name of signedHeaders) {
    const v = header(name);
    if (v === undefined) return `signed header ${name} is missing`;
    values.push(v);
  }
  const contentHash = createHash('sha256').update(input.body).digest('base64');
  if (header('x-ms-content-sha256') !== contentHash) return 'x-ms-content-sha256 does not match the body';
  const date = Date.parse(header('x-ms-date') ?? '');
  if (Number.isNaN(date)) return 'x-ms-date is not a date';
  if (Math.abs(input.now.getTime() - date) > (input.maxClockSkewMs ?? 15 * 60_000))
    return 'x-ms-date is too far from the current time';
  const target = new URL(input.url, 'http://signature.invalid');
  const query = target.searchParams.toString();
  const pathAndQuery = query ? `${target.pathname}?${query}` : target.pathname;
  const stringToSign = `${input.method.toUpperCase()}\n${pathAndQuery}\n${values.join(';')}`;
  const expected = createHmac('sha256', Buffer.from(input.accessKey, 'base64')).update(stringToSign).digest();
  const given = Buffer.from(m[2] ?? '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'signature mismatch';
  return undefined;
}

export class AcsEmailSim {
  readonly accessKey: string;
  readonly sent: SimEmail[] = [];
  /** Every send request (including refused and deduplicated ones), for tests. */
  readonly requests: { at: string; status: number; operationId?: string }[] = [];
  readonly faults: AcsFaults = { fail5xx: 0, status5xx: 500, throttle429: 0, retryAfterS: 10 };
  private readonly operations = new Map<string, Operation>();
  private readonly accepted: number[] = [];
  private readonly clock: () => Date;
  private server: Server | undefined;
  url = '';

  constructor(private readonly options: AcsEmailSimOptions = {}) {
    this.accessKey = options.accessKey ?? randomBytes(32).toString('base64');
    this.clock = options.clock ?? (() => new Date());
  }

  /** The connection string the SDK takes: `endpoint=http://127.0.0.1:port/;accesskey=…`. */
  get connectionString(): string {
    return `endpoint=${this.url}/;accesskey=${this.accessKey}`;
  }

  /** Every request refused with 503 for `seconds` of sim time. */
  outage(seconds: number): void {
    this.faults.outageUntil = new Date(this.clock().getTime() + seconds * 1000);
  }

  clear(): void {
    this.sent.length = 0;
    this.requests.length = 0;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_BODY) chunks.push(c);
      });
      req.on('end', () => {
        try {
          if (size > MAX_BODY) this.reply(res, 413, errorBody('RequestTooLarge', 'over 10 MB'));
          else this.handle(req, res, Buffer.concat(chunks));
        } catch (e) {
          this.reply(res, 500, errorBody('InternalError', e instanceof Error ? e.message : String(e)));
        }
      });
    });
    this.url = await listenOnLoopback(this.server, port);
    return this.url;
  }

  close(): Promise<void> {
    return closeNow(this.server);
  }

  private reply(
    res: ServerResponse,
    status: number,
    body: string,
    headers: Record<string, string> = {},
  ): void {
    const code = /"code":"([^"]+)"/.exec(body)?.[1];
    res.writeHead(status, {
      'content-type': 'application/json',
      ...(status >= 400 && code !== undefined && { 'x-ms-error-code': code }),
      ...headers,
    });
    res.end(body);
  }

  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname.startsWith('/_control/')) {
      this.control(method, url.pathname, body, res);
      return;
    }
    const now = this.clock();
    if (this.faults.outageUntil !== undefined && now < this.faults.outageUntil) {
      this.reply(res, 503, errorBody('ServiceUnavailable', 'The service is temporarily unavailable.'));
      return;
    }
    const denied = verifyAcsSignature({
      method,
      url: req.url ?? '/',
      headers: req.headers,
      body,
      accessKey: this.accessKey,
      now: new Date(),
      ...(this.options.maxClockSkewMs !== undefined && { maxClockSkewMs: this.options.maxClockSkewMs }),
    });
    if (denied !== undefined) {
      if (url.pathname === '/emails:send') this.requests.push({ at: now.toISOString(), status: 401 });
      this.reply(res, 401, errorBody('Denied', `Denied by the resource provider. (${denied})`));
      return;
    }
    const apiVersion = url.searchParams.get('api-version');
    if (apiVersion === null) {
      this.reply(
        res,
        400,
        errorBody('MissingApiVersionParameter', 'The api-version query parameter is required.'),
      );
      return;
    }
    if (method === 'POST' && url.pathname === '/emails:send') {
      this.send(req, res, body, now, apiVersion);
      return;
    }
    const op = /^\/emails\/operations\/([^/]+)$/.exec(url.pathname);
    if (method === 'GET' && op) {
      const found = this.operations.get(decodeURIComponent(op[1] ?? ''));
      if (!found) {
        this.reply(res, 404, errorBody('NotFound', 'The operation was not found.'));
        return;
      }
      this.reply(
        res,
        200,
        JSON.stringify({ id: found.id, status: found.status, ...(found.error && { error: found.error }) }),
        found.status === 'Running' ? { 'retry-after': '1' } : {},
      );
      return;
    }
    this.reply(res, 404, errorBody('NotFound', `no route for ${method} ${url.pathname}`));
  }

  private send(req: IncomingMessage, res: ServerResponse, body: Buffer, now: Date, apiVersion: string): void {
    const operationHeader = req.headers['operation-id'];
    const requested = Array.isArray(operationHeader) ? operationHeader[0] : operationHeader;
    const record = (status: number, operationId?: string): void => {
      this.requests.push({
        at: now.toISOString(),
        status,
        ...(operationId !== undefined && { operationId }),
      });
    };
    if (this.faults.fail5xx > 0) {
      this.faults.fail5xx--;
      record(this.faults.status5xx, requested);
      this.reply(res, this.faults.status5xx, errorBody('InternalServerError', 'Injected failure.'));
      return;
    }
    if (this.faults.throttle429 > 0) {
      this.faults.throttle429--;
      record(429, requested);
      this.reply(res, 429, errorBody('TooManyRequests', 'Injected throttling.'), {
        'retry-after': String(this.faults.retryAfterS),
      });
      return;
    }
    const bodyHash = createHash('sha256').update(body).digest('hex');
    const location = (id: string): Record<string, string> => ({
      'operation-location': `${this.url}/emails/operations/${encodeURIComponent(id)}?api-version=${apiVersion}`,
      'retry-after': '1',
    });
    // A repeat of an operation id is the same send: answered like the first, never delivered again.
    if (requested !== undefined) {
      const existing = this.operations.get(requested);
      if (existing) {
        if (existing.bodyHash !== bodyHash) {
          record(409, requested);
          this.reply(res, 409, errorBody('Conflict', 'The operation id was used for a different message.'));
          return;
        }
        record(202, requested);
        this.reply(
          res,
          202,
          JSON.stringify({ id: existing.id, status: existing.status }),
          location(existing.id),
        );
        return;
      }
    }
    let message: {
      senderAddress?: unknown;
      content?: { subject?: unknown; plainText?: unknown; html?: unknown };
      recipients?: {
        to?: { address?: unknown }[];
        cc?: { address?: unknown }[];
        bcc?: { address?: unknown }[];
      };
    };
    try {
      message = JSON.parse(body.toString('utf8')) as typeof message;
    } catch {
      record(400, requested);
      this.reply(res, 400, errorBody('BadRequest', 'The body is not JSON.'));
      return;
    }
    const bad = (why: string): void => {
      record(400, requested);
      this.reply(res, 400, errorBody('BadRequest', why));
    };
    const addresses = (list: { address?: unknown }[] | undefined): string[] | undefined => {
      if (list === undefined) return [];
      if (!Array.isArray(list)) return undefined;
      const out = list.map((r) => r.address);
      return out.every((a): a is string => typeof a === 'string' && /^[^\s@]+@[^\s@]+$/.test(a))
        ? out
        : undefined;
    };
    const to = addresses(message.recipients?.to);
    const cc = addresses(message.recipients?.cc);
    const bcc = addresses(message.recipients?.bcc);
    const subject = message.content?.subject;
    const plainText = message.content?.plainText;
    const html = message.content?.html;
    if (typeof message.senderAddress !== 'string' || !message.senderAddress.includes('@'))
      return bad('senderAddress is required.');
    if (typeof subject !== 'string' || subject === '') return bad('content.subject is required.');
    if (typeof plainText !== 'string' && typeof html !== 'string')
      return bad('content.plainText or content.html is required.');
    if (to === undefined || cc === undefined || bcc === undefined || to.length + cc.length + bcc.length === 0)
      return bad('recipients must hold valid addresses.');
    if (to.length + cc.length + bcc.length > MAX_RECIPIENTS)
      return bad(`at most ${MAX_RECIPIENTS} recipients per email.`);

    const t = now.getTime();
    while (this.accepted.length > 0 && (this.accepted[0] ?? 0) <= t - 3_600_000) this.accepted.shift();
    const quota = this.options.quota ?? { perMinute: 30, perHour: 100 };
    const lastMinute = this.accepted.filter((x) => x > t - 60_000);
    const overMinute = lastMinute.length >= quota.perMinute;
    const overHour = this.accepted.length >= quota.perHour;
    if (overMinute || overHour) {
      const oldest = overHour ? (this.accepted[0] ?? t) + 3_600_000 : (lastMinute[0] ?? t) + 60_000;
      record(429, requested);
      this.reply(res, 429, errorBody('TooManyRequests', 'The send quota is used up.'), {
        'retry-after': String(Math.max(1, Math.ceil((oldest - t) / 1000))),
      });
      return;
    }
    this.accepted.push(t);
    const id = requested ?? randomUUID();
    this.operations.set(id, { id, bodyHash, status: 'Succeeded' });
    this.sent.push({
      operationId: id,
      from: message.senderAddress,
      to,
      cc,
      subject,
      ...(typeof plainText === 'string' && { plainText }),
      ...(typeof html === 'string' && { html }),
      at: now.toISOString(),
    });
    record(202, id);
    this.reply(res, 202, JSON.stringify({ id, status: 'Running' }), location(id));
  }

  private control(method: string, path: string, body: Buffer, res: ServerResponse): void {
    if (path === '/_control/sent' && method === 'GET') {
      this.reply(res, 200, JSON.stringify(this.sent));
      return;
    }
    if (path === '/_control/sent' && method === 'DELETE') {
      this.clear();
      res.writeHead(204).end();
      return;
    }
    if (path === '/_control/faults' && method === 'POST') {
      let spec: {
        outageSeconds?: unknown;
        fail5xx?: unknown;
        status5xx?: unknown;
        throttle429?: unknown;
        retryAfterS?: unknown;
      };
      try {
        spec = JSON.parse(body.toString('utf8') || '{}') as typeof spec;
      } catch {
        this.reply(res, 400, errorBody('BadRequest', 'body is not JSON'));
        return;
      }
      const n = (v: unknown): number | undefined =>
        typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : undefined;
      if (n(spec.outageSeconds) !== undefined) this.outage(n(spec.outageSeconds) ?? 0);
      if (n(spec.fail5xx) !== undefined) this.faults.fail5xx = n(spec.fail5xx) ?? 0;
      if (n(spec.status5xx) !== undefined) this.faults.status5xx = n(spec.status5xx) ?? 500;
      if (n(spec.throttle429) !== undefined) this.faults.throttle429 = n(spec.throttle429) ?? 0;
      if (n(spec.retryAfterS) !== undefined) this.faults.retryAfterS = n(spec.retryAfterS) ?? 10;
      this.reply(res, 200, JSON.stringify(this.faults));
      return;
    }
    this.reply(res, 404, errorBody('NotFound', `no control route ${method} ${path}`));
  }
}

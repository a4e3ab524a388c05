import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import type { HttpOrigin } from '../domain/plan';
import {
  ConflictError,
  ensureError,
  ForbiddenError,
  IllegalTransitionError,
  NotFoundError,
  PayloadTooLargeError,
  TransientError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import type { Logger } from '../logging';
import { PAGE_HEADERS } from './html';

/** A JSON response. */
export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'cache-control': 'no-store', ...headers } };
}

/** The body of every error answer: what went wrong, and in `detail` precisely what. */
export interface ErrorBody {
  readonly error: string;
  readonly detail: string;
}

/**
 * The one mapping from Warden's errors to HTTP status codes. Unknown errors are logged with their
 * stack and answered 500 without internals; transient ones 503 so callers (Event Grid) retry.
 */
export function errorResponse(thrown: unknown, log: Logger): HttpResponseInit {
  const e = ensureError(thrown);
  const body = (
    status: number,
    error: string,
    detail: string,
    headers: Record<string, string> = {},
  ): HttpResponseInit => json(status, { error, detail } satisfies ErrorBody, headers);
  if (e instanceof ValidationError) return body(400, e.message, e.detail);
  if (e instanceof PayloadTooLargeError) return body(413, 'payload too large', e.message);
  if (e instanceof UnauthorizedError) return body(401, 'unauthorized', e.message);
  if (e instanceof ForbiddenError) return body(403, 'forbidden', e.message);
  if (e instanceof NotFoundError) return body(404, 'not found', e.message);
  if (e instanceof ConflictError || e instanceof IllegalTransitionError)
    return body(409, 'conflict', e.message);
  if (e instanceof TransientError) {
    log.warn(`transient failure: ${e.message}`, e.cause instanceof Error ? e.cause.message : '');
    const seconds = Math.max(1, Math.ceil((e.retryAfterMs ?? 10_000) / 1000));
    return body(503, 'temporarily unavailable', e.message, { 'retry-after': String(seconds) });
  }
  log.error(`unexpected failure: ${e.stack ?? e.message}`);
  return body(500, 'internal error', 'the failure was logged');
}

/** Reads the raw body bytes. */
export async function readBytes(request: HttpRequest): Promise<Buffer> {
  return Buffer.from(await request.arrayBuffer());
}

/** An address as a front end writes it (`203.0.113.7:51234`, `[2001:db8::1]:443`), without the port. */
function withoutPort(text: string): string {
  const t = text.trim();
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(t);
  if (bracketed) return bracketed[1] ?? t;
  return /^[^:]+:\d+$/.test(t) ? t.slice(0, t.lastIndexOf(':')) : t;
}

/**
 * Where a request came from. `ip` is the address App Service's front end (also in front of Flex
 * Consumption) saw: its `CLIENT-IP` header, which it sets on every request and overwrites when a caller
 * sent one (Azure/app-service-linux-docs, "Headers on Azure App Service"), else the last hop of
 * `X-Forwarded-For`, the entry the front end appends. `claimedForwardedFor` is what the caller itself
 * wrote in `X-Forwarded-For` before that hop: kept apart, never trusted, never the address.
 */
export function callerAddress(request: HttpRequest): {
  readonly ip?: string;
  readonly claimedForwardedFor?: string;
} {
  const hops = (request.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const frontEnd = request.headers.get('client-ip')?.trim() || hops[hops.length - 1];
  const claimed = hops.slice(0, -1).join(', ').slice(0, 200);
  return {
    ...(frontEnd !== undefined && frontEnd !== '' && { ip: withoutPort(frontEnd).slice(0, 100) }),
    ...(claimed !== '' && { claimedForwardedFor: claimed }),
  };
}

/** The caller's address as the platform's front end saw it (`callerAddress`). */
export function remoteAddress(request: HttpRequest): string | undefined {
  return callerAddress(request).ip;
}

/** Parses a positive integer query parameter, or throws a `ValidationError` naming it. */
export function intParam(request: HttpRequest, name: string, fallback: number, max: number): number {
  const raw = request.query.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) {
    throw new ValidationError(
      `bad ${name}`,
      `${name} must be a whole number from 1 to ${max}, got "${raw.slice(0, 40)}"`,
    );
  }
  return n;
}

/** True when the caller asked for JSON (`Accept: application/json`) rather than a page. */
export function wantsJson(request: HttpRequest): boolean {
  return (request.headers.get('accept') ?? '').includes('application/json');
}

/** An HTML page with the headers every page answers with (no caching, no referrer, no framing). */
export function htmlPage(status: number, body: string): HttpResponseInit {
  return { status, body, headers: { ...PAGE_HEADERS } };
}

/** Where a click came from, for the audit trail: the front end's address, the caller's claim, its user agent. */
export function requestSource(request: HttpRequest): HttpOrigin {
  const userAgent = request.headers.get('user-agent') ?? undefined;
  return { ...callerAddress(request), ...(userAgent !== undefined && { userAgent }) };
}

/** The largest form a page posts (a token, a decision, a comment). */
export const MAX_FORM_BYTES = 16 * 1024;

/**
 * The string fields of a small body: a form (`application/x-www-form-urlencoded`, what pages post) or
 * a JSON object (`application/json`, what scripts post; also when the type is missing and the body is
 * an object). Other values are dropped. Over `MAX_FORM_BYTES`: 413.
 */
export async function readFields(request: HttpRequest): Promise<Record<string, string | undefined>> {
  const bytes = await readBytes(request);
  if (bytes.length > MAX_FORM_BYTES) throw new PayloadTooLargeError(MAX_FORM_BYTES, bytes.length);
  const text = bytes.toString('utf8').trim();
  if (text === '') return {};
  const type = request.headers.get('content-type') ?? '';
  const isJson =
    type.includes('application/json') ||
    (!type.includes('application/x-www-form-urlencoded') && text.startsWith('{'));
  if (!isJson) {
    const form = new URLSearchParams(text);
    return Object.fromEntries([...form.keys()].map((k) => [k, form.get(k) ?? undefined]));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('bad body', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError('bad body', 'the body must be a JSON object');
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : undefined,
    ]),
  );
}

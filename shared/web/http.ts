import type { HttpRequest, HttpResponseInit } from '@azure/functions';

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

/** The caller's address as the Functions front end forwards it. */
export function remoteAddress(request: HttpRequest): string | undefined {
  const forwarded = request.headers.get('x-forwarded-for');
  return forwarded?.split(',')[0]?.trim() || undefined;
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

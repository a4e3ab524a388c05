/**
 * Warden's closed set of errors. Each keeps its `cause`; callers match with `instanceof`.
 * `errorResponse` in `shared/web/http.ts` is the one place that maps them to HTTP status codes.
 */

/** What a person is shown of a refusal: a short title and, in `detail`, precisely what. */
export interface Explanation {
  readonly title: string;
  readonly detail: string;
}

/** Options of the refusals a person may see on a page (401, 403, 404, 409): their own title and detail. */
export interface RefusalOptions extends Partial<Explanation> {
  readonly cause?: unknown;
}

/** The request or payload is malformed; `detail` says what was wrong. Never retried. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly detail: string = message,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The body is larger than Warden accepts (Event Grid's own limit is 1 MB). */
export class PayloadTooLargeError extends Error {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly limitBytes: number,
    readonly actualBytes: number,
  ) {
    super(`body of ${actualBytes} bytes is over the ${limitBytes}-byte limit`);
  }
}

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  readonly title?: string;
  readonly detail?: string;
  constructor(message: string, options?: RefusalOptions) {
    super(message, options);
    this.title = options?.title;
    this.detail = options?.detail;
  }
}

/** The caller is not who the request needs (bad or missing token). */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  readonly title?: string;
  readonly detail?: string;
  constructor(message: string, options?: RefusalOptions) {
    super(message, options);
    this.title = options?.title;
    this.detail = options?.detail;
  }
}

/** The caller is known but not allowed to do this (foreign token, wrong approver). */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  readonly title?: string;
  readonly detail?: string;
  constructor(message: string, options?: RefusalOptions) {
    super(message, options);
    this.title = options?.title;
    this.detail = options?.detail;
  }
}

/** The state changed under us or the request conflicts with it (a decision on a closed plan, an ETag race). */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  readonly title?: string;
  readonly detail?: string;
  constructor(message: string, options?: RefusalOptions) {
    super(message, options);
    this.title = options?.title;
    this.detail = options?.detail;
  }
}

/** A state-machine event that the current state does not accept. */
export class IllegalTransitionError extends Error {
  override readonly name = 'IllegalTransitionError';
  constructor(
    readonly from: string,
    readonly event: string,
  ) {
    super(`cannot apply ${event} to a plan that is ${from}`);
  }
}

/** An idempotent write found the record already there; carries what was stored. */
export class AlreadyProcessedError<T = unknown> extends Error {
  override readonly name = 'AlreadyProcessedError';
  constructor(
    message: string,
    readonly existing?: T,
  ) {
    super(message);
  }
}

/** A dependency failed in a way worth retrying (throttling, 5xx, network). Event and timer handlers rethrow it. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/**
 * The title and detail to show a person for an error: its own when it carries them (a refusal built
 * with both, a `ValidationError`), else the message as the detail under `fallbackTitle`.
 */
export function explain(e: Error, fallbackTitle: string): Explanation {
  if (e instanceof ValidationError) return { title: e.message, detail: e.detail };
  const own = e as Partial<Explanation>;
  if (typeof own.title === 'string' && typeof own.detail === 'string')
    return { title: own.title, detail: own.detail };
  return { title: fallbackTitle, detail: e.message };
}

/** Turns anything thrown into an `Error`, keeping the original as `cause`. */
export function ensureError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  let text: string;
  try {
    text = typeof thrown === 'string' ? thrown : JSON.stringify(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(text, { cause: thrown });
}

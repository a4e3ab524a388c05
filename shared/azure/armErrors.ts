import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  TransientError,
  UnauthorizedError,
  ValidationError,
} from '../errors';

/**
 * What ARM (or Resource Graph) said when a call failed: HTTP status, `error.code`, and `error.subcode`
 * (e.g. `UpgradeBlockedOnDeprecatedAPIUsage`). The SDK's `RestError` drops `subcode` on LRO initial
 * responses (docs/design/azure-arm.md §e), so the gateway reads it from the raw body. Kept as the `cause` of
 * the Warden error the gateway throws; find it with {@link armErrorOf}.
 */
export class ArmError extends Error {
  override readonly name = 'ArmError';
  constructor(
    message: string,
    readonly statusCode: number | undefined,
    readonly code: string | undefined,
    readonly subcode: string | undefined,
    options?: { cause?: unknown; readonly retryAfterMs?: number },
  ) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

/** The ARM error behind a Warden error (walks the `cause` chain), if any. */
export function armErrorOf(error: unknown): ArmError | undefined {
  let e: unknown = error;
  for (let i = 0; i < 5 && e instanceof Error; i++) {
    if (e instanceof ArmError) return e;
    e = e.cause;
  }
  return undefined;
}

interface RawErrorBody {
  code?: unknown;
  subcode?: unknown;
  message?: unknown;
}

/** Reads `{ error: { code, subcode, message } }` (or the bare object) from a response text. */
export function parseErrorBody(text: string | undefined): {
  code?: string;
  subcode?: string;
  message?: string;
} {
  if (text === undefined || text === '') return {};
  try {
    const parsed = JSON.parse(text) as { error?: RawErrorBody } & RawErrorBody;
    const body = parsed.error ?? parsed;
    const s = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
    const code = s(body.code);
    const subcode = s(body.subcode);
    const message = s(body.message);
    return {
      ...(code !== undefined && { code }),
      ...(subcode !== undefined && { subcode }),
      ...(message !== undefined && { message }),
    };
  } catch {
    return {};
  }
}

/** `Retry-After` (seconds or HTTP date) or `retry-after-ms` in milliseconds. */
export function retryAfterMs(
  get: (name: string) => string | undefined | null,
  now = Date.now(),
): number | undefined {
  const ms = get('retry-after-ms') ?? get('x-ms-retry-after-ms');
  if (ms !== undefined && ms !== null && /^\d+$/.test(ms)) return Number(ms);
  const ra = get('retry-after');
  if (ra === undefined || ra === null || ra === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** What a failed call looked like on the wire, when the gateway saw the raw response. */
export interface RawFailure {
  readonly status: number;
  readonly bodyText?: string;
  readonly retryAfterMs?: number;
}

/**
 * Maps a failed SDK call to Warden's closed error set, the ARM code and subcode kept in an
 * {@link ArmError} cause: 400 -> ValidationError, 401 -> UnauthorizedError, 403 -> ForbiddenError,
 * 404 -> NotFoundError, 409/412 -> ConflictError, 429/5xx/network -> TransientError. Anything else
 * (an SDK parse failure, say) is rethrown as it is.
 */
export function toWardenError(thrown: unknown, what: string, raw?: RawFailure): Error {
  const e = thrown instanceof Error ? thrown : new Error(String(thrown));
  const rest = e as Error & { statusCode?: unknown; code?: unknown; details?: unknown };
  const statusCode = raw?.status ?? (typeof rest.statusCode === 'number' ? rest.statusCode : undefined);
  const fromBody = parseErrorBody(raw?.bodyText);
  const detailsBody = rest.details as { error?: RawErrorBody } | RawErrorBody | undefined;
  const details = (detailsBody && 'error' in detailsBody ? detailsBody.error : detailsBody) as
    RawErrorBody | undefined;
  const code = fromBody.code ?? (typeof rest.code === 'string' ? rest.code : undefined);
  const subcode = fromBody.subcode ?? (typeof details?.subcode === 'string' ? details.subcode : undefined);
  const message = fromBody.message ?? e.message;
  const networkCodes = [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'EPIPE',
    'ENOTFOUND',
    'EAI_AGAIN',
    'REQUEST_SEND_ERROR',
  ];
  const isNetwork =
    statusCode === undefined && typeof rest.code === 'string' && networkCodes.includes(rest.code);
  if (statusCode === undefined && !isNetwork) return e;
  const arm = new ArmError(`${what}: ${message}`, statusCode, code, subcode, {
    cause: e,
    ...(raw?.retryAfterMs !== undefined && { retryAfterMs: raw.retryAfterMs }),
  });
  const text = `${what} failed${statusCode !== undefined ? ` (${statusCode}${code !== undefined ? ` ${code}` : ''}${subcode !== undefined ? `/${subcode}` : ''})` : ''}`;
  if (
    isNetwork ||
    statusCode === 429 ||
    statusCode === 408 ||
    (statusCode !== undefined && statusCode >= 500)
  )
    return new TransientError(`${text}: ${message}`, {
      cause: arm,
      ...(raw?.retryAfterMs !== undefined && { retryAfterMs: raw.retryAfterMs }),
    });
  if (statusCode === 401) return new UnauthorizedError(`${text}: ${message}`, { cause: arm });
  if (statusCode === 403) return new ForbiddenError(`${text}: ${message}`, { cause: arm });
  if (statusCode === 404) return new NotFoundError(`${text}: ${message}`, { cause: arm });
  if (statusCode === 409 || statusCode === 412)
    return new ConflictError(`${text}: ${message}`, { cause: arm });
  return new ValidationError(text, message, { cause: arm });
}

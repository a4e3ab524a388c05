/**
 * ARM throttling as ARM does it today (request-limits-and-throttling.md, 2025): a token bucket per
 * subscription, per ARM region and per operation kind — reads 250 refilled at 25/s, writes 200 at
 * 10/s, deletes 200 at 10/s. The simulator is one ARM region (its `armRegion`), so every call of a
 * subscription draws from that subscription's buckets.
 */
export type OperationKind = 'reads' | 'writes' | 'deletes';

export interface BucketSpec {
  readonly capacity: number;
  readonly refillPerSecond: number;
}

export type ThrottleLimits = Record<OperationKind, BucketSpec>;

export const ARM_LIMITS: ThrottleLimits = {
  reads: { capacity: 250, refillPerSecond: 25 },
  writes: { capacity: 200, refillPerSecond: 10 },
  deletes: { capacity: 200, refillPerSecond: 10 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export type ThrottleDecision =
  | { readonly ok: true; readonly remaining: number }
  | { readonly ok: false; readonly retryAfterSeconds: number };

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly limits: ThrottleLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Takes one token for a call, or says how long until one is available. */
  take(subscriptionId: string, region: string, kind: OperationKind): ThrottleDecision {
    const spec = this.limits[kind];
    const key = `${subscriptionId.toLowerCase()}|${region}|${kind}`;
    const t = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: spec.capacity, at: t };
    bucket.tokens = Math.min(spec.capacity, bucket.tokens + ((t - bucket.at) / 1000) * spec.refillPerSecond);
    bucket.at = t;
    this.buckets.set(key, bucket);
    if (bucket.tokens < 1) {
      return {
        ok: false,
        retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / spec.refillPerSecond)),
      };
    }
    bucket.tokens -= 1;
    return { ok: true, remaining: Math.floor(bucket.tokens) };
  }

  reset(): void {
    this.buckets.clear();
  }
}

export function operationKind(method: string): OperationKind {
  const m = method.toUpperCase();
  if (m === 'GET' || m === 'HEAD') return 'reads';
  if (m === 'DELETE') return 'deletes';
  return 'writes';
}

/**
 * Resource Graph's per-user quota (guidance-for-throttled-requests.md): a number of queries per
 * window, reported on every answer in `x-ms-user-quota-remaining` / `x-ms-user-quota-resets-after`.
 */
export class QueryQuota {
  private windowStart = 0;
  private used = 0;

  constructor(
    readonly perWindow: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  take(): { ok: boolean; remaining: number; resetsAfterMs: number } {
    const t = this.now();
    if (t - this.windowStart >= this.windowMs) {
      this.windowStart = t;
      this.used = 0;
    }
    const resetsAfterMs = this.windowMs - (t - this.windowStart);
    if (this.used >= this.perWindow) return { ok: false, remaining: 0, resetsAfterMs };
    this.used += 1;
    return { ok: true, remaining: this.perWindow - this.used, resetsAfterMs };
  }
}

/** `hh:mm:ss` as Resource Graph writes `x-ms-user-quota-resets-after`. */
export function hms(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

import type { PipelinePolicy } from '@azure/core-rest-pipeline';

import { retryAfterMs } from './armErrors';

/**
 * Paces calls to one ARM throttling scope (a subscription, or Resource Graph for the caller): at most
 * `concurrency` in flight, and after a 429 (or a nearly empty bucket of reads or writes, read from the
 * `x-ms-ratelimit-remaining-subscription-*` / `x-ms-user-quota-remaining` headers) every call of the
 * scope waits until the `Retry-After` (or the bucket's refill) has passed, so one throttled call does
 * not make its siblings spend the bucket too (docs/design/azure-arm.md §f, §g).
 */
export class CallGate {
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private pausedUntil = 0;

  constructor(
    readonly concurrency: number,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      for (let wait = this.pausedUntil - Date.now(); wait > 0; wait = this.pausedUntil - Date.now())
        await this.sleep(wait);
      return await task();
    } finally {
      this.release();
    }
  }

  /** Holds every call of this scope for `ms`. */
  pause(ms: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + ms);
  }

  private acquire(): Promise<void> {
    if (this.inFlight < this.concurrency) {
      this.inFlight++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.inFlight--;
  }
}

/** What the gateway counts: every HTTP call sent (retries included) and every 429 received. */
export class CallStats {
  calls = 0;
  throttled = 0;
  readonly byKind = new Map<string, number>();
  count(kind: string): void {
    this.calls++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
  }
}

const LOW_READS = 5;
const LOW_READS_PAUSE_MS = 1_000;
/** ARM refills 10 writes a second: a second's pause at 5 left keeps the bucket from running dry. */
const LOW_WRITES = 5;
const LOW_WRITES_PAUSE_MS = 1_000;

const low = (remaining: string | undefined, limit: number): boolean =>
  remaining !== undefined && /^\d+$/.test(remaining) && Number(remaining) <= limit;

/**
 * A per-attempt pipeline policy (it runs inside the SDK's retry policy, so each retry passes the
 * gate again) that sends through `gate`, counts into `stats`, and pauses the gate on throttling.
 */
export function gatePolicy(gate: CallGate, stats: CallStats, kind: string): PipelinePolicy {
  return {
    name: `wardenCallGate`,
    sendRequest: (request, next) =>
      gate.run(async () => {
        stats.count(kind);
        const response = await next(request);
        const header = (name: string): string | undefined => response.headers.get(name) ?? undefined;
        if (response.status === 429 || response.status === 503) {
          if (response.status === 429) stats.throttled++;
          const wait = retryAfterMs(header);
          if (wait !== undefined) gate.pause(wait);
        } else {
          if (low(header('x-ms-ratelimit-remaining-subscription-writes'), LOW_WRITES))
            gate.pause(LOW_WRITES_PAUSE_MS);
          const remaining =
            header('x-ms-ratelimit-remaining-subscription-reads') ?? header('x-ms-user-quota-remaining');
          if (low(remaining, LOW_READS)) {
            const resets = /^(\d+):(\d+):(\d+)$/.exec(header('x-ms-user-quota-resets-after') ?? '');
            gate.pause(
              resets
                ? (Number(resets[1]) * 3600 + Number(resets[2]) * 60 + Number(resets[3])) * 1000 ||
                    LOW_READS_PAUSE_MS
                : LOW_READS_PAUSE_MS,
            );
          }
        }
        return response;
      }),
  };
}

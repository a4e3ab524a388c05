import type { Notice } from '../domain/notice';
import { ensureError, TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Channels } from '../notify/channels';
import { ThrottledError } from '../notify/channels';
import type { Channel } from '../notify/outbox';
import type { OutboxRow, TableOutbox } from '../store/outboxStore';

/** What the dispatcher needs from the outbox store. */
export type DispatchOutbox = Pick<TableOutbox, 'relay' | 'due' | 'claim' | 'markSent' | 'markFailed'> &
  Partial<Pick<TableOutbox, 'purge' | 'dueBatches' | 'closeBatch' | 'sentSince' | 'trimSentLedger'>>;

export interface DispatchPorts {
  readonly outbox: DispatchOutbox;
  readonly channels: Channels;
  readonly log: Logger;
  /** [0, 1); injectable so tests can pin the jitter. */
  readonly random?: () => number;
}

export interface DispatchOptions {
  /** Attempts before a row is dead (the operator can retry it). */
  readonly maxAttempts: number;
  /** How long a claimed row is ours; after that another run may take it (we died mid-send). */
  readonly leaseMs: number;
  /** Rows per run. */
  readonly batch: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly concurrency: number;
  /** Sent rows are kept this long (then deleted, once an hour); dead rows three times as long. */
  readonly retentionMs: number;
  /**
   * Sending rate per channel, across runs (counted from the rows sent in the last minute and hour):
   * what is over it waits for the next run. Email defaults to ACS Email's initial limits.
   */
  readonly rates?: Readonly<Partial<Record<Channel, SendingRate>>>;
}

export interface SendingRate {
  readonly perMinute?: number;
  readonly perHour?: number;
}

/**
 * ACS Email's initial sending limits per subscription (custom domains): 30 per minute, 100 per hour
 * (learn.microsoft.com/azure/communication-services/concepts/service-limits, "Rate limits for email";
 * the same in concepts/email/sdk-features, "API throttling and timeouts"). Raised on request.
 */
export const ACS_EMAIL_RATE: SendingRate = Object.freeze({ perMinute: 30, perHour: 100 });

/** 10 attempts with delays of about 30 s, 1, 2, 4, 8, 16, 32 min and then 1 h: about 3.5 h of trying. */
export const DEFAULT_DISPATCH: DispatchOptions = Object.freeze({
  maxAttempts: 10,
  leaseMs: 2 * 60_000,
  batch: 100,
  baseDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  concurrency: 4,
  retentionMs: 30 * 24 * 3_600_000,
  rates: { email: ACS_EMAIL_RATE },
});

export interface DispatchReport {
  relayed: number;
  due: number;
  sent: number;
  retrying: number;
  dead: number;
  /** Claimed by another dispatcher first. */
  lost: number;
  /** Left for the next run: their channel answered 429 in this one, or is at its sending rate. */
  deferred: number;
  /** Batches closed into one message each, and the notices they carried. */
  batches: number;
  batched: number;
  /** Old rows deleted (retention). */
  purged: number;
  /** Store failures: the row stays as it was and a later run takes it again. */
  errors: string[];
}

/**
 * Exponential backoff with jitter (half to full of the doubled delay, capped), never sooner than
 * the service's Retry-After.
 */
export function nextDelayMs(
  attempts: number,
  options: Pick<DispatchOptions, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
  retryAfter?: number,
): number {
  const exp = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  const jittered = Math.round(exp * (0.5 + random() * 0.5));
  return Math.max(jittered, retryAfter ?? 0);
}

/** The sending rate looks an hour back; its ledger keeps a second hour for whoever reads it late. */
const SENT_LEDGER_KEEP_MS = 2 * 3_600_000;

/** Messages each rated channel may still send now: its per-minute and per-hour rates less what was sent. */
async function sendingBudget(
  outbox: DispatchOutbox,
  rates: Readonly<Partial<Record<Channel, SendingRate>>>,
  now: Date,
): Promise<Map<Channel, number>> {
  const budget = new Map<Channel, number>();
  if (outbox.sentSince === undefined) return budget;
  for (const [channel, rate] of Object.entries(rates) as [Channel, SendingRate][]) {
    let left = Number.POSITIVE_INFINITY;
    if (rate.perMinute !== undefined)
      left = Math.min(
        left,
        rate.perMinute - (await outbox.sentSince(channel, new Date(now.getTime() - 60_000))),
      );
    if (rate.perHour !== undefined)
      left = Math.min(
        left,
        rate.perHour - (await outbox.sentSince(channel, new Date(now.getTime() - 3_600_000))),
      );
    budget.set(channel, left);
  }
  return budget;
}

/**
 * Who gets the sending rate first when it cannot serve every row due: a person's own link (an
 * approval request), then critical, then warnings, then the rest, each in the order they were due.
 */
function urgency(notice: Notice): number {
  if (notice.recipient !== undefined) return 0;
  return notice.severity === 'critical' ? 1 : notice.severity === 'warning' ? 2 : 3;
}

/**
 * Delivers what is due in the outbox. Primary course:
 * 1. relay intent rows committed inside callers' transactions into the outbox;
 * 2. close the batches whose window ended: one message per recipient with its informational notices;
 * 3. read the rows due at `now` (pending, or leased by a dispatcher that died), and send no more per
 *    channel than its sending rate allows, the most urgent first (the rest waits for the next run);
 * 4. for each: claim it with an ETag-conditional update (the lease; losing the race skips it),
 *    send it with its stable operation id, and mark it sent;
 * 5. on a transient failure put it back with backoff (honouring Retry-After); on throttling (429)
 *    wait for Retry-After without using up an attempt, and leave that channel alone for this run;
 *    on a permanent failure,
 *    or after the last attempt, mark it dead with the error;
 * 6. once an hour, delete rows past retention, and the sending rate's ledger older than two hours.
 * A crash between send and mark leaves the row leased; when the lease ends it is sent again with
 * the same operation id, which ACS (and CloudEvent receivers, by `id`) treat as the same message.
 */
export async function dispatchNotifications(
  ports: DispatchPorts,
  now: Date,
  options: DispatchOptions = DEFAULT_DISPATCH,
): Promise<DispatchReport> {
  const report: DispatchReport = {
    relayed: 0,
    due: 0,
    sent: 0,
    retrying: 0,
    dead: 0,
    lost: 0,
    deferred: 0,
    batches: 0,
    batched: 0,
    purged: 0,
    errors: [],
  };
  const random = ports.random ?? Math.random;
  try {
    // Marked partitions every run; a scan of every source table once an hour as the backstop.
    report.relayed = await ports.outbox.relay(undefined, { now, full: now.getUTCMinutes() === 30 });
  } catch (e) {
    report.errors.push(`relay: ${ensureError(e).message}`);
  }
  if (ports.outbox.dueBatches !== undefined && ports.outbox.closeBatch !== undefined) {
    try {
      for (const batch of await ports.outbox.dueBatches(now)) {
        report.batched += await ports.outbox.closeBatch(batch, now);
        report.batches++;
      }
    } catch (e) {
      report.errors.push(`batches: ${ensureError(e).message}`);
    }
  }
  // The due entries every run; a query of the whole table once an hour as the backstop.
  const due = (await ports.outbox.due(now, options.batch, { full: now.getUTCMinutes() === 30 })).toSorted(
    (a, b) => urgency(a.notice) - urgency(b.notice),
  );
  report.due = due.length;

  const budget = await sendingBudget(ports.outbox, options.rates ?? {}, now);
  const throttled = new Set<Channel>();
  const one = async (row: OutboxRow): Promise<void> => {
    const left = budget.get(row.channel);
    if (throttled.has(row.channel) || (left !== undefined && left <= 0)) {
      report.deferred++;
      return;
    }
    if (left !== undefined) budget.set(row.channel, left - 1);
    const claimed = await ports.outbox.claim(row, now, options.leaseMs);
    if (!claimed) {
      report.lost++;
      return;
    }
    const sender = ports.channels[claimed.channel];
    let failure: Error | undefined;
    if (sender === undefined) {
      failure = new Error(`the ${claimed.channel} channel is not configured`);
    } else {
      try {
        await sender.send(
          claimed.notice,
          { channel: claimed.channel, to: claimed.to },
          { operationId: claimed.operationId, now },
        );
      } catch (e) {
        failure = ensureError(e);
      }
    }
    if (failure === undefined) {
      if (await ports.outbox.markSent(claimed, now)) report.sent++;
      else report.lost++;
      return;
    }
    const transient = failure instanceof TransientError ? failure : undefined;
    if (transient === undefined || claimed.attempts >= options.maxAttempts) {
      const why = transient !== undefined ? `gave up after ${claimed.attempts} attempts: ` : '';
      await ports.outbox.markFailed(claimed, `${why}${failure.message}`, 'dead');
      report.dead++;
      ports.log.warn(
        `notification ${claimed.id} (${claimed.channel} ${claimed.to}) is dead: ${failure.message}`,
      );
      return;
    }
    if (transient instanceof ThrottledError) {
      // The service said when: wait that long (at least the base delay), without using up an attempt.
      throttled.add(claimed.channel);
      const wait = Math.max(transient.retryAfterMs ?? 0, options.baseDelayMs);
      await ports.outbox.markFailed(claimed, failure.message, new Date(now.getTime() + wait), {
        countAttempt: false,
      });
      report.retrying++;
      return;
    }
    const delay = nextDelayMs(claimed.attempts, options, random, transient.retryAfterMs);
    await ports.outbox.markFailed(claimed, failure.message, new Date(now.getTime() + delay));
    report.retrying++;
  };

  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < due.length) {
      const row = due[next++];
      if (row === undefined) break;
      try {
        await one(row);
      } catch (e) {
        report.errors.push(`${row.id}: ${ensureError(e).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));

  // Retention keeps the table (and the due-rows scan) small; once an hour is plenty.
  if (ports.outbox.purge !== undefined && now.getUTCMinutes() === 0) {
    try {
      report.purged = await ports.outbox.purge(
        new Date(now.getTime() - options.retentionMs),
        new Date(now.getTime() - 3 * options.retentionMs),
      );
      await ports.outbox.trimSentLedger?.(new Date(now.getTime() - SENT_LEDGER_KEEP_MS));
    } catch (e) {
      report.errors.push(`purge: ${ensureError(e).message}`);
    }
  }
  return report;
}

import { ensureError, TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Channels } from '../notify/channels';
import { ThrottledError } from '../notify/channels';
import type { Channel } from '../notify/outbox';
import type { OutboxRow, TableOutbox } from '../store/outboxStore';

/** What the dispatcher needs from the outbox store. */
export type DispatchOutbox = Pick<TableOutbox, 'relay' | 'due' | 'claim' | 'markSent' | 'markFailed'> &
  Partial<Pick<TableOutbox, 'purge'>>;

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
}

/** 10 attempts with delays of about 30 s, 1, 2, 4, 8, 16, 32 min and then 1 h: about 3.5 h of trying. */
export const DEFAULT_DISPATCH: DispatchOptions = Object.freeze({
  maxAttempts: 10,
  leaseMs: 2 * 60_000,
  batch: 100,
  baseDelayMs: 30_000,
  maxDelayMs: 60 * 60_000,
  concurrency: 4,
  retentionMs: 30 * 24 * 3_600_000,
});

export interface DispatchReport {
  relayed: number;
  due: number;
  sent: number;
  retrying: number;
  dead: number;
  /** Claimed by another dispatcher first. */
  lost: number;
  /** Left for the next run because their channel answered 429 in this one. */
  deferred: number;
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

/**
 * Delivers what is due in the outbox. Primary course:
 * 1. relay intent rows committed inside callers' transactions into the outbox;
 * 2. read the rows due at `now` (pending, or leased by a dispatcher that died);
 * 3. for each: claim it with an ETag-conditional update (the lease; losing the race skips it),
 *    send it with its stable operation id, and mark it sent;
 * 4. on a transient failure put it back with backoff (honouring Retry-After); on throttling (429)
 *    wait for Retry-After without using up an attempt, and leave that channel alone for this run;
 *    on a permanent failure,
 *    or after the last attempt, mark it dead with the error;
 * 5. once an hour, delete rows past retention.
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
  const due = await ports.outbox.due(now, options.batch);
  report.due = due.length;

  const throttled = new Set<Channel>();
  const one = async (row: OutboxRow): Promise<void> => {
    if (throttled.has(row.channel)) {
      report.deferred++;
      return;
    }
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
    } catch (e) {
      report.errors.push(`purge: ${ensureError(e).message}`);
    }
  }
  return report;
}

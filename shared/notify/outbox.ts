import { createHash } from 'node:crypto';

import type { TransactionAction } from '@azure/data-tables';

import type { Notice } from '../domain/notice';

/**
 * The transactional outbox: every notice Warden decides to send is written here first, then a
 * dispatcher (functions/notificationDispatcher.ts) delivers it with retries. Nothing is lost if the
 * dispatcher dies (rows stay until marked sent or dead) and nothing is sent twice for one
 * (notice key, channel, recipient): the row is created once, claimed with an ETag-conditional lease,
 * and the email send carries an `Operation-Id` derived from the row id so ACS drops a repeat.
 *
 * Two ways in:
 * - `enqueue(notices, now)`: an idempotent write (same key + recipient twice is a no-op). Use it after
 *   your own state change is saved; if you crash in between, re-running the same transition enqueues
 *   the same keys again, harmlessly.
 * - `transactionActions(source, notices, now)`: rows to add to YOUR OWN Table transaction, in your
 *   table and your partition (Table transactions are one table + one partition), so the notice is
 *   committed atomically with the state change. The rows are "intents" with row keys starting
 *   `~outbox~` (see `INTENT_ROW_PREFIX`; keep your own row keys from starting with `~outbox~`). The
 *   dispatcher relays them into the outbox table on its next run (every minute) and deletes them;
 *   call `relay(source)` after your commit to deliver without waiting.
 */
export interface Outbox {
  /** Writes the notices' deliveries (routed per channel and recipient), idempotently. */
  enqueue(notices: readonly Notice[], now: Date): Promise<void>;
  /**
   * Outbox intent rows for a transaction you submit yourself on `source.table` (the name you pass to
   * `Tables.table()`), partition `source.partitionKey`. At most one action per notice key + recipient;
   * count them against the 100-action limit of a transaction.
   */
  transactionActions(
    source: IntentSource,
    notices: readonly Notice[],
    now: Date,
  ): Promise<TransactionAction[]>;
  /** Moves committed intent rows of one source partition (or every registered source) into the outbox. */
  relay(source?: IntentSource): Promise<number>;
}

/** Where a caller's own transaction keeps its intent rows. */
export interface IntentSource {
  /** The table name as given to `Tables.table()` (without the instance prefix). */
  readonly table: string;
  readonly partitionKey: string;
}

/** Row keys of intent rows in a caller's table start with this. `~` sorts after letters and digits. */
export const INTENT_ROW_PREFIX = '~outbox~';

export const CHANNELS = ['email', 'teams', 'webhook'] as const;
export type Channel = (typeof CHANNELS)[number];

/** One delivery of one notice: a channel and an address on it (email address, Teams workflow name, `webhook`). */
export interface Delivery {
  readonly channel: Channel;
  readonly to: string;
}

/** `batched`: an informational notice waiting for its batch window to end (shared/notify/batching.ts). */
export type DeliveryStatus = 'pending' | 'batched' | 'sending' | 'sent' | 'dead';

/** One outbox row as the API shows it (`GET /api/notifications`). */
export interface OutboxEntry {
  readonly id: string;
  readonly channel: Channel;
  readonly to: string;
  readonly noticeKey: string;
  readonly kind: Notice['kind'];
  readonly title: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When it is next due (pending), when its lease ends (sending). */
  readonly dueAt: string;
  readonly createdAt: string;
  readonly sentAt?: string;
  readonly lastError?: string;
  readonly clusterId?: string;
  readonly clusterName?: string;
  readonly planId?: string;
  /** The ACS operation id (email) / CloudEvent id (webhook) used for every attempt. */
  readonly operationId: string;
  /** Sent as part of this batch message (its row id), not on its own. */
  readonly batchedIn?: string;
}

/** The stable id of a delivery row: notice key + channel + recipient (case-insensitive). */
export function deliveryId(noticeKey: string, delivery: Delivery): string {
  return createHash('sha256')
    .update(`${noticeKey}\n${delivery.channel}\n${delivery.to.toLowerCase()}`)
    .digest('hex')
    .slice(0, 32);
}

/**
 * A UUID derived from the delivery id (name-based, like a v5 UUID), sent as ACS `Operation-Id`:
 * a retried send of the same row reuses it, so ACS recognises the repeat and does not deliver twice.
 */
export function operationIdFor(id: string): string {
  const h = createHash('sha256').update(`warden-outbox:${id}`).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

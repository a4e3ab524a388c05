import { createHash } from 'node:crypto';

import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import type { Notice } from '../domain/notice';
import { batchable, batchNotice, batchWindowEnd } from '../notify/batching';
import type { Channel, Delivery, DeliveryStatus, IntentSource, Outbox, OutboxEntry } from '../notify/outbox';
import { CHANNELS, deliveryId, INTENT_ROW_PREFIX, operationIdFor } from '../notify/outbox';
import type { Tables } from './tables';
import { clip, getOrUndefined, isConflict, isNotFound, isPreconditionFailed, listAll } from './tables';

/**
 * The outbox table (`<prefix>outbox`). Delivery rows: PartitionKey = the first two hex digits of the
 * delivery id (spreads load), RowKey = the delivery id (sha of notice key + channel + recipient).
 * Partition `~sources` lists the caller tables that hold intent rows (see `Outbox.transactionActions`),
 * partition `~pending` the caller partitions that may hold some now, and one partition per plan
 * (`~plan-<planId>`, RowKey = delivery id) indexes the deliveries of that plan's notices, so a plan page
 * reads them with one partition query instead of scanning the table. An index entry is the delivery
 * row without its notice body; its status mirrors the row's, written after each change of the row
 * (best effort: the row stays the truth, and a lost mirror write only shows an older status).
 * Partition `~sent-<channel>` keeps one entry per message sent (RowKey = `{sentAt ISO}|{delivery id}`),
 * so the dispatcher's sending rate reads the last hour of one partition, not the whole table; and
 * partition `~due` names the rows that may be due (RowKey = `{dueAt ISO}|{delivery id}`, the time
 * the row first became due), so the dispatcher reads those and not the table (see `due`).
 */
export const OUTBOX_TABLE = 'outbox';
const SOURCES_PARTITION = '~sources';
/** Markers of caller partitions that may hold intent rows, so a relay reads those partitions only. */
const PENDING_PARTITION = '~pending';
/** A marker is dropped once its partition has no intents and it is older than this (the caller has committed). */
const MARKER_GRACE_MS = 10 * 60_000;
/** Delivery rows live in two-hex-digit partitions; `~sources` / `~pending` sort after them. */
const ROWS_ONLY = odata`PartitionKey lt '~'`;
/** The index partition of a plan's deliveries (`encodeURIComponent` keeps `/ \\ # ?` out of the key). */
const planIndex = (planId: string): string => `~plan-${encodeURIComponent(planId)}`;
/** Open batches (see shared/notify/batching.ts): row key `{window end ISO}|{recipient hash}`. */
const BATCHES_PARTITION = '~batches';
/** The rows of a batch: one entry each (row key the row's id), written before the row. */
const batchMembers = (batch: string): string => `~in-${batch}`;
/** A batch is closed this long after its window ends, so a notice enqueued at the boundary is in it. */
const BATCH_GRACE_MS = 60_000;
const INTENT_END = `${INTENT_ROW_PREFIX}~`;
/** The partition of a channel's sent messages, by time (the sending rate's ledger). */
const sentLedger = (channel: Channel): string => `~sent-${channel}`;
/** Entries naming the rows that may be due, in the order they became due. */
const DUE_PARTITION = '~due';
const dueEntryKey = (dueAt: string, id: string): string => `${dueAt}|${id}`;
/**
 * A due entry that names no row, or a row that no longer waits on it, is dropped once this old: an
 * entry is written just before its row, so by then the row's own write has landed.
 */
const DUE_ENTRY_GRACE_MS = 5 * 60_000;
/** Rows read (or entries deleted) by key at once, for the due entries or a batch's members. */
const ROW_READS_AT_ONCE = 25;

/** A delivery row as stored, with the ETag of the read that produced it. */
export interface OutboxRow extends OutboxEntry {
  readonly notice: Notice;
  readonly etag: string;
  /** The row's entry in the due partition (absent on rows written before it existed). */
  readonly dueKey?: string;
}

export interface OutboxQuery {
  readonly status?: DeliveryStatus;
  /** A cluster name or ARM id (case-insensitive). */
  readonly cluster?: string;
  readonly limit?: number;
}

/** Decides the deliveries of a notice (shared/notify/routing.ts, with the routes and configured channels). */
export type Router = (notice: Notice) => Delivery[];

interface RowEntity {
  partitionKey: string;
  rowKey: string;
  channel: string;
  to: string;
  noticeKey: string;
  kind: string;
  title: string;
  notice: string;
  status: string;
  attempts: number;
  dueAt: string;
  createdAt: string;
  sentAt?: string;
  lastError?: string;
  clusterId?: string;
  clusterIdLower?: string;
  clusterName?: string;
  clusterNameLower?: string;
  planId?: string;
  operationId: string;
  /** The batch a `batched` row waits in; once sent, the id of the message that carried it. */
  batch?: string;
  batchedIn?: string;
  dueKey?: string;
}

/** An open batch: one recipient's informational notices of one window. */
export interface OpenBatch {
  readonly id: string;
  readonly channel: Channel;
  readonly to: string;
  readonly windowEnd: string;
  /** Whether its rows have member entries (batches opened before they existed have none). */
  readonly members: boolean;
}

interface IntentEntity {
  partitionKey: string;
  rowKey: string;
  notice: string;
  createdAt: string;
}

/** Table Storage strings hold 32K characters; a notice bigger than that loses facts until it fits. */
export function fitNotice(notice: Notice, maxChars = 30_000): Notice {
  let n = notice;
  while (JSON.stringify(n).length > maxChars && n.facts.length > 0) {
    n = { ...n, facts: n.facts.slice(0, Math.floor(n.facts.length / 2)) };
  }
  if (JSON.stringify(n).length > maxChars) {
    n = { ...n, summary: clip(n.summary, 4000), actions: n.actions.slice(0, 6) };
  }
  return n;
}

function toEntry(e: RowEntity & { etag: string }): OutboxRow {
  return {
    id: e.rowKey,
    channel: e.channel as Channel,
    to: e.to,
    noticeKey: e.noticeKey,
    kind: e.kind as Notice['kind'],
    title: e.title,
    status: e.status as DeliveryStatus,
    attempts: e.attempts,
    dueAt: e.dueAt,
    createdAt: e.createdAt,
    operationId: e.operationId,
    ...(e.sentAt !== undefined && { sentAt: e.sentAt }),
    ...(e.lastError !== undefined && { lastError: e.lastError }),
    ...(e.clusterId !== undefined && { clusterId: e.clusterId }),
    ...(e.clusterName !== undefined && { clusterName: e.clusterName }),
    ...(e.planId !== undefined && { planId: e.planId }),
    ...(e.batchedIn !== undefined && { batchedIn: e.batchedIn }),
    ...(e.dueKey !== undefined && { dueKey: e.dueKey }),
    notice: JSON.parse(e.notice) as Notice,
    etag: e.etag,
  };
}

/** Strips the store-only fields for the API. */
export function publicEntry(row: OutboxRow): OutboxEntry {
  const { notice: _n, etag: _e, dueKey: _d, ...entry } = row;
  return entry;
}

/** Creates an entity unless it exists (the same delivery enqueued again). */
async function createOnce(
  client: TableClient,
  entity: { partitionKey: string; rowKey: string },
): Promise<void> {
  try {
    await client.createEntity(entity);
  } catch (e) {
    if (!isConflict(e)) throw e;
  }
}

/** Deletes an entity, if it is still there (a delete repeated, or done by another writer, changes nothing). */
async function deleteIfThere(client: TableClient, partitionKey: string, rowKey: string): Promise<void> {
  try {
    await client.deleteEntity(partitionKey, rowKey);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
}

function intentRowKey(notice: Notice): string {
  return (
    INTENT_ROW_PREFIX +
    createHash('sha256')
      .update(`${notice.key}\n${notice.recipient ?? ''}`)
      .digest('hex')
      .slice(0, 32)
  );
}

/** The outbox over Table Storage: the `Outbox` port for producers, and the row operations the dispatcher needs. */
export class TableOutbox implements Outbox {
  private readonly knownSources = new Set<string>();
  /** When this instance last wrote each pending marker: a fresh one is not rewritten. */
  private readonly markedAt = new Map<string, number>();

  /**
   * @param afterEnqueue called (not awaited) after rows were written, so the app can dispatch them
   *   without waiting for the next timer run. Optional: the timer delivers them anyway.
   * @param sharedCopy what a Teams channel or the webhook gets of a personal notice.
   */
  constructor(
    private readonly tables: Tables,
    private readonly route: Router,
    private readonly afterEnqueue?: () => void,
    /** The shared (channel, webhook) copy of a personal notice: by default without its links. */
    private readonly sharedCopy: (notice: Notice) => Notice = (n) => ({ ...n, actions: [] }),
    /** The batch window of informational notices (policy `notifications.batchWindow`); 0: none. */
    private readonly batchWindowMs = 0,
  ) {}

  private table(): Promise<TableClient> {
    return this.tables.table(OUTBOX_TABLE);
  }

  async enqueue(notices: readonly Notice[], now: Date): Promise<void> {
    const client = await this.table();
    const writes: Promise<void>[] = [];
    for (const original of notices) {
      const notice = fitNotice(original);
      for (const delivery of this.route(notice)) {
        writes.push(this.createRow(client, notice, delivery, now));
      }
    }
    await Promise.all(writes);
    if (writes.length > 0) this.afterEnqueue?.();
  }

  private async createRow(client: TableClient, notice: Notice, delivery: Delivery, now: Date): Promise<void> {
    const id = deliveryId(notice.key, delivery);
    // Personal links (approval tokens) only ever go to their own recipient.
    const stored =
      notice.recipient !== undefined && delivery.channel !== 'email' ? this.sharedCopy(notice) : notice;
    const windowEnd = batchable(notice, delivery, this.batchWindowMs)
      ? batchWindowEnd(now, this.batchWindowMs).toISOString()
      : undefined;
    const batch =
      windowEnd === undefined
        ? undefined
        : `${windowEnd}|${createHash('sha256').update(`${delivery.channel}\n${delivery.to.toLowerCase()}`).digest('hex').slice(0, 24)}`;
    const entity: RowEntity = {
      partitionKey: id.slice(0, 2),
      rowKey: id,
      channel: delivery.channel,
      to: delivery.to,
      noticeKey: clip(notice.key, 1000),
      kind: notice.kind,
      title: clip(notice.title, 1000),
      notice: JSON.stringify(stored),
      status: batch === undefined ? 'pending' : 'batched',
      attempts: 0,
      dueAt: windowEnd ?? now.toISOString(),
      createdAt: now.toISOString(),
      operationId: operationIdFor(id),
      ...(batch !== undefined && { batch }),
      ...(batch === undefined && { dueKey: dueEntryKey(now.toISOString(), id) }),
      ...(notice.cluster !== undefined && {
        clusterId: notice.cluster.id,
        clusterIdLower: notice.cluster.id.toLowerCase(),
        clusterName: notice.cluster.name,
        clusterNameLower: notice.cluster.name.toLowerCase(),
      }),
      ...(notice.planId !== undefined && { planId: notice.planId }),
    };
    // The batch is opened before its row exists: a row in a batch nobody closes is never left behind.
    if (batch !== undefined && windowEnd !== undefined)
      await client.upsertEntity(
        {
          partitionKey: BATCHES_PARTITION,
          rowKey: batch,
          channel: delivery.channel,
          to: delivery.to,
          windowEnd,
          members: true,
        },
        'Replace',
      );
    // The batch's member entry before the row, so closing the batch reads its rows and no others.
    if (batch !== undefined) await createOnce(client, { partitionKey: batchMembers(batch), rowKey: id });
    // The due entry before the row, so a row that waits to be sent is never without one.
    if (entity.dueKey !== undefined)
      await createOnce(client, { partitionKey: DUE_PARTITION, rowKey: entity.dueKey });
    await createOnce(client, entity);
    // After the row, so an entry never names a delivery that does not exist; an enqueue retried after a
    // crash between the two writes adds the entry then. Created once: a repeat keeps the mirrored status.
    if (notice.planId !== undefined) {
      const { notice: _body, ...indexed } = entity;
      await createOnce(client, { ...indexed, partitionKey: planIndex(notice.planId) });
    }
  }

  /** Copies a change of a row to its plan's index entry; a failure leaves the older status shown there. */
  private async mirror(row: OutboxRow, patch: Partial<RowEntity>): Promise<void> {
    if (row.planId === undefined) return;
    const client = await this.table();
    const { partitionKey: _p, rowKey: _r, ...fields } = patch;
    await client
      .updateEntity({ partitionKey: planIndex(row.planId), rowKey: row.id, ...fields }, 'Merge')
      .catch(() => undefined);
  }

  /** Batches whose window ended (plus a minute's grace) by `now`. */
  async dueBatches(now: Date): Promise<OpenBatch[]> {
    const client = await this.table();
    const before = new Date(now.getTime() - BATCH_GRACE_MS).toISOString();
    const rows = await listAll<{ channel: string; to: string; windowEnd: string; members?: boolean }>(
      client,
      odata`PartitionKey eq ${BATCHES_PARTITION} and RowKey lt ${before}`,
    );
    return rows.map((r) => ({
      id: r.rowKey ?? '',
      channel: r.channel as Channel,
      to: r.to,
      windowEnd: r.windowEnd,
      members: r.members === true,
    }));
  }

  /**
   * The rows waiting in a batch, and the member entries read: those entries' rows (read by key), or,
   * for a batch opened before member entries existed, a query of the whole outbox.
   */
  private async batchRows(
    client: TableClient,
    batch: OpenBatch,
  ): Promise<{ rows: OutboxRow[]; members: string[] }> {
    if (!batch.members) {
      const filter = `${ROWS_ONLY} and ${odata`status eq 'batched' and batch eq ${batch.id}`}`;
      const rows = (await listAll<RowEntity>(client, filter)).map((e) => toEntry(e));
      return { rows, members: [] };
    }
    const ids = (
      await listAll<{ rowKey?: string }>(client, odata`PartitionKey eq ${batchMembers(batch.id)}`, ['RowKey'])
    ).map((e) => e.rowKey ?? '');
    const rows: OutboxRow[] = [];
    for (let i = 0; i < ids.length; i += ROW_READS_AT_ONCE) {
      const read = await Promise.all(
        ids
          .slice(i, i + ROW_READS_AT_ONCE)
          .map((id) => getOrUndefined<RowEntity>(client, id.slice(0, 2), id)),
      );
      for (const e of read)
        if (e !== undefined && e.status === 'batched' && e.batch === batch.id) rows.push(toEntry(e));
    }
    return { rows, members: ids };
  }

  /**
   * Closes a batch: one pending message (the notice {@link batchNotice} makes) to its recipient, its
   * rows marked sent with that message's id, then the batch removed. Safe to repeat after a crash:
   * the message is created once per set of rows, and a row is marked only once it is in one.
   */
  async closeBatch(batch: OpenBatch, now: Date): Promise<number> {
    const client = await this.table();
    const { rows, members } = await this.batchRows(client, batch);
    if (rows.length > 0) {
      const ids = rows.map((r) => r.id).sort();
      const key = `batch:${batch.id}:${createHash('sha256').update(ids.join(',')).digest('hex').slice(0, 16)}`;
      const to = new Date(batch.windowEnd);
      const message = fitNotice(
        batchNotice(
          key,
          rows.map((r) => r.notice),
          { from: new Date(to.getTime() - this.batchWindowMs), to },
        ),
      );
      const delivery = { channel: batch.channel, to: batch.to };
      await this.createRow(client, message, delivery, now);
      const messageId = deliveryId(message.key, delivery);
      for (const r of rows) {
        const sent = { status: 'sent', sentAt: now.toISOString(), batchedIn: messageId } as const;
        await client.updateEntity({ partitionKey: r.id.slice(0, 2), rowKey: r.id, ...sent }, 'Merge');
        await this.mirror(r, sent);
      }
      this.afterEnqueue?.();
    }
    // The members after the rows are marked, the batch last: a close cut short is repeated whole.
    for (let i = 0; i < members.length; i += ROW_READS_AT_ONCE)
      await Promise.all(
        members
          .slice(i, i + ROW_READS_AT_ONCE)
          .map((id) => deleteIfThere(client, batchMembers(batch.id), id)),
      );
    await deleteIfThere(client, BATCHES_PARTITION, batch.id);
    return rows.length;
  }

  /**
   * How many messages of a channel were sent since `since` (the dispatcher's sending rate): one range
   * of the channel's ledger partition, as long as the messages sent in that time.
   */
  async sentSince(channel: Channel, since: Date): Promise<number> {
    const client = await this.table();
    let n = 0;
    for await (const _ of client.listEntities({
      queryOptions: {
        filter: odata`PartitionKey eq ${sentLedger(channel)} and RowKey ge ${since.toISOString()}`,
        select: ['RowKey'],
      },
    }))
      n++;
    return n;
  }

  /** Drops the ledger's entries of messages sent before `before` (it only answers for the last hour). */
  async trimSentLedger(before: Date): Promise<number> {
    const client = await this.table();
    let deleted = 0;
    for (const channel of CHANNELS)
      for await (const e of client.listEntities({
        queryOptions: {
          filter: odata`PartitionKey eq ${sentLedger(channel)} and RowKey lt ${before.toISOString()}`,
          select: ['RowKey'],
        },
      })) {
        await deleteIfThere(client, sentLedger(channel), e.rowKey ?? '');
        deleted++;
      }
    return deleted;
  }

  async transactionActions(
    source: IntentSource,
    notices: readonly Notice[],
    now: Date,
  ): Promise<TransactionAction[]> {
    await this.registerSource(source.table);
    await this.markPending(source, now);
    const byKey = new Map<string, TransactionAction>();
    for (const original of notices) {
      const notice = fitNotice(original);
      const entity: IntentEntity & Record<string, unknown> = {
        partitionKey: source.partitionKey,
        rowKey: intentRowKey(notice),
        notice: JSON.stringify(notice),
        createdAt: now.toISOString(),
      };
      // Upsert, not create: a transaction retried after a lost answer must not fail on its own intent.
      byKey.set(entity.rowKey, ['upsert', entity, 'Replace']);
    }
    return [...byKey.values()];
  }

  private async registerSource(table: string): Promise<void> {
    if (this.knownSources.has(table)) return;
    const client = await this.table();
    await client.upsertEntity({ partitionKey: SOURCES_PARTITION, rowKey: table }, 'Replace');
    this.knownSources.add(table);
  }

  // Written before the caller's transaction, so a committed intent always has a marker until relayed.
  private async markPending(source: IntentSource, now: Date): Promise<void> {
    const rowKey = createHash('sha256').update(`${source.table}\n${source.partitionKey}`).digest('hex');
    // A marker younger than half the grace period cannot be dropped before this transaction commits.
    const last = this.markedAt.get(rowKey);
    if (last !== undefined && now.getTime() - last >= 0 && now.getTime() - last < MARKER_GRACE_MS / 2) return;
    const client = await this.table();
    await client.upsertEntity(
      {
        partitionKey: PENDING_PARTITION,
        rowKey,
        table: source.table,
        sourcePartition: source.partitionKey,
        at: now.toISOString(),
      },
      'Replace',
    );
    this.markedAt.set(rowKey, now.getTime());
  }

  /**
   * Moves committed intent rows into the outbox and deletes them. With `source`: that partition.
   * Without: every partition with a pending marker (markers of emptied partitions are dropped after a
   * grace period); with `full`, a scan of every registered table as well (the backstop).
   */
  async relay(source?: IntentSource, options: { now?: Date; full?: boolean } = {}): Promise<number> {
    if (source !== undefined) return this.relayFrom(source.table, source.partitionKey);
    const outbox = await this.table();
    const now = options.now ?? new Date();
    let moved = 0;
    const markers = await listAll<{ table: string; sourcePartition: string; at: string }>(
      outbox,
      odata`PartitionKey eq ${PENDING_PARTITION}`,
    );
    for (const m of markers) {
      const n = await this.relayFrom(m.table, m.sourcePartition);
      moved += n;
      if (n === 0 && now.getTime() - Date.parse(m.at) > MARKER_GRACE_MS) {
        try {
          await outbox.deleteEntity(PENDING_PARTITION, m.rowKey ?? '', { etag: m.etag });
        } catch (e) {
          // Re-marked by a new transaction meanwhile: keep it.
          if (!isNotFound(e) && !isPreconditionFailed(e)) throw e;
        }
      }
    }
    if (options.full === true) {
      const tables = await listAll<{ rowKey: string }>(outbox, odata`PartitionKey eq ${SOURCES_PARTITION}`);
      for (const t of tables) moved += await this.relayFrom(t.rowKey);
    }
    return moved;
  }

  private async relayFrom(table: string, partitionKey?: string): Promise<number> {
    const client = await this.tables.table(table);
    const filter =
      partitionKey !== undefined
        ? odata`PartitionKey eq ${partitionKey} and RowKey ge ${INTENT_ROW_PREFIX} and RowKey lt ${INTENT_END}`
        : odata`RowKey ge ${INTENT_ROW_PREFIX} and RowKey lt ${INTENT_END}`;
    let moved = 0;
    for (const intent of await listAll<IntentEntity>(client, filter)) {
      const notice = JSON.parse(intent.notice) as Notice;
      await this.enqueue([notice], new Date(intent.createdAt));
      try {
        await client.deleteEntity(intent.partitionKey, intent.rowKey, { etag: intent.etag });
      } catch (e) {
        // Another relay moved it first (or the caller rewrote it, and the next relay takes the new one).
        if (!isNotFound(e) && !isPreconditionFailed(e)) throw e;
      }
      moved++;
    }
    return moved;
  }

  /**
   * Rows that are due at `now`: pending ones whose time has come, and leases that expired (a dispatcher
   * died), the longest waiting first. Reads the due entries up to `now` and each one's row by key, so
   * a run costs what is due, not what the outbox holds; an entry whose row was sent, died or is gone is
   * dropped on the way. `full` (the dispatcher's once an hour) also queries the whole table, and gives
   * an entry to a due row that has none: rows written before entries existed.
   */
  async due(now: Date, limit: number, options: { readonly full?: boolean } = {}): Promise<OutboxRow[]> {
    const client = await this.table();
    const at = now.toISOString();
    const out = new Map<string, OutboxRow>();
    const graceEnd = new Date(now.getTime() - DUE_ENTRY_GRACE_MS).toISOString();
    const take = async (entryKey: string): Promise<void> => {
      const id = entryKey.slice(entryKey.indexOf('|') + 1);
      const e = await getOrUndefined<RowEntity>(client, id.slice(0, 2), id);
      const live = e !== undefined && (e.status === 'pending' || e.status === 'sending');
      if (live && (e.dueKey === undefined || e.dueKey === entryKey)) {
        if (e.dueAt <= at && out.size < limit) out.set(id, toEntry(e));
      } else if (entryKey < graceEnd) {
        await deleteIfThere(client, DUE_PARTITION, entryKey);
      }
    };
    const entries = client.listEntities({
      queryOptions: {
        filter: odata`PartitionKey eq ${DUE_PARTITION} and RowKey lt ${dueEntryKey(at, '~')}`,
        select: ['RowKey'],
      },
    });
    for await (const page of entries.byPage({ maxPageSize: 1000 })) {
      for (let i = 0; i < page.length && out.size < limit; i += ROW_READS_AT_ONCE)
        await Promise.all(page.slice(i, i + ROW_READS_AT_ONCE).map((e) => take(e.rowKey ?? '')));
      if (out.size >= limit) break;
    }
    if (options.full === true) {
      // Read to the end, the entries named every due row that has one: one not among them has none.
      const allEntriesRead = out.size < limit;
      const filter = `${ROWS_ONLY} and ${odata`(status eq 'pending' or status eq 'sending') and dueAt le ${at}`}`;
      for await (const e of client.listEntities<RowEntity>({ queryOptions: { filter } })) {
        if (e.dueKey === undefined || (allEntriesRead && !out.has(e.rowKey)))
          await createOnce(client, {
            partitionKey: DUE_PARTITION,
            rowKey: e.dueKey ?? dueEntryKey(e.dueAt, e.rowKey),
          });
        if (out.size < limit) out.set(e.rowKey, toEntry(e));
      }
    }
    return [...out.values()].sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  }

  /**
   * Takes the lease on a row with an ETag-conditional update: `undefined` when another dispatcher
   * changed it first. The attempt is counted here, so an attempt that dies mid-send still counts.
   */
  async claim(row: OutboxRow, now: Date, leaseMs: number): Promise<OutboxRow | undefined> {
    const client = await this.table();
    const patch = {
      partitionKey: row.id.slice(0, 2),
      rowKey: row.id,
      status: 'sending',
      attempts: row.attempts + 1,
      dueAt: new Date(now.getTime() + leaseMs).toISOString(),
    };
    try {
      const res = await client.updateEntity(patch, 'Merge', { etag: row.etag });
      await this.mirror(row, patch);
      return {
        ...row,
        status: 'sending',
        attempts: patch.attempts,
        dueAt: patch.dueAt,
        etag: res.etag ?? row.etag,
      };
    } catch (e) {
      if (isPreconditionFailed(e) || isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Marks a claimed row sent; `false` when the lease was lost (someone else has the row now). */
  async markSent(row: OutboxRow, now: Date): Promise<boolean> {
    // The message went out whether or not the lease still holds: the sending rate counts it.
    await createOnce(await this.table(), {
      partitionKey: sentLedger(row.channel),
      rowKey: `${now.toISOString()}|${row.id}`,
    });
    return this.settle(row, { status: 'sent', sentAt: now.toISOString(), dueAt: now.toISOString() });
  }

  /** Puts a claimed row back for another attempt at `dueAt`, or marks it dead, keeping the error. */
  async markFailed(
    row: OutboxRow,
    error: string,
    next: Date | 'dead',
    options: { readonly countAttempt?: boolean } = {},
  ): Promise<boolean> {
    const patch = {
      status: next === 'dead' ? 'dead' : 'pending',
      lastError: clip(error, 4000),
      ...(next !== 'dead' && { dueAt: next.toISOString() }),
      // A throttled attempt is given back: being told to wait is not a failure of the message.
      ...(options.countAttempt === false && { attempts: Math.max(0, row.attempts - 1) }),
    };
    // A row put back keeps its due entry (the earliest it was due): the entry is read until then.
    return next === 'dead' ? this.settle(row, patch) : this.update(row, patch);
  }

  /** A row's last change (sent, dead): its due entry goes once the row has changed. */
  private async settle(row: OutboxRow, patch: Partial<RowEntity>): Promise<boolean> {
    if (!(await this.update(row, patch))) return false;
    if (row.dueKey !== undefined) await deleteIfThere(await this.table(), DUE_PARTITION, row.dueKey);
    return true;
  }

  private async update(row: OutboxRow, patch: Partial<RowEntity>): Promise<boolean> {
    const client = await this.table();
    try {
      await client.updateEntity({ partitionKey: row.id.slice(0, 2), rowKey: row.id, ...patch }, 'Merge', {
        etag: row.etag,
      });
      await this.mirror(row, patch);
      return true;
    } catch (e) {
      if (isPreconditionFailed(e)) return false;
      throw e;
    }
  }

  async get(id: string): Promise<OutboxRow | undefined> {
    if (!/^[0-9a-f]{32}$/.test(id)) return undefined;
    const client = await this.table();
    const e = await getOrUndefined<RowEntity>(client, id.slice(0, 2), id);
    return e ? toEntry(e) : undefined;
  }

  /** The operator's retry: a dead (or pending) row becomes due now with a fresh attempt budget. */
  async retry(id: string, now: Date): Promise<OutboxRow | 'not-found' | 'not-retryable'> {
    const row = await this.get(id);
    if (!row) return 'not-found';
    if (row.status === 'sent' || row.status === 'sending') return 'not-retryable';
    const dueKey = dueEntryKey(now.toISOString(), id);
    const client = await this.table();
    await createOnce(client, { partitionKey: DUE_PARTITION, rowKey: dueKey });
    const ok = await this.update(row, { status: 'pending', attempts: 0, dueAt: now.toISOString(), dueKey });
    if (!ok) return 'not-retryable';
    return { ...row, status: 'pending', attempts: 0, dueAt: now.toISOString(), dueKey };
  }

  /** Deletes sent rows sent before `sentBefore` and dead rows created before `deadBefore` (retention). */
  async purge(sentBefore: Date, deadBefore: Date, limit = 500): Promise<number> {
    const client = await this.table();
    const filter = `${ROWS_ONLY} and ${odata`((status eq 'sent' and sentAt lt ${sentBefore.toISOString()}) or (status eq 'dead' and createdAt lt ${deadBefore.toISOString()}))`}`;
    let deleted = 0;
    for await (const e of client.listEntities<RowEntity>({
      queryOptions: { filter, select: ['PartitionKey', 'RowKey', 'planId'] },
    })) {
      if (deleted >= limit) break;
      try {
        await client.deleteEntity(e.partitionKey ?? '', e.rowKey ?? '', { etag: e.etag });
        deleted++;
      } catch (err) {
        if (!isNotFound(err) && !isPreconditionFailed(err)) throw err;
      }
      if (e.planId !== undefined && e.planId !== '')
        await deleteIfThere(client, planIndex(e.planId), e.rowKey ?? '');
    }
    return deleted;
  }

  /** The deliveries of one plan's notices, newest first: one query of the plan's index partition. */
  async forPlan(planId: string, limit = 200): Promise<OutboxEntry[]> {
    const client = await this.table();
    const entries = await listAll<Omit<RowEntity, 'notice'>>(
      client,
      odata`PartitionKey eq ${planIndex(planId)}`,
    );
    return entries
      .map((e) => publicEntry(toEntry({ ...e, notice: 'null' })))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id))
      .slice(0, limit);
  }

  /** The outbox for the API, newest first. */
  async list(query: OutboxQuery): Promise<OutboxRow[]> {
    const client = await this.table();
    const parts = [ROWS_ONLY];
    if (query.status !== undefined) parts.push(odata`status eq ${query.status}`);
    if (query.cluster !== undefined) {
      const c = query.cluster.toLowerCase();
      parts.push(odata`(clusterNameLower eq ${c} or clusterIdLower eq ${c})`);
    }
    const rows = (await listAll<RowEntity>(client, parts.join(' and '))).map((e) =>
      toEntry(e as RowEntity & { etag: string }),
    );
    rows.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
    return rows.slice(0, query.limit ?? 200);
  }
}

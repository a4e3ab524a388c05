import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import type { PlanStatus } from '../domain/plan';
import type { Ring } from '../domain/rings';
import type { Tables } from './tables';
import { getOrUndefined, isNotFound } from './tables';

/**
 * Table `planrecent`: every plan once per partition it is listed in, keyed so that a partition reads
 * newest first: `{13-digit inverted updatedAt}:{planId}`. Partition `all` holds every plan,
 * `s:{status}` the plans in that status. "The latest N plans" (optionally in one status, one ring) is
 * then the first rows of one partition, however many plans are stored, instead of a scan of `plans`
 * sorted in memory.
 *
 * The plan row stays the truth. A plan's rows move when it is saved: the new key written first, then
 * the old one removed (one entity-group transaction when both are in one partition). A new plan's rows
 * are written before its commit (a crash after it cannot leave a plan unlisted); a save's after its
 * commit (a lost race writes nothing). A reader checks each row against the plan row and repairs what a
 * crash or two writers finishing out of order left: a row whose plan moved on is replaced by the
 * plan's current rows; a row whose plan does not exist is removed once older than {@link ORPHAN_MS}
 * (before that it may be a create whose commit is still under way).
 *
 * Plans written before this index existed: the first read of an instance whose table has no
 * `~backfill` marker writes the rows of every stored plan not listed yet (a read of `plans` without
 * the bodies, page by page, 100 rows a transaction), then the marker.
 */
export const RECENT_TABLE = 'planrecent';
const ALL = 'all';
const MARKER_PARTITION = '~backfill';
const MAX_MS = 9_999_999_999_999;
/** A row with no plan behind it this long after it was written is a create that failed. */
export const ORPHAN_MS = 10 * 60_000;
/** Table Storage's limit of actions in one entity-group transaction. */
const BATCH = 100;

/** What a partition row says of a plan, enough to find and check it. */
export type RecentRow = {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly planId: string;
  readonly clusterKey: string;
  readonly status: string;
  readonly ring: string;
  /** When Table Storage wrote the row (its own clock). */
  readonly timestamp?: string;
};

/** The few plan columns the index is built from (all of them columns of the plan row). */
export interface IndexedPlan {
  readonly planId: string;
  readonly clusterKey: string;
  readonly status: string;
  readonly ring: string;
  readonly updatedAt: string;
}

export const statusPartition = (status: string): string => `s:${status}`;

/** Sorts newest first: the time inverted, padded, then the id for plans changed in the same millisecond. */
export function recentKey(updatedAt: string, planId: string): string {
  const ms = Date.parse(updatedAt);
  const inverted = MAX_MS - (Number.isFinite(ms) ? Math.min(Math.max(ms, 0), MAX_MS) : 0);
  return `${String(inverted).padStart(13, '0')}:${planId}`;
}

const partitionsOf = (p: IndexedPlan): string[] => [ALL, statusPartition(p.status)];

function rowOf(p: IndexedPlan, partitionKey: string): RecentRow {
  return {
    partitionKey,
    rowKey: recentKey(p.updatedAt, p.planId),
    planId: p.planId,
    clusterKey: p.clusterKey,
    status: p.status,
    ring: p.ring,
  };
}

/** Whether `row` is where the index should list `plan` now. */
export function isCurrent(row: RecentRow, plan: IndexedPlan): boolean {
  return (
    row.rowKey === recentKey(plan.updatedAt, plan.planId) &&
    (row.partitionKey === ALL || row.partitionKey === statusPartition(plan.status))
  );
}

export class RecentPlanIndex {
  private backfilled = false;
  private backfilling: Promise<void> | undefined;

  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.table(RECENT_TABLE);
  }

  /** A plan's rows, written (idempotently) before its create commits. */
  async add(plan: IndexedPlan): Promise<void> {
    const client = await this.table();
    await Promise.all(partitionsOf(plan).map((pk) => client.upsertEntity(rowOf(plan, pk), 'Replace')));
  }

  /**
   * After a save committed: the plan's rows at its new key, the rows of the version before removed.
   * Then `current` (the plan row read again): when another save committed meanwhile and its writer
   * finished first, the rows just written are already out of date and go too, so two writers finishing
   * out of order leave only the newest rows.
   */
  async move(
    before: IndexedPlan,
    after: IndexedPlan,
    current: () => Promise<IndexedPlan | undefined>,
  ): Promise<void> {
    const client = await this.table();
    const oldKey = recentKey(before.updatedAt, before.planId);
    const newKey = recentKey(after.updatedAt, after.planId);
    const writes = partitionsOf(after).map(async (pk) => {
      const row = rowOf(after, pk);
      const oldInSame = partitionsOf(before).includes(pk) && oldKey !== newKey;
      if (!oldInSame) return void (await client.upsertEntity(row, 'Replace'));
      try {
        await client.submitTransaction([
          ['upsert', row, 'Replace'],
          ['delete', { partitionKey: pk, rowKey: oldKey }],
        ]);
      } catch (e) {
        // The old row was gone already (a reader repaired it, or the version before was never listed).
        if (!isNotFound(e)) throw e;
        await client.upsertEntity(row, 'Replace');
      }
    });
    const removals = partitionsOf(before)
      .filter((pk) => !partitionsOf(after).includes(pk))
      .map((pk) => this.remove(client, pk, oldKey));
    await Promise.all(writes);
    await Promise.all(removals);
    const now = await current();
    if (now !== undefined && recentKey(now.updatedAt, now.planId) !== newKey) await this.drop(after);
  }

  /** Removes a plan's rows for one version (a create that did not commit). */
  async drop(plan: IndexedPlan): Promise<void> {
    const client = await this.table();
    const key = recentKey(plan.updatedAt, plan.planId);
    await Promise.all(partitionsOf(plan).map((pk) => this.remove(client, pk, key)));
  }

  /** Removes one row the reader found wrong (stale or orphaned). */
  async discard(row: RecentRow): Promise<void> {
    await this.remove(await this.table(), row.partitionKey, row.rowKey);
  }

  private async remove(client: TableClient, partitionKey: string, rowKey: string): Promise<void> {
    try {
      await client.deleteEntity(partitionKey, rowKey);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /**
   * The rows of one partition newest first (`status` chooses it; `ring` filters on the column), one
   * page of at most `pageSize` at a time: the caller stops reading when it has enough.
   */
  async *rows(query: { status?: PlanStatus; ring?: Ring }, pageSize: number): AsyncGenerator<RecentRow[]> {
    await this.ensureBackfilled();
    const partition = query.status !== undefined ? statusPartition(query.status) : ALL;
    const filter =
      query.ring !== undefined
        ? odata`PartitionKey eq ${partition} and ring eq ${query.ring}`
        : odata`PartitionKey eq ${partition}`;
    const pages = (await this.table())
      .listEntities<RecentRow>({ queryOptions: { filter } })
      .byPage({ maxPageSize: Math.max(1, Math.min(1000, pageSize)) });
    for await (const page of pages) {
      const rows = page.filter((r) => typeof r.planId === 'string' && typeof r.clusterKey === 'string');
      if (rows.length > 0) yield rows;
    }
  }

  /** Whether `row` was written long enough ago that a create behind it would have committed by now. */
  static isOrphanAge(row: RecentRow, nowMs: number): boolean {
    const written = Date.parse(row.timestamp ?? '');
    return Number.isFinite(written) && nowMs - written > ORPHAN_MS;
  }

  private async ensureBackfilled(): Promise<void> {
    if (this.backfilled) return;
    this.backfilling ??= this.backfill().finally(() => (this.backfilling = undefined));
    await this.backfilling;
  }

  /**
   * Once per table (then once per instance, for the marker): the rows of every stored plan, from the
   * plan rows' columns (not their bodies), page by page. Idempotent: two instances doing it at once,
   * or a save meanwhile, leave at worst a stale row the next reader replaces.
   */
  private async backfill(): Promise<void> {
    const client = await this.table();
    if ((await getOrUndefined(client, MARKER_PARTITION, '')) !== undefined) {
      this.backfilled = true;
      return;
    }
    // Plans saved since this code was deployed are listed already: only the others are written.
    const listed = new Set<string>();
    for await (const page of client
      .listEntities({ queryOptions: { filter: odata`PartitionKey eq ${ALL}`, select: ['RowKey'] } })
      .byPage({ maxPageSize: 1000 }))
      for (const r of page) if (typeof r.rowKey === 'string') listed.add(r.rowKey);
    const plans = await this.tables.table('plans');
    const pages = plans
      .listEntities<{ planId: string; status: string; ring: string; updatedAt: string }>({
        queryOptions: {
          filter: odata`RowKey ge 'p:' and RowKey lt 'p;'`,
          select: ['PartitionKey', 'RowKey', 'planId', 'status', 'ring', 'updatedAt'],
        },
      })
      .byPage({ maxPageSize: 1000 });
    let count = 0;
    for await (const page of pages) {
      const byPartition = new Map<string, TransactionAction[]>();
      for (const e of page) {
        if (typeof e.planId !== 'string' || typeof e.updatedAt !== 'string') continue;
        const plan: IndexedPlan = {
          planId: e.planId,
          clusterKey: e.partitionKey ?? '',
          status: String(e.status),
          ring: String(e.ring),
          updatedAt: e.updatedAt,
        };
        count++;
        if (listed.has(recentKey(plan.updatedAt, plan.planId))) continue;
        for (const pk of partitionsOf(plan)) {
          const actions = byPartition.get(pk) ?? [];
          actions.push(['upsert', rowOf(plan, pk), 'Replace']);
          byPartition.set(pk, actions);
        }
      }
      const batches: TransactionAction[][] = [];
      for (const actions of byPartition.values())
        for (let i = 0; i < actions.length; i += BATCH) batches.push(actions.slice(i, i + BATCH));
      for (let i = 0; i < batches.length; i += 8)
        await Promise.all(batches.slice(i, i + 8).map((b) => client.submitTransaction(b)));
    }
    await client.upsertEntity(
      { partitionKey: MARKER_PARTITION, rowKey: '', at: new Date().toISOString(), plans: count },
      'Replace',
    );
    this.backfilled = true;
  }
}

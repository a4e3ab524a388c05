import { odata } from '@azure/data-tables';

import type { Tables } from './tables';
import { clip, getOrUndefined, isConflict, isNotFound, isPreconditionFailed } from './tables';

/**
 * The runner's own rows (docs/design/runner.md §5), table `runner`, one partition per cluster key:
 * - `lock`: which plan runs on the cluster (`planId`) and which runner instance holds it until when
 *   (`owner`, `until`). Taken and released with ETag-conditional writes, so two runner instances never
 *   work on the same plan at once, and a second plan on the cluster waits while the first has a step
 *   started;
 * - `defer:{requestId}:{approver}`: a used Defer link (single use) and its audit record.
 */
export interface ClusterLock {
  readonly planId: string;
  readonly owner: string;
  /** ISO time; the lease is free after it. */
  readonly until: string;
  readonly etag: string;
}

export type LockAttempt =
  | { readonly ok: true; readonly lock: ClusterLock }
  | { readonly ok: false; readonly heldBy: string; readonly reason: 'leased' | 'other-plan' };

export interface DeferRecord {
  readonly clusterKey: string;
  readonly requestId: string;
  readonly approver: string;
  readonly date: string;
  readonly configName: string;
  readonly at: string;
  readonly changed: boolean;
  readonly ip?: string;
  /** What the caller wrote in X-Forwarded-For itself: unverified. */
  readonly claimedForwardedFor?: string;
  readonly userAgent?: string;
}

export interface RunnerStore {
  /**
   * Takes the cluster's lock for `planId` until `until`: when free, expired, ours, or held by a plan
   * that `mayTakeOver(heldPlanId)` says no longer counts (closed, or never started a step).
   */
  acquire(
    clusterKey: string,
    planId: string,
    owner: string,
    now: Date,
    until: Date,
    mayTakeOver: (heldPlanId: string) => Promise<boolean>,
  ): Promise<LockAttempt>;
  /** Ends the lease now; keeps the plan's claim on the cluster unless `forget` (the plan closed). */
  release(clusterKey: string, lock: ClusterLock, now: Date, forget: boolean): Promise<void>;
  /** Records a used Defer link; false when that link was used before. */
  recordDefer(record: DeferRecord): Promise<boolean>;
  defers(clusterKey: string): Promise<DeferRecord[]>;
}

export const RUNNER_TABLE = 'runner';
const LOCK_ROW = 'lock';

type LockEntity = { partitionKey: string; rowKey: string; planId: string; owner: string; until: string };

export class TableRunnerStore implements RunnerStore {
  constructor(private readonly tables: Tables) {}

  async acquire(
    clusterKey: string,
    planId: string,
    owner: string,
    now: Date,
    until: Date,
    mayTakeOver: (heldPlanId: string) => Promise<boolean>,
  ): Promise<LockAttempt> {
    const client = await this.tables.table(RUNNER_TABLE);
    const row: LockEntity = {
      partitionKey: clusterKey,
      rowKey: LOCK_ROW,
      planId,
      owner,
      until: until.toISOString(),
    };
    const current = await getOrUndefined<LockEntity>(client, clusterKey, LOCK_ROW);
    try {
      if (!current) {
        const r = await client.createEntity(row);
        return { ok: true, lock: { planId, owner, until: row.until, etag: r.etag ?? '' } };
      }
      const leased = Date.parse(current.until) > now.getTime() && current.owner !== owner;
      if (current.planId === planId) {
        if (leased) return { ok: false, heldBy: current.owner, reason: 'leased' };
      } else if (leased || !(await mayTakeOver(current.planId))) {
        return { ok: false, heldBy: current.planId, reason: 'other-plan' };
      }
      const r = await client.updateEntity(row, 'Replace', { etag: current.etag });
      return { ok: true, lock: { planId, owner, until: row.until, etag: r.etag ?? '' } };
    } catch (e) {
      // Another runner took it between our read and write.
      if (isConflict(e) || isPreconditionFailed(e))
        return { ok: false, heldBy: current?.owner ?? 'another runner', reason: 'leased' };
      throw e;
    }
  }

  async release(clusterKey: string, lock: ClusterLock, now: Date, forget: boolean): Promise<void> {
    const client = await this.tables.table(RUNNER_TABLE);
    try {
      if (forget) await client.deleteEntity(clusterKey, LOCK_ROW, { etag: lock.etag });
      else
        await client.updateEntity(
          {
            partitionKey: clusterKey,
            rowKey: LOCK_ROW,
            planId: lock.planId,
            owner: lock.owner,
            until: now.toISOString(),
          },
          'Replace',
          { etag: lock.etag },
        );
    } catch (e) {
      // Taken over meanwhile (we stalled past the lease): theirs now.
      if (isPreconditionFailed(e) || isNotFound(e)) return;
      throw e;
    }
  }

  async recordDefer(record: DeferRecord): Promise<boolean> {
    const client = await this.tables.table(RUNNER_TABLE);
    try {
      await client.createEntity({
        partitionKey: record.clusterKey,
        rowKey: `defer:${record.requestId}:${record.approver}`.replace(/[/\\#?]/g, '_'),
        requestId: record.requestId,
        approver: record.approver,
        date: record.date,
        configName: record.configName,
        at: record.at,
        changed: record.changed,
        ...(record.ip !== undefined && { ip: clip(record.ip, 200) }),
        ...(record.claimedForwardedFor !== undefined && {
          claimedForwardedFor: clip(record.claimedForwardedFor, 200),
        }),
        ...(record.userAgent !== undefined && { userAgent: clip(record.userAgent, 300) }),
      });
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async defers(clusterKey: string): Promise<DeferRecord[]> {
    const client = await this.tables.table(RUNNER_TABLE);
    const out: DeferRecord[] = [];
    for await (const e of client.listEntities<Omit<DeferRecord, 'clusterKey'>>({
      queryOptions: {
        filter: odata`PartitionKey eq ${clusterKey} and RowKey ge 'defer:' and RowKey lt 'defer;'`,
      },
    })) {
      out.push({
        clusterKey,
        requestId: e.requestId,
        approver: e.approver,
        date: e.date,
        configName: e.configName,
        at: e.at,
        changed: e.changed,
        ...(e.ip !== undefined && { ip: e.ip }),
        ...(e.claimedForwardedFor !== undefined && { claimedForwardedFor: e.claimedForwardedFor }),
        ...(e.userAgent !== undefined && { userAgent: e.userAgent }),
      });
    }
    return out;
  }
}

import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import type { Notice } from '../domain/notice';
import type { AuditEntry, AuditSource, Plan, PlanClass, PlanStatus } from '../domain/plan';
import { classOf, isOpen } from '../domain/plan';
import type { RingCluster, RingPlanRecord } from '../domain/promotion';
import type { Ring } from '../domain/rings';
import { ConflictError } from '../errors';
import type { Outbox } from '../notify/outbox';
import type { IndexedPlan } from './recentPlans';
import { isCurrent, RecentPlanIndex } from './recentPlans';
import type { Tables } from './tables';
import { clip, getOrUndefined, isConflict, isNotFound, isPreconditionFailed, listAll } from './tables';

/**
 * Plans in Table Storage.
 *
 * Table `plans`, one partition per cluster (its lower-case key), holding:
 * - `p:{planId}` the plan (its JSON plus a few columns to filter on);
 * - `a:{planId}:{seq}` the audit trail, one row per transition (per plan: prefix `a:{planId}:`, per
 *   cluster: prefix `a:`);
 * - `o:{class}` the open-plan pointer: at most one open plan per cluster and class (`version`,
 *   `node-image`), enforced by creating it in the same transaction as the plan;
 * - outbox intent rows (`~outbox~…`): notices committed with the state change that caused them.
 * Every change is ONE entity-group transaction: the plan (ETag-conditional), its audit rows, the pointer
 * and the notices, so a transition is recorded, audited and announced exactly once or not at all.
 *
 * Table `planindex` maps a plan id to its partition; table `ringplans` (partition `{ring}|{version}`)
 * lists plans per ring and target version for the promotion check; table `planopen` lists open plans
 * with their status (one partition), for the timers; table `planrecent` lists plans newest first
 * (recentPlans.ts), for the dashboard and `GET /api/plans`. The indexes are written after the commit,
 * idempotently (a new plan's `planindex` and `planrecent` rows before it); an index entry left behind
 * by a crash is cleaned up when it is next read.
 */
export interface StoredPlan {
  readonly plan: Plan;
  readonly etag: string;
}

/** What one transition writes: the plan, its audit entries, the notices it causes. */
export interface PlanCommit {
  readonly plan: Plan;
  readonly audit: readonly AuditEntry[];
  readonly notices: readonly Notice[];
}

export interface PlanQuery {
  readonly status?: PlanStatus;
  readonly ring?: Ring;
  /** Cluster name or ARM id, case-insensitive. */
  readonly cluster?: string;
  readonly limit?: number;
}

/** The plan changed since it was read (412): reload and decide again. */
export class StalePlanError extends ConflictError {}

/** Another plan of this class is already open for the cluster. */
export class OpenPlanExistsError extends ConflictError {}

export interface PlanStore {
  get(planId: string): Promise<StoredPlan | undefined>;
  /** Open plans of one cluster (one partition query). */
  openFor(clusterKey: string): Promise<StoredPlan[]>;
  /** Every open plan in the given statuses (the timers' work list). */
  openPlans(statuses: readonly PlanStatus[]): Promise<StoredPlan[]>;
  /** The same, a page of at most `pageSize` plans at a time, for a caller that need not hold them all. */
  openPlanPages(statuses: readonly PlanStatus[], pageSize?: number): AsyncIterable<StoredPlan[]>;
  /**
   * Creates a plan (and its pointer). With `supersede`, closes the previous open plan of the class in
   * the same transaction. Throws `OpenPlanExistsError` when another open plan holds the pointer,
   * `StalePlanError` when the superseded plan changed since it was read.
   */
  create(commit: PlanCommit, supersede?: { previous: StoredPlan; commit: PlanCommit }): Promise<StoredPlan>;
  /** Saves a transition, conditional on the ETag read. Throws `StalePlanError` on a lost race. */
  save(previous: StoredPlan, commit: PlanCommit): Promise<StoredPlan>;
  list(query: PlanQuery): Promise<Plan[]>;
  audit(planId: string): Promise<AuditEntry[]>;
  clusterAudit(clusterKey: string, limit?: number): Promise<AuditEntry[]>;
  /** Plans to `version` in `ring` (promotion evidence). */
  ringPlans(ring: Ring, version: string): Promise<RingPlanRecord[]>;
  /** Moves this cluster's committed notices into the outbox now (the dispatcher would within a minute). */
  relay(clusterKey: string): Promise<void>;
  /**
   * Records that a cluster in `ring` runs `version`, once (the first sighting is kept): fleet history
   * the promotion check counts as a success from that time on.
   */
  observe(ring: Ring, version: string, clusterKey: string, clusterName: string, at: Date): Promise<void>;
  /** What each cluster Warden has seen in a ring runs now, and since when (from `observe`). */
  ringClusters(ring: Ring): Promise<RingCluster[]>;
}

export const PLANS_TABLE = 'plans';
const INDEX_TABLE = 'planindex';
const RING_TABLE = 'ringplans';
/** Open plans by id and status, so timers read one partition instead of scanning `plans`. */
const OPEN_TABLE = 'planopen';
/** Per ring, what each cluster runs now and since when (fleet history for promotion). */
const RING_CLUSTERS_TABLE = 'ringclusters';
const OPEN_PARTITION = 'open';

type PlanEntity = {
  partitionKey: string;
  rowKey: string;
  planId: string;
  status: string;
  open: boolean;
  planClass: string;
  kind: string;
  ring: string;
  to: string;
  clusterName: string;
  clusterNameLower: string;
  clusterIdLower: string;
  createdAt: string;
  updatedAt: string;
} & BodyParts;

/** A plan's JSON: `body`, and past what one property holds, `body1`, `body2`, … in order. */
type BodyParts = { body: string } & { [part: `body${number}`]: string | undefined };

type AuditEntity = {
  partitionKey: string;
  rowKey: string;
  planId: string;
  seq: number;
  at: string;
  event: string;
  fromStatus: string;
  toStatus: string;
  actor: string;
  source: string;
  reason: string;
  comment?: string;
  wave?: string;
  clusterName: string;
};

const planRow = (planId: string): string => `p:${planId}`;
const auditRow = (planId: string, seq: number): string => `a:${planId}:${String(seq).padStart(6, '0')}`;
const pointerRow = (c: PlanClass): string => `o:${c}`;

/** Table Storage strings hold 32K UTF-16 characters. */
const MAX_BODY = 31_000;
/**
 * Properties a plan's JSON may span: 8 × 31,000 characters is under 500 KB of the 1 MB an entity
 * holds, with room for the other columns.
 */
const MAX_BODY_PARTS = 8;

/**
 * A plan's JSON, its long evidence and finding lists cut to 20 when it is over one property (what
 * the pages show of them); whatever is still over is spread by {@link bodyParts}, never clipped.
 */
function planBody(plan: Plan): string {
  let body = JSON.stringify(plan);
  if (body.length > MAX_BODY && plan.evidence !== undefined) {
    body = JSON.stringify({
      ...plan,
      evidence: { ...plan.evidence, plans: plan.evidence.plans.slice(0, 20) },
    });
  }
  if (body.length > MAX_BODY) {
    body = JSON.stringify({ ...JSON.parse(body), findings: plan.findings.slice(0, 20) } as Plan);
  }
  return body;
}

/**
 * `body` in properties of at most {@link MAX_BODY} characters, cut never inside a surrogate pair (a
 * lone half is not a well-formed string to Table Storage). Plans are written whole ('Replace'), so a
 * plan that shrinks leaves no part of a longer one behind.
 */
function bodyParts(planId: string, body: string): BodyParts {
  const parts: string[] = [];
  for (let start = 0; start < body.length;) {
    let end = Math.min(start + MAX_BODY, body.length);
    const last = body.charCodeAt(end - 1);
    if (end < body.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    parts.push(body.slice(start, end));
    start = end;
  }
  // Would take an entity past its 1 MB: refuse to write rather than store a plan that cannot be read.
  if (parts.length > MAX_BODY_PARTS)
    throw new Error(
      `plan ${planId} is ${body.length} characters as JSON; the limit is ${MAX_BODY * MAX_BODY_PARTS}`,
    );
  const [first = '', ...rest] = parts;
  return Object.assign({ body: first }, ...rest.map((part, i) => ({ [`body${i + 1}`]: part }))) as BodyParts;
}

function toPlanEntity(plan: Plan): PlanEntity {
  return {
    partitionKey: plan.cluster.key,
    rowKey: planRow(plan.id),
    planId: plan.id,
    status: plan.status,
    open: isOpen(plan.status),
    planClass: classOf(plan.kind),
    kind: plan.kind,
    ring: plan.cluster.ring,
    to: plan.kind === 'node-image' ? (plan.nodeImage ?? plan.to) : plan.to,
    clusterName: plan.cluster.name,
    clusterNameLower: plan.cluster.name.toLowerCase(),
    clusterIdLower: plan.cluster.id.toLowerCase(),
    createdAt: plan.createdAt,
    updatedAt: plan.updatedAt,
    ...bodyParts(plan.id, planBody(plan)),
  };
}

function toAuditEntity(e: AuditEntry): AuditEntity {
  return {
    partitionKey: e.clusterKey,
    rowKey: auditRow(e.planId, e.seq),
    planId: e.planId,
    seq: e.seq,
    at: e.at,
    event: e.event,
    fromStatus: e.from,
    toStatus: e.to,
    actor: clip(e.actor, 512),
    source: JSON.stringify(e.source),
    reason: clip(e.reason, 4000),
    ...(e.comment !== undefined && { comment: clip(e.comment, 4000) }),
    ...(e.wave !== undefined && { wave: e.wave }),
    clusterName: e.clusterName,
  };
}

function fromAuditEntity(a: AuditEntity): AuditEntry {
  return {
    planId: a.planId,
    clusterKey: a.partitionKey,
    clusterName: a.clusterName,
    seq: a.seq,
    at: a.at,
    event: a.event,
    from: a.fromStatus as AuditEntry['from'],
    to: a.toStatus as AuditEntry['to'],
    actor: a.actor,
    source: JSON.parse(a.source) as AuditSource,
    reason: a.reason,
    ...(a.comment !== undefined && { comment: a.comment }),
    ...(typeof a.wave === 'string' && { wave: a.wave }),
  };
}

function parsePlan(e: BodyParts): Plan {
  let json = e.body;
  for (let i = 1, part = e.body1; part !== undefined; part = e[`body${++i}`]) json += part;
  return JSON.parse(json) as Plan;
}

const indexedRow = (row: PlanEntity): IndexedPlan => ({
  planId: row.planId,
  clusterKey: row.partitionKey,
  status: row.status,
  ring: row.ring,
  updatedAt: row.updatedAt,
});

const indexed = (plan: Plan): IndexedPlan => ({
  planId: plan.id,
  clusterKey: plan.cluster.key,
  status: plan.status,
  ring: plan.cluster.ring,
  updatedAt: plan.updatedAt,
});

/** Plan rows read at once when a list checks the recent-plans index against them. */
const LIST_READS = 100;

export class TablePlanStore implements PlanStore {
  private readonly recent: RecentPlanIndex;

  constructor(
    private readonly tables: Tables,
    private readonly outbox: Pick<Outbox, 'transactionActions' | 'relay'> | undefined,
  ) {
    this.recent = new RecentPlanIndex(tables);
  }

  private plans(): Promise<TableClient> {
    return this.tables.table(PLANS_TABLE);
  }

  async get(planId: string): Promise<StoredPlan | undefined> {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(planId)) return undefined;
    const index = await getOrUndefined<{ clusterKey: string }>(
      await this.tables.table(INDEX_TABLE),
      planId,
      '',
    );
    if (!index) return undefined;
    const row = await getOrUndefined<PlanEntity>(await this.plans(), index.clusterKey, planRow(planId));
    return row ? { plan: parsePlan(row), etag: row.etag } : undefined;
  }

  async openFor(clusterKey: string): Promise<StoredPlan[]> {
    const rows = await listAll<PlanEntity>(
      await this.plans(),
      odata`PartitionKey eq ${clusterKey} and RowKey ge 'p:' and RowKey lt 'p;' and open eq true`,
    );
    return rows.map((r) => ({ plan: parsePlan(r), etag: r.etag }));
  }

  async openPlans(statuses: readonly PlanStatus[]): Promise<StoredPlan[]> {
    const out: StoredPlan[] = [];
    for await (const page of this.openPlanPages(statuses)) out.push(...page);
    return out;
  }

  async *openPlanPages(statuses: readonly PlanStatus[], pageSize = 500): AsyncGenerator<StoredPlan[]> {
    // One partition of the small open-plan index (its rows, not the plans), not a scan of every plan
    // and audit row; the plans in the statuses asked for read 16 at a time, handed on a page at a time.
    const index = await listAll<{ rowKey: string; clusterKey: string; status: string }>(
      await this.tables.table(OPEN_TABLE),
      odata`PartitionKey eq ${OPEN_PARTITION}`,
      ['RowKey', 'clusterKey', 'status'],
    );
    const wanted = index.filter((r) => statuses.includes(r.status as PlanStatus));
    const client = await this.plans();
    let out: StoredPlan[] = [];
    for (let i = 0; i < wanted.length; i += 16) {
      const rows = await Promise.all(
        wanted.slice(i, i + 16).map(async (r) => ({
          r,
          row: await getOrUndefined<PlanEntity>(client, r.clusterKey, planRow(r.rowKey)),
        })),
      );
      for (const { r, row } of rows) {
        if (row !== undefined && row.open) out.push({ plan: parsePlan(row), etag: row.etag });
        // An entry left behind by a crash between a plan's commit and its index update.
        else if (row === undefined || !row.open) await this.unindex(r.rowKey);
      }
      if (out.length >= pageSize) {
        yield out;
        out = [];
      }
    }
    if (out.length > 0) yield out;
  }

  /**
   * Writes the plan's status to the open-plan index unless a later transition already did: two
   * writers finishing out of order must not leave the older status behind.
   */
  private async index(plan: Plan, created: boolean): Promise<void> {
    const client = await this.tables.table(OPEN_TABLE);
    const entity = {
      partitionKey: OPEN_PARTITION,
      rowKey: plan.id,
      clusterKey: plan.cluster.key,
      status: plan.status,
      seq: plan.seq,
    };
    // A plan just created has no entry yet: write it without reading first (a 409 means a later
    // transition got there first, and the loop below compares).
    if (created) {
      try {
        await client.createEntity(entity);
        return;
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await getOrUndefined<{ seq: number }>(client, OPEN_PARTITION, plan.id);
      if (current !== undefined && current.seq >= plan.seq) return;
      try {
        if (current === undefined) await client.createEntity(entity);
        else await client.updateEntity(entity, 'Replace', { etag: current.etag });
        return;
      } catch (e) {
        if (!isConflict(e) && !isPreconditionFailed(e)) throw e;
      }
    }
  }

  private async unindex(planId: string): Promise<void> {
    try {
      await (await this.tables.table(OPEN_TABLE)).deleteEntity(OPEN_PARTITION, planId);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  private async actions(commit: PlanCommit, now: Date): Promise<TransactionAction[]> {
    const actions: TransactionAction[] = commit.audit.map((a) => ['create', toAuditEntity(a)]);
    if (commit.notices.length > 0) {
      if (this.outbox === undefined) throw new Error('plan notices need an outbox');
      actions.push(
        ...(await this.outbox.transactionActions(
          { table: PLANS_TABLE, partitionKey: commit.plan.cluster.key },
          commit.notices,
          now,
        )),
      );
    }
    return actions;
  }

  private async submit(actions: TransactionAction[], planId: string): Promise<string> {
    const client = await this.plans();
    try {
      const response = await client.submitTransaction(actions);
      const sub = response.subResponses.find((s) => s.rowKey === planRow(planId));
      if (sub?.etag !== undefined) return sub.etag;
    } catch (e) {
      if (isPreconditionFailed(e) || (e as { code?: string }).code === 'UpdateConditionNotSatisfied')
        throw new StalePlanError(`plan ${planId} changed since it was read`, { cause: e });
      if (isConflict(e) || (e as { code?: string }).code === 'EntityAlreadyExists')
        throw new OpenPlanExistsError(`another plan of this kind is already open for the cluster`, {
          cause: e,
        });
      // A transaction that touches a row deleted meanwhile answers 404.
      if (isNotFound(e)) throw new StalePlanError(`plan ${planId} changed since it was read`, { cause: e });
      throw e;
    }
    const row = await client.getEntity<PlanEntity>(actions[0]?.[1].partitionKey ?? '', planRow(planId));
    return row.etag;
  }

  async create(
    commit: PlanCommit,
    supersede?: { previous: StoredPlan; commit: PlanCommit },
  ): Promise<StoredPlan> {
    const plan = commit.plan;
    const now = new Date(plan.updatedAt);
    const indexTable = await this.tables.table(INDEX_TABLE);
    await Promise.all([
      indexTable.upsertEntity({ partitionKey: plan.id, rowKey: '', clusterKey: plan.cluster.key }, 'Replace'),
      this.recent.add(indexed(plan)),
    ]);
    const actions: TransactionAction[] = [['create', toPlanEntity(plan)]];
    const pointer = {
      partitionKey: plan.cluster.key,
      rowKey: pointerRow(classOf(plan.kind)),
      planId: plan.id,
    };
    if (supersede) {
      const old = supersede.commit.plan;
      actions.push(['update', toPlanEntity(old), 'Replace', { etag: supersede.previous.etag }]);
      actions.push(...(await this.actions(supersede.commit, now)));
      actions.push(['upsert', pointer, 'Replace']);
    } else if (isOpen(plan.status)) {
      actions.push(['create', pointer]);
    }
    actions.push(...(await this.actions(commit, now)));
    let etag: string;
    try {
      etag = await this.submit(dedupe(actions), plan.id);
    } catch (e) {
      // Nothing was committed: the plan's listing goes too, unless a plan of that id exists after all.
      if (e instanceof ConflictError && (await this.get(plan.id)) === undefined)
        await this.recent.drop(indexed(plan));
      throw e;
    }
    await this.afterCommit(plan, undefined);
    if (supersede)
      await Promise.all([
        this.afterCommit(supersede.commit.plan, supersede.previous.plan.status),
        this.recent.move(indexed(supersede.previous.plan), indexed(supersede.commit.plan), () =>
          this.indexedNow(supersede.commit.plan),
        ),
      ]);
    return { plan, etag };
  }

  async save(previous: StoredPlan, commit: PlanCommit): Promise<StoredPlan> {
    const plan = commit.plan;
    if (plan.id !== previous.plan.id || plan.cluster.key !== previous.plan.cluster.key)
      throw new Error('save: the commit is for another plan');
    const actions: TransactionAction[] = [['update', toPlanEntity(plan), 'Replace', { etag: previous.etag }]];
    if (isOpen(previous.plan.status) && !isOpen(plan.status)) {
      actions.push(['delete', { partitionKey: plan.cluster.key, rowKey: pointerRow(classOf(plan.kind)) }]);
    }
    actions.push(...(await this.actions(commit, new Date(plan.updatedAt))));
    const etag = await this.submit(actions, plan.id);
    await Promise.all([
      this.afterCommit(plan, previous.plan.status),
      this.recent.move(indexed(previous.plan), indexed(plan), () => this.indexedNow(plan)),
    ]);
    return { plan, etag };
  }

  /** What the recent-plans index should say of `plan` now, from its row (undefined when it is gone). */
  private async indexedNow(plan: Plan): Promise<IndexedPlan | undefined> {
    try {
      // The columns only, not the plan's JSON.
      const row = await (
        await this.plans()
      ).getEntity<PlanEntity>(plan.cluster.key, planRow(plan.id), {
        queryOptions: { select: ['PartitionKey', 'RowKey', 'planId', 'status', 'ring', 'updatedAt'] },
      });
      return indexedRow(row);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** After the commit: the open-plan index and the promotion index (idempotent writes). */
  private async afterCommit(plan: Plan, before: PlanStatus | undefined): Promise<void> {
    if (before !== plan.status) {
      if (isOpen(plan.status)) {
        await this.index(plan, before === undefined);
      } else {
        await this.unindex(plan.id);
      }
    }
    // The promotion check tells apart plans not admitted yet (proposed), admitted and unfinished,
    // succeeded, failed and never-ran: only those changes are written.
    const matters =
      before === undefined ||
      (before !== plan.status && (before === 'proposed' || (isOpen(before) && !isOpen(plan.status))));
    // Promotion counts Warden's own upgrades; a Fleet gate plan upgrades nothing itself.
    if ((plan.kind === 'patch' || plan.kind === 'minor') && matters) {
      const client = await this.tables.table(RING_TABLE);
      await client.upsertEntity(
        {
          partitionKey: `${plan.cluster.ring}|${plan.to}`,
          rowKey: plan.id,
          clusterName: plan.cluster.name,
          status: plan.status,
          ...(plan.status === 'succeeded' && { succeededAt: plan.updatedAt }),
          ...(plan.status === 'failed' && { failedAt: plan.updatedAt }),
        },
        'Merge',
      );
    }
  }

  async observe(
    ring: Ring,
    version: string,
    clusterKey: string,
    clusterName: string,
    at: Date,
  ): Promise<void> {
    // Every NewKubernetesVersionAvailable for a cluster re-observes the version it runs; after the
    // first write (or 409) this instance knows the row exists and spends no storage request on it.
    const seen = `${ring}|${version}|${clusterKey}`;
    if (this.observed.has(seen)) return;
    const client = await this.tables.table(RING_TABLE);
    try {
      await client.createEntity({
        partitionKey: `${ring}|${version}`,
        rowKey: `obs:${clusterKey}`,
        clusterName,
        status: 'observed',
        succeededAt: at.toISOString(),
      });
    } catch (e) {
      // Seen on this version before: nothing new.
      if (!isConflict(e)) throw e;
      this.remember(seen);
      return;
    }
    await (
      await this.tables.table(RING_CLUSTERS_TABLE)
    ).upsertEntity(
      { partitionKey: ring, rowKey: clusterKey, clusterName, version, since: at.toISOString() },
      'Replace',
    );
    this.remember(seen);
  }

  /** Observations this instance knows are stored (bounded: forgetting one costs one 409 later). */
  private readonly observed = new Set<string>();

  private remember(key: string): void {
    if (this.observed.size >= 50_000) this.observed.clear();
    this.observed.add(key);
  }

  async ringClusters(ring: Ring): Promise<RingCluster[]> {
    const rows = await listAll<{ clusterName: string; version: string; since: string }>(
      await this.tables.table(RING_CLUSTERS_TABLE),
      odata`PartitionKey eq ${ring}`,
    );
    return rows.map((r) => ({ clusterName: r.clusterName, version: r.version, since: r.since }));
  }

  async relay(clusterKey: string): Promise<void> {
    await this.outbox?.relay({ table: PLANS_TABLE, partitionKey: clusterKey });
  }

  async list(query: PlanQuery): Promise<Plan[]> {
    const wanted = query.cluster?.trim().toLowerCase();
    if (wanted === undefined || wanted === '') return this.recentPlans(query, query.limit ?? 200);
    // One cluster's plans: a query of its name or id (a handful of rows), sorted here.
    const filters = [odata`RowKey ge 'p:' and RowKey lt 'p;'`];
    if (query.status !== undefined) filters.push(odata`status eq ${query.status}`);
    if (query.ring !== undefined) filters.push(odata`ring eq ${query.ring}`);
    filters.push(
      wanted.startsWith('/subscriptions/')
        ? odata`clusterIdLower eq ${wanted.replace(/\/$/, '')}`
        : odata`clusterNameLower eq ${wanted}`,
    );
    const rows = await listAll<PlanEntity>(await this.plans(), filters.join(' and '));
    rows.sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
    return rows.slice(0, query.limit ?? 200).map(parsePlan);
  }

  /**
   * The latest `limit` plans (in `status`, of `ring`) from the recent-plans index: its rows newest
   * first, each checked against the plan row it names, until `limit` plans are found (memory: `limit`
   * plans and one page of small rows, whatever the number stored). A row that is not where its plan is
   * listed now (a crash, or two writers finishing out of order) is replaced by the plan's current
   * rows, and the plan counted if it matches: it changed later than the row said, so it belongs above
   * the plans found after it, and the answer is sorted again by `updatedAt`. So a plan whose save's
   * index update never ran (the process died after the commit) is listed at its change before until
   * a reader reaches that row, then where it belongs.
   */
  private async recentPlans(query: PlanQuery, limit: number): Promise<Plan[]> {
    const client = await this.plans();
    const found = new Map<string, PlanEntity>();
    const nowMs = Date.now();
    const matches = (row: PlanEntity): boolean =>
      (query.status === undefined || row.status === query.status) &&
      (query.ring === undefined || row.ring === query.ring);
    for await (const page of this.recent.rows(query, limit + 10)) {
      for (let i = 0; i < page.length && found.size < limit;) {
        const chunk = page.slice(i, i + Math.min(LIST_READS, limit - found.size));
        i += chunk.length;
        const rows = await Promise.all(
          chunk.map((r) => getOrUndefined<PlanEntity>(client, r.clusterKey, planRow(r.planId))),
        );
        await Promise.all(
          chunk.map(async (r, j) => {
            const row = rows[j];
            if (row === undefined) {
              // A create that did not commit, once it is old enough not to be one still under way.
              if (RecentPlanIndex.isOrphanAge(r, nowMs)) await this.recent.discard(r);
              return;
            }
            const plan = indexedRow(row);
            if (!isCurrent(r, plan)) {
              await this.recent.add(plan);
              await this.recent.discard(r);
            }
            if (matches(row)) found.set(row.planId, row);
          }),
        );
      }
      if (found.size >= limit) break;
    }
    return [...found.values()]
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.planId.localeCompare(b.planId))
      .slice(0, limit)
      .map(parsePlan);
  }

  async audit(planId: string): Promise<AuditEntry[]> {
    const stored = await this.get(planId);
    if (!stored) return [];
    const from = `a:${planId}:`;
    const to = `a:${planId};`;
    const rows = await listAll<AuditEntity>(
      await this.plans(),
      odata`PartitionKey eq ${stored.plan.cluster.key} and RowKey ge ${from} and RowKey lt ${to}`,
    );
    return rows.map(fromAuditEntity).sort((a, b) => a.seq - b.seq);
  }

  async clusterAudit(clusterKey: string, limit = 500): Promise<AuditEntry[]> {
    const rows = await listAll<AuditEntity>(
      await this.plans(),
      odata`PartitionKey eq ${clusterKey} and RowKey ge 'a:' and RowKey lt 'a;'`,
    );
    return rows
      .map(fromAuditEntity)
      .sort((a, b) => b.at.localeCompare(a.at) || b.seq - a.seq)
      .slice(0, limit);
  }

  async ringPlans(ring: Ring, version: string): Promise<RingPlanRecord[]> {
    const pk = `${ring}|${version}`;
    const rows = await listAll<{
      rowKey: string;
      clusterName: string;
      status: string;
      succeededAt?: string;
      failedAt?: string;
    }>(await this.tables.table(RING_TABLE), odata`PartitionKey eq ${pk}`);
    return rows.map((r) => ({
      planId: r.rowKey,
      clusterName: r.clusterName,
      ring,
      to: version,
      status: r.status,
      ...(r.succeededAt !== undefined && { succeededAt: r.succeededAt }),
      ...(r.failedAt !== undefined && { failedAt: r.failedAt }),
    }));
  }
}

/** A transaction touches each entity at most once; the last action for a row wins. */
function dedupe(actions: TransactionAction[]): TransactionAction[] {
  const byRow = new Map<string, TransactionAction>();
  for (const a of actions) byRow.set(a[1].rowKey, a);
  return [...byRow.values()];
}

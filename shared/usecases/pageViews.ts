import type { AuditEntry, Plan } from '../domain/plan';
import type { PlanPreflight } from '../domain/preflight';
import { NotFoundError } from '../errors';
import type { OutboxEntry } from '../notify/outbox';
import type { ClusterStore, StoredCluster } from '../store/clusterStore';
import type { EventRecord, EventStore } from '../store/eventStore';
import type { PlanStore } from '../store/planStore';
import { findStoredCluster } from './fleetStatus';

/**
 * What the plan and cluster pages show, read in one place: the plan with its audit trail, the cluster's
 * AKS events and the notices sent about it. The pages render it; nothing here changes state.
 */

/** The part of the outbox the pages read (the outbox store's `forPlan`: its index by plan). */
export interface NoticeLog {
  forPlan(planId: string, limit?: number): Promise<readonly OutboxEntry[]>;
}

export interface PageDeps {
  readonly plans: PlanStore;
  readonly events: EventStore;
  readonly clusters: ClusterStore;
  readonly notices: NoticeLog;
}

/** The page ports from the app's services. */
export function pageDeps(s: {
  readonly plans: PlanStore;
  readonly events: EventStore;
  readonly clusters: ClusterStore;
  readonly notifier: { readonly outbox: NoticeLog };
}): PageDeps {
  return { plans: s.plans, events: s.events, clusters: s.clusters, notices: s.notifier.outbox };
}

export interface PlanPageData {
  readonly plan: Plan;
  readonly audit: readonly AuditEntry[];
  readonly events: readonly EventRecord[];
  readonly notices: readonly OutboxEntry[];
}

/** How many events and notices a page reads at most: a timeline, not an archive. */
export const PAGE_HISTORY = 200;

/**
 * One plan, its audit trail, the cluster's events while the plan was open, and the notices about the
 * plan. Each is one bounded read: the events of the cluster's partition received in the plan's time
 * (filtered by Table Storage), the notices through the outbox's index by plan.
 */
export async function planPageData(deps: PageDeps, planId: string): Promise<PlanPageData> {
  const stored = await deps.plans.get(planId);
  if (!stored) throw new NotFoundError(`no plan ${planId}`);
  const plan = stored.plan;
  const [audit, events, notices] = await Promise.all([
    deps.plans.audit(planId),
    deps.events.list({
      cluster: plan.cluster.id,
      limit: PAGE_HISTORY,
      receivedFrom: plan.createdAt,
      ...(plan.closedAt !== undefined && { receivedUntil: plan.closedAt }),
    }),
    deps.notices.forPlan(plan.id, PAGE_HISTORY),
  ]);
  return { plan, audit, events, notices };
}

/** A pre-flight report with the plan that carries it. */
export interface PlanReport {
  readonly planId: string;
  readonly report: PlanPreflight;
}

export interface ClusterPageData {
  readonly cluster: StoredCluster;
  readonly plans: readonly Plan[];
  readonly events: readonly EventRecord[];
  /** The cluster's latest pre-flight (the one that ran last), which carries its node view. */
  readonly preflight?: PlanReport;
}

/** The pre-flight that ran last among these plans, if any ran. */
export function latestPreflight(plans: readonly Plan[]): PlanReport | undefined {
  let latest: PlanReport | undefined;
  for (const p of plans)
    if (
      p.preflight !== undefined &&
      (latest === undefined || p.preflight.checkedAt > latest.report.checkedAt)
    )
      latest = { planId: p.id, report: p.preflight };
  return latest;
}

/** One cluster (name or ARM id, as `GET /api/clusters/{…}`), its plans, newest first, and its recent events. */
export async function clusterPageData(deps: PageDeps, nameOrId: string): Promise<ClusterPageData> {
  const cluster = await findStoredCluster(deps.clusters, nameOrId);
  const [plans, events] = await Promise.all([
    deps.plans.list({ cluster: cluster.snapshot.id, limit: 50 }),
    deps.events.list({ cluster: cluster.snapshot.id, limit: 30 }),
  ]);
  const preflight = latestPreflight(plans);
  return { cluster, plans, events, ...(preflight !== undefined && { preflight }) };
}

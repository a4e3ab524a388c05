import type { AuditEntry, Plan, PlanStatus } from '../domain/plan';
import type { Ring } from '../domain/rings';
import { NotFoundError } from '../errors';
import type { PlanStore } from '../store/planStore';

/** What `GET /api/plans` and `GET /api/plans/{id}` answer API clients. Nothing here changes state. */

export interface PlanDetail extends Plan {
  /** Where an operator gets the pending approval links again, while the plan awaits approval. */
  readonly approvalLinks?: string;
  readonly audit: readonly AuditEntry[];
}

/** One plan with its audit trail. */
export async function planDetail(plans: PlanStore, planId: string): Promise<PlanDetail> {
  const stored = await plans.get(planId);
  if (!stored) throw new NotFoundError(`no plan ${planId}`);
  const audit = await plans.audit(planId);
  return {
    ...stored.plan,
    ...(stored.plan.status === 'awaiting-approval' && {
      approvalLinks: `/api/plans/${planId}/approval-links`,
    }),
    audit,
  };
}

export interface PlanListQuery {
  readonly limit: number;
  readonly status?: PlanStatus;
  readonly ring?: Ring;
  /** A cluster name or ARM id: the answer then carries the cluster's audit trail too. */
  readonly cluster?: string;
}

/** How many clusters of one name a cluster filter reads the audit trails of. */
const AUDITED_CLUSTERS = 10;

/**
 * Plans newest first; with a cluster, also the audit trail of every plan that cluster had (newest
 * first, at most `limit` entries).
 */
export async function listPlans(
  plans: PlanStore,
  query: PlanListQuery,
): Promise<{ readonly plans: readonly Plan[]; readonly audit?: readonly AuditEntry[] }> {
  const list = await plans.list(query);
  if (query.cluster === undefined) return { plans: list };
  const keys = [...new Set(list.map((p) => p.cluster.key))].slice(0, AUDITED_CLUSTERS);
  const audit = (await Promise.all(keys.map((k) => plans.clusterAudit(k, query.limit))))
    .flat()
    .sort((a, b) => b.at.localeCompare(a.at) || b.seq - a.seq)
    .slice(0, query.limit);
  return { plans: list, audit };
}

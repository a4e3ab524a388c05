import type { PlanStatus } from '../domain/plan';
import { PLAN_STATUSES } from '../domain/plan';
import type { DigestSources } from '../notify/digest';
import type { ClusterStore } from '../store/clusterStore';
import type { PlanStore } from '../store/planStore';

const OPEN_STATUSES = (Object.keys(PLAN_STATUSES) as PlanStatus[]).filter((s) => PLAN_STATUSES[s] === 'open');

/** The daily digest's view of the cluster store (live clusters, support, findings) and open plans. */
export function storeDigestSources(
  clusters: Pick<ClusterStore, 'list'>,
  plans: Pick<PlanStore, 'openPlans'>,
): DigestSources {
  return {
    async clusters() {
      return (await clusters.list()).map((c) => ({
        id: c.snapshot.id,
        name: c.snapshot.name,
        ring: c.snapshot.ring,
        tags: c.snapshot.tags,
        version: c.snapshot.kubernetesVersion,
        ...(c.support !== undefined && { support: c.support.status }),
        findings: c.findings.map((f) => ({
          severity: f.severity,
          title: f.subject !== undefined ? `${f.subject}: ${f.message}` : f.message,
        })),
      }));
    },
    async openPlans() {
      return (await plans.openPlans(OPEN_STATUSES)).map(({ plan }) => ({
        planId: plan.id,
        clusterId: plan.cluster.id,
        clusterName: plan.cluster.name,
        from: plan.from,
        to: plan.to,
        status: plan.status,
      }));
    },
  };
}

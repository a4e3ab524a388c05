import type { PlanningDeps } from './proposePlans';
import { proposePlansForCluster } from './proposePlans';
import type { AfterSweep } from './sweepFleet';

/**
 * The sweep's planning step ("versions missed by events, new plans"): after a shard stored a
 * cluster, propose the plans it needs now, exactly as an event would, with the sweep's region versions,
 * the latest node image per family, and the findings shown on the approval page. Clusters gone from the
 * inventory are never planned.
 */
export function planSweptClusters(getDeps: () => PlanningDeps & { readonly now: () => Date }): AfterSweep {
  return async ({ record, region, latestNodeImage }) => {
    if (record.deletedAt !== undefined) return;
    const deps = getDeps();
    await proposePlansForCluster(deps, record.snapshot, region, deps.now(), {
      by: { actor: 'warden', source: { kind: 'sweep' } },
      reason: `fleet sweep ${record.sweepId}`,
      latestNodeImage,
      findings: record.findings,
    });
  };
}

import type { OutsideUpgradeDeps } from './outsideUpgrades';
import { seeOutsideUpgrades } from './outsideUpgrades';
import type { PlanningDeps } from './proposePlans';
import { proposePlansForCluster } from './proposePlans';
import type { AfterSweep } from './sweepFleet';

/**
 * The sweep's planning step ("versions missed by events, new plans"): after a shard stored a
 * cluster, propose the plans it needs now, exactly as an event would, with the sweep's region versions,
 * the latest node image per family, and the findings shown on the approval page. Clusters gone from the
 * inventory are never planned. With `outside`, a version or node image that moved since the last
 * sweep without a Warden plan is recorded and told first ({@link seeOutsideUpgrades}).
 */
export function planSweptClusters(
  getDeps: () => PlanningDeps & {
    readonly now: () => Date;
    readonly outside?: Omit<OutsideUpgradeDeps, 'plans' | 'now' | 'log'>;
  },
): AfterSweep {
  return async ({ record, region, latestNodeImage, previous }) => {
    if (record.deletedAt !== undefined) return;
    const deps = getDeps();
    if (deps.outside !== undefined && previous !== undefined)
      await seeOutsideUpgrades(
        { ...deps.outside, plans: deps.plans, now: deps.now, log: deps.log },
        previous,
        record.snapshot,
        'sweep',
      );
    await proposePlansForCluster(deps, record.snapshot, region, deps.now(), {
      by: { actor: 'warden', source: { kind: 'sweep' } },
      reason: `fleet sweep ${record.sweepId}`,
      latestNodeImage,
      findings: record.findings,
    });
  };
}

import type { OperationRecord } from '../arm/operations';
import { INTERRUPTED } from '../arm/operations';
import type { SimContext } from '../context';
import type { SimFleet } from '../fleetFile/fleet';
import type { PersistentPart } from './snapshot';

interface SavedArm {
  readonly fleet: {
    readonly [K in keyof SimFleet]: SimFleet[K];
  };
  readonly operations: readonly OperationRecord[];
}

function refill<K, V>(target: Map<K, V>, saved: Map<K, V>): void {
  target.clear();
  for (const [k, v] of saved) target.set(k, v);
}

/**
 * The ARM room's state in the snapshot: the whole fleet (regions and their versions, subscriptions,
 * clusters with their pools, maintenance configurations, tags and Kubernetes state, resource and
 * management groups, virtual networks and vCPU quotas) and the long-running operations. A cluster whose operation was running when the simulator
 * stopped comes back `Failed` with the operation's error, as nothing finishes it any more; Warden
 * sees a failed step, as it would in Azure after an operation failed.
 */
export function armPart(ctx: SimContext): PersistentPart {
  return {
    key: 'arm',
    save: (): SavedArm => ({ fleet: ctx.fleet, operations: ctx.lro.records() }),
    load(saved: unknown) {
      const s = saved as SavedArm;
      refill(ctx.fleet.regions, s.fleet.regions);
      refill(ctx.fleet.subscriptions, s.fleet.subscriptions);
      refill(ctx.fleet.clusters, s.fleet.clusters);
      refill(ctx.fleet.managementGroups, s.fleet.managementGroups);
      if (s.fleet.vnets) refill(ctx.fleet.vnets, s.fleet.vnets);
      if (s.fleet.quotas) refill(ctx.fleet.quotas, s.fleet.quotas);
      ctx.fleet.resourceGroups.clear();
      for (const g of s.fleet.resourceGroups) ctx.fleet.resourceGroups.add(g);
      for (const c of ctx.fleet.clusters.values()) {
        if (c.operationId === undefined) continue;
        c.operationId = undefined;
        c.provisioningState = 'Failed';
        c.provisioningError = { ...INTERRUPTED };
        for (const p of c.pools)
          if (p.provisioningState !== 'Succeeded') {
            p.provisioningState = 'Failed';
            p.provisioningError = { ...INTERRUPTED };
          }
      }
      ctx.lro.restore(s.operations);
    },
  };
}

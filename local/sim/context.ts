import type { OperationEngine } from './arm/operations';
import type { ThrottleLimits } from './arm/throttle';
import type { EventEmitter } from './eventGrid/deliveries';
import type { Faults } from './faults';
import type { SimCluster, SimFleet, SimRegion } from './fleetFile/fleet';
import { clusterKey } from './fleetFile/fleet';
import type { FleetRunEngine } from './fleetManager/runs';
import type { SimResponse } from './router';
import { armError } from './router';

/** How long simulated operations take (ms). */
export interface Durations {
  /** Control-plane upgrade (and cluster create). */
  readonly controlPlaneMs: number;
  /** Rolling one node pool to a new Kubernetes version. */
  readonly poolMs: number;
  /** Rolling one node pool to a new node image. */
  readonly nodeImageMs: number;
}

/** Live-service quirks, each on by default because the real service does it. */
export interface Quirks {
  /** `agentPoolProfiles: null` in the cluster upgrade profile (SDK 25.5.0 crashes on it). */
  readonly nullAgentPoolProfiles: boolean;
  /** 204 at the node-image operation's final `Location` (SDK rejects it). */
  readonly nodeImage204: boolean;
  /** 304 from `upgradeNodeImageVersion` when the pool already runs the latest image (azure-cli-extensions #5989); else 200. */
  readonly nodeImage304: boolean;
}

export interface CallRecord {
  /** When the answer was sent. */
  readonly time: string;
  /** When the request came in (before the simulated latency). */
  readonly receivedAt?: string;
  /** The answer's `Retry-After` (a 429's or a 503's), in seconds. */
  readonly retryAfterSeconds?: number;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly subscription: string | undefined;
  readonly api: 'arm' | 'resourcegraph' | 'other';
}

/** Everything the simulator's handlers share. */
export interface SimContext {
  readonly fleet: SimFleet;
  readonly durations: Durations;
  readonly quirks: Quirks;
  readonly faults: Faults;
  readonly lro: OperationEngine;
  readonly events: EventEmitter;
  /** Fleet Manager update runs (local/sim/fleetManager). */
  readonly fleetRuns: FleetRunEngine;
  readonly throttle: ThrottleLimits | false;
  readonly tenantId: string;
  /** Rows per page of ARM lists (`nextLink` beyond). */
  readonly pageSize: number;
  readonly now: () => Date;
  /** Late-bound collaborators (auto-upgrade needs the context it is part of). */
  readonly hooks: {
    afterRelease?: (region: SimRegion) => void;
    autoUpgrades?: () => readonly unknown[];
    /** Base URL of the Kubernetes API server (local/sim/kube). */
    kubeUrl?: () => string;
    /** PEM of the CA the Kubernetes API servers' certificate chains to now (kubeconfigs carry it). */
    kubeCaPem?: () => string;
    /** `POST /_sim/kube/rotate-certs`: the API servers present a certificate of a new CA. */
    rotateKubeCerts?: () => void;
    /** State changed (a write, a control action): the snapshot, when there is one, is written soon. */
    changed?: () => void;
  };
}

/** Looks up a cluster the way ARM does: subscription, then resource group, then the cluster. */
export function findCluster(
  ctx: SimContext,
  subscriptionId: string,
  resourceGroup: string,
  name: string,
): { cluster: SimCluster } | { error: SimResponse } {
  const sub = checkSubscription(ctx, subscriptionId);
  if (sub) return { error: sub };
  const cluster = ctx.fleet.clusters.get(clusterKey(subscriptionId, resourceGroup, name));
  if (cluster) return { cluster };
  if (!resourceGroupExists(ctx, subscriptionId, resourceGroup))
    return {
      error: armError(404, 'ResourceGroupNotFound', `Resource group '${resourceGroup}' could not be found.`),
    };
  return {
    error: armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerService/managedClusters/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    ),
  };
}

export function checkSubscription(ctx: SimContext, subscriptionId: string): SimResponse | undefined {
  if (ctx.fleet.subscriptions.has(subscriptionId.toLowerCase())) return undefined;
  return armError(404, 'SubscriptionNotFound', `The subscription '${subscriptionId}' could not be found.`);
}

export function resourceGroupExists(ctx: SimContext, subscriptionId: string, resourceGroup: string): boolean {
  return ctx.fleet.resourceGroups.has(`${subscriptionId}/${resourceGroup}`.toLowerCase());
}

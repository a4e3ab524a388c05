import { parseClusterId } from '../domain/armId';
import type { TimelineEntry } from '../domain/clusterTimeline';
import type { Finding } from '../domain/compliance';
import type { Ring } from '../domain/rings';
import type { SupportStatus } from '../domain/versions';
import { ConflictError, NotFoundError } from '../errors';
import type { ClusterStore, StoredCluster } from '../store/clusterStore';

/**
 * What `GET /api/clusters` shows of a cluster: ring, control-plane and pool versions, node images,
 * support status, findings, last seen.
 */
export interface ClusterView {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly ring: Ring;
  readonly controlPlaneVersion: string;
  readonly supportPlan: string;
  readonly support: {
    readonly status: SupportStatus | 'unknown';
    readonly minorsBehind?: number;
    /**
     * New GA minors the region can release before this version leaves the N-2 window (0: the next
     * release ends its support; AKS ships a minor about every three months). Only while `supported`.
     */
    readonly minorsLeft?: number;
    readonly newestMinor?: string;
  };
  readonly autoUpgradeChannel: string;
  readonly nodeOsUpgradeChannel: string | null;
  readonly provisioningState: string | null;
  readonly nodePools: readonly {
    readonly name: string;
    readonly mode: string;
    readonly osType: string;
    readonly osSku: string | null;
    readonly version: string;
    readonly nodeImageVersion: string | null;
    readonly maxSurge: string | null;
    readonly count: number;
  }[];
  /** Names of the AKS maintenance configurations, as of `windowsReadAt`. */
  readonly maintenanceConfigurations: readonly string[];
  readonly windowsReadAt: string | null;
  readonly tags: Readonly<Record<string, string>>;
  readonly findings: readonly Finding[];
  /** End-of-support notices and upgrades Warden did not make, oldest first (clusterTimeline.ts). */
  readonly timeline?: readonly TimelineEntry[];
  readonly lastSeen: string;
  readonly deleted: boolean;
  readonly deletedAt: string | null;
}

export function toView(c: StoredCluster): ClusterView {
  const s = c.snapshot;
  return {
    id: s.id,
    name: s.name,
    subscriptionId: s.subscriptionId,
    resourceGroup: s.resourceGroup,
    location: s.location,
    ring: s.ring,
    controlPlaneVersion: s.kubernetesVersion,
    supportPlan: s.supportPlan,
    support:
      c.support === undefined
        ? { status: 'unknown' }
        : {
            status: c.support.status,
            minorsBehind: c.support.minorsBehind,
            ...(c.support.status === 'supported' && { minorsLeft: Math.max(0, 2 - c.support.minorsBehind) }),
            ...(c.support.newestMinor !== undefined && { newestMinor: c.support.newestMinor }),
          },
    autoUpgradeChannel: s.autoUpgradeChannel,
    nodeOsUpgradeChannel: s.nodeOsUpgradeChannel ?? null,
    provisioningState: s.provisioningState ?? null,
    nodePools: s.nodePools.map((p) => ({
      name: p.name,
      mode: p.mode,
      osType: p.osType,
      osSku: p.osSku ?? null,
      version: p.orchestratorVersion,
      nodeImageVersion: p.nodeImageVersion ?? null,
      maxSurge: p.maxSurge ?? null,
      count: p.count,
    })),
    maintenanceConfigurations: s.maintenanceConfigurations.map((m) => m.name),
    windowsReadAt: c.windowsReadAt ?? null,
    tags: s.tags,
    findings: c.findings,
    timeline: c.timeline ?? [],
    lastSeen: s.lastSeen,
    deleted: c.deletedAt !== undefined,
    deletedAt: c.deletedAt ?? null,
  };
}

export interface ClusterFilter {
  readonly ring?: Ring;
  readonly subscriptionId?: string;
  readonly includeDeleted?: boolean;
}

export async function listClusters(store: ClusterStore, filter: ClusterFilter = {}): Promise<ClusterView[]> {
  const all = await store.list({ includeDeleted: filter.includeDeleted === true });
  return all
    .filter(
      (c) =>
        (filter.ring === undefined || c.snapshot.ring === filter.ring) &&
        (filter.subscriptionId === undefined ||
          c.snapshot.subscriptionId.toLowerCase() === filter.subscriptionId.toLowerCase()),
    )
    .map(toView);
}

/** A name that several live clusters (in different subscriptions or groups) carry. */
export class AmbiguousClusterError extends ConflictError {
  constructor(
    readonly clusterName: string,
    readonly candidates: readonly {
      readonly id: string;
      readonly subscriptionId: string;
      readonly resourceGroup: string;
    }[],
  ) {
    super(`${candidates.length} clusters are named "${clusterName}"; ask for one by its ARM id`);
  }
}

/**
 * One cluster by ARM id (any case; deleted ones too, with their last snapshot) or by name. A name
 * matches live clusters first; several live matches -> {@link AmbiguousClusterError}.
 */
export async function findCluster(store: ClusterStore, nameOrId: string): Promise<ClusterView> {
  return toView(await findStoredCluster(store, nameOrId));
}

/** {@link findCluster}, as stored: the snapshot with its maintenance configurations and support assessment. */
export async function findStoredCluster(store: ClusterStore, nameOrId: string): Promise<StoredCluster> {
  const text = nameOrId.trim();
  if (text.startsWith('/')) {
    const ref = parseClusterId(text);
    if (!ref) throw new NotFoundError(`"${text.slice(0, 200)}" is not a managed cluster id`);
    const found = await store.get(ref.subscriptionId, ref.key);
    if (!found) throw new NotFoundError(`no cluster ${ref.id} in the fleet`);
    return found;
  }
  const matches = await store.findByName(text);
  const live = matches.filter((m) => m.deletedAt === undefined);
  const pool = live.length > 0 ? live : matches;
  if (pool.length === 0) throw new NotFoundError(`no cluster named "${text.slice(0, 100)}" in the fleet`);
  if (pool.length > 1)
    throw new AmbiguousClusterError(
      text,
      pool.map((m) => ({
        id: m.snapshot.id,
        subscriptionId: m.snapshot.subscriptionId,
        resourceGroup: m.snapshot.resourceGroup,
      })),
    );
  return pool[0] as StoredCluster;
}

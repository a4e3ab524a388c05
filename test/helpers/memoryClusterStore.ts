import type { ClusterSnapshot } from '../../shared/domain/cluster';
import { ConflictError } from '../../shared/errors';
import type {
  ClusterRecord,
  ClusterStore,
  ClusterSummary,
  StoredCluster,
  SweepCache,
} from '../../shared/store/clusterStore';

/** An in-memory ClusterStore for handler tests: same keys and ETag rules as the table store. */
export class MemoryClusterStore implements ClusterStore {
  readonly rows = new Map<string, StoredCluster>();
  readonly caches = new Map<string, SweepCache>();
  private version = 0;

  private id(subscriptionId: string, key: string): string {
    return `${subscriptionId.toLowerCase()}|${key.toLowerCase()}`;
  }

  /** Seeds one cluster as a sweep would have stored it. */
  put(record: ClusterRecord): StoredCluster {
    const stored = { ...record, etag: `W/"${++this.version}"` };
    this.rows.set(this.id(record.snapshot.subscriptionId, record.snapshot.key), stored);
    return stored;
  }

  subscription(
    subscriptionId: string,
    range?: { from: string; to: string },
  ): Promise<Map<string, StoredCluster>> {
    const out = new Map<string, StoredCluster>();
    for (const r of this.rows.values())
      if (
        r.snapshot.subscriptionId.toLowerCase() === subscriptionId.toLowerCase() &&
        (range === undefined || (r.snapshot.key >= range.from && r.snapshot.key <= range.to))
      )
        out.set(r.snapshot.key, r);
    return Promise.resolve(out);
  }

  write(
    subscriptionId: string,
    records: readonly ClusterRecord[],
    expected: ReadonlyMap<string, string>,
  ): Promise<void> {
    for (const r of records) {
      const current = this.rows.get(this.id(subscriptionId, r.snapshot.key));
      if (current?.etag !== expected.get(r.snapshot.key))
        return Promise.reject(new ConflictError(`${r.snapshot.key} changed meanwhile`));
    }
    for (const r of records) this.put(r);
    return Promise.resolve();
  }

  summaries(): Promise<ClusterSummary[]> {
    return Promise.resolve(
      [...this.rows.values()].map((r) => ({
        subscriptionId: r.snapshot.subscriptionId.toLowerCase(),
        key: r.snapshot.key,
        etag: r.etag,
        ...(r.deletedAt !== undefined && { deletedAt: r.deletedAt }),
        ...(r.windowsReadAt !== undefined && { windowsReadAt: r.windowsReadAt }),
        ...(r.windowSignature !== undefined && { windowSignature: r.windowSignature }),
        sweepId: r.sweepId,
        lastSeen: r.snapshot.lastSeen,
        windows: r.snapshot.maintenanceConfigurations,
      })),
    );
  }

  markDeleted(rows: readonly ClusterSummary[], at: Date): Promise<void> {
    for (const s of rows) {
      const r = this.rows.get(this.id(s.subscriptionId, s.key));
      if (r) this.put({ ...r, deletedAt: at.toISOString() });
    }
    return Promise.resolve();
  }

  list(options: { includeDeleted?: boolean } = {}): Promise<StoredCluster[]> {
    return Promise.resolve(
      [...this.rows.values()]
        .filter((r) => options.includeDeleted === true || r.deletedAt === undefined)
        .sort((a, b) => a.snapshot.name.localeCompare(b.snapshot.name)),
    );
  }

  get(subscriptionId: string, key: string): Promise<StoredCluster | undefined> {
    return Promise.resolve(this.rows.get(this.id(subscriptionId, key)));
  }

  findByName(name: string): Promise<StoredCluster[]> {
    return Promise.resolve(
      [...this.rows.values()].filter((r) => r.snapshot.name.toLowerCase() === name.trim().toLowerCase()),
    );
  }

  saveSweepCache(sweepId: string, cache: SweepCache): Promise<void> {
    this.caches.set(sweepId, {
      ...cache,
      regions: new Map(cache.regions),
      nodeImages: new Map(cache.nodeImages),
    });
    return Promise.resolve();
  }

  loadSweepCache(sweepId: string): Promise<SweepCache | undefined> {
    return Promise.resolve(this.caches.get(sweepId));
  }
}

/** A snapshot with sensible defaults for tests. */
export function snapshotOf(
  over: Partial<ClusterSnapshot> & { subscriptionId: string; name: string },
): ClusterSnapshot {
  const resourceGroup = over.resourceGroup ?? 'rg';
  return {
    id: `/subscriptions/${over.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${over.name}`,
    key: `${over.subscriptionId}:${resourceGroup}:${over.name}`.toLowerCase(),
    resourceGroup,
    location: 'westeurope',
    ring: 'production',
    tags: {},
    kubernetesVersion: '1.35.8',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodeOsUpgradeChannel: 'NodeImage',
    nodePools: [
      {
        name: 'system',
        mode: 'System',
        osType: 'Linux',
        orchestratorVersion: '1.35.8',
        nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.10.0',
        maxSurge: '33%',
        count: 3,
      },
    ],
    maintenanceConfigurations: [],
    lastSeen: '2026-11-25T15:00:00.000Z',
    ...over,
  };
}

import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import type { ClusterSnapshot, MaintenanceConfigurationSnapshot } from '../domain/cluster';
import type { ClusterVersions, TimelineEntry } from '../domain/clusterTimeline';
import { versionsOf } from '../domain/clusterTimeline';
import type { Finding } from '../domain/compliance';
import type { RegionVersions, SupportAssessment } from '../domain/versions';
import { ConflictError } from '../errors';
import type { Tables } from './tables';
import { getJson, getOrUndefined, isConflict, isPreconditionFailed, listAll, putJson } from './tables';

/**
 * Cluster snapshots with their findings, and the per-sweep cache of region version lists
 * and latest node images.
 *
 * Partitioning: ONE PARTITION PER SUBSCRIPTION, a row per cluster (row key = the lower-case
 * `sub:rg:name`). The sweep shards by subscription, so a shard's writes share a partition and go out as
 * entity-group transactions of up to 100 (one storage call per 100 clusters instead of 100); a
 * subscription's clusters (for deleted-cluster detection and "same window everywhere") are one partition
 * query. A partition serves ~2,000 entities/s, far above an hourly sweep. Per-cluster histories that
 * grow (plans, events) live in their own tables partitioned by cluster.
 *
 * A cluster that leaves the inventory is marked `deletedAt` (merge, ETag-checked), never removed, so its
 * last snapshot and findings stay readable.
 */
export interface ClusterRecord {
  readonly snapshot: ClusterSnapshot;
  readonly support?: SupportAssessment;
  readonly findings: readonly Finding[];
  /** The sweep that wrote the record. */
  readonly sweepId: string;
  /** When the maintenance configurations in the snapshot were read from ARM; undefined: never. */
  readonly windowsReadAt?: string;
  readonly windowSignature?: string;
  /** Set when the cluster was no longer in the inventory (deleted, or left the scope / selector). */
  readonly deletedAt?: string;
  /** End-of-support notices and upgrades Warden did not make (clusterTimeline.ts); the sweep keeps it. */
  readonly timeline?: readonly TimelineEntry[];
}

export interface StoredCluster extends ClusterRecord {
  readonly etag: string;
}

/**
 * The few columns the sweep coordinator reads of every stored cluster (one scan of the table, no
 * snapshot): enough to pick the window reads, detect deletions, and hand each shard what it needs to
 * write over the stored row without reading it again.
 */
export interface ClusterSummary {
  readonly subscriptionId: string;
  readonly key: string;
  readonly etag: string;
  readonly deletedAt?: string;
  readonly windowsReadAt?: string;
  readonly windowSignature?: string;
  /** The sweep that wrote the row, and its `lastSeen`. */
  readonly sweepId?: string;
  readonly lastSeen?: string;
  /** The row's maintenance configurations; undefined for a row written before they had a column. */
  readonly windows?: readonly MaintenanceConfigurationSnapshot[];
  /** The versions the row shows (the sweep tells what moved since); undefined for an older row. */
  readonly versions?: ClusterVersions;
  readonly timeline?: readonly TimelineEntry[];
}

export interface SweepCache {
  readonly regions: ReadonlyMap<string, RegionVersions>;
  /** Latest node image by image family key (compliance.ts `imageFamilyKey`). */
  readonly nodeImages: ReadonlyMap<string, string>;
  /** Channel most production clusters run. */
  readonly productionChannel?: string;
}

export interface ClusterStore {
  /** Stored records of one subscription, by key (deleted ones included); optionally only keys in `[from, to]`. */
  subscription(
    subscriptionId: string,
    range?: { readonly from: string; readonly to: string },
  ): Promise<Map<string, StoredCluster>>;
  /**
   * Writes records of ONE subscription: creates the new, replaces the known only if their ETag still
   * matches (`expected` from {@link subscription}), in transactions of at most 100. A lost race is a
   * ConflictError: re-read and retry.
   */
  write(
    subscriptionId: string,
    records: readonly ClusterRecord[],
    expected: ReadonlyMap<string, string>,
  ): Promise<void>;
  summaries(): Promise<ClusterSummary[]>;
  /** Marks clusters deleted (merge: the last snapshot stays), ETag-checked. */
  markDeleted(rows: readonly ClusterSummary[], at: Date): Promise<void>;
  list(options?: { readonly includeDeleted?: boolean }): Promise<StoredCluster[]>;
  get(subscriptionId: string, key: string): Promise<StoredCluster | undefined>;
  /** Clusters named so (without case), in any subscription. */
  findByName(name: string): Promise<StoredCluster[]>;
  /** Saves (or replaces: the coordinator adds regions and images as the pages bring them) a sweep's cache. */
  saveSweepCache(sweepId: string, cache: SweepCache): Promise<void>;
  loadSweepCache(sweepId: string): Promise<SweepCache | undefined>;
}

const BATCH = 100;

interface ClusterEntity {
  partitionKey: string;
  rowKey: string;
  id: string;
  name: string;
  nameLower: string;
  resourceGroup: string;
  location: string;
  ring: string;
  kubernetesVersion: string;
  supportStatus: string;
  findingCount: number;
  lastSeen: string;
  sweepId: string;
  windowsReadAt?: string;
  windowSignature?: string;
  deletedAt?: string;
  [column: string]: unknown;
}

function toEntity(record: ClusterRecord): ClusterEntity {
  const s = record.snapshot;
  const entity: ClusterEntity = {
    partitionKey: s.subscriptionId.toLowerCase(),
    rowKey: s.key,
    id: s.id,
    name: s.name,
    nameLower: s.name.toLowerCase(),
    resourceGroup: s.resourceGroup,
    location: s.location,
    ring: s.ring,
    kubernetesVersion: s.kubernetesVersion,
    supportStatus: record.support?.status ?? 'unknown',
    findingCount: record.findings.length,
    lastSeen: s.lastSeen,
    sweepId: record.sweepId,
    ...(record.windowsReadAt !== undefined && { windowsReadAt: record.windowsReadAt }),
    ...(record.windowSignature !== undefined && { windowSignature: record.windowSignature }),
    ...(record.deletedAt !== undefined && { deletedAt: record.deletedAt }),
  };
  putJson(entity, 'snapshot', s);
  putJson(entity, 'windows', s.maintenanceConfigurations);
  putJson(entity, 'findings', record.findings);
  putJson(entity, 'versions', versionsOf(s));
  if (record.support !== undefined) putJson(entity, 'support', record.support);
  if (record.timeline !== undefined && record.timeline.length > 0)
    putJson(entity, 'timeline', record.timeline);
  return entity;
}

function fromEntity(e: Record<string, unknown> & { etag: string }): StoredCluster | undefined {
  const snapshot = getJson<ClusterSnapshot>(e, 'snapshot');
  if (!snapshot) return undefined;
  const support = getJson<SupportAssessment>(e, 'support');
  const timeline = getJson<TimelineEntry[]>(e, 'timeline');
  const str = (k: string): string | undefined => (typeof e[k] === 'string' && e[k] !== '' ? e[k] : undefined);
  const windowsReadAt = str('windowsReadAt');
  const windowSignature = str('windowSignature');
  const deletedAt = str('deletedAt');
  return {
    snapshot,
    findings: getJson<Finding[]>(e, 'findings') ?? [],
    sweepId: str('sweepId') ?? '',
    etag: e.etag,
    ...(support !== undefined && { support }),
    ...(windowsReadAt !== undefined && { windowsReadAt }),
    ...(windowSignature !== undefined && { windowSignature }),
    ...(deletedAt !== undefined && { deletedAt }),
    ...(timeline !== undefined && { timeline }),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Batches fail as a whole with the first action's status; a 409/412 there means another writer won. */
async function submit(client: TableClient, actions: TransactionAction[], what: string): Promise<void> {
  try {
    await client.submitTransaction(actions);
  } catch (e) {
    if (isConflict(e) || isPreconditionFailed(e))
      throw new ConflictError(`${what}: the stored clusters changed meanwhile`, { cause: e });
    throw e;
  }
}

export class TableClusterStore implements ClusterStore {
  constructor(private readonly tables: Tables) {}

  private clusters(): Promise<TableClient> {
    return this.tables.table('clusters');
  }

  async subscription(
    subscriptionId: string,
    range?: { from: string; to: string },
  ): Promise<Map<string, StoredCluster>> {
    const client = await this.clusters();
    const partition = subscriptionId.toLowerCase();
    const rows = await listAll<Record<string, unknown>>(
      client,
      range === undefined
        ? odata`PartitionKey eq ${partition}`
        : odata`PartitionKey eq ${partition} and RowKey ge ${range.from} and RowKey le ${range.to}`,
    );
    const out = new Map<string, StoredCluster>();
    for (const r of rows) {
      const c = fromEntity(r);
      if (c) out.set(c.snapshot.key, c);
    }
    return out;
  }

  async write(
    subscriptionId: string,
    records: readonly ClusterRecord[],
    expected: ReadonlyMap<string, string>,
  ): Promise<void> {
    const client = await this.clusters();
    const partition = subscriptionId.toLowerCase();
    const actions: TransactionAction[] = records.map((r) => {
      const entity = toEntity(r);
      if (entity.partitionKey !== partition)
        throw new Error(`record ${r.snapshot.key} is not in ${subscriptionId}`);
      const etag = expected.get(r.snapshot.key);
      return etag === undefined ? ['create', entity] : ['update', entity, 'Replace', { etag }];
    });
    for (const batch of chunks(actions, BATCH))
      await submit(client, batch, `write clusters of ${subscriptionId}`);
  }

  async summaries(): Promise<ClusterSummary[]> {
    const client = await this.clusters();
    const rows = await listAll<Record<string, unknown>>(client, undefined, [
      'PartitionKey',
      'RowKey',
      'deletedAt',
      'windowsReadAt',
      'windowSignature',
      'sweepId',
      'lastSeen',
      'windows',
      'windowsParts',
      'versions',
      'versionsParts',
      'timeline',
      'timelineParts',
    ]);
    return rows.map((r) => {
      const s = (k: string): string | undefined =>
        typeof r[k] === 'string' && r[k] !== '' ? r[k] : undefined;
      const deletedAt = s('deletedAt');
      const windowsReadAt = s('windowsReadAt');
      const windowSignature = s('windowSignature');
      const sweepId = s('sweepId');
      const lastSeen = s('lastSeen');
      const windows = getJson<MaintenanceConfigurationSnapshot[]>(r, 'windows');
      const versions = getJson<ClusterVersions>(r, 'versions');
      const timeline = getJson<TimelineEntry[]>(r, 'timeline');
      return {
        subscriptionId: r.partitionKey as string,
        key: r.rowKey as string,
        etag: r.etag,
        ...(deletedAt !== undefined && { deletedAt }),
        ...(windowsReadAt !== undefined && { windowsReadAt }),
        ...(windowSignature !== undefined && { windowSignature }),
        ...(sweepId !== undefined && { sweepId }),
        ...(lastSeen !== undefined && { lastSeen }),
        ...(windows !== undefined && { windows }),
        ...(versions !== undefined && { versions }),
        ...(timeline !== undefined && { timeline }),
      };
    });
  }

  async markDeleted(rows: readonly ClusterSummary[], at: Date): Promise<void> {
    const client = await this.clusters();
    const byPartition = new Map<string, ClusterSummary[]>();
    for (const r of rows)
      byPartition.set(r.subscriptionId, [...(byPartition.get(r.subscriptionId) ?? []), r]);
    for (const [partition, list] of byPartition) {
      const actions: TransactionAction[] = list.map((r) => [
        'update',
        { partitionKey: partition, rowKey: r.key, deletedAt: at.toISOString() },
        'Merge',
        { etag: r.etag },
      ]);
      for (const batch of chunks(actions, BATCH)) await submit(client, batch, `mark deleted in ${partition}`);
    }
  }

  async list(options: { includeDeleted?: boolean } = {}): Promise<StoredCluster[]> {
    const client = await this.clusters();
    const rows = await listAll<Record<string, unknown>>(client);
    return rows
      .map((r) => fromEntity(r as Record<string, unknown> & { etag: string }))
      .filter(
        (c): c is StoredCluster =>
          c !== undefined && (options.includeDeleted === true || c.deletedAt === undefined),
      )
      .sort(
        (a, b) =>
          a.snapshot.name.localeCompare(b.snapshot.name) || a.snapshot.key.localeCompare(b.snapshot.key),
      );
  }

  async get(subscriptionId: string, key: string): Promise<StoredCluster | undefined> {
    const client = await this.clusters();
    const row = await getOrUndefined<Record<string, unknown>>(
      client,
      subscriptionId.toLowerCase(),
      key.toLowerCase(),
    );
    return row ? fromEntity(row) : undefined;
  }

  async findByName(name: string): Promise<StoredCluster[]> {
    const client = await this.clusters();
    const rows = await listAll<Record<string, unknown>>(
      client,
      odata`nameLower eq ${name.trim().toLowerCase()}`,
    );
    return rows
      .map((r) => fromEntity(r as Record<string, unknown> & { etag: string }))
      .filter((c): c is StoredCluster => c !== undefined);
  }

  async saveSweepCache(sweepId: string, cache: SweepCache): Promise<void> {
    const client = await this.tables.table('sweeps');
    const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
      partitionKey: 'cache',
      rowKey: sweepId,
    };
    putJson(entity, 'regions', [...cache.regions.values()]);
    putJson(entity, 'nodeImages', Object.fromEntries(cache.nodeImages));
    if (cache.productionChannel !== undefined) entity.productionChannel = cache.productionChannel;
    await client.upsertEntity(entity, 'Replace');
  }

  async loadSweepCache(sweepId: string): Promise<SweepCache | undefined> {
    const client = await this.tables.table('sweeps');
    const row = await getOrUndefined<Record<string, unknown>>(client, 'cache', sweepId);
    if (!row) return undefined;
    const regions = getJson<RegionVersions[]>(row, 'regions') ?? [];
    const images = getJson<Record<string, string>>(row, 'nodeImages') ?? {};
    return {
      regions: new Map(regions.map((r) => [r.location, r])),
      nodeImages: new Map(Object.entries(images)),
      ...(typeof row.productionChannel === 'string' && { productionChannel: row.productionChannel }),
    };
  }
}

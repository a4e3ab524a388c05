import type { AksGateway, InventoryCluster, InventoryScope } from '../azure/aksGateway';
import type { ClusterRef } from '../domain/armId';
import { parseClusterId } from '../domain/armId';
import type { ClusterSnapshot, MaintenanceConfigurationSnapshot, NodePoolSnapshot } from '../domain/cluster';
import { assessCompliance, imageFamilyKey, windowSignature } from '../domain/compliance';
import type { Ring } from '../domain/rings';
import { ringFromTags } from '../domain/rings';
import type { RegionVersions } from '../domain/versions';
import { assessSupport } from '../domain/versions';
import { ConflictError, NotFoundError } from '../errors';
import type {
  ClusterRecord,
  ClusterStore,
  ClusterSummary,
  StoredCluster,
  SweepCache,
} from '../store/clusterStore';

/**
 * The fleet sweep (hourly, and on demand). Primary course:
 *  1. Page the managed clusters in scope from Resource Graph (1,000 rows a page); keep those carrying
 *     the selector tag.
 *  2. Read each region's Kubernetes versions once (`listKubernetesVersions`, through a subscription
 *     that has clusters there).
 *  3. Read the latest node image once per image family (OS type + OS SKU + family): the upgrade
 *     profile of ONE representative pool.
 *  4. Save 2 and 3 as this sweep's cache; the shards read it.
 *  5. Mark stored clusters that left the inventory as deleted (their last snapshot stays).
 *  6. Pick the clusters whose maintenance configurations are (re)read this sweep: never read first,
 *     then the oldest past a day, within a per-sweep budget (Resource Graph does not carry them).
 *  7. Fan out: one shard message per subscription (split to stay under the queue's 64 KB), so many
 *     instances share a large fleet. With an in-process queue the whole sweep runs here.
 * A shard ({@link runShard}) reads its slice of the subscription's records, reads the chosen windows,
 * computes ring, support and findings, writes ETag-checked batches of up to 100, then runs the
 * after-write step per cluster (planning). A lost race re-reads and retries; a redelivered message finds
 * its clusters already written and skips them; a late one never overwrites a newer sweep: idempotent.
 *
 * Calls: pages + regions + image families (+ the window budget), never clusters x pools.
 */
export interface SweepPolicy {
  readonly ringTag: string;
  readonly ringValues: Readonly<Record<Ring, readonly string[]>>;
  readonly gatedRings: readonly Ring[];
}

export interface ShardMessage {
  readonly v: 1;
  readonly sweepId: string;
  /** The sweep's time, ISO: every snapshot of the sweep gets it as `lastSeen`. */
  readonly at: string;
  readonly subscriptionId: string;
  readonly part: number;
  readonly parts: number;
  readonly clusters: readonly InventoryCluster[];
  /** Keys of the clusters whose maintenance configurations this shard reads from ARM. */
  readonly readWindows: readonly string[];
  /** Set when every cluster of the subscription (3 or more) has the same window: its signature. */
  readonly sharedWindow?: { readonly signature: string; readonly clusters: number };
}

/** One cluster a shard has just written, with what the sweep knows of its region and node images. */
export interface SweptCluster {
  readonly record: ClusterRecord;
  readonly region?: RegionVersions;
  /** The latest node image of a pool's family, when the sweep read it. */
  readonly latestNodeImage: (pool: NodePoolSnapshot) => string | undefined;
}

/**
 * What runs for each cluster once its snapshot is stored (planning: versions no event announced). Its
 * failures are logged, not retried: the snapshot is saved, and the next sweep calls it again.
 */
export type AfterSweep = (swept: SweptCluster) => Promise<void>;

/** Where shard messages go: a Storage Queue in Azure, or straight to {@link runShard} in one process. */
export interface ShardQueue {
  send(messages: readonly ShardMessage[]): Promise<void>;
}

export interface SweepDeps {
  readonly gateway: AksGateway;
  readonly store: ClusterStore;
  readonly queue: ShardQueue;
  readonly policy: SweepPolicy;
  readonly scope: InventoryScope;
  readonly selector?: { readonly name: string; readonly value: string };
  readonly now: () => Date;
  /** Runs per cluster after a shard wrote it (see {@link AfterSweep}). */
  readonly afterWrite?: AfterSweep;
  /** Maintenance-configuration reads allowed per sweep (default 50). */
  readonly windowReadsPerSweep?: number;
  readonly log?: (line: string) => void;
}

export interface SweepSummary {
  readonly sweepId: string;
  readonly at: string;
  readonly clusters: number;
  readonly subscriptions: number;
  readonly pages: number;
  readonly regions: number;
  readonly imageFamilies: number;
  readonly markedDeleted: number;
  readonly windowReads: number;
  readonly shards: number;
  /** Regions / families that could not be read (their findings are left out, not guessed). */
  readonly problems: readonly string[];
}

export const DEFAULT_WINDOW_READS_PER_SWEEP = 50;
/** Maintenance configurations are re-read after this long. */
export const WINDOW_REFRESH_MS = 24 * 3_600_000;
/** Queue messages are at most 64 KB, base64 adds a third: keep the JSON under 45,000 bytes of UTF-8. */
const MAX_MESSAGE_CHARS = 45_000;
const MAX_CLUSTERS_PER_MESSAGE = 100;
/** 1,000 rows a page: a million clusters. A token that never ends is a bug, not a fleet. */
const MAX_PAGES = 1_000;
/** A shard re-reads and retries this often when another writer changed its partition meanwhile. */
const SHARD_ATTEMPTS = 4;

function keyOf(c: InventoryCluster): string {
  return parseClusterId(c.id)?.key ?? `${c.subscriptionId}:${c.resourceGroup}:${c.name}`.toLowerCase();
}

function selected(c: InventoryCluster, selector: SweepDeps['selector']): boolean {
  if (selector === undefined) return true;
  const entry = Object.entries(c.tags).find(([k]) => k.toLowerCase() === selector.name.toLowerCase());
  return entry !== undefined && entry[1].trim().toLowerCase() === selector.value.toLowerCase();
}

function sweepIdAt(at: Date): string {
  return `${at.toISOString().replace(/[-:.]/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
}

function mostCommon(values: readonly string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

/** Runs the coordinator's part of a sweep (steps 1-7). */
export async function sweepFleet(
  deps: SweepDeps,
  command: { readonly sweepId?: string } = {},
): Promise<SweepSummary> {
  const now = deps.now();
  const at = now.toISOString();
  const sweepId = command.sweepId ?? sweepIdAt(now);
  const log = deps.log ?? (() => {});
  const problems: string[] = [];

  // 1. Inventory.
  const inventory: InventoryCluster[] = [];
  let pages = 0;
  let skipToken: string | undefined;
  do {
    const page = await deps.gateway.inventory(deps.scope, skipToken);
    pages++;
    inventory.push(...page.clusters.filter((c) => selected(c, deps.selector)));
    skipToken = page.skipToken;
    if (pages >= MAX_PAGES)
      throw new Error(`inventory still paging after ${MAX_PAGES} pages: refusing a runaway sweep`);
  } while (skipToken !== undefined);
  const byKey = new Map(inventory.map((c) => [keyOf(c), c]));
  const clusters = [...byKey.values()];

  // 2. Versions per region, each through a subscription with clusters there.
  const regionVia = new Map<string, string>();
  for (const c of clusters) if (!regionVia.has(c.location)) regionVia.set(c.location, c.subscriptionId);
  const regions = new Map<string, RegionVersions>();
  await Promise.all(
    [...regionVia].map(async ([location, subscriptionId]) => {
      try {
        regions.set(location, await deps.gateway.listKubernetesVersions(subscriptionId, location));
      } catch (e) {
        problems.push(`versions of ${location}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );

  // 3. Latest node image per family, from one representative pool.
  const representative = new Map<string, { cluster: InventoryCluster; pool: string }>();
  for (const c of clusters)
    for (const p of c.nodePools) {
      const family = imageFamilyKey(p);
      if (family !== undefined && !representative.has(family))
        representative.set(family, { cluster: c, pool: p.name });
    }
  const nodeImages = new Map<string, string>();
  await Promise.all(
    [...representative].map(async ([family, { cluster, pool }]) => {
      const ref = parseClusterId(cluster.id);
      if (!ref) return;
      try {
        const latest = await deps.gateway.latestNodeImage(ref, pool);
        if (latest !== undefined) nodeImages.set(family, latest);
      } catch (e) {
        problems.push(`node image of ${family}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }),
  );

  // 4. The sweep's cache.
  const productionChannel = mostCommon(
    clusters
      .filter((c) => ringFromTags(c.tags, deps.policy.ringTag, deps.policy.ringValues) === 'production')
      .map((c) => c.autoUpgradeChannel.toLowerCase())
      .filter((ch) => ch !== 'none'),
  );
  const cache: SweepCache = {
    regions,
    nodeImages,
    ...(productionChannel !== undefined && { productionChannel }),
  };
  await deps.store.saveSweepCache(sweepId, cache);

  // 5. Deleted clusters. An empty inventory over a non-empty store looks like an outage, not a mass deletion.
  const summaries = await deps.store.summaries();
  const gone = summaries.filter((s) => s.deletedAt === undefined && !byKey.has(s.key));
  if (clusters.length === 0 && gone.length > 0) {
    problems.push(`inventory empty while ${gone.length} clusters are stored: not marking them deleted`);
  } else if (gone.length > 0) {
    await deps.store.markDeleted(gone, now);
    log(`sweep ${sweepId}: ${gone.length} clusters no longer in the inventory, marked deleted`);
  }

  // 6. Window reads within the budget.
  const stored = new Map<string, ClusterSummary>(summaries.map((s) => [s.key, s]));
  const budget = deps.windowReadsPerSweep ?? DEFAULT_WINDOW_READS_PER_SWEEP;
  const stale = clusters
    .map((c) => ({ key: keyOf(c), readAt: stored.get(keyOf(c))?.windowsReadAt }))
    .filter((x) => x.readAt === undefined || now.getTime() - Date.parse(x.readAt) >= WINDOW_REFRESH_MS)
    .sort((a, b) => (a.readAt ?? '').localeCompare(b.readAt ?? '') || a.key.localeCompare(b.key));
  const readWindows = new Set(stale.slice(0, budget).map((x) => x.key));

  // 7. Fan out by subscription.
  const bySubscription = new Map<string, InventoryCluster[]>();
  for (const c of clusters) {
    const sub = c.subscriptionId.toLowerCase();
    bySubscription.set(sub, [...(bySubscription.get(sub) ?? []), c]);
  }
  const messages: ShardMessage[] = [];
  for (const [, list] of [...bySubscription].sort((a, b) => a[0].localeCompare(b[0]))) {
    list.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const signatures = list.map((c) => stored.get(keyOf(c))?.windowSignature);
    const first = signatures[0];
    const sharedWindow =
      list.length >= 3 && first !== undefined && signatures.every((s) => s === first)
        ? { signature: first, clusters: list.length }
        : undefined;
    const parts: InventoryCluster[][] = [[]];
    let size = 0;
    for (const c of list) {
      // Its JSON, its key again in readWindows, and separators.
      const n = Buffer.byteLength(JSON.stringify(c)) + keyOf(c).length + 8;
      const current = parts[parts.length - 1] ?? [];
      if (
        current.length > 0 &&
        (size + n > MAX_MESSAGE_CHARS || current.length >= MAX_CLUSTERS_PER_MESSAGE)
      ) {
        parts.push([c]);
        size = n;
      } else {
        current.push(c);
        size += n;
      }
    }
    const subscriptionId = list[0]?.subscriptionId ?? '';
    parts.forEach((part, i) =>
      messages.push({
        v: 1,
        sweepId,
        at,
        subscriptionId,
        part: i + 1,
        parts: parts.length,
        clusters: part,
        readWindows: part.map(keyOf).filter((k) => readWindows.has(k)),
        ...(sharedWindow !== undefined && { sharedWindow }),
      }),
    );
  }
  await deps.queue.send(messages);
  for (const p of problems) log(`sweep ${sweepId}: ${p}`);
  return {
    sweepId,
    at,
    clusters: clusters.length,
    subscriptions: bySubscription.size,
    pages,
    regions: regions.size,
    imageFamilies: nodeImages.size,
    markedDeleted: clusters.length === 0 ? 0 : gone.length,
    windowReads: readWindows.size,
    shards: messages.length,
    problems,
  };
}

export interface ShardResult {
  readonly written: number;
  /** Clusters whose {@link AfterSweep} failed (logged). */
  readonly afterWriteFailures: number;
  /** Already written by this sweep (a redelivered message). */
  readonly skipped: number;
  readonly windowReads: number;
  readonly attempts: number;
}

/** Checks a dequeued message: a malformed one is permanent (poison), never retried. */
export function parseShardMessage(input: unknown): ShardMessage {
  const m = (typeof input === 'string' ? JSON.parse(input) : input) as Partial<ShardMessage> | null;
  if (
    m === null ||
    typeof m !== 'object' ||
    m.v !== 1 ||
    typeof m.sweepId !== 'string' ||
    typeof m.at !== 'string' ||
    typeof m.subscriptionId !== 'string' ||
    !Array.isArray(m.clusters) ||
    !Array.isArray(m.readWindows)
  )
    throw new Error('not a sweep shard message (v1)');
  return m as ShardMessage;
}

/** Runs one shard: see {@link sweepFleet}. Idempotent per (sweep, subscription, part). */
export async function runShard(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'log' | 'afterWrite'>,
  message: ShardMessage,
  /** What the sweep read of regions and node images; by default the cache its coordinator saved. */
  known?: SweepCache,
): Promise<ShardResult> {
  const cache = known ??
    (await deps.store.loadSweepCache(message.sweepId)) ?? {
      regions: new Map<string, RegionVersions>(),
      nodeImages: new Map<string, string>(),
    };
  // The message's clusters are a sorted slice of the subscription: read only that key range.
  const keys = message.clusters.map(keyOf).sort();
  const range = { from: keys[0] ?? '', to: keys[keys.length - 1] ?? '' };
  let stored = await deps.store.subscription(message.subscriptionId, range);
  // Written by this sweep already (a redelivery), or by a later sweep (this message is late): skip.
  const done = (c: InventoryCluster): boolean => {
    const s = stored.get(keyOf(c));
    return s !== undefined && (s.sweepId === message.sweepId || s.snapshot.lastSeen > message.at);
  };
  const pending = message.clusters.filter((c) => !done(c));

  const windows = new Map<string, MaintenanceConfigurationSnapshot[]>();
  const wanted = new Set(message.readWindows);
  await Promise.all(
    pending
      .filter((c) => wanted.has(keyOf(c)))
      .map(async (c) => {
        const ref = parseClusterId(c.id);
        if (!ref) return;
        try {
          windows.set(keyOf(c), await deps.gateway.listMaintenanceConfigurations(ref));
        } catch (e) {
          // Gone since the inventory, or unreadable now: keep what is stored, try again next sweep.
          if (!(e instanceof NotFoundError))
            deps.log?.(`windows of ${c.name}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
  );

  for (let attempt = 1; ; attempt++) {
    const todo = pending.filter((c) => !done(c));
    const records = todo.map((c) =>
      buildRecord(c, stored.get(keyOf(c)), windows.get(keyOf(c)), cache, deps.policy, message),
    );
    const expected = new Map<string, string>();
    for (const c of todo) {
      const etag = stored.get(keyOf(c))?.etag;
      if (etag !== undefined) expected.set(keyOf(c), etag);
    }
    try {
      await deps.store.write(message.subscriptionId, records, expected);
      const afterWriteFailures = deps.afterWrite ? await runAfterWrite(deps, records, cache) : 0;
      return {
        written: records.length,
        afterWriteFailures,
        skipped: message.clusters.length - records.length,
        windowReads: windows.size,
        attempts: attempt,
      };
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= SHARD_ATTEMPTS) throw e;
      stored = await deps.store.subscription(message.subscriptionId, range);
    }
  }
}

async function runAfterWrite(
  deps: Pick<SweepDeps, 'afterWrite' | 'log'>,
  records: readonly ClusterRecord[],
  cache: SweepCache,
): Promise<number> {
  const after = deps.afterWrite;
  if (!after) return 0;
  const latestNodeImage = (pool: NodePoolSnapshot): string | undefined => {
    const family = imageFamilyKey(pool);
    return family === undefined ? undefined : cache.nodeImages.get(family);
  };
  let failures = 0;
  for (const record of records) {
    const region = cache.regions.get(record.snapshot.location);
    try {
      await after({ record, ...(region !== undefined && { region }), latestNodeImage });
    } catch (e) {
      failures++;
      deps.log?.(`after sweep of ${record.snapshot.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failures;
}

function buildRecord(
  c: InventoryCluster,
  previous: StoredCluster | undefined,
  freshWindows: MaintenanceConfigurationSnapshot[] | undefined,
  cache: SweepCache,
  policy: SweepPolicy,
  message: ShardMessage,
): ClusterRecord {
  const maintenanceConfigurations = freshWindows ?? previous?.snapshot.maintenanceConfigurations ?? [];
  const windowsReadAt = freshWindows !== undefined ? message.at : previous?.windowsReadAt;
  const snapshot: ClusterSnapshot = {
    id: c.id,
    key: keyOf(c),
    subscriptionId: c.subscriptionId,
    resourceGroup: c.resourceGroup,
    name: c.name,
    location: c.location,
    ring: ringFromTags(c.tags, policy.ringTag, policy.ringValues),
    tags: c.tags,
    kubernetesVersion: c.kubernetesVersion,
    supportPlan: c.supportPlan,
    ...(c.skuTier !== undefined && { skuTier: c.skuTier }),
    autoUpgradeChannel: c.autoUpgradeChannel,
    ...(c.nodeOsUpgradeChannel !== undefined && { nodeOsUpgradeChannel: c.nodeOsUpgradeChannel }),
    ...(c.provisioningState !== undefined && { provisioningState: c.provisioningState }),
    nodePools: c.nodePools,
    maintenanceConfigurations,
    lastSeen: message.at,
  };
  const region = cache.regions.get(c.location);
  const signature = windowsReadAt !== undefined ? windowSignature(maintenanceConfigurations) : undefined;
  const findings = assessCompliance(snapshot, {
    now: new Date(message.at),
    ...(region !== undefined && { region }),
    latestNodeImages: cache.nodeImages,
    gatedRings: policy.gatedRings,
    ...(cache.productionChannel !== undefined && { productionChannel: cache.productionChannel }),
    windowsKnown: windowsReadAt !== undefined,
    ...(message.sharedWindow !== undefined &&
      signature === message.sharedWindow.signature && {
        sharedWindow: { clusters: message.sharedWindow.clusters },
      }),
  });
  return {
    snapshot,
    ...(region !== undefined && {
      support: assessSupport(snapshot.kubernetesVersion, region, snapshot.supportPlan),
    }),
    findings,
    sweepId: message.sweepId,
    ...(windowsReadAt !== undefined && { windowsReadAt }),
    ...(signature !== undefined && { windowSignature: signature }),
  };
}

/**
 * Sweeps one cluster that an event named before any sweep stored it (just onboarded, or Warden just
 * deployed): its Resource Graph row under the sweep's scope and selector, its maintenance
 * configurations, its region's versions, stored by {@link storeClusterRow}. Calls: one Resource Graph
 * query and one window read. Undefined when the cluster is not in scope, not selected, or gone.
 */
export async function sweepOneCluster(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'scope' | 'selector' | 'now' | 'log'>,
  ref: ClusterRef,
  regionVersions: (subscriptionId: string, location: string) => Promise<RegionVersions | undefined>,
): Promise<StoredCluster | undefined> {
  const found = await deps.gateway.inventoryCluster(deps.scope, ref);
  if (found === undefined || !selected(found, deps.selector)) return undefined;
  const region = await regionVersions(found.subscriptionId, found.location);
  return storeClusterRow(deps, found, region, { readWindows: true });
}

/**
 * Stores one cluster row exactly as a shard writes it (ETag-checked, never over a newer sweep), with
 * its findings: a cluster swept on its own, or the cluster as ARM shows it once Warden upgraded it.
 * `readWindows` re-reads its maintenance configurations (one call); otherwise the stored ones stay.
 */
export async function storeClusterRow(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'now' | 'log'>,
  row: InventoryCluster,
  region: RegionVersions | undefined,
  options: { readonly readWindows: boolean },
): Promise<StoredCluster | undefined> {
  const at = deps.now();
  await runShard(
    deps,
    {
      v: 1,
      sweepId: `cluster-${sweepIdAt(at)}`,
      at: at.toISOString(),
      subscriptionId: row.subscriptionId,
      part: 1,
      parts: 1,
      clusters: [row],
      readWindows: options.readWindows ? [keyOf(row)] : [],
    },
    { regions: new Map(region !== undefined ? [[row.location, region]] : []), nodeImages: new Map() },
  );
  const stored = await deps.store.get(row.subscriptionId, keyOf(row));
  return stored?.deletedAt === undefined ? stored : undefined;
}

/** A queue that runs each shard right here, one subscription at a time: the sweep in one process. */
export function inProcessQueue(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'log' | 'afterWrite'>,
  concurrency = 4,
): ShardQueue {
  return {
    async send(messages) {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < messages.length) {
          const m = messages[next++];
          if (m) await runShard(deps, m);
        }
      };
      await Promise.all(Array.from({ length: Math.min(concurrency, messages.length) }, worker));
    },
  };
}

import type { AksGateway, InventoryCluster, InventoryScope } from '../azure/aksGateway';
import type { FleetManagerGateway } from '../azure/fleetManagerGateway';
import type { ClusterRef } from '../domain/armId';
import { parseClusterId } from '../domain/armId';
import type { ClusterSnapshot, MaintenanceConfigurationSnapshot, NodePoolSnapshot } from '../domain/cluster';
import type { ClusterVersions, TimelineEntry } from '../domain/clusterTimeline';
import { versionsOf } from '../domain/clusterTimeline';
import { assessCompliance, imageFamilyKey, windowSignature } from '../domain/compliance';
import type { FleetProfileCover } from '../domain/fleetAutoUpgrade';
import { ungatedCovers } from '../domain/fleetAutoUpgrade';
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
import type { FleetSummaryStore } from '../store/fleetSummaryStore';
import { finishSweepSummary, patchFleetSummary, recordShardPart } from './fleetSummary';

/**
 * The fleet sweep (hourly, and on demand). Primary course:
 *  1. Read the few columns the sweep needs of every stored cluster ({@link ClusterSummary}: ETag,
 *     windows, when they were read, the sweep that wrote it), never the snapshots.
 *  2. Page the managed clusters in scope from Resource Graph (1,000 rows a page, ordered by id, so a
 *     subscription's clusters come together); keep those carrying the selector tag.
 *  3. For each region and image family a page brings first: read the region's Kubernetes versions
 *     (`listKubernetesVersions`, through a subscription that has clusters there) and the family's
 *     latest node image (the upgrade profile of ONE representative pool), and save them in this
 *     sweep's cache before any shard that needs them is sent.
 *  4. Once a subscription's clusters are all read, pick those whose maintenance configurations are
 *     (re)read (never read first, then the oldest past a day, within a per-sweep budget: Resource
 *     Graph does not carry them) and fan out: its clusters in shard messages (split to stay under the
 *     queue's 64 KB), each carrying the stored row's ETag and windows so the shard reads nothing.
 *  5. After the last page, mark stored clusters that left the inventory as deleted (their last
 *     snapshot stays).
 * Before paging, with `fleets`, it reads the Fleet Manager fleets in scope once (one Resource Graph
 * query, then per fleet its members and auto-upgrade profiles, and each enabled profile's strategy) and
 * hands each shard, with its clusters, the profiles that can upgrade them with no gate.
 * The coordinator holds one subscription's clusters at a time and the summaries, never the fleet's
 * snapshots. A shard ({@link runShard}) reads the chosen windows, computes ring, support and findings,
 * writes ETag-checked batches of up to 100, then runs the after-write step per cluster (planning). A
 * lost race re-reads and retries; a redelivered message finds its clusters already written and skips
 * them; a late one never overwrites a newer sweep: idempotent.
 *
 * Calls: pages + regions + image families (+ the window budget) + 1 + 2 per fleet + 1 per strategy in
 * use, never clusters x pools.
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
  /**
   * What is stored of the message's clusters, by key, as the coordinator read it (a cluster absent
   * here was not stored). Lets the shard write without reading its rows; without it, or when a row is
   * older than its `windows` column, the shard reads them.
   */
  readonly stored?: Readonly<Record<string, PriorRow>>;
  /**
   * Present when the sweep read the fleets: by key, the Fleet auto-upgrade profiles that can upgrade the
   * message's clusters with no gate (a cluster absent here has none). Absent: not known this sweep.
   */
  readonly fleetAutoUpgrade?: Readonly<Record<string, readonly FleetProfileCover[]>>;
}

/** What a shard needs of a stored row to write over it (see {@link ShardMessage.stored}). */
export type PriorRow = Omit<ClusterSummary, 'subscriptionId' | 'key'>;

/** One cluster a shard has just written, with what the sweep knows of its region and node images. */
export interface SweptCluster {
  readonly record: ClusterRecord;
  /** The versions the store had before this write (undefined: first seen, or an older row). */
  readonly previous?: ClusterVersions;
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
  /** Waits until every message sent has been handled (an in-process queue); a queue service has none. */
  drain?(): Promise<void>;
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
  /** Fleet Manager, read once per sweep for auto-upgrade profiles that bypass every gate. */
  readonly fleets?: Pick<FleetManagerGateway, 'listFleets' | 'fleetCoverage'>;
  /** The fleet summary the dashboard reads: each shard adds its part, the last one merges them. */
  readonly summary?: FleetSummaryStore;
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
  /** Fleet Manager fleets read (0 without `fleets`, or when they could not be read: see `problems`). */
  readonly fleets: number;
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

function mostCommon(counts: ReadonlyMap<string, number>): string | undefined {
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]?.[0];
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Splits one subscription's sorted clusters into messages under the queue's size and count limits. */
function splitMessages(
  list: readonly InventoryCluster[],
  sizeOf: (c: InventoryCluster) => number,
): InventoryCluster[][] {
  const parts: InventoryCluster[][] = [[]];
  let size = 0;
  for (const c of list) {
    const n = sizeOf(c);
    const current = parts[parts.length - 1] ?? [];
    if (current.length > 0 && (size + n > MAX_MESSAGE_CHARS || current.length >= MAX_CLUSTERS_PER_MESSAGE)) {
      parts.push([c]);
      size = n;
    } else {
      current.push(c);
      size += n;
    }
  }
  return parts;
}

/** Runs the coordinator's part of a sweep (steps 1-5). */
export async function sweepFleet(
  deps: SweepDeps,
  command: { readonly sweepId?: string } = {},
): Promise<SweepSummary> {
  const now = deps.now();
  const at = now.toISOString();
  const sweepId = command.sweepId ?? sweepIdAt(now);
  const log = deps.log ?? (() => {});
  const problems: string[] = [];

  // 1. What is stored, and which stored clusters are due a window read.
  const stored = new Map<string, ClusterSummary>((await deps.store.summaries()).map((s) => [s.key, s]));
  const budget = deps.windowReadsPerSweep ?? DEFAULT_WINDOW_READS_PER_SWEEP;
  const neverRead = [...stored.values()].filter((s) => s.windowsReadAt === undefined).length;
  const due = new Set(
    [...stored.values()]
      .filter(
        (s) =>
          s.windowsReadAt !== undefined && now.getTime() - Date.parse(s.windowsReadAt) >= WINDOW_REFRESH_MS,
      )
      .sort(
        (a, b) => (a.windowsReadAt ?? '').localeCompare(b.windowsReadAt ?? '') || a.key.localeCompare(b.key),
      )
      .slice(0, Math.max(0, budget - neverRead))
      .map((s) => s.key),
  );
  let windowReads = 0;

  // 0. The fleets, once: which clusters a Fleet auto-upgrade profile reaches with no gate.
  const fleetRead = deps.fleets ? await readFleets(deps.fleets, deps.scope) : undefined;
  if (fleetRead !== undefined && 'problem' in fleetRead) problems.push(fleetRead.problem);
  const covers = fleetRead !== undefined && 'covers' in fleetRead ? fleetRead.covers : undefined;

  // 3. Region versions and node images, read as the pages bring them; the shards read the cache.
  const regions = new Map<string, RegionVersions>();
  const nodeImages = new Map<string, string>();
  const tried = new Set<string>();
  const channels = new Map<string, number>();
  const discover = async (page: readonly InventoryCluster[]): Promise<void> => {
    const reads: Promise<void>[] = [];
    for (const c of page) {
      if (ringFromTags(c.tags, deps.policy.ringTag, deps.policy.ringValues) === 'production') {
        const channel = c.autoUpgradeChannel.toLowerCase();
        if (channel !== 'none') channels.set(channel, (channels.get(channel) ?? 0) + 1);
      }
      if (!tried.has(`region|${c.location}`)) {
        tried.add(`region|${c.location}`);
        reads.push(
          deps.gateway.listKubernetesVersions(c.subscriptionId, c.location).then(
            (v) => void regions.set(c.location, v),
            (e: unknown) => void problems.push(`versions of ${c.location}: ${errorText(e)}`),
          ),
        );
      }
      for (const p of c.nodePools) {
        const family = imageFamilyKey(p);
        const ref = parseClusterId(c.id);
        if (family === undefined || ref === undefined || tried.has(`image|${family}`)) continue;
        tried.add(`image|${family}`);
        reads.push(
          deps.gateway.latestNodeImage(ref, p.name).then(
            (latest) => void (latest !== undefined && nodeImages.set(family, latest)),
            (e: unknown) => void problems.push(`node image of ${family}: ${errorText(e)}`),
          ),
        );
      }
    }
    if (reads.length === 0) return;
    await Promise.all(reads);
    await saveCache();
  };
  const saveCache = (): Promise<void> => {
    const productionChannel = mostCommon(channels);
    return deps.store.saveSweepCache(sweepId, {
      regions,
      nodeImages,
      ...(productionChannel !== undefined && { productionChannel }),
    });
  };

  // 4. Fan out one subscription once all its clusters are read.
  const seen = new Set<string>();
  const subscriptions = new Set<string>();
  let shards = 0;
  const fanOut = async (list: InventoryCluster[]): Promise<void> => {
    if (list.length === 0) return;
    list.sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    const signatures = list.map((c) => stored.get(keyOf(c))?.windowSignature);
    const first = signatures[0];
    const sharedWindow =
      list.length >= 3 && first !== undefined && signatures.every((s) => s === first)
        ? { signature: first, clusters: list.length }
        : undefined;
    const prior = (c: InventoryCluster): PriorRow | undefined => {
      const s = stored.get(keyOf(c));
      if (s === undefined) return undefined;
      const { subscriptionId: _s, key: _k, ...row } = s;
      return row;
    };
    const read = new Set<string>();
    for (const c of list) {
      const s = stored.get(keyOf(c));
      if (windowReads < budget && (s?.windowsReadAt === undefined || due.has(keyOf(c)))) {
        read.add(keyOf(c));
        windowReads++;
      }
    }
    // Its JSON, its stored row, its key again in readWindows, and separators.
    const parts = splitMessages(
      list,
      (c) =>
        Buffer.byteLength(JSON.stringify(c)) +
        JSON.stringify(prior(c) ?? null).length +
        Buffer.byteLength(JSON.stringify(covers?.get(keyOf(c)) ?? null)) +
        3 * keyOf(c).length +
        16,
    );
    const subscriptionId = list[0]?.subscriptionId ?? '';
    subscriptions.add(subscriptionId.toLowerCase());
    shards += parts.length;
    await deps.queue.send(
      parts.map((part, i) => ({
        v: 1,
        sweepId,
        at,
        subscriptionId,
        part: i + 1,
        parts: parts.length,
        clusters: part,
        readWindows: part.map(keyOf).filter((k) => read.has(k)),
        ...(sharedWindow !== undefined && { sharedWindow }),
        ...(covers !== undefined && {
          fleetAutoUpgrade: Object.fromEntries(
            part.flatMap((c) => {
              const found = covers.get(keyOf(c));
              return found === undefined ? [] : [[keyOf(c), found]];
            }),
          ),
        }),
        stored: Object.fromEntries(
          part.flatMap((c) => {
            const row = prior(c);
            return row === undefined ? [] : [[keyOf(c), row]];
          }),
        ),
      })),
    );
  };

  // 2. Page the inventory; a subscription's clusters are contiguous (ordered by id).
  let pages = 0;
  let skipToken: string | undefined;
  let current: InventoryCluster[] = [];
  do {
    const page = await deps.gateway.inventory(deps.scope, skipToken);
    pages++;
    const fresh = page.clusters.filter((c) => selected(c, deps.selector) && !seen.has(keyOf(c)));
    for (const c of fresh) seen.add(keyOf(c));
    await discover(fresh);
    for (const c of fresh) {
      const sub = c.subscriptionId.toLowerCase();
      if (current.length > 0 && current[0]?.subscriptionId.toLowerCase() !== sub) {
        await fanOut(current);
        current = [];
      }
      current.push(c);
    }
    skipToken = page.skipToken;
    if (pages >= MAX_PAGES)
      throw new Error(`inventory still paging after ${MAX_PAGES} pages: refusing a runaway sweep`);
  } while (skipToken !== undefined);
  if (seen.size === 0) await saveCache();
  await fanOut(current);

  // 5. Deleted clusters. An empty inventory over a non-empty store looks like an outage, not a mass deletion.
  const gone = [...stored.values()].filter((s) => s.deletedAt === undefined && !seen.has(s.key));
  if (seen.size === 0 && gone.length > 0) {
    problems.push(`inventory empty while ${gone.length} clusters are stored: not marking them deleted`);
  } else if (gone.length > 0) {
    await deps.store.markDeleted(gone, now);
    log(`sweep ${sweepId}: ${gone.length} clusters no longer in the inventory, marked deleted`);
  }
  await deps.queue.drain?.();
  // An empty inventory over stored clusters is an outage (above): the summary stays as it was.
  if (deps.summary !== undefined && (seen.size > 0 || stored.size === 0))
    await finishSweepSummary({ summary: deps.summary, log }, sweepId, at, shards);
  for (const p of problems) log(`sweep ${sweepId}: ${p}`);
  return {
    sweepId,
    at,
    clusters: seen.size,
    subscriptions: subscriptions.size,
    pages,
    regions: regions.size,
    imageFamilies: nodeImages.size,
    markedDeleted: seen.size === 0 ? 0 : gone.length,
    windowReads,
    shards,
    fleets: fleetRead !== undefined && 'covers' in fleetRead ? fleetRead.fleets : 0,
    problems,
  };
}

/** The Fleet read of a sweep: per cluster key, the profiles reaching it ungated; or why it failed. */
async function readFleets(
  gateway: NonNullable<SweepDeps['fleets']>,
  scope: InventoryScope,
): Promise<{ covers: Map<string, FleetProfileCover[]>; fleets: number } | { problem: string }> {
  try {
    const fleets = await gateway.listFleets(scope);
    const coverage = [];
    // A few at a time: each is 2-3 ARM reads in the fleet's subscription.
    for (let i = 0; i < fleets.length; i += 8)
      coverage.push(...(await Promise.all(fleets.slice(i, i + 8).map((f) => gateway.fleetCoverage(f)))));
    return { covers: ungatedCovers(coverage), fleets: fleets.length };
  } catch (e) {
    return {
      problem: `Fleet Manager fleets: ${errorText(e)} (their auto-upgrade profiles are not known this sweep)`,
    };
  }
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
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'log' | 'afterWrite' | 'summary'>,
  message: ShardMessage,
  /** What the sweep read of regions and node images; by default the cache its coordinator saved. */
  known?: SweepCache,
): Promise<ShardResult> {
  const cache = known ??
    (await deps.store.loadSweepCache(message.sweepId)) ?? {
      regions: new Map<string, RegionVersions>(),
      nodeImages: new Map<string, string>(),
    };
  // The message's clusters are a sorted slice of the subscription: read only that key range, and only
  // when the coordinator did not send what is stored (or a row predates its windows column).
  const keys = message.clusters.map(keyOf).sort();
  const range = { from: keys[0] ?? '', to: keys[keys.length - 1] ?? '' };
  const readStored = async (): Promise<Map<string, Prior>> =>
    new Map(
      [...(await deps.store.subscription(message.subscriptionId, range))].map(([k, c]) => [k, priorOf(c)]),
    );
  const sent = message.stored === undefined ? undefined : fromMessage(message.stored);
  let stored = sent ?? (await readStored());
  // Written by this sweep already (a redelivery), or by a later sweep (this message is late): skip.
  const done = (c: InventoryCluster): boolean => {
    const s = stored.get(keyOf(c));
    return s !== undefined && (s.sweepId === message.sweepId || s.lastSeen > message.at);
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
      if (deps.summary !== undefined) await summarizeShard(deps, deps.summary, message, records, range);
      const afterWriteFailures = deps.afterWrite ? await runAfterWrite(deps, records, cache, stored) : 0;
      return {
        written: records.length,
        afterWriteFailures,
        skipped: message.clusters.length - records.length,
        windowReads: windows.size,
        attempts: attempt,
      };
    } catch (e) {
      if (!(e instanceof ConflictError) || attempt >= SHARD_ATTEMPTS) throw e;
      stored = await readStored();
    }
  }
}

/** The shard's part of the fleet summary: what it wrote, plus what a first delivery wrote already. */
async function summarizeShard(
  deps: Pick<SweepDeps, 'store' | 'log'>,
  summary: FleetSummaryStore,
  message: ShardMessage,
  written: readonly ClusterRecord[],
  range: { readonly from: string; readonly to: string },
): Promise<void> {
  const mine = new Set(written.map((r) => r.snapshot.key));
  const earlier =
    mine.size === message.clusters.length
      ? []
      : [...(await deps.store.subscription(message.subscriptionId, range)).values()].filter(
          (c) => !mine.has(c.snapshot.key) && c.sweepId === message.sweepId,
        );
  await recordShardPart({ summary, ...(deps.log && { log: deps.log }) }, message, [...written, ...earlier]);
}

async function runAfterWrite(
  deps: Pick<SweepDeps, 'afterWrite' | 'log'>,
  records: readonly ClusterRecord[],
  cache: SweepCache,
  stored: ReadonlyMap<string, Prior>,
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
      const previous = stored.get(record.snapshot.key);
      await after({
        record,
        ...(region !== undefined && { region }),
        ...(previous?.versions !== undefined && { previous: previous.versions }),
        latestNodeImage,
      });
    } catch (e) {
      failures++;
      deps.log?.(`after sweep of ${record.snapshot.name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return failures;
}

/** What a shard uses of a stored row: whether to skip it, what to carry over, the ETag to write over. */
interface Prior {
  readonly etag: string;
  readonly sweepId: string;
  readonly lastSeen: string;
  readonly windowsReadAt?: string;
  readonly windows: readonly MaintenanceConfigurationSnapshot[];
  readonly versions?: ClusterVersions;
  readonly timeline?: readonly TimelineEntry[];
  readonly fleetAutoUpgrade?: readonly FleetProfileCover[];
}

function priorOf(c: StoredCluster): Prior {
  return {
    ...(c.snapshot.fleetAutoUpgrade !== undefined && { fleetAutoUpgrade: c.snapshot.fleetAutoUpgrade }),
    etag: c.etag,
    sweepId: c.sweepId,
    lastSeen: c.snapshot.lastSeen,
    ...(c.windowsReadAt !== undefined && { windowsReadAt: c.windowsReadAt }),
    windows: c.snapshot.maintenanceConfigurations,
    versions: versionsOf(c.snapshot),
    ...(c.timeline !== undefined && { timeline: c.timeline }),
  };
}

/** The rows a message carries, or undefined when one of them lacks a column (the shard reads them). */
function fromMessage(rows: Readonly<Record<string, PriorRow>>): Map<string, Prior> | undefined {
  const out = new Map<string, Prior>();
  for (const [key, r] of Object.entries(rows)) {
    if (r.windows === undefined || r.sweepId === undefined || r.lastSeen === undefined) return undefined;
    out.set(key, {
      etag: r.etag,
      sweepId: r.sweepId,
      lastSeen: r.lastSeen,
      ...(r.windowsReadAt !== undefined && { windowsReadAt: r.windowsReadAt }),
      windows: r.windows,
      ...(r.versions !== undefined && { versions: r.versions }),
      ...(r.timeline !== undefined && { timeline: r.timeline }),
    });
  }
  return out;
}

function buildRecord(
  c: InventoryCluster,
  previous: Prior | undefined,
  freshWindows: MaintenanceConfigurationSnapshot[] | undefined,
  cache: SweepCache,
  policy: SweepPolicy,
  message: ShardMessage,
): ClusterRecord {
  const maintenanceConfigurations = freshWindows ?? previous?.windows ?? [];
  // This sweep's Fleet read, else what the last one saw (a one-cluster write reads no fleets).
  const fleetAutoUpgrade =
    message.fleetAutoUpgrade !== undefined
      ? (message.fleetAutoUpgrade[keyOf(c)] ?? [])
      : previous?.fleetAutoUpgrade;
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
    ...(c.skuName !== undefined && { skuName: c.skuName }),
    ...(c.nodeProvisioningMode !== undefined && { nodeProvisioningMode: c.nodeProvisioningMode }),
    autoUpgradeChannel: c.autoUpgradeChannel,
    ...(c.nodeOsUpgradeChannel !== undefined && { nodeOsUpgradeChannel: c.nodeOsUpgradeChannel }),
    ...(c.provisioningState !== undefined && { provisioningState: c.provisioningState }),
    nodePools: c.nodePools,
    maintenanceConfigurations,
    ...(fleetAutoUpgrade !== undefined && { fleetAutoUpgrade }),
    lastSeen: message.at,
  };
  const region = cache.regions.get(c.location);
  const signature = windowsReadAt !== undefined ? windowSignature(maintenanceConfigurations) : undefined;
  const timeline = previous?.timeline ?? [];
  const findings = assessCompliance(
    snapshot,
    {
      now: new Date(message.at),
      ...(region !== undefined && { region }),
      latestNodeImages: cache.nodeImages,
      gatedRings: policy.gatedRings,
      ...(cache.productionChannel !== undefined && { productionChannel: cache.productionChannel }),
      windowsKnown: windowsReadAt !== undefined,
      ...(fleetAutoUpgrade !== undefined && { fleetAutoUpgrade }),
      ...(message.sharedWindow !== undefined &&
        signature === message.sharedWindow.signature && {
          sharedWindow: { clusters: message.sharedWindow.clusters },
        }),
    },
    timeline,
  );
  return {
    snapshot,
    ...(region !== undefined && {
      support: assessSupport(snapshot.kubernetesVersion, region, snapshot.supportPlan),
    }),
    findings,
    sweepId: message.sweepId,
    ...(windowsReadAt !== undefined && { windowsReadAt }),
    ...(signature !== undefined && { windowSignature: signature }),
    ...(timeline.length > 0 && { timeline }),
  };
}

/**
 * Sweeps one cluster that an event named before any sweep stored it (just onboarded, or Warden just
 * deployed): its Resource Graph row under the sweep's scope and selector, its maintenance
 * configurations, its region's versions, stored by {@link storeClusterRow}. Calls: one Resource Graph
 * query and one window read. Undefined when the cluster is not in scope, not selected, or gone.
 */
export async function sweepOneCluster(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'scope' | 'selector' | 'now' | 'log' | 'summary'>,
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
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'now' | 'log' | 'summary'>,
  row: InventoryCluster,
  region: RegionVersions | undefined,
  options: { readonly readWindows: boolean },
): Promise<StoredCluster | undefined> {
  const at = deps.now();
  const { summary, ...shardDeps } = deps;
  const before = summary === undefined ? undefined : await deps.store.get(row.subscriptionId, keyOf(row));
  await runShard(
    shardDeps,
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
  if (summary !== undefined && stored !== undefined && stored.etag !== before?.etag)
    await patchFleetSummary({ summary, ...(deps.log && { log: deps.log }) }, before, stored);
  return stored?.deletedAt === undefined ? stored : undefined;
}

/**
 * A queue that runs each shard right here, at most `concurrency` at a time: the sweep in one process.
 * `send` returns once its messages are started (so the coordinator pages on while shards write);
 * `drain` waits for them all and rethrows the first shard failure.
 */
export function inProcessQueue(
  deps: Pick<SweepDeps, 'gateway' | 'store' | 'policy' | 'log' | 'afterWrite' | 'summary'>,
  concurrency = 4,
): ShardQueue {
  const running = new Set<Promise<void>>();
  let failure: { readonly error: unknown } | undefined;
  return {
    async send(messages) {
      for (const m of messages) {
        while (running.size >= concurrency) await Promise.race(running);
        const task: Promise<void> = runShard(deps, m)
          .then(
            () => undefined,
            (error: unknown) => void (failure ??= { error }),
          )
          .finally(() => running.delete(task));
        running.add(task);
      }
    },
    async drain() {
      while (running.size > 0) await Promise.all(running);
      const f = failure;
      failure = undefined;
      if (f) throw f.error;
    },
  };
}

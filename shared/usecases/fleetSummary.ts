import type { FleetOverview, FleetRow } from '../domain/fleetOverview';
import {
  byAttention,
  fleetRow,
  OverviewBuilder,
  overviewOf,
  patchOverview,
  tableRows,
} from '../domain/fleetOverview';
import type { Plan, PlanStatus } from '../domain/plan';
import type { Ring } from '../domain/rings';
import type { ClusterRecord, ClusterStore } from '../store/clusterStore';
import type { EventRecord, EventStore } from '../store/eventStore';
import type { FleetSummaryStore } from '../store/fleetSummaryStore';
import type { PlanStore } from '../store/planStore';
import type { ClusterView } from './fleetStatus';
import { listClusters } from './fleetStatus';

/**
 * The fleet summary the sweep maintains for the dashboard: each shard saves the overview of its
 * clusters, and whoever sees them all in (the coordinator when the shards were faster, else a shard
 * finishing after it) merges the parts into the one summary the dashboard reads; a cluster that changes between
 * sweeps (Warden upgraded it, or it was swept on its own) is patched in. No step holds more than a
 * shard's clusters and the summary itself.
 */
export interface FleetSummaryDeps {
  readonly summary: FleetSummaryStore;
  readonly log?: (line: string) => void;
}

const SAVE_ATTEMPTS = 8;

export function rowOfRecord(r: ClusterRecord): FleetRow {
  const s = r.snapshot;
  return fleetRow({
    id: s.id,
    name: s.name,
    subscriptionId: s.subscriptionId,
    location: s.location,
    ring: s.ring,
    controlPlaneVersion: s.kubernetesVersion,
    poolVersions: s.nodePools.map((p) => p.orchestratorVersion),
    support: r.support?.status ?? 'unknown',
    autoUpgradeChannel: s.autoUpgradeChannel,
    findings: r.findings,
  });
}

export function rowOfView(c: ClusterView): FleetRow {
  return fleetRow({
    ...c,
    poolVersions: c.nodePools.map((p) => p.version),
    support: c.support.status,
  });
}

/** After a shard wrote its clusters: saves its part, once; the part that completes the sweep merges it. */
export async function recordShardPart(
  deps: FleetSummaryDeps,
  shard: {
    readonly sweepId: string;
    readonly at: string;
    readonly subscriptionId: string;
    readonly part: number;
  },
  records: readonly ClusterRecord[],
): Promise<void> {
  const overview = overviewOf(records.filter((r) => r.deletedAt === undefined).map(rowOfRecord));
  const partId = `${shard.subscriptionId.toLowerCase()}-${shard.part}`;
  if (!(await deps.summary.savePart(shard.sweepId, partId, overview))) return;
  // Only a shard finishing after its coordinator looks (one point read; a count of row keys once all
  // may be in): while the coordinator sends, it merges at its end.
  const expected = await deps.summary.expected(shard.sweepId);
  if (expected !== undefined && (await deps.summary.countParts(shard.sweepId)) >= expected)
    await mergeSweep(deps, shard.sweepId, shard.at, expected);
}

/** The coordinator, done sending: how many parts the sweep has; merges it when they are all in. */
export async function finishSweepSummary(
  deps: FleetSummaryDeps,
  sweepId: string,
  at: string,
  shards: number,
): Promise<void> {
  await deps.summary.expect(sweepId, shards);
  if ((await deps.summary.countParts(sweepId)) >= shards) await mergeSweep(deps, sweepId, at, shards);
}

/** Merges a sweep's parts, unless some are gone (another merger finished and dropped them first). */
async function mergeSweep(
  deps: FleetSummaryDeps,
  sweepId: string,
  at: string,
  expected: number,
): Promise<void> {
  const builder = new OverviewBuilder();
  let parts = 0;
  for await (const part of deps.summary.parts(sweepId)) {
    builder.merge(part);
    parts++;
  }
  if (parts < expected) return;
  const merged = builder.result();
  await saveWith(deps, (current) =>
    current !== undefined && current.at > at ? undefined : { overview: merged, at },
  );
  await deps.summary.dropParts(sweepId);
  deps.log?.(`sweep ${sweepId}: fleet summary of ${merged.clusters} clusters`);
}

/** Patches one cluster's change into the summary (nothing when no sweep built one yet). */
export async function patchFleetSummary(
  deps: FleetSummaryDeps,
  before: ClusterRecord | undefined,
  after: ClusterRecord | undefined,
): Promise<void> {
  const live = (r: ClusterRecord | undefined): FleetRow | undefined =>
    r === undefined || r.deletedAt !== undefined ? undefined : rowOfRecord(r);
  const [from, to] = [live(before), live(after)];
  if (from === undefined && to === undefined) return;
  await saveWith(deps, (current) =>
    current === undefined
      ? undefined
      : { overview: patchOverview(current.overview, from, to), at: current.at },
  );
}

/**
 * The cluster store as the use cases that change one cluster outside a sweep see it (an end-of-support
 * notice, an upgrade seen outside Warden): each write also patches the fleet summary, so the
 * dashboard shows the new finding before the next sweep. The sweep's own shards summarize by part.
 */
export function summarizingWrites(
  store: Pick<ClusterStore, 'get' | 'write'>,
  deps: FleetSummaryDeps,
): Pick<ClusterStore, 'get' | 'write'> {
  return {
    get: (subscriptionId, key) => store.get(subscriptionId, key),
    write: async (subscriptionId, records, expected) => {
      const before = await Promise.all(records.map((r) => store.get(subscriptionId, r.snapshot.key)));
      await store.write(subscriptionId, records, expected);
      for (const [i, after] of records.entries()) await patchFleetSummary(deps, before[i], after);
    },
  };
}

async function saveWith(
  deps: FleetSummaryDeps,
  next: (
    current: { overview: FleetOverview; at: string } | undefined,
  ) => { overview: FleetOverview; at: string } | undefined,
): Promise<void> {
  for (let attempt = 1; attempt <= SAVE_ATTEMPTS; attempt++) {
    const current = await deps.summary.load();
    const wanted = next(current);
    if (wanted === undefined) return;
    if (await deps.summary.save(wanted.overview, wanted.at, current?.etag)) return;
  }
  deps.log?.(`fleet summary: still changing after ${SAVE_ATTEMPTS} attempts; the next sweep rebuilds it`);
}

/** What the dashboard shows of the fleet: the totals, and the table for its filter. */
export interface DashboardFleet {
  readonly overview: FleetOverview;
  readonly rows: readonly FleetRow[];
  /** Clusters matching the filter in all (the table draws at most `limit`). */
  readonly matching: number;
  /** When the sweep last saw the fleet (the summary's sweep, or the latest cluster seen). */
  readonly lastSweep?: string;
}

/** The fleet table's filter: a ring, part of a name, only clusters out of support, only with findings. */
export interface FleetFilter {
  readonly ring?: Ring;
  readonly q?: string;
  readonly support?: 'out';
  readonly findings?: 'any';
}

const outOfSupport = (r: FleetRow): boolean =>
  r.support === 'unsupported' || r.support === 'platform-support';

/**
 * The fleet for the dashboard from the summary: one read, whatever the fleet's size. A name search
 * (`q`) or a support or findings filter looks through the stored clusters (the summary keeps only the
 * rows most in need of a look); before any sweep built a summary, the stored clusters stand in for it.
 */
export async function dashboardFleet(
  deps: { readonly summary: FleetSummaryStore; readonly clusters: ClusterStore },
  filter: FleetFilter,
  limit: number,
): Promise<DashboardFleet> {
  const stored = await deps.summary.load();
  const byRingOnly = filter.q === undefined && filter.support === undefined && filter.findings === undefined;
  if (stored !== undefined && byRingOnly) {
    const table = tableRows(stored.overview, filter.ring, limit);
    return { overview: stored.overview, ...table, lastSweep: stored.at };
  }
  const found = fleetOfViews(await listClusters(deps.clusters), filter, limit);
  return stored === undefined ? found : { ...found, overview: stored.overview, lastSweep: stored.at };
}

/** What the dashboard shows: the fleet table, the latest plans, the latest events. */
export interface DashboardReads {
  readonly fleet: DashboardFleet;
  readonly plans: readonly Plan[];
  readonly events: readonly EventRecord[];
}

/**
 * The dashboard's reads, each bounded whatever the fleet's size: the fleet from the summary the sweep
 * maintains, the latest `planRows` plans (in the status asked for) from the recent-plans index, the
 * latest 20 events.
 */
export async function dashboardReads(
  deps: {
    readonly summary: FleetSummaryStore;
    readonly clusters: ClusterStore;
    readonly plans: Pick<PlanStore, 'list'>;
    readonly events: Pick<EventStore, 'list'>;
  },
  filter: FleetFilter & { readonly plans?: 'open' | PlanStatus },
  limits: { readonly fleetRows: number; readonly planRows: number },
): Promise<DashboardReads> {
  const status = filter.plans !== undefined && filter.plans !== 'open' ? filter.plans : undefined;
  const [fleet, plans, events] = await Promise.all([
    dashboardFleet(deps, filter, limits.fleetRows),
    deps.plans.list({ limit: limits.planRows, ...(status !== undefined && { status }) }),
    deps.events.list({ limit: 20 }),
  ]);
  return { fleet, plans, events };
}

/** The fleet from its clusters (a name search; a small fleet): the table draws up to `limit` rows. */
export function fleetOfViews(
  clusters: readonly ClusterView[],
  filter: FleetFilter,
  limit: number,
): DashboardFleet {
  const all = clusters.map(rowOfView);
  const q = filter.q?.toLowerCase();
  const matching = all
    .filter(
      (c) =>
        (filter.ring === undefined || c.ring === filter.ring) &&
        (q === undefined || c.name.toLowerCase().includes(q)) &&
        (filter.support === undefined || outOfSupport(c)) &&
        (filter.findings === undefined || c.findingCount > 0),
    )
    .sort(byAttention);
  const lastSweep = clusters.reduce<string | undefined>(
    (latest, c) => (latest === undefined || c.lastSeen > latest ? c.lastSeen : latest),
    undefined,
  );
  return {
    overview: overviewOf(all),
    rows: matching.slice(0, limit),
    matching: matching.length,
    ...(lastSweep !== undefined ? { lastSweep } : {}),
  };
}

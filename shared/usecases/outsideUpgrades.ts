import type { AksGateway, ArmCluster } from '../azure/aksGateway';
import type { AksEvent } from '../domain/aksEvents';
import { parseClusterId } from '../domain/armId';
import type { ClusterSnapshot } from '../domain/cluster';
import type { ClusterVersions, OutsideUpgradeEntry } from '../domain/clusterTimeline';
import { describeChange, madeByWarden, outsideChangeKey, upgradesBetween } from '../domain/clusterTimeline';
import { likelyPath } from '../domain/compliance';
import type { Notice } from '../domain/notice';
import { NOT_STARTED } from '../domain/plan';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import type { ClusterStore, StoredCluster } from '../store/clusterStore';
import type { PlanStore } from '../store/planStore';
import { recordOnTimeline } from './clusterTimeline';
import type { EventReaction } from './ingestEvents';
import type { FleetReader, PlanningDeps } from './proposePlans';
import { proposePlansForCluster } from './proposePlans';

export interface OutsideUpgradeDeps {
  readonly plans: Pick<PlanStore, 'list' | 'openFor'>;
  readonly clusters: Pick<ClusterStore, 'get' | 'write'>;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly now: () => Date;
  readonly log: Pick<Logger, 'info'>;
}

/**
 * One owner per cluster: compares the cluster as Warden knew it with what was just read (a sweep, an
 * event's read, the runner's), and records every control-plane, pool or node-image version that moved
 * without a Warden plan behind it: an `upgraded-outside-warden` entry on the cluster's timeline (what
 * changed, from → to, first seen, the likely path), and one notice to on-call and the owners. The same
 * change seen again adds nothing. Planning then goes on from the new versions as usual.
 */
export async function seeOutsideUpgrades(
  deps: OutsideUpgradeDeps,
  before: ClusterVersions,
  after: ClusterSnapshot,
  seenBy: OutsideUpgradeEntry['seenBy'],
): Promise<OutsideUpgradeEntry | undefined> {
  const changes = upgradesBetween(before, after);
  if (changes.length === 0) return undefined;
  const plans = await deps.plans.list({ cluster: after.id, limit: 100 });
  const outside = changes.filter((c) => !madeByWarden(c, after, plans));
  if (outside.length === 0) return undefined;
  const now = deps.now();
  // The paths open as the cluster is configured now (its Fleet profiles as the sweep last read them), on the versions it had.
  const fleet = after.fleetAutoUpgrade;
  const was = { ...after, kubernetesVersion: before.kubernetesVersion, nodePools: after.nodePools };
  const entry: OutsideUpgradeEntry = {
    kind: 'upgraded-outside-warden',
    key: outsideChangeKey(outside),
    at: now.toISOString(),
    changes: outside,
    likelyPath: likelyPath(was, outside, fleet !== undefined ? { fleetAutoUpgrade: fleet } : {}),
    seenBy,
  };
  const added = await recordOnTimeline(deps.clusters, after, [entry]);
  if (added.length === 0) return undefined;
  const what = outside.map(describeChange).join('; ');
  deps.log.info(`upgraded outside Warden: ${after.name}: ${what} (likely ${entry.likelyPath})`);
  const notice: Notice = {
    kind: 'upgraded-outside-warden',
    key: `outside:${after.key}:${entry.key}`,
    severity: 'warning',
    title: `${after.name}: upgraded outside Warden (${what})`,
    summary: `${after.name} (${after.ring}) changed without a Warden plan: ${what}. Likely path: ${entry.likelyPath}. Warden plans from the new versions; close the path so the next upgrade is approved first.`,
    facts: [
      { label: 'Cluster', value: after.name },
      { label: 'Ring', value: after.ring },
      ...outside.map((c) => ({ label: 'Changed', value: describeChange(c) })),
      { label: 'First seen', value: entry.at },
      { label: 'Likely path', value: entry.likelyPath },
    ],
    actions: [],
    audience: ['oncall', 'owners'],
    cluster: { id: after.id, name: after.name, ring: after.ring, tags: after.tags },
    at: entry.at,
  };
  await deps.outbox.enqueue([notice], now);
  return entry;
}

/**
 * Stores the cluster as ARM just showed it (`store`: the sweep's one-row write) and looks at what moved
 * since the stored snapshot ({@link seeOutsideUpgrades}). For the runner's read after a plan, and events.
 */
export async function storeAndSee(
  deps: OutsideUpgradeDeps & { readonly store: (cluster: ArmCluster) => Promise<StoredCluster | undefined> },
  cluster: ArmCluster,
  seenBy: OutsideUpgradeEntry['seenBy'],
): Promise<StoredCluster | undefined> {
  const key = parseClusterId(cluster.id)?.key;
  const previous = key === undefined ? undefined : await deps.clusters.get(cluster.subscriptionId, key);
  const stored = await deps.store(cluster);
  if (previous !== undefined && previous.deletedAt === undefined && stored !== undefined)
    await seeOutsideUpgrades(deps, previous.snapshot, stored.snapshot, seenBy);
  return stored;
}

/**
 * The runner's check right before it acts on a cluster: its own ARM read against the stored snapshot.
 * Nothing moved: no write (one table read). Something moved: the cluster is stored and compared
 * ({@link storeAndSee}); a change no Warden plan produced is recorded and told once, and the cluster
 * is planned again from its new versions (a plan it made moot is cancelled). True when it saw such a
 * change: the runner then reads its plan again, and a step ARM already shows done is recorded without
 * a request.
 */
export async function seeBeforeActing(
  deps: OutsideUpgradeDeps &
    PlanningDeps & {
      readonly fleet: Pick<FleetReader, 'regionVersions'>;
      readonly store: (cluster: ArmCluster) => Promise<StoredCluster | undefined>;
    },
  cluster: ArmCluster,
): Promise<boolean> {
  const key = parseClusterId(cluster.id)?.key;
  const previous = key === undefined ? undefined : await deps.clusters.get(cluster.subscriptionId, key);
  if (previous === undefined || previous.deletedAt !== undefined) return false;
  if (upgradesBetween(previous.snapshot, cluster).length === 0) return false;
  const stored = await deps.store(cluster);
  if (stored === undefined) return false;
  const entry = await seeOutsideUpgrades(deps, previous.snapshot, stored.snapshot, 'runner');
  if (entry === undefined) return false;
  const region = await deps.fleet.regionVersions(stored.snapshot.subscriptionId, stored.snapshot.location);
  await proposePlansForCluster(deps, stored.snapshot, region, deps.now(), {
    by: { actor: 'warden', source: { kind: 'runner' } },
    reason: `upgraded outside Warden (${entry.changes.map(describeChange).join('; ')}), seen by the runner before a step`,
    findings: stored.findings,
  });
  return true;
}

/**
 * The intake reaction: a pool rolled (NodePoolRollingSucceeded) while no Warden plan of the cluster
 * runs, so someone else upgraded it. The cluster is read from ARM at once, stored, compared
 * ({@link storeAndSee}) and planned again from its new versions, rather than at the next sweep.
 */
export function outsideUpgradeReaction(
  getDeps: () => Omit<OutsideUpgradeDeps, 'log'> &
    PlanningDeps & {
      readonly aks: Pick<AksGateway, 'getCluster'>;
      readonly fleet: FleetReader;
      readonly store: (cluster: ArmCluster) => Promise<StoredCluster | undefined>;
    },
): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    if (event.data.kind !== 'NodePoolRollingSucceeded') return;
    const deps = { ...getDeps(), log };
    for (const ref of event.clusters) {
      try {
        const open = await deps.plans.openFor(ref.key);
        if (open.some((o) => !NOT_STARTED.includes(o.plan.status))) continue;
        const known = await deps.clusters.get(ref.subscriptionId, ref.key);
        if (known === undefined || known.deletedAt !== undefined) continue;
        const stored = await storeAndSee(deps, await deps.aks.getCluster(ref), 'event');
        if (stored === undefined) continue;
        const region = await deps.fleet.regionVersions(
          stored.snapshot.subscriptionId,
          stored.snapshot.location,
        );
        await proposePlansForCluster(deps, stored.snapshot, region, deps.now(), {
          by: { actor: 'warden', source: { kind: 'event', eventId: event.id, eventType: event.data.kind } },
          reason: `${event.data.kind} without a Warden plan (event ${event.id})`,
          findings: stored.findings,
        });
      } catch (e) {
        // The next sweep sees the same change; the event must not be refused for this.
        log.warn(`outside-upgrade check for ${ref.name}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  };
}

import type { ClusterSnapshot } from '../domain/cluster';
import type { OutsideUpgradeEntry } from '../domain/clusterTimeline';
import { describeChange, madeByWarden, outsideChangeKey, upgradesBetween } from '../domain/clusterTimeline';
import { likelyPath } from '../domain/compliance';
import type { Notice } from '../domain/notice';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import type { ClusterStore } from '../store/clusterStore';
import type { PlanStore } from '../store/planStore';
import { recordOnTimeline } from './clusterTimeline';

export interface OutsideUpgradeDeps {
  readonly plans: Pick<PlanStore, 'list'>;
  readonly clusters: Pick<ClusterStore, 'get' | 'write'>;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly now: () => Date;
  readonly log: Pick<Logger, 'info'>;
  /** Whether a Fleet Manager auto-upgrade profile covers the cluster (the Fleet intake fills it in). */
  readonly fleetAutoUpgrade?: (cluster: ClusterSnapshot) => boolean | undefined;
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
  before: ClusterSnapshot,
  after: ClusterSnapshot,
  seenBy: OutsideUpgradeEntry['seenBy'],
): Promise<OutsideUpgradeEntry | undefined> {
  const changes = upgradesBetween(before, after);
  if (changes.length === 0) return undefined;
  const plans = await deps.plans.list({ cluster: after.id, limit: 100 });
  const outside = changes.filter((c) => !madeByWarden(c, after, plans));
  if (outside.length === 0) return undefined;
  const now = deps.now();
  const fleet = deps.fleetAutoUpgrade?.(before);
  const entry: OutsideUpgradeEntry = {
    kind: 'upgraded-outside-warden',
    key: outsideChangeKey(outside),
    at: now.toISOString(),
    changes: outside,
    likelyPath: likelyPath(before, outside, fleet !== undefined ? { fleetAutoUpgrade: fleet } : {}),
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

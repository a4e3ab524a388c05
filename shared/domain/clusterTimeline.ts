import type { EndOfSupportNotice } from './aksEvents';
import type { Plan } from './plan';
import { compareNodeImages } from './targeting';
import { compareVersions, parseVersion } from './versions';

/**
 * A cluster's timeline: what happened to it that its snapshot alone does not say (an end-of-support
 * notice from AKS, an upgrade Warden did not make). Kept on the cluster's record, newest last, each
 * entry once by its `key`, so a redelivered event or the next sweep adds nothing twice.
 */
export type TimelineEntry = EndOfSupportEntry | OutsideUpgradeEntry;

interface EntryBase {
  /** Unique per cluster: the same fact seen again has the same key. */
  readonly key: string;
  /** ISO: when the fact happened (the event's time) or was first seen (a sweep). */
  readonly at: string;
}

export interface EndOfSupportEntry extends EntryBase {
  readonly kind: 'end-of-support';
  readonly eventId: string;
  readonly notice: EndOfSupportNotice;
  /** False when the notice does not concern the cluster as it runs (LTS, or already past that minor). */
  readonly applies: boolean;
  readonly why?: string;
}

/** One version or node image that changed without a Warden plan behind it. */
export interface OutsideChange {
  readonly what: 'control-plane' | 'pool' | 'node-image';
  /** The pool, for `pool` and `node-image`. */
  readonly pool?: string;
  readonly from: string;
  readonly to: string;
}

export interface OutsideUpgradeEntry extends EntryBase {
  readonly kind: 'upgraded-outside-warden';
  readonly changes: readonly OutsideChange[];
  /** The path that most likely made it (see compliance.ts `upgradePaths`). */
  readonly likelyPath: string;
  /** What saw it: the sweep, an event, or the runner's own read of ARM. */
  readonly seenBy: 'sweep' | 'event' | 'runner';
}

/** Entries kept per cluster; the oldest go first (the sweep carries the timeline in its messages). */
export const TIMELINE_LIMIT = 20;

/** The versions of a cluster the sweep compares between two reads: control plane, pools, node images. */
export interface ClusterVersions {
  readonly kubernetesVersion: string;
  readonly nodePools: readonly {
    readonly name: string;
    readonly orchestratorVersion: string;
    readonly nodeImageVersion?: string;
  }[];
}

export function versionsOf(cluster: ClusterVersions): ClusterVersions {
  return {
    kubernetesVersion: cluster.kubernetesVersion,
    nodePools: cluster.nodePools.map((p) => ({
      name: p.name,
      orchestratorVersion: p.orchestratorVersion,
      ...(p.nodeImageVersion !== undefined && { nodeImageVersion: p.nodeImageVersion }),
    })),
  };
}

/** The timeline with `entries` added, those whose key it already has left out. */
export function withTimelineEntries(
  timeline: readonly TimelineEntry[],
  entries: readonly TimelineEntry[],
): { readonly timeline: readonly TimelineEntry[]; readonly added: readonly TimelineEntry[] } {
  const keys = new Set(timeline.map((e) => e.key));
  const added = entries.filter((e) => {
    if (keys.has(e.key)) return false;
    keys.add(e.key);
    return true;
  });
  if (added.length === 0) return { timeline, added };
  return { timeline: [...timeline, ...added].slice(-TIMELINE_LIMIT), added };
}

/** The idempotency key of an outside upgrade: the same change seen by the sweep and the runner is one. */
export function outsideChangeKey(changes: readonly OutsideChange[]): string {
  return `outside:${changes
    .map((c) => `${c.what}:${c.pool ?? ''}:${c.from}>${c.to}`)
    .sort()
    .join(',')}`;
}

/** `control plane 1.35.8 → 1.36.3`, `pool system 1.35.8 → 1.36.3`, `pool system node image a → b`. */
export function describeChange(c: OutsideChange): string {
  if (c.what === 'control-plane') return `control plane ${c.from} → ${c.to}`;
  if (c.what === 'pool') return `pool ${c.pool ?? '?'} ${c.from} → ${c.to}`;
  return `pool ${c.pool ?? '?'} node image ${c.from} → ${c.to}`;
}

/**
 * What moved forward between two snapshots of one cluster: the control plane, each pool's version,
 * each pool's node image. Pools that appeared or left are not upgrades.
 */
export function upgradesBetween(before: ClusterVersions, after: ClusterVersions): OutsideChange[] {
  const ahead = (a: string, b: string): boolean => {
    const x = parseVersion(a);
    const y = parseVersion(b);
    return x !== undefined && y !== undefined && compareVersions(x, y) > 0;
  };
  const out: OutsideChange[] = [];
  if (ahead(after.kubernetesVersion, before.kubernetesVersion))
    out.push({ what: 'control-plane', from: before.kubernetesVersion, to: after.kubernetesVersion });
  for (const pool of after.nodePools) {
    const was = before.nodePools.find((p) => p.name === pool.name);
    if (was === undefined) continue;
    if (ahead(pool.orchestratorVersion, was.orchestratorVersion))
      out.push({
        what: 'pool',
        pool: pool.name,
        from: was.orchestratorVersion,
        to: pool.orchestratorVersion,
      });
    if (
      was.nodeImageVersion !== undefined &&
      pool.nodeImageVersion !== undefined &&
      pool.nodeImageVersion !== was.nodeImageVersion &&
      compareNodeImages(pool.nodeImageVersion, was.nodeImageVersion) > 0
    )
      out.push({
        what: 'node-image',
        pool: pool.name,
        from: was.nodeImageVersion,
        to: pool.nodeImageVersion,
      });
  }
  return out;
}

/**
 * Whether one of Warden's own plans made the change: a plan that ran (running, blocked, succeeded or
 * failed) to that version or node image, through a step of that resource that started (the control
 * plane's, or the pool's; a plan's step still pending made nothing, even while its other steps run).
 * A version plan also moves the node images of the pools it rolls.
 */
export function madeByWarden(
  change: OutsideChange,
  after: Pick<ClusterVersions, 'nodePools'>,
  plans: readonly (Pick<Plan, 'status' | 'kind' | 'to' | 'nodeImage'> & Partial<Pick<Plan, 'steps'>>)[],
): boolean {
  const ran = plans.filter((p) => ['running', 'blocked', 'succeeded', 'failed'].includes(p.status));
  const started = (p: (typeof ran)[number]): boolean =>
    p.steps === undefined ||
    p.steps.some(
      (s) =>
        s.status !== 'pending' &&
        (change.what === 'control-plane'
          ? s.kind === 'control-plane'
          : s.kind !== 'control-plane' && s.pool.toLowerCase() === (change.pool ?? '').toLowerCase()),
    );
  if (change.what !== 'node-image')
    return ran.some((p) => p.kind !== 'node-image' && p.to === change.to && started(p));
  const poolVersion = after.nodePools.find((p) => p.name === change.pool)?.orchestratorVersion;
  return ran.some(
    (p) =>
      ((p.kind === 'node-image' && p.nodeImage === change.to) ||
        (p.kind !== 'node-image' && p.to === poolVersion)) &&
      started(p),
  );
}

import type { ClusterSnapshot, NodePoolSnapshot } from './cluster';
import type { OfferedMinor, RegionVersions } from './versions';
import { compareVersions, minorDistance, minorOf, parseVersion } from './versions';

/**
 * Version targeting: what one cluster should be upgraded to next.
 *
 * - control plane: the latest patch of its current minor when a newer one exists, else the latest
 *   patch of the next minor; never a minor skipped; no preview unless the policy allows it;
 * - LTS: a cluster on `AKSLongTermSupport` stays on its minor (patches only) while the region still
 *   offers that minor with LTS; minors it moves to must offer its support plan;
 * - node pools follow the control plane, one at a time, system pools first;
 * - node images are a plan kind of their own.
 */
/** `fleet-gate`: a Fleet Manager approval gate Warden decides (shared/domain/fleetGate.ts); it has no steps of its own. */
export type PlanKind = UpgradePlanKind | 'fleet-gate';
/** The kinds of plan Warden runs itself, step by step. */
export type UpgradePlanKind = 'patch' | 'minor' | 'node-image';

export type StepTarget =
  | { readonly kind: 'control-plane'; readonly from: string; readonly to: string }
  | {
      readonly kind: 'node-pool';
      readonly pool: string;
      readonly mode: string;
      readonly from: string;
      readonly to: string;
    }
  | {
      readonly kind: 'node-image';
      readonly pool: string;
      readonly mode: string;
      readonly from: string;
      readonly to: string;
    };

export interface UpgradeTarget {
  readonly kind: UpgradePlanKind;
  /** Control-plane version before and after (unchanged for node-image plans). */
  readonly from: string;
  readonly to: string;
  /** For node-image plans: the image version the pools go to. */
  readonly nodeImage?: string;
  readonly steps: readonly StepTarget[];
}

export interface TargetingOptions {
  readonly allowPreview: boolean;
  /** Pools (lower-case names) the policy upgrades first, in this order. */
  readonly poolOrder?: readonly string[];
}

const LTS = 'AKSLongTermSupport';
const OFFICIAL = 'KubernetesOfficial';

function offersPlan(minor: OfferedMinor, plan: string): boolean {
  // A region that lists no plans for a minor offers the official one.
  if (minor.supportPlans.length === 0) return plan === OFFICIAL;
  return minor.supportPlans.includes(plan);
}

function latestOf(patches: readonly string[]): string | undefined {
  return patches
    .filter((p) => parseVersion(p)?.patch !== undefined)
    .sort(compareVersions)
    .at(-1);
}

/**
 * The control-plane target for a version in a region, or undefined when it is already current
 * (or the region offers nothing newer that may be taken).
 */
export function targetVersion(
  current: string,
  region: RegionVersions,
  supportPlan: string,
  options: TargetingOptions,
): { kind: 'patch' | 'minor'; version: string } | undefined {
  const cur = parseVersion(current);
  if (!cur) return undefined;
  const plan = supportPlan === LTS ? LTS : OFFICIAL;
  const usable = region.minors.filter((m) => (options.allowPreview || !m.isPreview) && parseVersion(m.minor));

  const same = usable.find((m) => minorDistance(m.minor, minorOf(current)) === 0);
  const newerPatch = same ? latestOf(same.patches.filter((p) => compareVersions(p, current) > 0)) : undefined;
  if (newerPatch !== undefined) return { kind: 'patch', version: newerPatch };

  // An LTS cluster stays on its minor while the region still offers that minor with LTS.
  if (plan === LTS && same !== undefined && offersPlan(same, LTS)) return undefined;

  const next = usable.find((m) => minorDistance(minorOf(current), m.minor) === 1);
  if (next === undefined || !offersPlan(next, plan)) {
    // Leaving LTS: the next minor may still be offered on the official plan only. Warden does not
    // change a cluster's support plan by itself, so nothing is planned.
    return undefined;
  }
  const latest = latestOf(next.patches);
  return latest === undefined ? undefined : { kind: 'minor', version: latest };
}

/** The pools the policy names first, in its order; then system pools, then user pools; by name within each. */
export function poolOrder(
  pools: readonly NodePoolSnapshot[],
  first: readonly string[] = [],
): NodePoolSnapshot[] {
  const rank = (p: NodePoolSnapshot): number => {
    const i = first.indexOf(p.name.toLowerCase());
    return i >= 0 ? i : first.length;
  };
  return [...pools].sort(
    (a, b) =>
      rank(a) - rank(b) ||
      Number(a.mode.toLowerCase() !== 'system') - Number(b.mode.toLowerCase() !== 'system') ||
      a.name.localeCompare(b.name),
  );
}

/**
 * The version plan for a cluster: the control plane (when behind the target), then each pool behind
 * the target, system pools first. Also plans pools alone when the control plane is already there.
 */
export function versionTarget(
  cluster: Pick<ClusterSnapshot, 'kubernetesVersion' | 'supportPlan' | 'nodePools'>,
  region: RegionVersions,
  options: TargetingOptions,
): UpgradeTarget | undefined {
  const cp = cluster.kubernetesVersion;
  const target = targetVersion(cp, region, cluster.supportPlan, options);
  const to = target?.version ?? cp;
  const steps: StepTarget[] = [];
  if (compareVersions(to, cp) > 0) steps.push({ kind: 'control-plane', from: cp, to });
  for (const pool of poolOrder(cluster.nodePools, options.poolOrder)) {
    const pv = parseVersion(pool.orchestratorVersion);
    // Pools may trail the control plane by up to two minors and go straight to its version.
    if (
      pv &&
      compareVersions(pool.orchestratorVersion, to) < 0 &&
      minorDistance(pool.orchestratorVersion, to) <= 2
    )
      steps.push({ kind: 'node-pool', pool: pool.name, mode: pool.mode, from: pool.orchestratorVersion, to });
  }
  if (steps.length === 0) return undefined;
  const kind: PlanKind =
    target === undefined
      ? minorDistance(minPoolVersion(cluster.nodePools, to), to) === 0
        ? 'patch'
        : 'minor'
      : target.kind;
  return { kind, from: cp, to, steps };
}

function minPoolVersion(pools: readonly NodePoolSnapshot[], fallback: string): string {
  return (
    pools
      .map((p) => p.orchestratorVersion)
      .filter((v) => parseVersion(v))
      .sort(compareVersions)[0] ?? fallback
  );
}

/**
 * AKS node image versions look like `AKSUbuntu-2204gen2containerd-202506.02.0`; the date part orders
 * them. Compares two image versions of the same family.
 */
export function compareNodeImages(a: string, b: string): number {
  const key = (s: string): number[] => (/(\d{6})\.(\d+)\.(\d+)$/.exec(s)?.slice(1) ?? []).map(Number);
  const x = key(a);
  const y = key(b);
  for (let i = 0; i < 3; i++) {
    const d = (x[i] ?? -1) - (y[i] ?? -1);
    if (d !== 0) return d;
  }
  return a.localeCompare(b);
}

/**
 * The node-image plan: every pool whose image is older than its family's latest, in `poolOrder`.
 * `latestImage` answers the newest image for a pool (the sweep reads one per image family).
 */
export function nodeImageTarget(
  cluster: Pick<ClusterSnapshot, 'kubernetesVersion' | 'nodePools'>,
  latestImage: (pool: NodePoolSnapshot) => string | undefined,
  first: readonly string[] = [],
): UpgradeTarget | undefined {
  const steps: StepTarget[] = [];
  let newest: string | undefined;
  for (const pool of poolOrder(cluster.nodePools, first)) {
    const latest = latestImage(pool);
    if (latest === undefined || pool.nodeImageVersion === undefined) continue;
    if (compareNodeImages(pool.nodeImageVersion, latest) < 0) {
      steps.push({
        kind: 'node-image',
        pool: pool.name,
        mode: pool.mode,
        from: pool.nodeImageVersion,
        to: latest,
      });
      if (newest === undefined || compareNodeImages(latest, newest) > 0) newest = latest;
    }
  }
  if (steps.length === 0 || newest === undefined) return undefined;
  return {
    kind: 'node-image',
    from: cluster.kubernetesVersion,
    to: cluster.kubernetesVersion,
    nodeImage: newest,
    steps,
  };
}

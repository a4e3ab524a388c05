import type { PlanWindow } from './plan';
import type {
  PlanPreflight,
  PreflightBlocking,
  PreflightCheck,
  PreflightCheckId,
  PreflightNode,
  PreflightStatus,
} from './preflight';
import { PREFLIGHT_CHECK_IDS, preflightVerdict } from './preflight';
import type { Ring } from './rings';
import type { PlanKind, StepTarget } from './targeting';
import type { RegionVersions } from './versions';
import { compareVersions, minorDistance, minorOf, parseVersion } from './versions';

/**
 * The pre-flight checks, pure: what AKS itself checks only inside the upgrade request (PDBs, free
 * subnet addresses, vCPU quota, deprecated APIs) and what makes a step stall or outlast its window,
 * judged from facts read beforehand (shared/usecases/preflight.ts reads them). A fact that could not
 * be read is `unknown` with the reason and what to grant, never a pass; the other checks still run.
 */

/** A fact, or why it could not be read (the reason says what to grant or fix). */
export type Known<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export const known = <T>(value: T): Known<T> => ({ ok: true, value });
export const unknownFact = <T>(reason: string): Known<T> => ({ ok: false, reason });

/** A node pool as the cluster's ARM GET has it (the fields pre-flight reads). */
export interface PoolFacts {
  readonly name: string;
  readonly mode: string;
  readonly count: number;
  readonly vmSize: string;
  /** `maxPods` (AKS default 30 for Azure CNI node subnet, 110 for kubenet / overlay, 250 for overlay since 2024). */
  readonly maxPods: number;
  readonly maxSurge?: string;
  readonly vnetSubnetId?: string;
  readonly podSubnetId?: string;
  readonly orchestratorVersion: string;
  readonly provisioningState?: string;
}

export interface ClusterFacts {
  readonly provisioningState?: string;
  /** The running control-plane version. */
  readonly kubernetesVersion: string;
  /** `azure`, `kubenet`, `none`. */
  readonly networkPlugin?: string;
  /** `overlay` for Azure CNI Overlay. */
  readonly networkPluginMode?: string;
  readonly privateCluster: boolean;
  readonly authorizedIpRanges: readonly string[];
  readonly pools: readonly PoolFacts[];
}

/** One subnet's entry in `virtualNetworks/{vnet}/usages`: addresses in use (`currentValue`) of `limit`. */
export interface SubnetUsage {
  readonly id: string;
  readonly currentValue: number;
  readonly limit: number;
}

/** One entry of Compute `locations/{location}/usages`: `cores` (Total Regional vCPUs) or a family. */
export interface ComputeUsage {
  readonly name: string;
  readonly localizedName?: string;
  readonly currentValue: number;
  readonly limit: number;
}

/** A VM size from the resource SKUs API (`family`, capability `vCPUs`). */
export interface VmSku {
  readonly name: string;
  readonly family: string;
  readonly vcpus: number;
}

export interface KubePod {
  readonly namespace: string;
  readonly name: string;
  readonly nodeName?: string;
  readonly labels: Readonly<Record<string, string>>;
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly {
    readonly key: string;
    readonly operator: string;
    readonly values?: readonly string[];
  }[];
}

export interface KubePdb {
  readonly namespace: string;
  readonly name: string;
  readonly generation?: number;
  readonly observedGeneration?: number;
  readonly minAvailable?: number | string;
  readonly maxUnavailable?: number | string;
  /** Undefined: a null selector, which selects nothing. */
  readonly selector?: LabelSelector;
  readonly disruptionsAllowed?: number;
  readonly currentHealthy?: number;
  readonly desiredHealthy?: number;
  readonly expectedPods?: number;
}

/** One series of `apiserver_requested_deprecated_apis`. */
export interface DeprecatedApiUse {
  readonly group: string;
  readonly version: string;
  readonly resource: string;
  readonly subresource: string;
  /** `1.32`; empty when the API is deprecated without a removal release. */
  readonly removedRelease: string;
}

/** How long an upgrade takes, as pre-flight estimates it (the policy's `preflight` times). */
export interface UpgradeTiming {
  readonly controlPlaneMs: number;
  /** One surge batch: create the surge nodes, drain, reimage, remove (per batch of `maxSurge` nodes). */
  readonly batchMs: number;
}

export interface PreflightPlan {
  readonly kind: PlanKind;
  readonly to: string;
  readonly ring: Ring;
  readonly steps: readonly StepTarget[];
  readonly window?: PlanWindow;
}

/** Everything the checks judge. `pods` is read only when a PDB allows no disruption; `deprecated` only for a minor. */
export interface PreflightFacts {
  readonly plan: PreflightPlan;
  readonly cluster: Known<ClusterFacts>;
  readonly region: Known<RegionVersions>;
  /** By subnet id, lower case. */
  readonly subnets: ReadonlyMap<string, Known<SubnetUsage>>;
  readonly computeUsages: Known<readonly ComputeUsage[]>;
  /** By VM size, lower case. */
  readonly skus: Known<ReadonlyMap<string, VmSku>>;
  readonly nodes: Known<readonly PreflightNode[]>;
  readonly pdbs: Known<readonly KubePdb[]>;
  readonly pods?: Known<readonly KubePod[]>;
  readonly deprecated?: Known<readonly DeprecatedApiUse[]>;
  readonly timing: UpgradeTiming;
}

export const GUIDANCE: Readonly<Record<PreflightCheckId, string>> = {
  'cluster-state': 'https://learn.microsoft.com/azure/aks/upgrade-aks-cluster',
  'subnet-ips':
    'https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/connectivity/insufficientsubnetsize-error-advanced-networking',
  'vcpu-quota': 'https://learn.microsoft.com/azure/aks/upgrade-capacity-cost-planning',
  pdb: 'https://learn.microsoft.com/azure/aks/upgrade-cluster#validations-used-in-the-upgrade-process',
  'deprecated-apis': 'https://learn.microsoft.com/azure/aks/stop-cluster-upgrade-api-breaking-changes',
  'nodes-ready':
    'https://learn.microsoft.com/troubleshoot/azure/azure-kubernetes/availability-performance/node-not-ready-basic-troubleshooting',
  'max-surge': 'https://learn.microsoft.com/azure/aks/upgrade-aks-node-pools#customize-node-surge-upgrade',
  'window-fits': 'https://learn.microsoft.com/azure/aks/planned-maintenance',
};

const TITLES: Readonly<Record<PreflightCheckId, string>> = {
  'cluster-state': 'Cluster state, target version and version skew',
  'subnet-ips': 'Free addresses in the node subnet for the surge nodes',
  'vcpu-quota': 'vCPU quota for the surge nodes',
  pdb: 'Pod Disruption Budgets on the pool allow a drain',
  'deprecated-apis': 'No recent use of APIs the target minor removes',
  'nodes-ready': 'Nodes Ready and schedulable',
  'max-surge': 'Max surge',
  'window-fits': 'The upgrade fits its maintenance window',
};

/** The service default when a pool sets no `maxSurge` (spec 2026: 10 %). */
export const DEFAULT_MAX_SURGE = '10%';
/** AKS day-2 guidance: production node pools surge up to 33 %. */
const PRODUCTION_SURGE_PERCENT = 33;

function check(
  id: PreflightCheckId,
  status: PreflightStatus,
  detail: string,
  pool?: string,
  title = TITLES[id],
): PreflightCheck {
  return {
    id,
    status,
    title: pool !== undefined ? `${title} (pool ${pool})` : title,
    detail,
    guidance: GUIDANCE[id],
    ...(pool !== undefined && { pool }),
  };
}

/** Surge nodes as AKS reads `maxSurge`: a node count, or a percentage of the pool rounded up (at least 1). */
export function surgeNodes(maxSurge: string | undefined, count: number): number {
  const s = (maxSurge ?? '').trim() || DEFAULT_MAX_SURGE;
  if (/^\d+%$/.test(s)) {
    const pct = Number(s.slice(0, -1));
    return pct === 0 ? 0 : Math.max(1, Math.ceil((count * pct) / 100));
  }
  if (/^\d+$/.test(s)) return Number(s);
  return 1;
}

/** The pools a plan reimages (its pool and node-image steps), as the cluster has them. */
function poolsOfPlan(facts: PreflightFacts, cluster: ClusterFacts): PoolFacts[] {
  const names = new Set(
    facts.plan.steps
      .filter((s) => s.kind !== 'control-plane')
      .map((s) => ('pool' in s ? s.pool.toLowerCase() : '')),
  );
  return cluster.pools.filter((p) => names.has(p.name.toLowerCase()));
}

/** Addresses one node takes in its node subnet, by network model (AKS IP planning). */
export function addressesPerNode(cluster: ClusterFacts, pool: PoolFacts): { count: number; model: string } {
  const plugin = (cluster.networkPlugin ?? 'kubenet').toLowerCase();
  if (plugin === 'azure' && (cluster.networkPluginMode ?? '').toLowerCase() === 'overlay')
    return { count: 1, model: 'Azure CNI Overlay: 1 address per node' };
  if (plugin === 'azure' && pool.podSubnetId !== undefined)
    return { count: 1, model: 'Azure CNI with a pod subnet: 1 address per node in the node subnet' };
  if (plugin === 'azure')
    return { count: pool.maxPods + 1, model: `Azure CNI node subnet: maxPods ${pool.maxPods} + 1 per node` };
  return { count: 1, model: `${plugin}: 1 address per node` };
}

const subnetName = (id: string): string => {
  const m = /virtualNetworks\/([^/]+)\/subnets\/([^/]+)/i.exec(id);
  return m ? `${m[1]}/${m[2]}` : id;
};

function subnetChecks(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck[] {
  const pools = poolsOfPlan(facts, cluster);
  if (pools.length === 0)
    return [check('subnet-ips', 'pass', 'this plan reimages no node pool: no surge nodes')];
  return pools.flatMap((pool): PreflightCheck[] => {
    const surge = surgeNodes(pool.maxSurge, pool.count);
    if (pool.vnetSubnetId === undefined)
      return [
        check(
          'subnet-ips',
          'pass',
          `AKS-managed virtual network: AKS sizes the node subnet itself (${surge} surge node(s))`,
          pool.name,
        ),
      ];
    const per = addressesPerNode(cluster, pool);
    const out: PreflightCheck[] = [];
    const judge = (subnetId: string, need: number, how: string, which: string): PreflightCheck => {
      const usage = facts.subnets.get(subnetId.toLowerCase());
      if (usage === undefined || !usage.ok)
        return check(
          'subnet-ips',
          'unknown',
          `${which} ${subnetName(subnetId)}: ${usage?.ok === false ? usage.reason : 'not read'}`,
          pool.name,
        );
      const free = usage.value.limit - usage.value.currentValue;
      const text = `${which} ${subnetName(subnetId)}: ${free} free (${usage.value.currentValue} of ${usage.value.limit} in use), ${need} needed (${how})`;
      return check(
        'subnet-ips',
        free >= need ? 'pass' : 'fail',
        free >= need ? text : `${text}: AKS refuses the upgrade (InsufficientSubnetSize)`,
        pool.name,
      );
    };
    out.push(
      judge(
        pool.vnetSubnetId,
        surge * per.count,
        `${surge} surge node(s) × ${per.count}; ${per.model}`,
        'node subnet',
      ),
    );
    if (pool.podSubnetId !== undefined && (cluster.networkPlugin ?? '').toLowerCase() === 'azure')
      out.push(
        judge(
          pool.podSubnetId,
          surge * pool.maxPods,
          `${surge} surge node(s) × maxPods ${pool.maxPods}`,
          'pod subnet',
        ),
      );
    return out;
  });
}

function quotaChecks(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck[] {
  const pools = poolsOfPlan(facts, cluster);
  if (pools.length === 0)
    return [check('vcpu-quota', 'pass', 'this plan reimages no node pool: no surge nodes')];
  return pools.map((pool) => {
    const surge = surgeNodes(pool.maxSurge, pool.count);
    if (!facts.skus.ok)
      return check('vcpu-quota', 'unknown', `VM size ${pool.vmSize}: ${facts.skus.reason}`, pool.name);
    const sku = facts.skus.value.get(pool.vmSize.toLowerCase());
    if (sku === undefined)
      return check(
        'vcpu-quota',
        'unknown',
        `VM size ${pool.vmSize} is not in the region's resource SKUs`,
        pool.name,
      );
    if (!facts.computeUsages.ok) return check('vcpu-quota', 'unknown', facts.computeUsages.reason, pool.name);
    const need = surge * sku.vcpus;
    const usages = facts.computeUsages.value;
    const parts: string[] = [];
    let short = false;
    for (const [name, label] of [
      ['cores', 'regional'],
      [sku.family, sku.family],
    ] as const) {
      const u = usages.find((x) => x.name.toLowerCase() === name.toLowerCase());
      if (u === undefined) {
        parts.push(`${label}: no usage entry`);
        continue;
      }
      const left = u.limit - u.currentValue;
      if (left < need) short = true;
      parts.push(`${label} ${left} vCPUs left (${u.currentValue} of ${u.limit})`);
    }
    const text = `${need} vCPUs needed (${surge} surge node(s) × ${sku.vcpus} vCPUs of ${pool.vmSize}); ${parts.join('; ')}`;
    const missing = parts.some((p) => p.endsWith('no usage entry'));
    return check(
      'vcpu-quota',
      short ? 'fail' : missing ? 'unknown' : 'pass',
      short
        ? `${text}: AKS refuses the upgrade (quota exceeded); request a quota increase or lower maxSurge`
        : text,
      pool.name,
    );
  });
}

export function selects(
  selector: LabelSelector | undefined,
  labels: Readonly<Record<string, string>>,
): boolean {
  if (selector === undefined) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const values = e.values ?? [];
    switch (e.operator) {
      case 'In':
        if (!has || !values.includes(value ?? '')) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value ?? '')) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

const isZero = (v: number | string | undefined): boolean => v === 0 || v === '0' || v === '0%';

/** Why a PDB allows no disruption, or undefined when it allows one (status trusted only when observed). */
export function pdbAtZero(pdb: KubePdb): { reason: string; refused: boolean } | undefined {
  const name = `${pdb.namespace}/${pdb.name}`;
  if (isZero(pdb.maxUnavailable)) return { reason: `PDB ${name} has maxUnavailable 0`, refused: true };
  const expected = pdb.expectedPods;
  if (pdb.minAvailable !== undefined && expected !== undefined && expected > 0) {
    const min =
      typeof pdb.minAvailable === 'string' && pdb.minAvailable.endsWith('%')
        ? Math.ceil((Number(pdb.minAvailable.slice(0, -1)) * expected) / 100)
        : Number(pdb.minAvailable);
    if (min >= expected)
      return {
        reason: `PDB ${name} has minAvailable(${String(pdb.minAvailable)}) >= expectedPods(${expected})`,
        refused: true,
      };
  }
  const observed = pdb.generation === undefined || pdb.observedGeneration === pdb.generation;
  if (observed && pdb.disruptionsAllowed === 0)
    return {
      reason: `PDB ${name} allows 0 disruptions (${pdb.currentHealthy ?? '?'} healthy, ${pdb.desiredHealthy ?? '?'} desired)`,
      refused: false,
    };
  return undefined;
}

/** PDBs whose status has not caught up with their spec (`observedGeneration` ≠ `generation`). */
const stale = (pdb: KubePdb): boolean =>
  pdb.generation !== undefined && pdb.observedGeneration !== pdb.generation;

/** True when the PDB check must read pods: some PDB allows no disruption, or its status is not current. */
export function needsPods(pdbs: readonly KubePdb[]): boolean {
  return pdbs.some((p) => pdbAtZero(p) !== undefined || stale(p));
}

function pdbChecks(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck[] {
  const pools = poolsOfPlan(facts, cluster);
  if (pools.length === 0) return [check('pdb', 'pass', 'this plan drains no node pool')];
  if (!facts.pdbs.ok)
    return pools.map((p) => check('pdb', 'unknown', facts.pdbs.ok ? '' : facts.pdbs.reason, p.name));
  const pdbs = facts.pdbs.value;
  if (!needsPods(pdbs))
    return pools.map((p) =>
      check(
        'pdb',
        'pass',
        pdbs.length === 0
          ? 'no PodDisruptionBudget in the cluster'
          : `${pdbs.length} PDB(s), each allows a disruption now`,
        p.name,
      ),
    );
  const pods = facts.pods;
  if (pods === undefined || !pods.ok)
    return pools.map((p) =>
      check(
        'pdb',
        'unknown',
        `pods not readable (${pods?.ok === false ? pods.reason : 'not read'}); a PDB allows no disruption`,
        p.name,
      ),
    );
  if (!facts.nodes.ok)
    return pools.map((p) =>
      check(
        'pdb',
        'unknown',
        `nodes not readable to place pods on pools (${facts.nodes.ok ? '' : facts.nodes.reason})`,
        p.name,
      ),
    );
  const poolOfNode = new Map(facts.nodes.value.map((n) => [n.name, (n.pool ?? '').toLowerCase()]));
  return pools.map((pool) => {
    const problems: string[] = [];
    const warnings: string[] = [];
    let refused = false;
    for (const pdb of pdbs) {
      const onPool = pods.value.filter(
        (p) =>
          p.namespace === pdb.namespace &&
          poolOfNode.get(p.nodeName ?? '') === pool.name.toLowerCase() &&
          selects(pdb.selector, p.labels),
      );
      if (onPool.length === 0) continue;
      const names =
        onPool
          .map((p) => p.name)
          .slice(0, 5)
          .join(', ') + (onPool.length > 5 ? `, … (${onPool.length})` : '');
      const zero = pdbAtZero(pdb);
      if (zero !== undefined) {
        refused ||= zero.refused;
        problems.push(
          `${zero.reason}; selects ${names} on this pool${zero.refused ? ' (AKS refuses: UnsatisfiablePDB)' : ' (the drain stalls)'}`,
        );
      } else if (stale(pdb))
        warnings.push(
          `PDB ${pdb.namespace}/${pdb.name} status is not current (observedGeneration ${pdb.observedGeneration ?? 'none'}, generation ${pdb.generation ?? '?'}); selects ${names}`,
        );
    }
    if (problems.length > 0) return check('pdb', 'fail', problems.join('; '), pool.name);
    if (warnings.length > 0) return check('pdb', 'warn', warnings.join('; '), pool.name);
    return check(
      'pdb',
      'pass',
      `no PDB at zero selects pods on this pool (${pdbs.length} PDB(s) in the cluster)`,
      pool.name,
    );
  });
}

function deprecatedCheck(facts: PreflightFacts): PreflightCheck {
  if (facts.plan.kind !== 'minor')
    return check(
      'deprecated-apis',
      'pass',
      `a ${facts.plan.kind} upgrade removes no API (only a new minor does)`,
    );
  const target = minorOf(facts.plan.to);
  const uses = facts.deprecated;
  if (uses === undefined || !uses.ok)
    return check('deprecated-apis', 'unknown', uses?.ok === false ? uses.reason : 'not read');
  const removed = uses.value.filter(
    (u) =>
      u.removedRelease !== '' &&
      parseVersion(u.removedRelease) !== undefined &&
      compareVersions(u.removedRelease, target) <= 0,
  );
  const name = (u: DeprecatedApiUse): string =>
    `${u.group === '' ? 'core' : u.group}/${u.version}/${u.resource}${u.subresource !== '' ? `/${u.subresource}` : ''}`;
  if (removed.length === 0) {
    // Deprecated with no removal release: a CRD version marked deprecated (its operator, not a
    // Kubernetes minor, decides when it goes). Named, so the owner can migrate before it does.
    const never = uses.value.filter((u) => u.removedRelease === '').map(name);
    return check(
      'deprecated-apis',
      'pass',
      `apiserver_requested_deprecated_apis lists ${uses.value.length} deprecated API(s), none removed by ${target}` +
        (never.length > 0 ? `; deprecated with no removal release: ${[...new Set(never)].join(', ')}` : ''),
    );
  }
  const list = removed.map((u) => `${name(u)} (removed in ${u.removedRelease})`).join(', ');
  return check(
    'deprecated-apis',
    'fail',
    `requested since the API server started: ${list}. AKS blocks a minor upgrade on such use in the last 12 hours (UpgradeBlockedOnDeprecatedAPIUsage). ` +
      'Migrate the callers; a force upgrade (upgradeSettings.overrideSettings.forceUpgrade) bypasses the block, and those calls then fail after the upgrade.',
  );
}

function nodesChecks(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck[] {
  const pools = facts.plan.steps.some((s) => s.kind !== 'control-plane')
    ? poolsOfPlan(facts, cluster)
    : cluster.pools;
  if (!facts.nodes.ok) return [check('nodes-ready', 'unknown', facts.nodes.reason)];
  const nodes = facts.nodes.value;
  return pools.map((pool) => {
    const mine = nodes.filter((n) => (n.pool ?? '').toLowerCase() === pool.name.toLowerCase());
    const notReady = mine.filter((n) => !n.ready).map((n) => n.name);
    const cordoned = mine.filter((n) => n.cordoned).map((n) => n.name);
    const bad = [
      ...(notReady.length > 0 ? [`NotReady: ${notReady.join(', ')}`] : []),
      ...(cordoned.length > 0 ? [`cordoned: ${cordoned.join(', ')}`] : []),
    ];
    return check(
      'nodes-ready',
      bad.length > 0 ? 'warn' : 'pass',
      bad.length > 0
        ? `${bad.join('; ')} (${mine.length} node(s))`
        : `${mine.length} node(s) Ready and schedulable`,
      pool.name,
    );
  });
}

const settled = (state: string | undefined): boolean =>
  state === undefined || state.toLowerCase() === 'succeeded';

function clusterStateCheck(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck {
  const fails: string[] = [];
  const warns: string[] = [];
  const state = cluster.provisioningState ?? 'Succeeded';
  if (/^(failed|canceled)$/i.test(state))
    fails.push(`the cluster is ${state}: reconcile it (az aks update) first`);
  else if (!settled(state)) warns.push(`an operation is in progress (cluster ${state})`);
  for (const p of cluster.pools)
    if (!settled(p.provisioningState))
      (/^failed$/i.test(p.provisioningState ?? '') ? fails : warns).push(
        `pool ${p.name} is ${p.provisioningState ?? '?'}`,
      );
  const plan = facts.plan;
  if (plan.kind !== 'node-image') {
    if (!facts.region.ok) warns.push(`the region's versions: ${facts.region.reason}`);
    else {
      const minor = facts.region.value.minors.find((m) => m.minor === minorOf(plan.to));
      if (minor === undefined || !minor.patches.includes(plan.to))
        fails.push(`${plan.to} is not offered in ${facts.region.value.location}`);
      else if (minor.isPreview)
        fails.push(`${plan.to} is a preview version in ${facts.region.value.location}`);
    }
    const upgraded = new Set(
      plan.steps.filter((s) => s.kind === 'node-pool').map((s) => ('pool' in s ? s.pool.toLowerCase() : '')),
    );
    for (const p of cluster.pools) {
      if (upgraded.has(p.name.toLowerCase()) || parseVersion(p.orchestratorVersion) === undefined) continue;
      if (minorDistance(p.orchestratorVersion, plan.to) > 3)
        fails.push(
          `pool ${p.name} at ${p.orchestratorVersion} would be more than 3 minors behind ${plan.to}`,
        );
      if (compareVersions(p.orchestratorVersion, plan.to) > 0)
        fails.push(`pool ${p.name} at ${p.orchestratorVersion} is above ${plan.to}`);
    }
  }
  const base = `cluster ${state}, control plane ${cluster.kubernetesVersion}, target ${plan.kind === 'node-image' ? 'node image' : plan.to}`;
  if (fails.length > 0) return check('cluster-state', 'fail', `${base}: ${[...fails, ...warns].join('; ')}`);
  if (warns.length > 0) return check('cluster-state', 'warn', `${base}: ${warns.join('; ')}`);
  return check('cluster-state', 'pass', `${base}: offered, not preview, skew allowed, nothing in progress`);
}

function surgeChecks(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck[] {
  const pools = poolsOfPlan(facts, cluster);
  if (pools.length === 0) return [check('max-surge', 'pass', 'this plan reimages no node pool')];
  return pools.map((p) => {
    const surge = surgeNodes(p.maxSurge, p.count);
    const pct = p.count > 0 ? Math.round((surge / p.count) * 100) : 0;
    const text = `maxSurge ${p.maxSurge ?? `unset (service default ${DEFAULT_MAX_SURGE})`}: ${surge} surge node(s) for ${p.count} node(s) (${pct} %)`;
    const low =
      facts.plan.ring === 'production' && p.count > 1 && pct < PRODUCTION_SURGE_PERCENT && surge < p.count;
    return check(
      'max-surge',
      low ? 'warn' : 'pass',
      low ? `${text}; up to ${PRODUCTION_SURGE_PERCENT} % is recommended in production` : text,
      p.name,
    );
  });
}

/** Expected duration: the control plane (version plans), then each pool in batches of its surge nodes. */
export function expectedDurationMs(
  facts: PreflightFacts,
  cluster: ClusterFacts,
): { ms: number; how: string } {
  const parts: string[] = [];
  let ms = 0;
  if (facts.plan.steps.some((s) => s.kind === 'control-plane')) {
    ms += facts.timing.controlPlaneMs;
    parts.push(`control plane ${Math.round(facts.timing.controlPlaneMs / 60_000)} min`);
  }
  for (const p of poolsOfPlan(facts, cluster)) {
    const surge = Math.max(1, surgeNodes(p.maxSurge, p.count));
    const batches = Math.max(1, Math.ceil(p.count / surge));
    ms += batches * facts.timing.batchMs;
    parts.push(`${p.name} ${batches} batch(es) of ${surge}`);
  }
  return { ms, how: `${parts.join(' + ')}; ${Math.round(facts.timing.batchMs / 60_000)} min per batch` };
}

function windowCheck(facts: PreflightFacts, cluster: ClusterFacts): PreflightCheck {
  const { ms, how } = expectedDurationMs(facts, cluster);
  const minutes = Math.round(ms / 60_000);
  const w = facts.plan.window;
  if (w === undefined || w.source === 'none')
    return check('window-fits', 'pass', `about ${minutes} min (${how}); no maintenance window: any time`);
  if (w.start === undefined || w.end === undefined)
    return check(
      'window-fits',
      'warn',
      `about ${minutes} min (${how}); ${w.description} has no opening to start in`,
    );
  const length = Math.round((Date.parse(w.end) - Date.parse(w.start)) / 60_000);
  const fits = ms <= Date.parse(w.end) - Date.parse(w.start);
  return check(
    'window-fits',
    fits ? 'pass' : 'warn',
    `about ${minutes} min (${how}) against ${length} min from ${w.start} (${w.description})${fits ? '' : ': it will not fit; the steps continue in the next openings'}`,
  );
}

/** Every check of the report, in {@link PREFLIGHT_CHECK_IDS} order (per-pool checks by pool). */
export function runChecks(facts: PreflightFacts): PreflightCheck[] {
  if (!facts.cluster.ok) {
    const reason = facts.cluster.reason;
    const unknowns = PREFLIGHT_CHECK_IDS.filter((id) => id !== 'deprecated-apis').map((id) =>
      check(id, 'unknown', `the cluster could not be read: ${reason}`),
    );
    return [...unknowns, deprecatedCheck(facts)].sort(
      (a, b) => PREFLIGHT_CHECK_IDS.indexOf(a.id) - PREFLIGHT_CHECK_IDS.indexOf(b.id),
    );
  }
  const c = facts.cluster.value;
  return [
    clusterStateCheck(facts, c),
    ...subnetChecks(facts, c),
    ...quotaChecks(facts, c),
    ...pdbChecks(facts, c),
    deprecatedCheck(facts),
    ...nodesChecks(facts, c),
    ...surgeChecks(facts, c),
    windowCheck(facts, c),
  ];
}

/** The report: the checks, their verdict under the ring's blocking rules, and the node view. */
export function preflightReport(
  facts: PreflightFacts,
  blocking: PreflightBlocking,
  now: Date,
): PlanPreflight {
  const checks = runChecks(facts);
  return {
    verdict: preflightVerdict(checks, blocking),
    checkedAt: now.toISOString(),
    checks,
    ...(facts.nodes.ok && { nodes: facts.nodes.value }),
  };
}

/**
 * The report when pre-flight itself could not run (not one fact missing: the whole check failed):
 * every check `unknown` with the reason, never a pass, so the plan still says it was not checked.
 */
export function unreadReport(reason: string, blocking: PreflightBlocking, now: Date): PlanPreflight {
  const checks = PREFLIGHT_CHECK_IDS.map((id) =>
    check(
      id,
      'unknown',
      `pre-flight could not run: ${reason}; it runs again before the approval request and before each step`,
    ),
  );
  return { verdict: preflightVerdict(checks, blocking), checkedAt: now.toISOString(), checks };
}

/**
 * `apiserver_requested_deprecated_apis` series from a Prometheus text exposition. The label values
 * are Kubernetes names (no escapes needed in practice); a malformed line is skipped.
 */
export function parseDeprecatedApiMetric(text: string): DeprecatedApiUse[] {
  const out: DeprecatedApiUse[] = [];
  for (const line of text.split('\n')) {
    const m = /^apiserver_requested_deprecated_apis\{([^}]*)\}\s+(\S+)/.exec(line.trim());
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[1] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ''] = l[2] ?? '';
    if (Number(m[2]) <= 0) continue;
    out.push({
      group: labels.group ?? '',
      version: labels.version ?? '',
      resource: labels.resource ?? '',
      subresource: labels.subresource ?? '',
      removedRelease: labels.removed_release ?? '',
    });
  }
  return out;
}

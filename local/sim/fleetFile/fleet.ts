import { readFileSync } from 'node:fs';

import type { MinorSpec } from '../arm/versions';
import { compareVersions, latestPatch, minorOf, parseVersion } from '../arm/versions';
import type { QuotaSpec, SimQuota } from '../compute/model';
import { buildQuotas } from '../compute/model';
import type { FleetManagerSpec, SimFleetManager } from '../fleetManager/model';
import { buildFleetManager } from '../fleetManager/model';
import type { KubeSpec, SimKube } from '../kube/model';
import { newKube } from '../kube/model';
import type { SimVnet, VnetSpec } from '../network/model';
import { buildVnets } from '../network/model';
import { ClusterMap } from './clusterMap';

/**
 * The fleet file (docs/fleet-file.md): what the simulator's Azure looks like when it starts.
 * JSON; every cluster names its subscription, resource group and region.
 */
export interface FleetFile {
  /** Minor versions every region offers unless the region lists its own. */
  readonly versions?: MinorSpec[];
  /** Latest node image per image family (`AKSUbuntu-2204gen2containerd` -> `202611.04.0`). */
  readonly nodeImages?: Record<string, string>;
  readonly regions: readonly RegionSpec[];
  readonly subscriptions: readonly { readonly id: string; readonly displayName?: string }[];
  readonly clusters: readonly ClusterSpec[];
  /** Management groups and the subscriptions under them (Resource Graph's `managementGroups` scope). */
  readonly managementGroups?: readonly { readonly id: string; readonly subscriptions: readonly string[] }[];
  /** Empty resource groups to create (those holding clusters exist anyway). */
  readonly resourceGroups?: readonly { readonly subscriptionId: string; readonly name: string }[];
  /** Virtual networks whose subnets pools name in `vnetSubnetID` (Network usages). */
  readonly virtualNetworks?: readonly VnetSpec[];
  /** vCPU quotas per subscription and region (Compute usages); unlisted: 350 regional and per family. */
  readonly quotas?: readonly QuotaSpec[];
  /** Azure Kubernetes Fleet Manager fleets whose members are clusters of this file (local/sim/fleetManager). */
  readonly fleetManager?: FleetManagerSpec;
}

export interface RegionSpec {
  readonly name: string;
  readonly versions?: MinorSpec[];
  readonly nodeImages?: Record<string, string>;
}

export interface PoolSpec {
  readonly name: string;
  readonly mode?: 'System' | 'User';
  readonly osType?: 'Linux' | 'Windows';
  readonly osSKU?: string;
  /** Default: the control plane's version. */
  readonly orchestratorVersion?: string;
  /** `<family>-<version>`, e.g. `AKSUbuntu-2204gen2containerd-202610.20.0`; default: the family's latest. */
  readonly nodeImageVersion?: string;
  readonly maxSurge?: string;
  readonly maxUnavailable?: string;
  readonly count?: number;
  readonly vmSize?: string;
  /** Full subnet id (`/subscriptions/…/virtualNetworks/{vnet}/subnets/{subnet}`); absent: AKS-managed VNet. */
  readonly vnetSubnetID?: string;
  readonly podSubnetID?: string;
  /** Default 30 with Azure CNI on the node subnet, else 110 (AKS defaults). */
  readonly maxPods?: number;
}

/**
 * A recent call to a deprecated API, as the API server's `apiserver_requested_deprecated_apis` reports
 * it: blocks control-plane upgrades to its `removedIn` minor or later. The real facts (which API a
 * given version serves and removes when) are in docs/design/deprecated-apis.md.
 */
export interface DeprecatedApiUsage {
  /** e.g. `flowcontrol.apiserver.k8s.io.v1beta3.flowschemas.list` (on 1.29-1.31). */
  readonly api: string;
  /**
   * The minor that removes the API (the type's `APILifecycleRemoved()`); upgrades to it or later are
   * blocked. `""` for a deprecated API no release removes (a CustomResourceDefinition's version
   * marked `deprecated: true`): it never blocks.
   */
  readonly removedIn: string;
  /** ISO time the usage was last seen; default: when the simulator started. */
  readonly lastSeen?: string;
}

export interface ClusterSpec {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  /** Full `major.minor.patch`. */
  readonly kubernetesVersion: string;
  readonly tags?: Record<string, string>;
  readonly sku?: { readonly name?: string; readonly tier?: 'Free' | 'Standard' | 'Premium' };
  readonly supportPlan?: 'KubernetesOfficial' | 'AKSLongTermSupport';
  readonly autoUpgradeProfile?: {
    readonly upgradeChannel?: string;
    /** Absent means the cluster never set it (shown absent in ARM). */
    readonly nodeOSUpgradeChannel?: string;
  };
  readonly pools?: readonly PoolSpec[];
  /** By configuration name (`default`, `aksManagedAutoUpgradeSchedule`, `aksManagedNodeOSUpgradeSchedule`): the wire `properties`. */
  readonly maintenanceConfigurations?: Record<string, Record<string, unknown>>;
  readonly deprecatedApiUsage?: readonly DeprecatedApiUsage[];
  /** Default Azure CNI Overlay (`{ networkPlugin: 'azure', networkPluginMode: 'overlay' }`). */
  readonly networkProfile?: { readonly networkPlugin?: string; readonly networkPluginMode?: string | null };
  readonly apiServerAccessProfile?: {
    readonly enablePrivateCluster?: boolean;
    readonly authorizedIPRanges?: readonly string[];
  };
  /** The cluster's Kubernetes API: access for Warden, workloads with PDBs, node conditions. */
  readonly kube?: KubeSpec;
}

/** A node pool as the simulator holds it. */
export interface SimPool {
  name: string;
  mode: 'System' | 'User';
  osType: 'Linux' | 'Windows';
  osSKU: string;
  orchestratorVersion: string;
  currentOrchestratorVersion: string;
  nodeImageVersion: string;
  maxSurge: string | undefined;
  maxUnavailable: string | undefined;
  count: number;
  vmSize: string;
  provisioningState: string;
  eTag: string;
  recentlyUsedVersions: { orchestratorVersion: string; nodeImageVersion: string; timestamp: string }[];
  /** The last operation's failure (`properties.status.provisioningError`), until one succeeds. */
  provisioningError?: { code: string; message: string } | undefined;
  /** Wire properties the simulator does not model, kept from the PUT that created the pool. */
  extra: Record<string, unknown>;
  vnetSubnetID: string | undefined;
  podSubnetID: string | undefined;
  maxPods: number;
}

export interface SimCluster {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location: string;
  tags: Record<string, string>;
  kubernetesVersion: string;
  currentKubernetesVersion: string;
  supportPlan: string;
  sku: { name: string; tier: string };
  upgradeChannel: string | undefined;
  nodeOSUpgradeChannel: string | undefined;
  pools: SimPool[];
  maintenance: Map<string, Record<string, unknown>>;
  deprecatedApiUsage: DeprecatedApiUsage[];
  overrideSettings: { forceUpgrade?: boolean; until?: string } | undefined;
  provisioningState: string;
  eTag: string;
  dnsPrefix: string;
  /** Wire properties the simulator does not model, kept from the PUT that created the cluster. */
  extra: Record<string, unknown>;
  /** The last operation's failure (`properties.status.provisioningError`), until one succeeds. */
  provisioningError?: { code: string; message: string } | undefined;
  /** The top-level `identity` (default: system-assigned). */
  identity: Record<string, unknown>;
  /** The running long-running operation, if any (one at a time per cluster). */
  operationId: string | undefined;
  networkProfile: { networkPlugin: string; networkPluginMode: string | undefined };
  apiServerAccess: { enablePrivateCluster: boolean; authorizedIPRanges: string[] };
  kube: SimKube;
}

export interface SimRegion {
  readonly name: string;
  versions: MinorSpec[];
  nodeImages: Record<string, string>;
}

/** The simulator's whole Azure: regions, subscriptions, clusters (keyed `sub/rg/name`, lower case). */
export interface SimFleet {
  readonly regions: Map<string, SimRegion>;
  readonly subscriptions: Map<string, { id: string; displayName: string }>;
  readonly clusters: ClusterMap<SimCluster>;
  /** `sub/rg`, lower case: every resource group that exists (those of the clusters and any listed). */
  readonly resourceGroups: Set<string>;
  /** Management group id (lower case) -> its subscription ids (lower case). */
  readonly managementGroups: Map<string, Set<string>>;
  /** Virtual networks by id (lower case). */
  readonly vnets: Map<string, SimVnet>;
  /** vCPU quotas by `subscription|region|name` (lower case). */
  readonly quotas: Map<string, SimQuota>;
  /** Fleet Manager fleets, members, update runs and gates. */
  readonly fleetManager: SimFleetManager;
}

export class FleetFileError extends Error {
  override readonly name = 'FleetFileError';
}

export function clusterKey(subscriptionId: string, resourceGroup: string, name: string): string {
  return `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();
}

export function regionKey(location: string): string {
  return location.toLowerCase().replace(/\s+/g, '');
}

let etagCounter = 0;
/** A fresh opaque ETag. */
export function newETag(): string {
  etagCounter += 1;
  return `${Date.now().toString(36)}${etagCounter.toString(36)}`;
}

/** The image family of a node image version: everything before the last `-`. */
export function imageFamily(nodeImageVersion: string): string {
  const i = nodeImageVersion.lastIndexOf('-');
  return i > 0 ? nodeImageVersion.slice(0, i) : nodeImageVersion;
}

/** Latest node image (full `family-version`) for a pool's family in a region. */
export function latestNodeImage(region: SimRegion | undefined, current: string): string {
  const family = imageFamily(current);
  const latest = region?.nodeImages[family];
  return latest === undefined ? current : `${family}-${latest}`;
}

function defaultFamily(osType: 'Linux' | 'Windows', osSKU: string): string {
  if (osType === 'Windows') return 'AKSWindows-2022-containerd';
  if (osSKU === 'AzureLinux') return 'AKSAzureLinux-V3gen2';
  return 'AKSUbuntu-2204gen2containerd';
}

function fail(where: string, problem: string): never {
  throw new FleetFileError(`fleet ${where}: ${problem}`);
}

function asArray<T>(value: unknown, where: string): T[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(where, 'must be an array');
  return value as T[];
}

function cloneMinors(minors: readonly MinorSpec[] | undefined): MinorSpec[] {
  return (minors ?? []).map((m) => ({ ...m, patches: [...m.patches] }));
}

/** Builds the simulator's state from a fleet file, checking what a typo would break. */
export function buildFleet(file: FleetFile, now: Date = new Date()): SimFleet {
  if (typeof file !== 'object' || file === null) fail('file', 'must be a JSON object');
  const regions = new Map<string, SimRegion>();
  for (const [i, r] of asArray<RegionSpec>(file.regions, 'regions').entries()) {
    if (typeof r.name !== 'string' || r.name === '') fail(`regions[${i}].name`, 'is required');
    regions.set(regionKey(r.name), {
      name: regionKey(r.name),
      versions: cloneMinors(r.versions ?? file.versions),
      nodeImages: { ...file.nodeImages, ...r.nodeImages },
    });
  }
  const subscriptions = new Map<string, { id: string; displayName: string }>();
  for (const [i, s] of asArray<{ id: string; displayName?: string }>(
    file.subscriptions,
    'subscriptions',
  ).entries()) {
    if (typeof s.id !== 'string' || s.id === '') fail(`subscriptions[${i}].id`, 'is required');
    subscriptions.set(s.id.toLowerCase(), { id: s.id, displayName: s.displayName ?? s.id });
  }
  const clusters = new ClusterMap<SimCluster>();
  for (const [i, c] of asArray<ClusterSpec>(file.clusters, 'clusters').entries()) {
    const where = `clusters[${i}]`;
    for (const field of [
      'subscriptionId',
      'resourceGroup',
      'name',
      'location',
      'kubernetesVersion',
    ] as const) {
      if (typeof c[field] !== 'string' || c[field] === '') fail(`${where}.${field}`, 'is required');
    }
    if (!subscriptions.has(c.subscriptionId.toLowerCase()))
      fail(`${where}.subscriptionId`, `"${c.subscriptionId}" is not in subscriptions`);
    const region = regions.get(regionKey(c.location));
    if (!region) fail(`${where}.location`, `"${c.location}" is not in regions`);
    const key = clusterKey(c.subscriptionId, c.resourceGroup, c.name);
    if (clusters.has(key)) fail(where, `duplicate cluster ${c.name} in ${c.resourceGroup}`);
    clusters.set(key, newCluster(c, region, now, where));
  }
  const resourceGroups = new Set<string>();
  for (const c of clusters.values())
    resourceGroups.add(`${c.subscriptionId}/${c.resourceGroup}`.toLowerCase());
  for (const g of asArray<{ subscriptionId: string; name: string }>(file.resourceGroups, 'resourceGroups'))
    resourceGroups.add(`${g.subscriptionId}/${g.name}`.toLowerCase());
  const managementGroups = new Map<string, Set<string>>();
  for (const [i, g] of asArray<{ id: string; subscriptions: string[] }>(
    file.managementGroups,
    'managementGroups',
  ).entries()) {
    if (typeof g.id !== 'string' || g.id === '') fail(`managementGroups[${i}].id`, 'is required');
    const subs = asArray<string>(g.subscriptions, `managementGroups[${i}].subscriptions`);
    for (const s of subs)
      if (!subscriptions.has(String(s).toLowerCase()))
        fail(`managementGroups[${i}].subscriptions`, `"${String(s)}" is not in subscriptions`);
    managementGroups.set(g.id.toLowerCase(), new Set(subs.map((s) => String(s).toLowerCase())));
  }
  const vnets = buildVnets(asArray<VnetSpec>(file.virtualNetworks, 'virtualNetworks'), fail);
  const quotas = buildQuotas(asArray<QuotaSpec>(file.quotas, 'quotas'), fail);
  const fleetManager = buildFleetManager(file.fleetManager, clusters);
  for (const f of fleetManager.fleets.values())
    resourceGroups.add(`${f.subscriptionId}/${f.resourceGroup}`.toLowerCase());
  return { regions, subscriptions, clusters, resourceGroups, managementGroups, vnets, quotas, fleetManager };
}

/** A cluster from its fleet-file description (also used by PUT create). */
export function newCluster(c: ClusterSpec, region: SimRegion, now: Date, where = 'cluster'): SimCluster {
  const v = parseVersion(c.kubernetesVersion);
  if (!v) fail(`${where}.kubernetesVersion`, `"${c.kubernetesVersion}" is not a version`);
  const version =
    v.patch === undefined
      ? (latestPatch(region.versions, c.kubernetesVersion) ?? `${c.kubernetesVersion}.0`)
      : c.kubernetesVersion;
  const plugin = c.networkProfile?.networkPlugin ?? 'azure';
  const mode = c.networkProfile === undefined ? 'overlay' : (c.networkProfile.networkPluginMode ?? undefined);
  const cniNodeSubnet = plugin === 'azure' && mode === undefined;
  const pools = (c.pools ?? [{ name: 'nodepool1', mode: 'System' as const }]).map((p, j) =>
    newPool(
      p.maxPods === undefined && cniNodeSubnet ? { ...p, maxPods: 30 } : p,
      version,
      region,
      now,
      `${where}.pools[${j}]`,
    ),
  );
  if (pools.length === 0) fail(`${where}.pools`, 'needs at least one pool');
  return {
    subscriptionId: c.subscriptionId,
    resourceGroup: c.resourceGroup,
    name: c.name,
    location: region.name,
    tags: { ...c.tags },
    kubernetesVersion: version,
    currentKubernetesVersion: version,
    supportPlan: c.supportPlan ?? 'KubernetesOfficial',
    sku: { name: c.sku?.name ?? 'Base', tier: c.sku?.tier ?? 'Free' },
    upgradeChannel: c.autoUpgradeProfile?.upgradeChannel,
    nodeOSUpgradeChannel: c.autoUpgradeProfile?.nodeOSUpgradeChannel,
    pools,
    maintenance: new Map(Object.entries(c.maintenanceConfigurations ?? {}).map(([k, p]) => [k, { ...p }])),
    deprecatedApiUsage: (c.deprecatedApiUsage ?? []).map((u) => ({
      ...u,
      lastSeen: u.lastSeen ?? now.toISOString(),
    })),
    overrideSettings: undefined,
    provisioningState: 'Succeeded',
    eTag: newETag(),
    dnsPrefix: `${c.name}-dns`.slice(0, 54),
    extra: {},
    identity: {
      type: 'SystemAssigned',
      principalId: '00000000-0000-0000-0000-5e1f1de4717f',
      tenantId: '72f988bf-0000-4000-8000-00000000aaaa',
    },
    operationId: undefined,
    networkProfile: { networkPlugin: plugin, networkPluginMode: mode },
    apiServerAccess: {
      enablePrivateCluster: c.apiServerAccessProfile?.enablePrivateCluster === true,
      authorizedIPRanges: [...(c.apiServerAccessProfile?.authorizedIPRanges ?? [])],
    },
    kube: newKube(
      c.kube,
      pools.map((p) => p.name),
      `${where}.kube`,
      fail,
    ),
  };
}

export function newPool(
  p: PoolSpec,
  clusterVersion: string,
  region: SimRegion,
  now: Date,
  where = 'pool',
): SimPool {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(p.name ?? ''))
    fail(`${where}.name`, `"${p.name}" is not a valid pool name`);
  const osType = p.osType ?? 'Linux';
  const osSKU = p.osSKU ?? (osType === 'Windows' ? 'Windows2022' : 'Ubuntu');
  const version = p.orchestratorVersion ?? clusterVersion;
  if (!parseVersion(version)) fail(`${where}.orchestratorVersion`, `"${version}" is not a version`);
  if (compareVersions(version, clusterVersion) > 0)
    fail(`${where}.orchestratorVersion`, `${version} is above the control plane ${clusterVersion}`);
  const family = defaultFamily(osType, osSKU);
  const image = p.nodeImageVersion ?? `${family}-${region.nodeImages[family] ?? '202611.01.0'}`;
  return {
    name: p.name,
    mode: p.mode ?? 'User',
    osType,
    osSKU,
    orchestratorVersion: version,
    currentOrchestratorVersion: version,
    nodeImageVersion: image,
    maxSurge: p.maxSurge ?? '10%',
    maxUnavailable: p.maxUnavailable,
    count: p.count ?? 3,
    vmSize: p.vmSize ?? 'Standard_D4ds_v5',
    provisioningState: 'Succeeded',
    eTag: newETag(),
    recentlyUsedVersions: [
      { orchestratorVersion: version, nodeImageVersion: image, timestamp: now.toISOString() },
    ],
    extra: {},
    vnetSubnetID: p.vnetSubnetID,
    podSubnetID: p.podSubnetID,
    maxPods: p.maxPods ?? 110,
  };
}

/** Reads and builds a fleet file from disk. */
export function loadFleetFile(path: string, now?: Date): SimFleet {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new FleetFileError(`fleet file ${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return buildFleet(parsed as FleetFile, now);
}

/** A cluster's minor as text, for messages. */
export function clusterMinor(c: SimCluster): string {
  return minorOf(c.currentKubernetesVersion);
}

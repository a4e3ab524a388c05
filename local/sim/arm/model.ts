import type { SimCluster, SimFleet, SimPool } from '../fleetFile/fleet';
import { latestNodeImage } from '../fleetFile/fleet';
import { compareVersions, minorDistance, upgradeTargets } from './versions';

/**
 * How the simulated service writes its resources on the wire: ids with lower-case
 * `/resourcegroups/` and `Microsoft.ContainerService/ManagedClusters` type casing as the live
 * service does (recordings), never the spec examples' `managedClusters`.
 */
export const CLUSTER_TYPE = 'Microsoft.ContainerService/ManagedClusters';

export function clusterArmId(c: SimCluster): string {
  return `/subscriptions/${c.subscriptionId}/resourcegroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
}

/** The id Resource Graph shows (documented casing, like the spec examples). */
export function clusterGraphId(c: SimCluster): string {
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
}

/** Pool properties the simulator models; any other sent property is kept in `extra` and echoed. */
export const POOL_MODELLED = new Set([
  'name',
  'count',
  'vmSize',
  'osDiskSizeGB',
  'osDiskType',
  'maxPods',
  'type',
  'provisioningState',
  'powerState',
  'orchestratorVersion',
  'currentOrchestratorVersion',
  'mode',
  'osType',
  'osSKU',
  'nodeImageVersion',
  'upgradeSettings',
  'eTag',
  'status',
  'vnetSubnetID',
  'podSubnetID',
]);

/** The unmodelled part of sent pool properties. */
export function poolExtra(props: Record<string, unknown>): Record<string, unknown> {
  return structuredClone(Object.fromEntries(Object.entries(props).filter(([k]) => !POOL_MODELLED.has(k))));
}

function poolProperties(p: SimPool): Record<string, unknown> {
  return {
    ...p.extra,
    count: p.count,
    vmSize: p.vmSize,
    osDiskSizeGB: 128,
    osDiskType: 'Managed',
    maxPods: p.maxPods,
    ...(p.vnetSubnetID !== undefined && { vnetSubnetID: p.vnetSubnetID }),
    ...(p.podSubnetID !== undefined && { podSubnetID: p.podSubnetID }),
    type: 'VirtualMachineScaleSets',
    provisioningState: p.provisioningState,
    powerState: { code: 'Running' },
    orchestratorVersion: p.orchestratorVersion,
    currentOrchestratorVersion: p.currentOrchestratorVersion,
    mode: p.mode,
    osType: p.osType,
    osSKU: p.osSKU,
    nodeImageVersion: p.nodeImageVersion,
    upgradeSettings: {
      ...(p.maxSurge !== undefined && { maxSurge: p.maxSurge }),
      ...(p.maxUnavailable !== undefined && { maxUnavailable: p.maxUnavailable }),
    },
    ...(p.provisioningError !== undefined && { status: { provisioningError: { ...p.provisioningError } } }),
    eTag: p.eTag,
  };
}

/** A managed cluster as `GET …/managedClusters/{name}` returns it. */
export function renderCluster(c: SimCluster): Record<string, unknown> {
  const fqdn = `${c.dnsPrefix}-${c.name.length.toString(16).padStart(8, '0')}.hcp.${c.location}.azmk8s.io`;
  return {
    id: clusterArmId(c),
    location: c.location,
    name: c.name,
    type: CLUSTER_TYPE,
    tags: { ...c.tags },
    eTag: c.eTag,
    sku: { ...c.sku },
    identity: structuredClone(c.identity),
    properties: {
      ...c.extra,
      provisioningState: c.provisioningState,
      ...(c.provisioningError !== undefined && { status: { provisioningError: { ...c.provisioningError } } }),
      powerState: { code: 'Running' },
      kubernetesVersion: c.kubernetesVersion,
      currentKubernetesVersion: c.currentKubernetesVersion,
      dnsPrefix: c.dnsPrefix,
      fqdn,
      azurePortalFQDN: fqdn.replace('.hcp.', '.portal.hcp.'),
      agentPoolProfiles: c.pools.map((p) => ({ name: p.name, ...poolProperties(p) })),
      nodeResourceGroup: `MC_${c.resourceGroup}_${c.name}_${c.location}`,
      enableRBAC: true,
      supportPlan: c.supportPlan,
      maxAgentPools: 100,
      autoUpgradeProfile: {
        ...(c.upgradeChannel !== undefined && { upgradeChannel: c.upgradeChannel }),
        ...(c.nodeOSUpgradeChannel !== undefined && { nodeOSUpgradeChannel: c.nodeOSUpgradeChannel }),
      },
      ...(c.overrideSettings !== undefined && {
        upgradeSettings: { overrideSettings: { ...c.overrideSettings } },
      }),
      ...((c.apiServerAccess.enablePrivateCluster || c.apiServerAccess.authorizedIPRanges.length > 0) && {
        apiServerAccessProfile: {
          ...(c.apiServerAccess.enablePrivateCluster && { enablePrivateCluster: true }),
          ...(c.apiServerAccess.authorizedIPRanges.length > 0 && {
            authorizedIPRanges: [...c.apiServerAccess.authorizedIPRanges],
          }),
        },
      }),
      aadProfile: {
        managed: true,
        enableAzureRBAC: c.kube.access !== 'none',
        tenantID: '72f988bf-0000-4000-8000-00000000aaaa',
      },
      networkProfile: {
        networkPlugin: c.networkProfile.networkPlugin,
        ...(c.networkProfile.networkPluginMode !== undefined && {
          networkPluginMode: c.networkProfile.networkPluginMode,
        }),
        loadBalancerSku: 'standard',
        outboundType: 'loadBalancer',
        podCidr: '10.244.0.0/16',
        serviceCidr: '10.0.0.0/16',
        dnsServiceIP: '10.0.0.10',
        ...(c.extra.networkProfile as Record<string, unknown> | undefined),
      },
    },
  };
}

export function poolArmId(c: SimCluster, p: SimPool): string {
  return `${clusterArmId(c)}/agentPools/${p.name}`;
}

/** An agent pool as `GET …/agentPools/{pool}` returns it. */
export function renderPool(c: SimCluster, p: SimPool): Record<string, unknown> {
  return {
    id: poolArmId(c, p),
    name: p.name,
    type: 'Microsoft.ContainerService/managedClusters/agentPools',
    properties: poolProperties(p),
  };
}

/**
 * The cluster upgrade profile. `agentPoolProfiles` is `null`, as the live service sends it
 * (recording 2022, aksdocs tutorial), although the spec calls it a required array.
 */
export function renderClusterUpgradeProfile(
  fleet: SimFleet,
  c: SimCluster,
  options: { nullAgentPoolProfiles: boolean },
): Record<string, unknown> {
  const minors = fleet.regions.get(c.location)?.versions ?? [];
  const upgrades = upgradeTargets(minors, c.currentKubernetesVersion).map((t) => ({
    kubernetesVersion: t.version,
    ...(t.isPreview && { isPreview: true }),
  }));
  return {
    id: `${clusterArmId(c)}/upgradeprofiles/default`,
    name: 'default',
    type: 'Microsoft.ContainerService/managedClusters/upgradeprofiles',
    properties: {
      controlPlaneProfile: { kubernetesVersion: c.currentKubernetesVersion, osType: 'Linux', upgrades },
      agentPoolProfiles: options.nullAgentPoolProfiles
        ? null
        : c.pools.map((p) => ({
            name: p.name,
            kubernetesVersion: p.currentOrchestratorVersion,
            osType: p.osType,
            upgrades: poolUpgrades(fleet, c, p),
          })),
    },
  };
}

function poolUpgrades(
  fleet: SimFleet,
  c: SimCluster,
  p: SimPool,
): { kubernetesVersion: string; isPreview?: boolean }[] {
  const minors = fleet.regions.get(c.location)?.versions ?? [];
  const out: { kubernetesVersion: string; isPreview?: boolean }[] = [];
  for (const m of minors) {
    const d = minorDistance(p.currentOrchestratorVersion, m.version);
    if (d < 0 || Number.isNaN(d)) continue;
    for (const v of m.patches) {
      if (
        compareVersions(v, p.currentOrchestratorVersion) > 0 &&
        compareVersions(v, c.currentKubernetesVersion) <= 0
      )
        out.push({ kubernetesVersion: v, ...(m.isPreview === true && { isPreview: true }) });
    }
  }
  return out.sort((a, b) => compareVersions(a.kubernetesVersion, b.kubernetesVersion));
}

/** The agent-pool upgrade profile: versions up to the control plane, and the family's latest node image. */
export function renderPoolUpgradeProfile(
  fleet: SimFleet,
  c: SimCluster,
  p: SimPool,
): Record<string, unknown> {
  return {
    id: `${poolArmId(c, p)}/upgradeprofiles/default`,
    name: 'default',
    type: 'Microsoft.ContainerService/managedClusters/agentPools/upgradeProfiles',
    properties: {
      kubernetesVersion: p.currentOrchestratorVersion,
      osType: p.osType,
      upgrades: poolUpgrades(fleet, c, p),
      latestNodeImageVersion: latestNodeImage(fleet.regions.get(c.location), p.nodeImageVersion),
      recentlyUsedVersions: p.recentlyUsedVersions.map((r) => ({ ...r })),
    },
  };
}

export function renderMaintenance(
  c: SimCluster,
  name: string,
  properties: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: `${clusterArmId(c)}/maintenanceConfigurations/${name}`,
    name,
    type: 'Microsoft.ContainerService/managedClusters/maintenanceConfigurations',
    properties: structuredClone(properties),
  };
}

/** The `resources` row Resource Graph holds for a cluster (lower-case type; properties mirror ARM). */
export function graphRow(c: SimCluster, tenantId: string): Record<string, unknown> {
  const arm = renderCluster(c);
  return {
    id: clusterGraphId(c),
    name: c.name,
    type: 'microsoft.containerservice/managedclusters',
    tenantId,
    kind: '',
    location: c.location,
    resourceGroup: c.resourceGroup.toLowerCase(),
    subscriptionId: c.subscriptionId,
    managedBy: '',
    sku: arm.sku,
    plan: null,
    properties: arm.properties,
    tags: arm.tags,
    identity: { type: 'SystemAssigned' },
    zones: null,
    extendedLocation: null,
  };
}

import { parseClusterId } from '../domain/armId';
import type { MaintenanceConfigurationSnapshot, NodePoolSnapshot } from '../domain/cluster';
import type { OfferedMinor, RegionVersions } from '../domain/versions';
import type { InventoryCluster } from './aksGateway';

/**
 * Readers for ARM's wire JSON. One reader serves a Resource Graph row (flat projected columns, or a
 * `properties` object) and an ARM GET body alike, since Resource Graph `properties` mirror ARM's.
 */
type Obj = Record<string, unknown>;

const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, value] of Object.entries(obj(v))) if (typeof value === 'string') out[k] = value;
  return out;
}

/** A node pool from `agentPoolProfiles[]` or an agent pool resource (`properties` nested). */
export function poolFromWire(raw: unknown): NodePoolSnapshot | undefined {
  const outer = obj(raw);
  const p = { ...outer, ...obj(outer.properties) };
  const name = str(p.name);
  const version = str(p.currentOrchestratorVersion) ?? str(p.orchestratorVersion);
  if (name === undefined || version === undefined) return undefined;
  const nodeImageVersion = str(p.nodeImageVersion);
  const osSku = str(p.osSKU) ?? str(p.osSku);
  const maxSurge = str(obj(p.upgradeSettings).maxSurge);
  const provisioningState = str(p.provisioningState);
  return {
    name,
    mode: str(p.mode) ?? 'User',
    osType: str(p.osType) ?? 'Linux',
    ...(osSku !== undefined && { osSku }),
    orchestratorVersion: version,
    ...(nodeImageVersion !== undefined && { nodeImageVersion }),
    ...(maxSurge !== undefined && { maxSurge }),
    count: typeof p.count === 'number' ? p.count : 0,
    ...(provisioningState !== undefined && { provisioningState }),
  };
}

/** A managed cluster from a Resource Graph row or an ARM GET body; undefined when it is not one. */
export function clusterFromWire(raw: unknown): InventoryCluster | undefined {
  const row = obj(raw);
  const p = { ...row, ...obj(row.properties) };
  const ref = parseClusterId(str(row.id) ?? '');
  const version = str(p.currentKubernetesVersion) ?? str(p.kubernetesVersion);
  const location = str(row.location);
  if (!ref || version === undefined || location === undefined) return undefined;
  const auto = obj(p.autoUpgradeProfile);
  const skuTier = str(obj(row.sku).tier) ?? str(row.skuTier);
  const skuName = str(obj(row.sku).name);
  const nodeProvisioningMode = str(obj(p.nodeProvisioningProfile).mode);
  const nodeOsUpgradeChannel = str(auto.nodeOSUpgradeChannel) ?? str(p.nodeOSUpgradeChannel);
  const provisioningState = str(p.provisioningState);
  const pools = Array.isArray(p.agentPoolProfiles) ? p.agentPoolProfiles : [];
  return {
    id: ref.id,
    subscriptionId: ref.subscriptionId,
    resourceGroup: ref.resourceGroup,
    name: ref.name,
    location: location.toLowerCase().replace(/\s+/g, ''),
    tags: tagsOf(row.tags),
    kubernetesVersion: version,
    supportPlan: str(p.supportPlan) ?? 'KubernetesOfficial',
    ...(skuTier !== undefined && { skuTier }),
    ...(skuName !== undefined && { skuName }),
    ...(nodeProvisioningMode !== undefined && { nodeProvisioningMode }),
    autoUpgradeChannel: str(auto.upgradeChannel) ?? str(p.upgradeChannel) ?? 'none',
    ...(nodeOsUpgradeChannel !== undefined && { nodeOsUpgradeChannel }),
    ...(provisioningState !== undefined && { provisioningState }),
    nodePools: pools.map(poolFromWire).filter((x): x is NodePoolSnapshot => x !== undefined),
  };
}

/** `listKubernetesVersions` (`{ values: [...] }`, not `value`) as the domain's RegionVersions. */
export function regionVersionsFromWire(location: string, raw: unknown): RegionVersions {
  const values = obj(raw).values;
  const minors: OfferedMinor[] = (Array.isArray(values) ? values : []).flatMap((v): OfferedMinor[] => {
    const o = obj(v);
    const minor = str(o.version);
    if (minor === undefined) return [];
    const plans = obj(o.capabilities).supportPlan;
    return [
      {
        minor,
        isPreview: o.isPreview === true,
        patches: Object.keys(obj(o.patchVersions)),
        supportPlans: Array.isArray(plans) ? plans.filter((x): x is string => typeof x === 'string') : [],
      },
    ];
  });
  return { location: location.toLowerCase().replace(/\s+/g, ''), minors };
}

/** A maintenance configuration resource (`{ name, properties }`), the properties kept as ARM sent them. */
export function maintenanceFromWire(raw: unknown): MaintenanceConfigurationSnapshot | undefined {
  const o = obj(raw);
  const name = str(o.name);
  return name === undefined ? undefined : { name, properties: obj(o.properties) };
}

/** What a direct ARM read adds to the inventory view: the ETag and the *desired* versions (set at PUT time). */
export function desiredFromWire(raw: unknown): {
  eTag?: string;
  desiredKubernetesVersion: string;
  desiredPoolVersions: Record<string, string>;
} {
  const row = obj(raw);
  const p = obj(row.properties);
  const pools = Array.isArray(p.agentPoolProfiles) ? p.agentPoolProfiles : [];
  const desiredPoolVersions: Record<string, string> = {};
  for (const pool of pools) {
    const o = obj(pool);
    const name = str(o.name);
    const v = str(o.orchestratorVersion) ?? str(o.currentOrchestratorVersion);
    if (name !== undefined && v !== undefined) desiredPoolVersions[name] = v;
  }
  const eTag = str(row.eTag);
  return {
    ...(eTag !== undefined && { eTag }),
    desiredKubernetesVersion: str(p.kubernetesVersion) ?? str(p.currentKubernetesVersion) ?? '',
    desiredPoolVersions,
  };
}

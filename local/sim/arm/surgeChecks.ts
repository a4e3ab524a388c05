import { skuOf, vcpuUsage } from '../compute/model';
import type { SimContext } from '../context';
import type { SimCluster, SimPool } from '../fleetFile/fleet';
import { unsatisfiablePdbs } from '../kube/model';
import { findSubnet, subnetFree } from '../network/model';
import type { SimResponse } from '../router';
import { armError } from '../router';

/**
 * What AKS checks inside an upgrade request that reimages node pools, and how it refuses: Pod
 * Disruption Budgets that allow no eviction (`UnsatisfiablePDB`, Azure/AKS#4805), a node subnet
 * without room for the surge nodes (`InsufficientSubnetSize`), and vCPU quota the surge nodes would
 * exceed (`ErrCode_InsufficientVCPUQuota` for the regional quota, `QuotaExceeded` for a family).
 * `forceUpgrade` in `overrideSettings` (with an `until` in the future) bypasses the PDB check only.
 */

/** Surge nodes as AKS reads `maxSurge` (a count, or a percentage of the pool rounded up). */
export function simSurge(p: SimPool): number {
  const s = (p.maxSurge ?? '10%').trim();
  if (s.endsWith('%')) {
    const pct = Number(s.slice(0, -1));
    return pct === 0 ? 0 : Math.max(1, Math.ceil((p.count * pct) / 100));
  }
  return Number(s) || 0;
}

export function surgeRefusal(
  ctx: SimContext,
  c: SimCluster,
  pools: readonly SimPool[],
  override: { forceUpgrade?: boolean; until?: string } | undefined,
): SimResponse | undefined {
  if (pools.length === 0) return undefined;
  const forced = override?.forceUpgrade === true && Date.parse(override.until ?? '') > ctx.now().getTime();
  const pdbs = forced
    ? []
    : unsatisfiablePdbs(
        c,
        pools.map((p) => p.name),
      );
  if (pdbs.length > 0)
    return armError(
      400,
      'UnsatisfiablePDB',
      `Upgrade is blocked due to invalid Pod Disruption Budgets (PDBs). Please review the PDB spec to allow disruptions during upgrades. To bypass this error, set forceUpgrade in upgradeSettings.overrideSettings. Bypassing this error without updating the PDB may result in drain failures during upgrade process. Invalid PDBs details: ${pdbs.length} error${pdbs.length === 1 ? '' : 's'} occurred:\n${pdbs.map((l) => `\t* ${l}`).join('\n')}\n\n`,
    );
  for (const p of pools) {
    const surge = simSurge(p);
    const overlay =
      c.networkProfile.networkPlugin !== 'azure' ||
      c.networkProfile.networkPluginMode === 'overlay' ||
      p.podSubnetID !== undefined;
    const perNode = overlay ? 1 : p.maxPods + 1;
    const found = p.vnetSubnetID === undefined ? undefined : findSubnet(ctx, p.vnetSubnetID);
    if (found && surge * perNode > subnetFree(found.subnet))
      return armError(
        400,
        'InsufficientSubnetSize',
        `Pre-allocated IPs ${surge * perNode} exceeds IPs available ${subnetFree(found.subnet)} in Subnet Cidr ${found.subnet.addressPrefix}, Subnet Name ${found.subnet.name}. http://aka.ms/aks/insufficientsubnetsize`,
      );
    const sku = skuOf(p.vmSize);
    if (!sku) continue;
    const need = surge * sku.vcpus;
    const regional = vcpuUsage(ctx.fleet, c.subscriptionId, c.location, 'cores');
    if (regional.current + need > regional.limit)
      return armError(
        400,
        'ErrCode_InsufficientVCPUQuota',
        `Insufficient regional vcpu quota left for location ${c.location}. left regional vcpu quota ${Math.max(0, regional.limit - regional.current)}, requested quota ${need}. Details: https://aka.ms/aks/quotaexceeded`,
      );
    const family = vcpuUsage(ctx.fleet, c.subscriptionId, c.location, sku.family);
    if (family.current + need > family.limit)
      return armError(
        400,
        'QuotaExceeded',
        `Operation could not be completed as it results in exceeding approved ${sku.family} Cores quota. Additional details - Deployment Model: Resource Manager, Location: ${c.location}, Current Limit: ${family.limit}, Current Usage: ${family.current}, Additional Required: ${need}, (Minimum) New Limit Required: ${family.current + need}. Submit a request for Quota increase at https://aka.ms/ProdportalCRP by specifying parameters listed in the 'Details' section for deployment to succeed.`,
      );
  }
  return undefined;
}

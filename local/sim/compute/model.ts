import type { SimContext } from '../context';
import type { SimFleet } from '../fleetFile/fleet';
import type { Route, SimRequest, SimResponse } from '../router';
import { ok, routesOn } from '../router';

/**
 * Microsoft.Compute as far as pre-flight reads it: the resource SKUs of a region (VM sizes, their
 * family and vCPUs) and vCPU usage per subscription and region (`locations/{location}/usages`:
 * `cores`, the Total Regional vCPUs, and one entry per VM family). Usage is what the fleet's node
 * pools run, plus what a quota in the fleet file says is used by other things.
 */
export interface QuotaSpec {
  readonly subscriptionId: string;
  readonly location: string;
  /** `cores` (Total Regional vCPUs) or a family, e.g. `standardDDSv5Family`. */
  readonly name: string;
  readonly limit: number;
  /** vCPUs in use outside the simulated clusters (VMs, other services). Default 0. */
  readonly otherUse?: number;
}

export interface SimQuota {
  limit: number;
  otherUse: number;
}

/** The VM sizes the simulator knows (names, families and vCPUs as the resource SKUs API lists them). */
export const VM_SKUS: readonly {
  readonly name: string;
  readonly family: string;
  readonly vcpus: number;
  readonly familyName: string;
}[] = [
  {
    name: 'Standard_D2ds_v5',
    family: 'standardDDSv5Family',
    vcpus: 2,
    familyName: 'Standard DDSv5 Family vCPUs',
  },
  {
    name: 'Standard_D4ds_v5',
    family: 'standardDDSv5Family',
    vcpus: 4,
    familyName: 'Standard DDSv5 Family vCPUs',
  },
  {
    name: 'Standard_D8ds_v5',
    family: 'standardDDSv5Family',
    vcpus: 8,
    familyName: 'Standard DDSv5 Family vCPUs',
  },
  {
    name: 'Standard_D16ds_v5',
    family: 'standardDDSv5Family',
    vcpus: 16,
    familyName: 'Standard DDSv5 Family vCPUs',
  },
  {
    name: 'Standard_D4s_v5',
    family: 'standardDSv5Family',
    vcpus: 4,
    familyName: 'Standard DSv5 Family vCPUs',
  },
  {
    name: 'Standard_D8s_v5',
    family: 'standardDSv5Family',
    vcpus: 8,
    familyName: 'Standard DSv5 Family vCPUs',
  },
  {
    name: 'Standard_E4ds_v5',
    family: 'standardEDSv5Family',
    vcpus: 4,
    familyName: 'Standard EDSv5 Family vCPUs',
  },
  {
    name: 'Standard_E8ds_v5',
    family: 'standardEDSv5Family',
    vcpus: 8,
    familyName: 'Standard EDSv5 Family vCPUs',
  },
  {
    name: 'Standard_E16ds_v5',
    family: 'standardEDSv5Family',
    vcpus: 16,
    familyName: 'Standard EDSv5 Family vCPUs',
  },
  { name: 'Standard_B2s', family: 'standardBSFamily', vcpus: 2, familyName: 'Standard BS Family vCPUs' },
];

/** Unlisted quotas: large enough that a fleet file without quotas never meets one. */
export const DEFAULT_VCPU_LIMIT = 100_000;

const quotaKey = (subscriptionId: string, location: string, name: string): string =>
  `${subscriptionId}|${location.replace(/\s+/g, '')}|${name}`.toLowerCase();

export function buildQuotas(
  specs: readonly QuotaSpec[],
  fail: (where: string, problem: string) => never,
): Map<string, SimQuota> {
  const out = new Map<string, SimQuota>();
  specs.forEach((q, i) => {
    for (const f of ['subscriptionId', 'location', 'name'] as const)
      if (typeof q[f] !== 'string' || q[f] === '') fail(`quotas[${i}].${f}`, 'is required');
    if (!Number.isInteger(q.limit) || q.limit < 0)
      fail(`quotas[${i}].limit`, 'must be a non-negative integer');
    out.set(quotaKey(q.subscriptionId, q.location, q.name), { limit: q.limit, otherUse: q.otherUse ?? 0 });
  });
  return out;
}

export function skuOf(vmSize: string): (typeof VM_SKUS)[number] | undefined {
  return VM_SKUS.find((s) => s.name.toLowerCase() === vmSize.toLowerCase());
}

/** vCPUs the fleet's node pools run in a subscription and region: `cores` and each family (lower case). */
function poolVcpus(fleet: SimFleet, subscriptionId: string, location: string): Map<string, number> {
  const inUse = new Map<string, number>([['cores', 0]]);
  const region = location.toLowerCase();
  for (const c of fleet.clusters.inSubscription(subscriptionId)) {
    if (c.location !== region) continue;
    for (const p of c.pools) {
      const sku = skuOf(p.vmSize);
      if (!sku) continue;
      const family = sku.family.toLowerCase();
      inUse.set('cores', (inUse.get('cores') ?? 0) + sku.vcpus * p.count);
      inUse.set(family, (inUse.get(family) ?? 0) + sku.vcpus * p.count);
    }
  }
  return inUse;
}

/** vCPUs in use and the limit for `cores` or a family, in a subscription and region. */
export function vcpuUsage(
  fleet: SimFleet,
  subscriptionId: string,
  location: string,
  name: string,
  inUse = poolVcpus(fleet, subscriptionId, location),
): { current: number; limit: number } {
  const q = fleet.quotas.get(quotaKey(subscriptionId, location, name));
  return {
    current: (q?.otherUse ?? 0) + (inUse.get(name.toLowerCase()) ?? 0),
    limit: q?.limit ?? DEFAULT_VCPU_LIMIT,
  };
}

function usages(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', location = ''] = req.params;
  const families = [...new Map(VM_SKUS.map((s) => [s.family, s.familyName])).entries()];
  const inUse = poolVcpus(ctx.fleet, sub, location);
  const entry = (name: string, localized: string) => {
    const u = vcpuUsage(ctx.fleet, sub, location, name, inUse);
    return {
      currentValue: u.current,
      limit: u.limit,
      name: { localizedValue: localized, value: name },
      unit: 'Count',
    };
  };
  return ok({
    value: [
      entry('cores', 'Total Regional vCPUs'),
      ...families.map(([family, label]) => entry(family, label)),
    ],
  });
}

function skus(ctx: SimContext, req: SimRequest): SimResponse {
  const filter = /location eq '([^']+)'/i.exec(req.query.get('$filter') ?? '')?.[1];
  const regions = filter !== undefined ? [filter.toLowerCase()] : [...ctx.fleet.regions.keys()];
  return ok({
    value: regions.flatMap((location) =>
      VM_SKUS.map((s) => ({
        resourceType: 'virtualMachines',
        name: s.name,
        tier: 'Standard',
        size: s.name.replace(/^Standard_/, ''),
        family: s.family,
        locations: [location],
        locationInfo: [{ location, zones: ['1', '2', '3'], zoneDetails: [] }],
        capabilities: [
          { name: 'vCPUs', value: String(s.vcpus) },
          { name: 'vCPUsAvailable', value: String(s.vcpus) },
          { name: 'MemoryGB', value: String(s.vcpus * (s.family.startsWith('standardE') ? 8 : 4)) },
        ],
        restrictions: [],
      })),
    ),
  });
}

export function computeRoutes(ctx: SimContext): Route[] {
  const on = routesOn(ctx);
  return [
    on('GET', '^/subscriptions/([^/]+)/providers/microsoft\\.compute/locations/([^/]+)/usages', usages),
    on('GET', '^/subscriptions/([^/]+)/providers/microsoft\\.compute/skus', skus),
  ];
}

/** `POST /_sim/compute/quotas {subscriptionId, location, name, limit, otherUse?}`: a quota raised or used. */
export function setQuota(
  fleet: SimFleet,
  body: Record<string, unknown>,
  bad: (detail: string) => never,
): { name: string; limit: number; current: number } {
  const { subscriptionId, location, name, limit, otherUse } = body;
  if (typeof subscriptionId !== 'string' || typeof location !== 'string' || typeof name !== 'string')
    bad('subscriptionId, location and name (cores or a VM family) are required');
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)
    bad('limit must be a non-negative integer');
  if (otherUse !== undefined && (typeof otherUse !== 'number' || !Number.isInteger(otherUse) || otherUse < 0))
    bad('otherUse must be a non-negative integer');
  const key = quotaKey(subscriptionId, location, name);
  const q = fleet.quotas.get(key) ?? { limit, otherUse: 0 };
  q.limit = limit;
  if (typeof otherUse === 'number') q.otherUse = otherUse;
  fleet.quotas.set(key, q);
  return { name, limit, current: vcpuUsage(fleet, subscriptionId, location, name).current };
}

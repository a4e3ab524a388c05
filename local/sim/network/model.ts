import type { SimContext } from '../context';
import type { Route, SimRequest, SimResponse } from '../router';
import { armError, ok, routesOn } from '../router';

/**
 * Microsoft.Network as far as pre-flight reads it: virtual networks, their subnets and how many
 * addresses each uses (`GET …/virtualNetworks/{vnet}/usages`, one entry per subnet: `currentValue`
 * addresses in use of `limit`, the subnet's size less the five Azure reserves).
 */
export interface VnetSpec {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location?: string;
  readonly subnets: readonly {
    readonly name: string;
    /** e.g. `10.240.0.0/24`. */
    readonly addressPrefix: string;
    /** Addresses in use (nodes, pods with Azure CNI, load balancers, private endpoints…). */
    readonly used?: number;
  }[];
}

export interface SimSubnet {
  readonly name: string;
  readonly addressPrefix: string;
  used: number;
}

export interface SimVnet {
  readonly id: string;
  readonly location: string;
  readonly subnets: SimSubnet[];
}

/** Azure reserves five addresses in every subnet. */
const AZURE_RESERVED = 5;

export function vnetId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.Network/virtualNetworks/${name}`;
}

export function subnetLimit(prefix: string): number {
  const bits = Number(/\/(\d+)$/.exec(prefix)?.[1] ?? Number.NaN);
  return Number.isInteger(bits) && bits >= 0 && bits <= 29 ? 2 ** (32 - bits) - AZURE_RESERVED : 0;
}

export function buildVnets(
  specs: readonly VnetSpec[],
  fail: (where: string, problem: string) => never,
): Map<string, SimVnet> {
  const out = new Map<string, SimVnet>();
  specs.forEach((v, i) => {
    const where = `virtualNetworks[${i}]`;
    for (const f of ['subscriptionId', 'resourceGroup', 'name'] as const)
      if (typeof v[f] !== 'string' || v[f] === '') fail(`${where}.${f}`, 'is required');
    if (!Array.isArray(v.subnets)) fail(`${where}.subnets`, 'must be an array');
    const subnets = (v.subnets as VnetSpec['subnets']).map((s, j): SimSubnet => {
      if (typeof s.name !== 'string' || subnetLimit(s.addressPrefix ?? '') === 0)
        fail(`${where}.subnets[${j}]`, 'needs a name and an addressPrefix like 10.240.0.0/24');
      if (s.used !== undefined && (!Number.isInteger(s.used) || s.used < 0))
        fail(`${where}.subnets[${j}].used`, 'must be a non-negative integer');
      return { name: s.name, addressPrefix: s.addressPrefix, used: s.used ?? 0 };
    });
    const id = vnetId(v.subscriptionId, v.resourceGroup, v.name);
    out.set(id.toLowerCase(), { id, location: v.location ?? 'westeurope', subnets });
  });
  return out;
}

/** The subnet an id names, with its VNet. */
export function findSubnet(
  ctx: Pick<SimContext, 'fleet'>,
  subnetId: string,
): { vnet: SimVnet; subnet: SimSubnet } | undefined {
  const m = /^(.*\/virtualNetworks\/[^/]+)\/subnets\/([^/]+)$/i.exec(subnetId);
  if (!m) return undefined;
  const vnet = ctx.fleet.vnets.get((m[1] ?? '').toLowerCase());
  const subnet = vnet?.subnets.find((s) => s.name.toLowerCase() === (m[2] ?? '').toLowerCase());
  return vnet && subnet ? { vnet, subnet } : undefined;
}

/** Free addresses of a subnet. */
export function subnetFree(s: SimSubnet): number {
  return subnetLimit(s.addressPrefix) - s.used;
}

function usages(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const vnet = ctx.fleet.vnets.get(vnetId(sub, rg, name).toLowerCase());
  if (!vnet)
    return armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.Network/virtualNetworks/${name}' under resource group '${rg}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
    );
  return ok({
    value: vnet.subnets.map((s) => ({
      currentValue: s.used,
      id: `${vnet.id}/subnets/${s.name}`,
      limit: subnetLimit(s.addressPrefix),
      name: { localizedValue: 'Subnet size and usage', value: 'SubnetSpace' },
      unit: 'Count',
    })),
  });
}

export function networkRoutes(ctx: SimContext): Route[] {
  const on = routesOn(ctx);
  return [
    on(
      'GET',
      '^/subscriptions/([^/]+)/resourcegroups/([^/]+)/providers/microsoft\\.network/virtualnetworks/([^/]+)/usages',
      usages,
    ),
  ];
}

/** `POST /_sim/network/subnets {vnet, subnet, used}`: addresses in use change (a subnet freed or filled). */
export function setSubnetUse(
  ctx: Pick<SimContext, 'fleet'>,
  body: Record<string, unknown>,
  bad: (detail: string) => never,
): { id: string; used: number; limit: number } {
  if (typeof body.vnet !== 'string' || typeof body.subnet !== 'string')
    bad('vnet (its ARM id or name) and subnet are required');
  if (typeof body.used !== 'number' || !Number.isInteger(body.used) || body.used < 0)
    bad('used must be a non-negative integer');
  const wanted = body.vnet.toLowerCase();
  const vnets = [...ctx.fleet.vnets.values()].filter(
    (v) => v.id.toLowerCase() === wanted || v.id.toLowerCase().endsWith(`/virtualnetworks/${wanted}`),
  );
  if (vnets.length !== 1) bad(`no single virtual network "${body.vnet}" in the simulated fleet`);
  const vnet = vnets[0] as SimVnet;
  const subnet = vnet.subnets.find((s) => s.name.toLowerCase() === String(body.subnet).toLowerCase());
  if (!subnet) bad(`no subnet "${String(body.subnet)}" in ${vnet.id}`);
  if (body.used > subnetLimit(subnet.addressPrefix))
    bad(`used is above the subnet's ${subnetLimit(subnet.addressPrefix)} addresses`);
  subnet.used = body.used;
  return {
    id: `${vnet.id}/subnets/${subnet.name}`,
    used: subnet.used,
    limit: subnetLimit(subnet.addressPrefix),
  };
}

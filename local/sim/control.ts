import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Mount } from '../host';
import { scheduledEventPayload } from './arm/autoUpgrade';
import { clusterArmId } from './arm/model';
import { addRelease, compareVersions, isOffered, parseVersion, versionAnnouncement } from './arm/versions';
import { setQuota } from './compute/model';
import type { SimContext } from './context';
import type { AksEventType } from './eventGrid/deliveries';
import { AKS_EVENT_TYPES, SCHEDULED_EVENT_TYPE } from './eventGrid/deliveries';
import { FaultError } from './faults';
import type { ClusterSpec, SimCluster } from './fleetFile/fleet';
import { clusterKey, FleetFileError, newCluster, newETag, regionKey } from './fleetFile/fleet';
import { listFleetRuns, startFleetRun } from './fleetManager/control';
import { setAccess, setNode, setPdb, setSlow } from './kube/control';
import { setSubnetUse } from './network/model';
import type { SimServer } from './server';

/**
 * The simulator's control API, mounted on the app's own base URL at `/_sim`:
 * release a version, read the simulated state and the calls received, add faults, emit events.
 * Bad input is a 400 `{ error, detail }`.
 */
type Json = Record<string, unknown>;

class BadRequest extends Error {}

const bad = (detail: string): never => {
  throw new BadRequest(detail);
};

function send(res: ServerResponse, status: number, body?: unknown): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function parseJson(body: Buffer): Json {
  let v: unknown;
  try {
    v = JSON.parse(body.toString('utf8') || '{}');
  } catch {
    throw new BadRequest('body is not JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v))
    throw new BadRequest('body must be a JSON object');
  return v as Json;
}

/** Finds a cluster by ARM id (any case) or by name (must be unique in the fleet). */
export function lookupCluster(ctx: SimContext, ref: string): SimCluster {
  const lower = ref.toLowerCase();
  const matches = [...ctx.fleet.clusters.values()].filter((c) =>
    lower.startsWith('/subscriptions/')
      ? clusterArmId(c).toLowerCase() === lower.replace('/resourcegroups/', '/resourcegroups/')
      : c.name.toLowerCase() === lower,
  );
  if (matches.length === 0) throw new BadRequest(`no cluster "${ref}" in the simulated fleet`);
  if (matches.length > 1) throw new BadRequest(`cluster name "${ref}" is ambiguous; pass its ARM id`);
  return matches[0] as SimCluster;
}

function clusterState(ctx: SimContext, c: SimCluster): Json {
  const op = c.operationId === undefined ? undefined : ctx.lro.get(c.operationId);
  return {
    id: clusterArmId(c),
    name: c.name,
    subscriptionId: c.subscriptionId,
    resourceGroup: c.resourceGroup,
    location: c.location,
    tags: c.tags,
    kubernetesVersion: c.kubernetesVersion,
    currentKubernetesVersion: c.currentKubernetesVersion,
    supportPlan: c.supportPlan,
    sku: c.sku,
    autoUpgradeProfile: { upgradeChannel: c.upgradeChannel, nodeOSUpgradeChannel: c.nodeOSUpgradeChannel },
    provisioningState: c.provisioningState,
    provisioningError: c.provisioningError ?? null,
    operation: op ? { id: op.id, kind: op.kind, status: op.status, startTime: op.startTime } : null,
    pools: c.pools.map((p) => ({
      name: p.name,
      mode: p.mode,
      osType: p.osType,
      orchestratorVersion: p.orchestratorVersion,
      currentOrchestratorVersion: p.currentOrchestratorVersion,
      nodeImageVersion: p.nodeImageVersion,
      maxSurge: p.maxSurge,
      count: p.count,
      provisioningState: p.provisioningState,
      provisioningError: p.provisioningError ?? null,
    })),
    maintenanceConfigurations: Object.fromEntries(c.maintenance),
    deprecatedApiUsage: c.deprecatedApiUsage,
  };
}

/** Adds a version to a region and announces it to every cluster there with NewKubernetesVersionAvailable. */
export function release(
  ctx: SimContext,
  location: string,
  version: string,
  preview: boolean,
): { added: boolean; notified: number } {
  const region = ctx.fleet.regions.get(regionKey(location));
  if (!region) throw new BadRequest(`no region "${location}" in the simulated fleet`);
  const v = parseVersion(version);
  if (!v || v.patch === undefined)
    throw new BadRequest(`version must be major.minor.patch, got "${version}"`);
  const added = addRelease(region.versions, version, preview);
  if (!added) return { added, notified: 0 };
  let notified = 0;
  for (const c of ctx.fleet.clusters.values()) {
    if (c.location !== region.name) continue;
    ctx.events.emit(c, 'Microsoft.ContainerService.NewKubernetesVersionAvailable', {
      ...versionAnnouncement(region.versions, c.supportPlan),
    });
    notified += 1;
  }
  ctx.hooks.afterRelease?.(region);
  return { added, notified };
}

function eventTypeOf(text: string): AksEventType {
  if ([SCHEDULED_EVENT_TYPE, 'ScheduledEventEmitted'].some((t) => t.toLowerCase() === text.toLowerCase()))
    return SCHEDULED_EVENT_TYPE;
  const full = text.startsWith('Microsoft.ContainerService.') ? text : `Microsoft.ContainerService.${text}`;
  const t = AKS_EVENT_TYPES.find((e) => e.toLowerCase() === full.toLowerCase());
  if (!t)
    throw new BadRequest(`eventType must be one of ${[...AKS_EVENT_TYPES, SCHEDULED_EVENT_TYPE].join(', ')}`);
  return t;
}

/** Emits an AKS event for a cluster; missing data fields are filled from the cluster. */
export function emitEvent(
  ctx: SimContext,
  clusterRef: string,
  type: string,
  data: Json | undefined,
): { id: string; eventType: string } {
  const c = lookupCluster(ctx, clusterRef);
  const eventType = eventTypeOf(type);
  if (eventType === SCHEDULED_EVENT_TYPE) {
    const e = scheduledEventPayload(ctx, c, data ?? {});
    const d = ctx.events.emit(c, eventType, e.data, { topic: e.topic, subject: e.subject });
    return { id: d.id, eventType };
  }
  const given = Object.fromEntries(
    Object.entries(data ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
  let filled: Record<string, string>;
  switch (eventType) {
    case 'Microsoft.ContainerService.NewKubernetesVersionAvailable':
      filled = {
        ...versionAnnouncement(ctx.fleet.regions.get(c.location)?.versions ?? [], c.supportPlan),
        ...given,
      };
      break;
    case 'Microsoft.ContainerService.ClusterSupportEnding':
    case 'Microsoft.ContainerService.ClusterSupportEnded':
      filled = { kubernetesVersion: c.currentKubernetesVersion, ...given };
      break;
    case 'Microsoft.ContainerService.NodePoolRollingStarted':
    case 'Microsoft.ContainerService.NodePoolRollingSucceeded':
    case 'Microsoft.ContainerService.NodePoolRollingFailed':
      filled = { nodePoolName: c.pools[0]?.name ?? 'nodepool1', ...given };
      break;
  }
  const d = ctx.events.emit(c, eventType, filled);
  return { id: d.id, eventType };
}

/** Adds a cluster at run time (fleet-file form); its subscription and region must exist. */
export function addCluster(ctx: SimContext, spec: ClusterSpec): SimCluster {
  if (typeof spec !== 'object' || spec === null)
    throw new BadRequest('body must be a cluster (fleet-file form)');
  if (
    typeof spec.subscriptionId !== 'string' ||
    !ctx.fleet.subscriptions.has(spec.subscriptionId.toLowerCase())
  )
    throw new BadRequest(`subscriptionId "${String(spec.subscriptionId)}" is not in the simulated fleet`);
  const region =
    typeof spec.location === 'string' ? ctx.fleet.regions.get(regionKey(spec.location)) : undefined;
  if (!region) throw new BadRequest(`location "${String(spec.location)}" is not in the simulated fleet`);
  const key = clusterKey(spec.subscriptionId, String(spec.resourceGroup), String(spec.name));
  if (ctx.fleet.clusters.has(key)) throw new BadRequest(`cluster ${String(spec.name)} already exists`);
  let c: SimCluster;
  try {
    c = newCluster(spec, region, ctx.now(), 'cluster');
  } catch (e) {
    throw new BadRequest(e instanceof FleetFileError ? e.message : String(e));
  }
  ctx.fleet.clusters.set(key, c);
  ctx.fleet.resourceGroups.add(`${c.subscriptionId}/${c.resourceGroup}`.toLowerCase());
  return c;
}

/** Removes a cluster at once (as if deleted outside Warden). */
export function removeCluster(ctx: SimContext, ref: string): boolean {
  let c: SimCluster;
  try {
    c = lookupCluster(ctx, ref);
  } catch {
    return false;
  }
  if (c.operationId !== undefined) ctx.lro.cancel(c.operationId);
  return ctx.fleet.clusters.delete(clusterKey(c.subscriptionId, c.resourceGroup, c.name));
}

/** Changes what Warden cannot change through ARM: tags, deprecated-API usage, auto-upgrade channels. */
function patchCluster(ctx: SimContext, ref: string, b: Json): SimCluster {
  const c = lookupCluster(ctx, ref);
  if (b.tags !== undefined) {
    if (
      b.tags === null ||
      typeof b.tags !== 'object' ||
      Object.values(b.tags).some((v) => typeof v !== 'string')
    )
      throw new BadRequest('tags must be an object of strings');
    c.tags = { ...(b.tags as Record<string, string>) };
  }
  if (b.deprecatedApiUsage !== undefined) {
    if (!Array.isArray(b.deprecatedApiUsage)) throw new BadRequest('deprecatedApiUsage must be an array');
    c.deprecatedApiUsage = (b.deprecatedApiUsage as Json[]).map((u) => {
      if (typeof u.api !== 'string' || typeof u.removedIn !== 'string')
        throw new BadRequest('each deprecatedApiUsage needs api and removedIn');
      return {
        api: u.api,
        removedIn: u.removedIn,
        lastSeen: typeof u.lastSeen === 'string' ? u.lastSeen : ctx.now().toISOString(),
      };
    });
  }
  const auto = b.autoUpgradeProfile as Json | undefined;
  if (auto !== undefined) {
    if (auto === null || typeof auto !== 'object')
      throw new BadRequest('autoUpgradeProfile must be an object');
    if ('upgradeChannel' in auto)
      c.upgradeChannel = typeof auto.upgradeChannel === 'string' ? auto.upgradeChannel : undefined;
    if ('nodeOSUpgradeChannel' in auto)
      c.nodeOSUpgradeChannel =
        typeof auto.nodeOSUpgradeChannel === 'string' ? auto.nodeOSUpgradeChannel : undefined;
  }
  c.eTag = newETag();
  return c;
}

/**
 * Upgrades a cluster behind Warden's back, at once (as a person in the portal or AKS itself would):
 * `version` moves the control plane and every pool (or only `pool`), `nodeImage` (a full
 * `AKSUbuntu-…-202612.01.0` or only its version) moves every pool's image (or only `pool`'s). Each
 * pool then reports NodePoolRollingStarted / Succeeded, unless `events: false`.
 */
export function upgradeOutside(ctx: SimContext, b: Json): SimCluster {
  if (typeof b.cluster !== 'string' || b.cluster === '')
    throw new BadRequest('cluster (name or ARM id) is required');
  const c = lookupCluster(ctx, b.cluster);
  if (b.pool !== undefined && typeof b.pool !== 'string') throw new BadRequest('pool must be a pool name');
  if (b.events !== undefined && typeof b.events !== 'boolean')
    throw new BadRequest('events must be true or false');
  const pools = b.pool === undefined ? c.pools : c.pools.filter((p) => p.name === b.pool);
  if (pools.length === 0) throw new BadRequest(`cluster ${c.name} has no pool "${String(b.pool)}"`);
  if ((b.version === undefined) === (b.nodeImage === undefined))
    throw new BadRequest('give exactly one of version and nodeImage');
  if (c.operationId !== undefined) throw new BadRequest(`cluster ${c.name} has an operation running`);
  if (b.version !== undefined) {
    const v = b.version;
    if (typeof v !== 'string' || parseVersion(v)?.patch === undefined)
      throw new BadRequest(`version must be major.minor.patch, got ${JSON.stringify(v)}`);
    if (!isOffered(ctx.fleet.regions.get(c.location)?.versions ?? [], v))
      throw new BadRequest(`version ${v} is not offered in ${c.location}`);
    if (b.pool === undefined) {
      if (compareVersions(v, c.currentKubernetesVersion) < 0)
        throw new BadRequest(`${c.name} runs ${c.currentKubernetesVersion}: no downgrade to ${v}`);
      c.kubernetesVersion = v;
      c.currentKubernetesVersion = v;
    } else if (compareVersions(v, c.currentKubernetesVersion) > 0) {
      throw new BadRequest(`a pool never runs above the control plane (${c.currentKubernetesVersion})`);
    }
    for (const p of pools) {
      if (compareVersions(v, p.currentOrchestratorVersion) < 0) continue;
      p.orchestratorVersion = v;
      p.currentOrchestratorVersion = v;
    }
  } else {
    const image = b.nodeImage;
    if (typeof image !== 'string' || !/^([A-Za-z][A-Za-z0-9-]*-)?[0-9][0-9.]*$/.test(image))
      throw new BadRequest('nodeImage must be like AKSUbuntu-2204gen2containerd-202612.01.0 or 202612.01.0');
    for (const p of pools) {
      const family = p.nodeImageVersion.slice(0, p.nodeImageVersion.lastIndexOf('-'));
      p.nodeImageVersion = /^[0-9]/.test(image) ? `${family}-${image}` : image;
    }
  }
  for (const p of pools) p.eTag = newETag();
  c.eTag = newETag();
  // Each pool rolled, as AKS reports any upgrade; `events: false` models deliveries that were lost.
  if (b.events !== false)
    for (const p of pools) {
      ctx.events.emit(c, 'Microsoft.ContainerService.NodePoolRollingStarted', { nodePoolName: p.name });
      ctx.events.emit(c, 'Microsoft.ContainerService.NodePoolRollingSucceeded', { nodePoolName: p.name });
    }
  return c;
}

/** Releases a node image version for a family, in one region or all. */
export function releaseNodeImage(
  ctx: SimContext,
  family: string,
  version: string,
  location?: string,
): string[] {
  if (!/^[A-Za-z][A-Za-z0-9-]*$/.test(family))
    throw new BadRequest('family must be like AKSUbuntu-2204gen2containerd');
  if (!/^[0-9][0-9.]*$/.test(version)) throw new BadRequest('version must be like 202612.01.0');
  const regions =
    location === undefined ? [...ctx.fleet.regions.values()] : [ctx.fleet.regions.get(regionKey(location))];
  if (regions.some((r) => r === undefined))
    throw new BadRequest(`no region "${location ?? ''}" in the simulated fleet`);
  return regions.map((r) => {
    if (r) r.nodeImages[family] = version;
    return r?.name ?? '';
  });
}

export function controlMount(ctx: SimContext, server: SimServer): Mount {
  const prefix = '/_sim';
  return {
    prefix,
    async handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
      await Promise.resolve();
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const sub = url.pathname.slice(prefix.length).replace(/\/+$/, '') || '/';
      const method = (req.method ?? 'GET').toUpperCase();
      if (method !== 'GET') ctx.hooks.changed?.();
      try {
        const one = /^\/clusters\/(.+)$/.exec(sub);
        if (one) {
          const ref = decodeURIComponent(one[1] ?? '');
          if (method === 'DELETE') return send(res, removeCluster(ctx, ref) ? 204 : 404);
          if (method === 'PATCH')
            return send(res, 200, clusterState(ctx, patchCluster(ctx, ref, parseJson(body))));
          if (method === 'GET') return send(res, 200, clusterState(ctx, lookupCluster(ctx, ref)));
        }
        const route = `${method} ${sub}`;
        switch (route) {
          case 'POST /clusters':
            return send(
              res,
              201,
              clusterState(ctx, addCluster(ctx, parseJson(body) as unknown as ClusterSpec)),
            );
          case 'POST /node-images': {
            const b = parseJson(body);
            if (typeof b.family !== 'string' || typeof b.version !== 'string')
              throw new BadRequest('family and version are required');
            if (b.location !== undefined && typeof b.location !== 'string')
              throw new BadRequest('location must be a string');
            const regions = releaseNodeImage(ctx, b.family, b.version, b.location);
            return send(res, 200, { family: b.family, version: b.version, regions });
          }
          case 'GET /':
            return send(res, 200, {
              armUrl: server.url,
              routes: [
                'POST /_sim/release {location, version, preview?}',
                'GET /_sim/clusters',
                'GET /_sim/calls?api=arm|resourcegraph&limit=N',
                'DELETE /_sim/calls',
                'GET /_sim/faults',
                'POST /_sim/faults {path, method?, count?, status?, code?, retryAfter?, latencyMs?, drop?, failOperation?}',
                'DELETE /_sim/faults',
                'POST /_sim/events {cluster, eventType, data?}',
                'POST /_sim/clusters {fleet-file cluster}',
                'PATCH /_sim/clusters/{name-or-id} {tags?, deprecatedApiUsage?, autoUpgradeProfile?}',
                'DELETE /_sim/clusters/{name-or-id}',
                'POST /_sim/node-images {family, version, location?}',
                'POST /_sim/network/subnets {vnet, subnet, used}',
                'POST /_sim/compute/quotas {subscriptionId, location, name, limit, otherUse?}',
                'POST /_sim/kube/pdbs {cluster, namespace, name, minAvailable?|maxUnavailable?, unhealthy?, observed?}',
                'POST /_sim/kube/nodes {cluster, pool, index, notReady?, cordoned?}',
                'POST /_sim/kube/access {cluster, access: full|rbac-reader|none}',
                'POST /_sim/kube/slow {cluster, ms}',
                'POST /_sim/kube/rotate-certs (a new API server CA, every cluster)',
                'POST /_sim/upgrade {cluster, pool?, version | nodeImage, events?}',
                'GET /_sim/auto-upgrades',
                'GET /_sim/deliveries',
                'POST /_sim/fleet-runs {fleet?, version, gateBefore?}',
                'GET /_sim/fleet-runs',
              ],
            });
          case 'POST /release': {
            const b = parseJson(body);
            if (typeof b.location !== 'string' || b.location === '')
              throw new BadRequest('location is required');
            if (typeof b.version !== 'string' || b.version === '')
              throw new BadRequest('version is required');
            if (b.preview !== undefined && typeof b.preview !== 'boolean')
              throw new BadRequest('preview must be true or false');
            const out = release(ctx, b.location, b.version, b.preview === true);
            return send(res, 200, { location: regionKey(b.location), version: b.version, ...out });
          }
          case 'GET /clusters':
            return send(
              res,
              200,
              [...ctx.fleet.clusters.values()].map((c) => clusterState(ctx, c)),
            );
          case 'GET /calls': {
            // ?api=arm|resourcegraph narrows; ?limit=N keeps the newest N.
            const api = url.searchParams.get('api');
            const limitText = url.searchParams.get('limit');
            const limit = limitText === null ? undefined : Number(limitText);
            if (limit !== undefined && (!Number.isInteger(limit) || limit < 0))
              throw new BadRequest('limit must be a non-negative integer');
            if (api !== null && !['arm', 'resourcegraph', 'other'].includes(api))
              throw new BadRequest(`api must be arm, resourcegraph or other, got "${api.slice(0, 40)}"`);
            const calls = api === null ? server.calls : server.calls.filter((c) => c.api === api);
            return send(res, 200, {
              count: calls.length,
              stats: server.stats,
              calls: limit === undefined ? calls : calls.slice(Math.max(0, calls.length - limit)),
            });
          }
          case 'DELETE /calls':
            server.calls.length = 0;
            server.stats.calls = 0;
            server.stats.throttled = 0;
            for (const k of Object.keys(server.stats.byStatus)) delete server.stats.byStatus[k];
            server.stats.byApi = { arm: 0, resourcegraph: 0, other: 0 };
            return send(res, 204);
          case 'GET /faults':
            return send(
              res,
              200,
              ctx.faults.list().map(({ pattern: _p, ...f }) => f),
            );
          case 'POST /faults': {
            const f = ctx.faults.add(parseJson(body) as unknown as Parameters<typeof ctx.faults.add>[0]);
            const { pattern: _p, ...shown } = f;
            return send(res, 201, shown);
          }
          case 'DELETE /faults':
            ctx.faults.clear();
            return send(res, 204);
          case 'POST /events': {
            const b = parseJson(body);
            if (typeof b.cluster !== 'string' || b.cluster === '')
              throw new BadRequest('cluster (name or ARM id) is required');
            if (typeof b.eventType !== 'string') throw new BadRequest('eventType is required');
            if (b.data !== undefined && (b.data === null || typeof b.data !== 'object'))
              throw new BadRequest('data must be an object');
            return send(res, 202, emitEvent(ctx, b.cluster, b.eventType, b.data as Json | undefined));
          }
          case 'POST /network/subnets':
            return send(res, 200, setSubnetUse(ctx, parseJson(body), bad));
          case 'POST /compute/quotas':
            return send(res, 200, setQuota(ctx.fleet, parseJson(body), bad));
          case 'POST /kube/rotate-certs':
            if (!ctx.hooks.rotateKubeCerts) throw new BadRequest('no Kubernetes API is running');
            ctx.hooks.rotateKubeCerts();
            return send(res, 200, { rotated: true, note: 'every cluster: the API servers share one port' });
          case 'POST /kube/pdbs':
          case 'POST /kube/nodes':
          case 'POST /kube/access':
          case 'POST /kube/slow': {
            const b = parseJson(body);
            if (typeof b.cluster !== 'string' || b.cluster === '')
              throw new BadRequest('cluster (name or ARM id) is required');
            const c = lookupCluster(ctx, b.cluster);
            const change =
              sub === '/kube/pdbs'
                ? setPdb
                : sub === '/kube/nodes'
                  ? setNode
                  : sub === '/kube/slow'
                    ? setSlow
                    : setAccess;
            return send(res, 200, change(c, b, bad));
          }
          case 'POST /upgrade':
            return send(res, 200, clusterState(ctx, upgradeOutside(ctx, parseJson(body))));
          case 'GET /auto-upgrades':
            return send(res, 200, ctx.hooks.autoUpgrades?.() ?? []);
          case 'GET /deliveries':
            return send(res, 200, ctx.events.deliveries());
          case 'POST /fleet-runs': {
            const run = startFleetRun(ctx, parseJson(body));
            if (typeof run.error === 'string') throw new BadRequest(run.error);
            return send(res, 201, run);
          }
          case 'GET /fleet-runs':
            return send(res, 200, listFleetRuns(ctx));
          default:
            return send(res, 404, {
              error: 'not found',
              detail: `no simulator route ${method} ${prefix}${sub === '/' ? '' : sub}`,
            });
        }
      } catch (e) {
        if (e instanceof BadRequest || e instanceof FaultError)
          return send(res, 400, { error: 'bad request', detail: e.message });
        throw e;
      }
    },
  };
}

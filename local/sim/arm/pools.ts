import type { SimContext } from '../context';
import { findCluster } from '../context';
import type { SimCluster, SimPool } from '../fleetFile/fleet';
import { clusterKey, latestNodeImage, newETag, newPool } from '../fleetFile/fleet';
import type { Route, SimRequest, SimResponse } from '../router';
import { apiVersion, armError, checkIfMatch, CLUSTER_PREFIX, listPage, obj, ok, routesOn } from '../router';
import { abortOperation } from './clusters';
import { poolExtra, renderPool, renderPoolUpgradeProfile } from './model';
import { lroHeaders, operationUrls } from './operations';
import { surgeRefusal } from './surgeChecks';
import { busy, checkPoolUpgrade, finishCluster, poolRollStep, resolveVersion } from './upgrades';
import { compareVersions } from './versions';

function findPool(
  ctx: SimContext,
  req: SimRequest,
):
  | { cluster: SimCluster; pool: SimPool }
  | { cluster: SimCluster; pool?: undefined; name: string }
  | { error: SimResponse } {
  const [sub = '', rg = '', name = '', poolName = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found;
  const pool = found.cluster.pools.find((p) => p.name.toLowerCase() === poolName.toLowerCase());
  return pool ? { cluster: found.cluster, pool } : { cluster: found.cluster, name: poolName };
}

function poolNotFound(c: SimCluster, name: string): SimResponse {
  return armError(404, 'NotFound', `Agent pool '${name}' not found in managed cluster '${c.name}'.`);
}

function getPool(ctx: SimContext, req: SimRequest): SimResponse {
  const f = findPool(ctx, req);
  if ('error' in f) return f.error;
  if (!f.pool) return poolNotFound(f.cluster, f.name);
  return ok(renderPool(f.cluster, f.pool));
}

function listPools(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  return listPage(
    req,
    found.cluster.pools.map((p) => renderPool(found.cluster, p)),
    ctx.pageSize,
  );
}

function poolUpgradeProfile(ctx: SimContext, req: SimRequest): SimResponse {
  const f = findPool(ctx, req);
  if ('error' in f) return f.error;
  if (!f.pool) return poolNotFound(f.cluster, f.name);
  return ok(renderPoolUpgradeProfile(ctx.fleet, f.cluster, f.pool));
}

/** PUT agentPools/{pool}: create, or update/upgrade (`orchestratorVersion` up to the control plane). */
function putPool(ctx: SimContext, req: SimRequest): SimResponse {
  const f = findPool(ctx, req);
  if ('error' in f) return f.error;
  const c = f.cluster;
  const props = obj(obj(req.body)?.properties);
  if (!props) return armError(400, 'InvalidRequestContent', 'The body must be {"properties": {…}}.');
  const precondition = checkIfMatch(req, f.pool?.eTag);
  if (precondition) return precondition;
  const conflict = busy(ctx, c);
  if (conflict) return conflict;
  const region = ctx.fleet.regions.get(c.location);
  if (!region) return armError(500, 'InternalError', `region ${c.location} is missing`);
  const requested =
    typeof props.orchestratorVersion === 'string' && props.orchestratorVersion !== ''
      ? props.orchestratorVersion
      : undefined;
  let target: string | undefined;
  if (requested !== undefined) {
    const resolved = resolveVersion(region, requested);
    if ('error' in resolved) return resolved.error;
    target = resolved.version;
  }
  const surge = obj(props.upgradeSettings);
  const headers = (opId: string): Record<string, string> => lroHeaders(req, opId, ctx);
  const key = clusterKey(c.subscriptionId, c.resourceGroup, c.name);

  if (!f.pool) {
    let pool: SimPool;
    try {
      pool = newPool(
        {
          name: f.name,
          ...(props.mode === 'System' || props.mode === 'User' ? { mode: props.mode } : {}),
          ...(props.osType === 'Windows' ? { osType: 'Windows' as const } : {}),
          ...(typeof props.osSKU === 'string' && { osSKU: props.osSKU }),
          ...(typeof props.count === 'number' && { count: props.count }),
          ...(typeof props.vmSize === 'string' && { vmSize: props.vmSize }),
          ...(typeof surge?.maxSurge === 'string' && { maxSurge: surge.maxSurge }),
          orchestratorVersion: target ?? c.currentKubernetesVersion,
        },
        c.currentKubernetesVersion,
        region,
        ctx.now(),
        'request',
      );
    } catch (e) {
      return armError(400, 'InvalidParameter', e instanceof Error ? e.message : String(e));
    }
    pool.extra = poolExtra(props);
    pool.provisioningState = 'Creating';
    c.pools.push(pool);
    const op = ctx.lro.start({
      subscriptionId: c.subscriptionId,
      location: c.location,
      clusterKey: key,
      kind: 'creating agent pool',
      steps: [{ durationMs: ctx.durations.poolMs, end: () => (pool.provisioningState = 'Succeeded') }],
      failWith: req.failOperation,
      done: finishCluster(c),
    });
    c.operationId = op.id;
    return { status: 201, body: renderPool(c, pool), headers: headers(op.id) };
  }

  const p = f.pool;
  const upgrading = target !== undefined && compareVersions(target, p.currentOrchestratorVersion) !== 0;
  if (upgrading && target !== undefined) {
    const invalid = checkPoolUpgrade(c, p, target) ?? surgeRefusal(ctx, c, [p], c.overrideSettings);
    if (invalid) return invalid;
  }
  if (typeof surge?.maxSurge === 'string') p.maxSurge = surge.maxSurge;
  if (typeof surge?.maxUnavailable === 'string') p.maxUnavailable = surge.maxUnavailable;
  if (typeof props.count === 'number') p.count = props.count;
  if (props.mode === 'System' || props.mode === 'User') p.mode = props.mode;
  Object.assign(p.extra, poolExtra(props));
  const step =
    upgrading && target !== undefined
      ? poolRollStep(ctx, c, p, { version: target }, ctx.durations.poolMs)
      : {
          durationMs: Math.min(ctx.durations.poolMs, 500),
          begin: () => (p.provisioningState = 'Updating'),
          end: () => (p.provisioningState = 'Succeeded'),
          stop: (s: string) => (p.provisioningState = s),
        };
  const op = ctx.lro.start({
    subscriptionId: c.subscriptionId,
    location: c.location,
    clusterKey: key,
    kind: upgrading ? 'upgrading agent pool' : 'updating agent pool',
    steps: [step],
    failWith: req.failOperation,
    done: finishCluster(c),
  });
  c.operationId = op.id;
  c.provisioningState = upgrading ? 'Upgrading' : 'Updating';
  p.eTag = newETag();
  return { status: 200, body: renderPool(c, p), headers: headers(op.id) };
}

/**
 * POST upgradeNodeImageVersion: 202 with the pool (`UpgradingNodeImageVersion`), an
 * `Azure-AsyncOperation` without a subscription segment (as the spec example shows) and a
 * `Location` whose final answer is 204 (the live quirk; the SDK rejects it). 304 (or 200 with the
 * quirk off) without a body when the pool already runs the latest image.
 */
function upgradeNodeImage(ctx: SimContext, req: SimRequest): SimResponse {
  const f = findPool(ctx, req);
  if ('error' in f) return f.error;
  if (!f.pool) return poolNotFound(f.cluster, f.name);
  const c = f.cluster;
  const p = f.pool;
  const conflict = busy(ctx, c);
  if (conflict) return conflict;
  const latest = latestNodeImage(ctx.fleet.regions.get(c.location), p.nodeImageVersion);
  if (latest === p.nodeImageVersion) return { status: ctx.quirks.nodeImage304 ? 304 : 200 };
  const refused = surgeRefusal(ctx, c, [p], c.overrideSettings);
  if (refused) return refused;
  const op = ctx.lro.start({
    subscriptionId: c.subscriptionId,
    location: c.location,
    clusterKey: clusterKey(c.subscriptionId, c.resourceGroup, c.name),
    kind: 'upgrading node image version',
    steps: [poolRollStep(ctx, c, p, { nodeImage: true }, ctx.durations.nodeImageMs)],
    failWith: req.failOperation,
    emptyFinalLocation: ctx.quirks.nodeImage204,
    finalBody: () => renderPool(c, p),
    done: finishCluster(c),
  });
  c.operationId = op.id;
  const provider = operationUrls(req.baseUrl, op, apiVersion(req), 'provider');
  return {
    status: 202,
    body: renderPool(c, p),
    headers: { 'azure-asyncoperation': provider.asyncOperation, location: provider.location },
  };
}

function abortPool(ctx: SimContext, req: SimRequest): SimResponse {
  const f = findPool(ctx, req);
  if ('error' in f) return f.error;
  if (!f.pool) return poolNotFound(f.cluster, f.name);
  return abortOperation(ctx, req, f.cluster, f.pool.name);
}

export function poolRoutes(ctx: SimContext): Route[] {
  const pool = `${CLUSTER_PREFIX}/agentpools/([^/]+)`;
  const r = routesOn(ctx);
  return [
    r('GET', `${CLUSTER_PREFIX}/agentpools`, listPools),
    r('GET', pool, getPool),
    r('PUT', pool, putPool),
    r('GET', `${pool}/upgradeprofiles/default`, poolUpgradeProfile),
    r('POST', `${pool}/upgradenodeimageversion`, upgradeNodeImage),
    r('POST', `${pool}/abort`, abortPool),
  ];
}

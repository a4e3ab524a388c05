import type { SimContext } from '../context';
import { checkSubscription, findCluster, resourceGroupExists } from '../context';
import type { SimCluster } from '../fleetFile/fleet';
import { clusterKey, newETag, regionKey } from '../fleetFile/fleet';
import type { Route, SimRequest, SimResponse } from '../router';
import {
  apiVersion,
  armError,
  checkIfMatch,
  CLUSTER_PREFIX,
  listPage,
  obj,
  ok,
  RG_PREFIX,
  routesOn,
} from '../router';
import { putCluster } from './clusterWrites';
import { renderCluster, renderClusterUpgradeProfile } from './model';
import { operationUrls } from './operations';
import { busy } from './upgrades';
import { kubernetesVersionsBody } from './versions';

function getCluster(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  return 'error' in found ? found.error : ok(renderCluster(found.cluster));
}

function clustersOf(ctx: SimContext, sub: string, rg?: string): SimCluster[] {
  return [...ctx.fleet.clusters.inSubscription(sub)].filter(
    (c) => rg === undefined || c.resourceGroup.toLowerCase() === rg.toLowerCase(),
  );
}

function listBySubscription(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = ''] = req.params;
  const missing = checkSubscription(ctx, sub);
  if (missing) return missing;
  return listPage(req, clustersOf(ctx, sub).map(renderCluster), ctx.pageSize);
}

function listByResourceGroup(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = ''] = req.params;
  const missing = checkSubscription(ctx, sub);
  if (missing) return missing;
  if (!resourceGroupExists(ctx, sub, rg))
    return armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
  return listPage(req, clustersOf(ctx, sub, rg).map(renderCluster), ctx.pageSize);
}

function upgradeProfile(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  return ok(
    renderClusterUpgradeProfile(ctx.fleet, found.cluster, {
      nullAgentPoolProfiles: ctx.quirks.nullAgentPoolProfiles,
    }),
  );
}

function kubernetesVersions(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', location = ''] = req.params;
  const missing = checkSubscription(ctx, sub);
  if (missing) return missing;
  const region = ctx.fleet.regions.get(regionKey(location));
  if (!region)
    return armError(
      404,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${location}' and API version '${apiVersion(req)}' for type 'locations/kubernetesVersions'.`,
    );
  return ok(kubernetesVersionsBody(region.versions));
}

function patchTags(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  const body = obj(req.body);
  const tags = obj(body?.tags);
  if (!body || (body.tags !== undefined && !tags))
    return armError(400, 'InvalidRequestContent', 'The body must be {"tags": {…}}.');
  const precondition = checkIfMatch(req, found.cluster.eTag);
  if (precondition) return precondition;
  const conflict = busy(ctx, found.cluster);
  if (conflict) return conflict;
  if (tags) {
    for (const [k, v] of Object.entries(tags)) {
      if (typeof v !== 'string')
        return armError(400, 'InvalidTagValue', `The value of tag '${k}' must be a string.`);
    }
    found.cluster.tags = { ...(tags as Record<string, string>) };
  }
  found.cluster.eTag = newETag();
  return ok(renderCluster(found.cluster));
}

/** Cancels the cluster's running operation (Canceling -> Canceled); 409 when there is none. */
export function abortOperation(
  ctx: SimContext,
  req: SimRequest,
  c: SimCluster,
  poolName?: string,
): SimResponse {
  const running = c.operationId;
  if (!ctx.lro.isRunning(running) || running === undefined)
    return armError(
      409,
      'NotAllowedAbort',
      `There is no ongoing operation on ${poolName === undefined ? `managed cluster '${c.name}'` : `agent pool '${poolName}'`} to abort.`,
    );
  // The running operation stops now and ends Canceled; the resource shows Canceling until the
  // abort operation completes, then Canceled (manage-abort-operations.md).
  ctx.lro.cancel(running);
  c.provisioningState = 'Canceling';
  const abort = ctx.lro.start({
    subscriptionId: c.subscriptionId,
    location: c.location,
    clusterKey: clusterKey(c.subscriptionId, c.resourceGroup, c.name),
    kind: 'abort',
    steps: [{ durationMs: Math.min(ctx.durations.poolMs, 1_000), end() {} }],
    done: () => {
      c.operationId = undefined;
      c.provisioningState = 'Canceled';
      c.eTag = newETag();
    },
  });
  c.operationId = abort.id;
  const urls = operationUrls(req.baseUrl, abort, apiVersion(req));
  return { status: 202, headers: { 'azure-asyncoperation': urls.status, location: urls.operations } };
}

function abortCluster(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  return abortOperation(ctx, req, found.cluster);
}

export function clusterRoutes(ctx: SimContext): Route[] {
  const r = routesOn(ctx);
  return [
    r(
      'GET',
      '^/subscriptions/([^/]+)/providers/microsoft\\.containerservice/managedclusters',
      listBySubscription,
    ),
    r(
      'GET',
      '^/subscriptions/([^/]+)/providers/microsoft\\.containerservice/locations/([^/]+)/kubernetesversions',
      kubernetesVersions,
    ),
    r('GET', `${RG_PREFIX}/managedclusters`, listByResourceGroup),
    r('GET', CLUSTER_PREFIX, getCluster),
    r('PUT', CLUSTER_PREFIX, putCluster),
    r('PATCH', CLUSTER_PREFIX, patchTags),
    r('GET', `${CLUSTER_PREFIX}/upgradeprofiles/default`, upgradeProfile),
    r('POST', `${CLUSTER_PREFIX}/abort`, abortCluster),
  ];
}

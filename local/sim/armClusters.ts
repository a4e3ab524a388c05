import { poolExtra, renderCluster, renderClusterUpgradeProfile } from './armModel';
import type { SimContext } from './context';
import { checkSubscription, findCluster, resourceGroupExists } from './context';
import type { ClusterSpec, PoolSpec, SimCluster } from './fleet';
import { clusterKey, newCluster, newETag, regionKey } from './fleet';
import type { Step } from './lro';
import { operationUrls } from './lro';
import type { Route, SimRequest, SimResponse } from './router';
import { armError, CLUSTER_PREFIX, ok, path, RG_PREFIX } from './router';
import { busy, checkControlPlaneUpgrade, finishCluster, poolRollStep, resolveVersion } from './upgrades';
import { compareVersions, kubernetesVersionsBody } from './versions';

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

/** A list page: `{ value, nextLink? }`, `value` always present (a page without it crashes the SDK). */
export function listPage(req: SimRequest, items: readonly unknown[], pageSize: number): SimResponse {
  const skip = Math.max(0, Number(req.query.get('$skipToken') ?? '0') || 0);
  const page = items.slice(skip, skip + pageSize);
  const next = skip + pageSize < items.length ? skip + pageSize : undefined;
  const q = new URLSearchParams(req.query);
  if (next !== undefined) q.set('$skipToken', String(next));
  return ok({
    value: page,
    ...(next !== undefined && { nextLink: `${req.baseUrl}${req.path}?${q.toString()}` }),
  });
}

function apiVersion(req: SimRequest): string {
  return req.query.get('api-version') ?? '2026-06-01';
}

function lroHeaders(req: SimRequest, opId: string, ctx: SimContext): Record<string, string> {
  const op = ctx.lro.get(opId);
  if (!op) return {};
  return { 'azure-asyncoperation': operationUrls(req.baseUrl, op, apiVersion(req)).asyncOperation };
}

export function checkIfMatch(req: SimRequest, etag: string | undefined): SimResponse | undefined {
  const ifMatch = req.headers['if-match'];
  const ifNoneMatch = req.headers['if-none-match'];
  const strip = (s: string): string => s.replace(/^W\//, '').replace(/^"|"$/g, '');
  if (typeof ifMatch === 'string' && ifMatch !== '*' && (etag === undefined || strip(ifMatch) !== etag))
    return armError(
      412,
      'PreconditionFailed',
      `The specified If-Match '${ifMatch}' does not match the resource's ETag.`,
    );
  if (typeof ifMatch === 'string' && ifMatch === '*' && etag === undefined)
    return armError(412, 'PreconditionFailed', 'If-Match * but the resource does not exist.');
  if (ifNoneMatch === '*' && etag !== undefined)
    return armError(412, 'PreconditionFailed', 'If-None-Match * but the resource already exists.');
  return undefined;
}

function getCluster(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  return 'error' in found ? found.error : ok(renderCluster(found.cluster));
}

function clustersOf(ctx: SimContext, sub: string, rg?: string): SimCluster[] {
  return [...ctx.fleet.clusters.values()].filter(
    (c) =>
      c.subscriptionId.toLowerCase() === sub.toLowerCase() &&
      (rg === undefined || c.resourceGroup.toLowerCase() === rg.toLowerCase()),
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

function overrideFrom(props: Json | undefined): { forceUpgrade?: boolean; until?: string } | undefined {
  const o = obj(obj(obj(props?.upgradeSettings)?.overrideSettings));
  if (!o) return undefined;
  return {
    ...(typeof o.forceUpgrade === 'boolean' && { forceUpgrade: o.forceUpgrade }),
    ...(typeof o.until === 'string' && { until: o.until }),
  };
}

const MODELLED = new Set([
  'provisioningState',
  'powerState',
  'kubernetesVersion',
  'currentKubernetesVersion',
  'dnsPrefix',
  'fqdn',
  'azurePortalFQDN',
  'agentPoolProfiles',
  'nodeResourceGroup',
  'enableRBAC',
  'supportPlan',
  'maxAgentPools',
  'autoUpgradeProfile',
  'upgradeSettings',
  'status',
]);

/** Properties the simulator does not model: kept as sent, returned on every read. */
function extraProps(props: Json | undefined): Json {
  const extra = structuredClone(
    Object.fromEntries(Object.entries(props ?? {}).filter(([k]) => !MODELLED.has(k))),
  );
  // Secrets are write-only: the service never returns them.
  delete (obj(extra.servicePrincipalProfile) ?? {}).secret;
  delete (obj(extra.windowsProfile) ?? {}).adminPassword;
  return extra;
}

/** PUT managedClusters/{name}: create, or update/upgrade (control plane and the pools whose version the body raises). */
function putCluster(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const missing = checkSubscription(ctx, sub);
  if (missing) return missing;
  const body = obj(req.body);
  if (!body) return armError(400, 'InvalidRequestContent', 'The request content is not a JSON object.');
  const props = obj(body.properties) ?? {};
  const existing = ctx.fleet.clusters.get(clusterKey(sub, rg, name));
  const precondition = checkIfMatch(req, existing?.eTag);
  if (precondition) return precondition;
  if (!existing) return createCluster(ctx, req, sub, rg, name, body, props);

  const c = existing;
  const conflict = busy(ctx, c);
  if (conflict) return conflict;
  const region = ctx.fleet.regions.get(c.location);
  if (!region) return armError(500, 'InternalError', `region ${c.location} is missing`);
  if (typeof body.location === 'string' && regionKey(body.location) !== c.location)
    return armError(
      400,
      'InvalidParameter',
      `The location of an existing cluster cannot change from ${c.location}.`,
    );

  let target = c.currentKubernetesVersion;
  if (typeof props.kubernetesVersion === 'string' && props.kubernetesVersion !== '') {
    const sameMinorAlias =
      /^\d+\.\d+$/.test(props.kubernetesVersion) &&
      c.currentKubernetesVersion.startsWith(`${props.kubernetesVersion}.`);
    if (!sameMinorAlias) {
      const resolved = resolveVersion(region, props.kubernetesVersion);
      if ('error' in resolved) return resolved.error;
      target = resolved.version;
    }
  }
  const poolTargets = new Map<string, string>();
  for (const entry of Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as unknown[]) : []) {
    const ap = obj(entry);
    const poolName = typeof ap?.name === 'string' ? ap.name : undefined;
    const v = ap?.orchestratorVersion;
    const pool = c.pools.find((p) => p.name === poolName);
    if (!pool || typeof v !== 'string' || v === '') continue;
    const resolved = resolveVersion(region, v);
    if ('error' in resolved) return resolved.error;
    if (compareVersions(resolved.version, pool.currentOrchestratorVersion) < 0)
      return armError(
        400,
        'OperationNotAllowed',
        `Upgrading agent pool ${pool.name} from ${pool.currentOrchestratorVersion} to ${resolved.version} is not allowed: downgrading is not supported.`,
      );
    if (compareVersions(resolved.version, pool.currentOrchestratorVersion) !== 0)
      poolTargets.set(pool.name, resolved.version);
  }
  const override = overrideFrom(props) ?? c.overrideSettings;
  const invalid = checkControlPlaneUpgrade(ctx, region, c, target, override, poolTargets);
  if (invalid) return invalid;

  // Settings apply at once; versions move as the operation runs.
  if (obj(body.tags)) c.tags = { ...(body.tags as Record<string, string>) };
  const auto = obj(props.autoUpgradeProfile);
  if (auto) {
    c.upgradeChannel = typeof auto.upgradeChannel === 'string' ? auto.upgradeChannel : undefined;
    c.nodeOSUpgradeChannel =
      typeof auto.nodeOSUpgradeChannel === 'string' ? auto.nodeOSUpgradeChannel : undefined;
  }
  if (typeof props.supportPlan === 'string') c.supportPlan = props.supportPlan;
  const sku = obj(body.sku);
  if (sku && typeof sku.tier === 'string')
    c.sku = { name: typeof sku.name === 'string' ? sku.name : c.sku.name, tier: sku.tier };
  if (overrideFrom(props)) c.overrideSettings = overrideFrom(props);
  Object.assign(c.extra, extraProps(props));
  for (const entry of Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as unknown[]) : []) {
    const ap = obj(entry);
    const pool = c.pools.find((p) => p.name === ap?.name);
    if (ap && pool) Object.assign(pool.extra, poolExtra(ap));
  }

  const upgrading = target !== c.currentKubernetesVersion || poolTargets.size > 0;
  const steps: Step[] = [];
  if (target !== c.currentKubernetesVersion) {
    steps.push({
      durationMs: ctx.durations.controlPlaneMs,
      end() {
        c.currentKubernetesVersion = target;
      },
    });
  }
  for (const p of c.pools) {
    const to = poolTargets.get(p.name);
    if (to !== undefined) steps.push(poolRollStep(ctx, c, p, { version: to }, ctx.durations.poolMs));
  }
  if (steps.length === 0) steps.push({ durationMs: Math.min(ctx.durations.poolMs, 500), end() {} });
  c.kubernetesVersion = target;
  c.provisioningState = upgrading ? 'Upgrading' : 'Updating';
  const op = ctx.lro.start({
    subscriptionId: c.subscriptionId,
    location: c.location,
    clusterKey: clusterKey(sub, rg, name),
    kind: upgrading ? 'upgrading' : 'updating',
    steps,
    failWith: req.failOperation,
    done: finishCluster(c),
  });
  c.operationId = op.id;
  c.eTag = newETag();
  return { status: 200, body: renderCluster(c), headers: lroHeaders(req, op.id, ctx) };
}

function createCluster(
  ctx: SimContext,
  req: SimRequest,
  sub: string,
  rg: string,
  name: string,
  body: Json,
  props: Json,
): SimResponse {
  if (!/^[a-zA-Z0-9]$|^[a-zA-Z0-9][-_a-zA-Z0-9]{0,61}[a-zA-Z0-9]$/.test(name))
    return armError(400, 'InvalidResourceName', `Resource name ${name} is invalid.`);
  if (!resourceGroupExists(ctx, sub, rg))
    return armError(404, 'ResourceGroupNotFound', `Resource group '${rg}' could not be found.`);
  const location = typeof body.location === 'string' ? regionKey(body.location) : '';
  const region = ctx.fleet.regions.get(location);
  if (!region)
    return armError(
      400,
      'LocationNotAvailableForResourceType',
      `The provided location '${location}' is not available for resource type 'Microsoft.ContainerService/managedClusters'.`,
    );
  const requested =
    typeof props.kubernetesVersion === 'string' && props.kubernetesVersion !== ''
      ? props.kubernetesVersion
      : (region.versions.find((m) => m.isDefault === true)?.version ??
        region.versions.find((m) => m.isPreview !== true)?.version ??
        '');
  const resolved = resolveVersion(region, requested);
  if ('error' in resolved) return resolved.error;
  const pools = (Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as unknown[]) : []).map(
    (entry): PoolSpec => {
      const ap = obj(entry) ?? {};
      const surge = obj(ap.upgradeSettings)?.maxSurge;
      return {
        name: typeof ap.name === 'string' ? ap.name : '',
        ...(ap.mode === 'System' || ap.mode === 'User' ? { mode: ap.mode } : {}),
        ...(ap.osType === 'Windows' ? { osType: 'Windows' as const } : {}),
        ...(typeof ap.osSKU === 'string' && { osSKU: ap.osSKU }),
        ...(typeof ap.count === 'number' && { count: ap.count }),
        ...(typeof ap.vmSize === 'string' && { vmSize: ap.vmSize }),
        ...(typeof surge === 'string' && { maxSurge: surge }),
        ...(typeof ap.orchestratorVersion === 'string' &&
          ap.orchestratorVersion !== '' && { orchestratorVersion: ap.orchestratorVersion }),
      };
    },
  );
  if (pools.length === 0)
    return armError(400, 'InvalidParameter', 'At least one agent pool (agentPoolProfiles) is required.');
  const auto = obj(props.autoUpgradeProfile);
  const sku = obj(body.sku);
  const spec: ClusterSpec = {
    subscriptionId: sub,
    resourceGroup: rg,
    name,
    location,
    kubernetesVersion: resolved.version,
    tags: (obj(body.tags) ?? {}) as Record<string, string>,
    ...(sku && {
      sku: {
        tier: (sku.tier as 'Free' | 'Standard' | 'Premium' | undefined) ?? 'Free',
        name: typeof sku.name === 'string' ? sku.name : 'Base',
      },
    }),
    ...(props.supportPlan === 'AKSLongTermSupport' && { supportPlan: 'AKSLongTermSupport' as const }),
    ...(auto && {
      autoUpgradeProfile: {
        ...(typeof auto.upgradeChannel === 'string' && { upgradeChannel: auto.upgradeChannel }),
        ...(typeof auto.nodeOSUpgradeChannel === 'string' && {
          nodeOSUpgradeChannel: auto.nodeOSUpgradeChannel,
        }),
      },
    }),
    pools,
  };
  let c: SimCluster;
  try {
    c = newCluster(spec, region, ctx.now(), 'request');
  } catch (e) {
    return armError(400, 'InvalidParameter', e instanceof Error ? e.message : String(e));
  }
  if (typeof props.dnsPrefix === 'string') c.dnsPrefix = props.dnsPrefix;
  const sentPools = Array.isArray(props.agentPoolProfiles) ? (props.agentPoolProfiles as unknown[]) : [];
  c.pools.forEach((p, i) => (p.extra = poolExtra(obj(sentPools[i]) ?? {})));
  const identity = obj(body.identity);
  if (identity) {
    const assigned = obj(identity.userAssignedIdentities);
    c.identity = {
      ...identity,
      ...(assigned && {
        userAssignedIdentities: Object.fromEntries(
          Object.keys(assigned).map((id, i) => [
            id,
            {
              principalId: `00000000-0000-0000-0000-00000000000${i}`,
              clientId: `00000000-0000-0000-0000-10000000000${i}`,
            },
          ]),
        ),
      }),
      ...(!assigned && { principalId: '00000000-0000-0000-0000-5e1f1de4717f', tenantId: ctx.tenantId }),
    };
  }
  c.overrideSettings = overrideFrom(props);
  c.extra = extraProps(props);
  c.provisioningState = 'Creating';
  for (const p of c.pools) p.provisioningState = 'Creating';
  ctx.fleet.clusters.set(clusterKey(sub, rg, name), c);
  const op = ctx.lro.start({
    subscriptionId: sub,
    location,
    clusterKey: clusterKey(sub, rg, name),
    kind: 'creating',
    steps: [
      {
        durationMs: ctx.durations.controlPlaneMs,
        end() {
          for (const p of c.pools) p.provisioningState = 'Succeeded';
        },
      },
    ],
    failWith: req.failOperation,
    done: finishCluster(c),
  });
  c.operationId = op.id;
  return { status: 201, body: renderCluster(c), headers: lroHeaders(req, op.id, ctx) };
}

/** PATCH managedClusters/{name}: tags only; answered synchronously with 200 like the live service (recording). */
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
  const r = (
    method: string,
    source: string,
    handle: (ctx: SimContext, req: SimRequest) => SimResponse,
  ): Route => ({
    method,
    pattern: path(source),
    handle: (req) => handle(ctx, req),
  });
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

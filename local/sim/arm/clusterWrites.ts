import type { SimContext } from '../context';
import { checkSubscription, resourceGroupExists } from '../context';
import type { ClusterSpec, PoolSpec, SimCluster } from '../fleetFile/fleet';
import { clusterKey, newCluster, newETag, regionKey } from '../fleetFile/fleet';
import type { Json, SimRequest, SimResponse } from '../router';
import { armError, checkIfMatch, obj } from '../router';
import { poolExtra, renderCluster } from './model';
import type { Step } from './operations';
import { lroHeaders } from './operations';
import { surgeRefusal } from './surgeChecks';
import { busy, checkControlPlaneUpgrade, finishCluster, poolRollStep, resolveVersion } from './upgrades';
import { compareVersions } from './versions';

/**
 * PUT of a managed cluster: create (201, `Creating`) or update/upgrade (200, `Upgrading` /
 * `Updating`), both long-running with `Azure-AsyncOperation`. Properties the simulator does not model
 * are kept as sent and returned on reads (secrets excepted).
 */
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
export function putCluster(ctx: SimContext, req: SimRequest): SimResponse {
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
  const invalid =
    checkControlPlaneUpgrade(ctx, region, c, target, override, poolTargets) ??
    surgeRefusal(
      ctx,
      c,
      c.pools.filter((p) => poolTargets.has(p.name)),
      override,
    );
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

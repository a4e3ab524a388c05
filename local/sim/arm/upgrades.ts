import type { SimContext } from '../context';
import type { SimCluster, SimPool, SimRegion } from '../fleetFile/fleet';
import { latestNodeImage, newETag } from '../fleetFile/fleet';
import type { SimResponse } from '../router';
import { armError } from '../router';
import type { Step } from './operations';
import {
  compareVersions,
  isOffered,
  latestPatch,
  minorDistance,
  minorOf,
  parseVersion,
  upgradeTargets,
} from './versions';

/**
 * AKS's version rules for upgrades (azure-arm.md §d): offered versions only, no downgrade, no
 * skipped minor (except LTS to LTS), pools never above the control plane nor more than three
 * minors behind it, one operation at a time per cluster; and the deprecated-API block (§e).
 */

/** Resolves `1.35` to the region's latest patch of that minor; checks the version is offered. */
export function resolveVersion(
  region: SimRegion,
  requested: string,
): { version: string } | { error: SimResponse } {
  const v = parseVersion(requested);
  if (!v)
    return {
      error: armError(
        400,
        'InvalidParameter',
        `The value '${requested}' of kubernetesVersion is not a valid version.`,
      ),
    };
  const version = v.patch === undefined ? latestPatch(region.versions, requested) : requested;
  if (version === undefined || !isOffered(region.versions, version)) {
    return {
      error: armError(
        400,
        'VersionNotSupported',
        `Version ${requested} is not supported in this region. Please use [az aks get-versions] command to get the supported version list in this region. For more information, please check https://aka.ms/supported-version-list`,
      ),
    };
  }
  return { version };
}

/** 409 when the cluster already runs an operation. */
export function busy(ctx: SimContext, c: SimCluster): SimResponse | undefined {
  if (!ctx.lro.isRunning(c.operationId)) return undefined;
  const op = c.operationId === undefined ? undefined : ctx.lro.get(c.operationId);
  return armError(
    409,
    'OperationNotAllowed',
    `Operation is not allowed because there's an in progress ${op?.kind ?? 'update'} operation on managed cluster '${c.name}'. Please wait for it to finish before starting a new operation. See https://aka.ms/aks-pending-operation for more details`,
  );
}

function isLts(region: SimRegion, version: string): boolean {
  return region.versions.some(
    (m) => m.version === minorOf(version) && (m.supportPlan ?? []).includes('AKSLongTermSupport'),
  );
}

/** Checks a control-plane move `from -> to` (and the pools that must follow). */
export function checkControlPlaneUpgrade(
  ctx: SimContext,
  region: SimRegion,
  c: SimCluster,
  to: string,
  override: { forceUpgrade?: boolean; until?: string } | undefined,
  poolTargets: ReadonlyMap<string, string>,
): SimResponse | undefined {
  const from = c.currentKubernetesVersion;
  if (compareVersions(to, from) < 0) {
    return armError(
      400,
      'OperationNotAllowed',
      `Upgrading Kubernetes version ${from} to ${to} is not allowed: downgrading is not supported. Please see https://aka.ms/aks-supported-k8s-ver for version details.`,
    );
  }
  const skip = minorDistance(from, to);
  const ltsSkip = c.supportPlan === 'AKSLongTermSupport' && isLts(region, from) && isLts(region, to);
  if (skip > 1 && !ltsSkip) {
    const available = upgradeTargets(region.versions, from)
      .map((t) => t.version)
      .sort((a, b) => compareVersions(b, a));
    return armError(
      400,
      'OperationNotAllowed',
      `Upgrading Kubernetes version ${from} to ${to} is not allowed. Available upgrades: [${available.join(' ')}]. Please see https://aka.ms/aks-supported-k8s-ver for version details.`,
    );
  }
  for (const p of c.pools) {
    const target = poolTargets.get(p.name) ?? p.currentOrchestratorVersion;
    if (compareVersions(target, to) > 0)
      return armError(
        400,
        'OperationNotAllowed',
        `Node pool ${p.name} version ${target} cannot be higher than the control plane version ${to}.`,
      );
    if (minorDistance(target, to) > 3)
      return armError(
        400,
        'OperationNotAllowed',
        `Upgrading the control plane to ${to} would leave node pool ${p.name} at ${target}, more than 3 minor versions behind. Upgrade the node pool first. For more information, please check https://aka.ms/version-skew-policy`,
      );
  }
  if (skip >= 1) {
    const block = deprecatedApiBlock(ctx, c, to, override);
    if (block) return block;
  }
  return undefined;
}

/**
 * The upgrade block on recent deprecated-API usage: 400 `ValidationError`, subcode
 * `UpgradeBlockedOnDeprecatedAPIUsage`, the usage in the message (Azure/AKS#3984), unless the
 * request carries `forceUpgrade: true` with an `until` still in the future.
 */
function deprecatedApiBlock(
  ctx: SimContext,
  c: SimCluster,
  to: string,
  override: { forceUpgrade?: boolean; until?: string } | undefined,
): SimResponse | undefined {
  // An API no release removes (a CRD's deprecated version) never blocks.
  const hits = c.deprecatedApiUsage.filter(
    (u) => u.removedIn !== '' && compareVersions(minorOf(to), u.removedIn) >= 0,
  );
  if (hits.length === 0) return undefined;
  const until = override?.until === undefined ? Number.NaN : Date.parse(override.until);
  if (override?.forceUpgrade === true && until > ctx.now().getTime()) return undefined;
  const seen = (iso: string | undefined): string =>
    (iso === undefined ? ctx.now() : new Date(iso))
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' +0000 UTC');
  const details = hits
    .map(
      (u) =>
        `\t* usage has been detected on API ${u.api}, and was recently seen at: ${seen(u.lastSeen)}, which will be removed in ${u.removedIn}`,
    )
    .join('\n');
  return armError(
    400,
    'ValidationError',
    `Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version. Please refer to https://kubernetes.io/docs/reference/using-api/deprecation-guide to migrate the usage. To bypass this error, set forceUpgrade in upgradeSettings.overrideSettings. Bypassing this error without migrating usage will result in the deprecated Kubernetes API calls failing. See details in https://aka.ms/aks/UpgradeAndDeprecatedAPIs. Usage details: ${hits.length} error${hits.length === 1 ? '' : 's'} occurred:\n${details}\n\n AKS records the usage over the last 12 hours, so you may need to wait that long after migrating before this error stops.`,
    { subcode: 'UpgradeBlockedOnDeprecatedAPIUsage' },
  );
}

/** Checks a pool move to `to` against its control plane. */
export function checkPoolUpgrade(c: SimCluster, p: SimPool, to: string): SimResponse | undefined {
  if (compareVersions(to, p.currentOrchestratorVersion) < 0)
    return armError(
      400,
      'OperationNotAllowed',
      `Upgrading agent pool ${p.name} from ${p.currentOrchestratorVersion} to ${to} is not allowed: downgrading is not supported.`,
    );
  if (compareVersions(to, c.currentKubernetesVersion) > 0)
    return armError(
      400,
      'OperationNotAllowed',
      `Node pool version ${to} and control plane version ${c.currentKubernetesVersion} are incompatible. Minor version of node pool version ${minorOf(to)} is bigger than control plane version ${minorOf(c.currentKubernetesVersion)}. For more information, please check https://aka.ms/version-skew-policy`,
    );
  return undefined;
}

/** One pool rolling to a new version or image: `NodePoolRolling*` events and provisioning states. */
export function poolRollStep(
  ctx: SimContext,
  c: SimCluster,
  p: SimPool,
  change: { readonly version?: string; readonly nodeImage?: boolean },
  durationMs: number,
): Step {
  const region = ctx.fleet.regions.get(c.location);
  return {
    durationMs,
    pool: p.name,
    begin() {
      p.provisioningState = change.nodeImage === true ? 'UpgradingNodeImageVersion' : 'Upgrading';
      if (change.version !== undefined) p.orchestratorVersion = change.version;
      ctx.events.emit(c, 'Microsoft.ContainerService.NodePoolRollingStarted', { nodePoolName: p.name });
    },
    end() {
      if (change.version !== undefined) {
        p.orchestratorVersion = change.version;
        p.currentOrchestratorVersion = change.version;
      }
      // A version upgrade also brings the family's latest image, as AKS reimages every node.
      p.nodeImageVersion = latestNodeImage(region, p.nodeImageVersion);
      p.recentlyUsedVersions = [
        ...p.recentlyUsedVersions,
        {
          orchestratorVersion: p.currentOrchestratorVersion,
          nodeImageVersion: p.nodeImageVersion,
          timestamp: ctx.now().toISOString(),
        },
      ].slice(-5);
      p.provisioningState = 'Succeeded';
      p.provisioningError = undefined;
      p.eTag = newETag();
      ctx.events.emit(c, 'Microsoft.ContainerService.NodePoolRollingSucceeded', { nodePoolName: p.name });
    },
    stop(status, error) {
      p.provisioningState = status;
      if (status === 'Failed') p.provisioningError = error;
      if (status === 'Failed')
        ctx.events.emit(c, 'Microsoft.ContainerService.NodePoolRollingFailed', { nodePoolName: p.name });
    },
  };
}

/** Marks a cluster busy with an operation and settles its provisioning state when it ends. */
export function finishCluster(
  c: SimCluster,
): (
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled',
  error?: { code: string; message: string },
) => void {
  return (status, error) => {
    c.operationId = undefined;
    c.provisioningState = status === 'InProgress' ? c.provisioningState : status;
    if (status === 'Failed') c.provisioningError = error;
    if (status === 'Succeeded') c.provisioningError = undefined;
    c.eTag = newETag();
  };
}

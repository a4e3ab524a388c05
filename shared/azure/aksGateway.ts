import type { ClusterRef } from '../domain/armId';
import type { MaintenanceConfigurationSnapshot, NodePoolSnapshot } from '../domain/cluster';
import type { RegionVersions } from '../domain/versions';

/**
 * The port Warden reads and changes AKS through. The sweep reads the fleet in
 * O(pages + regions + image families) calls: {@link AksGateway.inventory} pages, one
 * {@link AksGateway.listKubernetesVersions} per region, one {@link AksGateway.latestNodeImage} per
 * image family. Direct reads (`getCluster`, `listPools`, …) are for acting, since Resource Graph can
 * lag. Writes only START an operation and return its poll URL; callers poll with
 * {@link AksGateway.operationStatus} on their own schedule (a timer, not a held invocation).
 *
 * Errors are Warden's (shared/errors.ts) with an `ArmError` cause keeping the ARM status, code and
 * subcode (see `armErrorOf`): 400 ValidationError (e.g. subcode `UpgradeBlockedOnDeprecatedAPIUsage`),
 * 404 NotFoundError, 409/412 ConflictError (`OperationNotAllowed`, ETag), 429/5xx TransientError
 * (after the SDK's own retries, which honour Retry-After).
 */
export interface AksGateway {
  /** One page (at most 1,000 rows) of the managed clusters in scope, from Resource Graph. */
  inventory(scope: InventoryScope, skipToken?: string): Promise<InventoryPage>;
  /** One cluster's inventory row (the same query, one id), or undefined when it is not in `scope`. */
  inventoryCluster(scope: InventoryScope, cluster: ClusterRef): Promise<InventoryCluster | undefined>;
  /** What a region offers (`listKubernetesVersions`, called through any subscription that can see it). */
  listKubernetesVersions(subscriptionId: string, location: string): Promise<RegionVersions>;
  /** The latest node image of a pool's image family: that pool's upgrade profile `latestNodeImageVersion`. */
  latestNodeImage(cluster: ClusterRef, poolName: string): Promise<string | undefined>;
  /** The cluster as ARM has it now (not Resource Graph), with its ETag and desired versions. */
  getCluster(cluster: ClusterRef): Promise<ArmCluster>;
  /** One pool as ARM has it now, with its ETag and desired `orchestratorVersion`. */
  getPool(cluster: ClusterRef, poolName: string): Promise<ArmPool>;
  listPools(cluster: ClusterRef): Promise<NodePoolSnapshot[]>;
  /** Control plane upgrades offered; pools are absent when ARM answers `agentPoolProfiles: null`. */
  getUpgradeProfile(cluster: ClusterRef): Promise<ClusterUpgradeProfile>;
  listMaintenanceConfigurations(cluster: ClusterRef): Promise<MaintenanceConfigurationSnapshot[]>;

  /**
   * PUT the cluster with a new `kubernetesVersion`, every pool kept on its version (the
   * `--control-plane-only` upgrade). `ifMatch` guards against a change since the read;
   * `forceUpgradeUntil` sets `upgradeSettings.overrideSettings` (bypasses the deprecated-API block).
   */
  startControlPlaneUpgrade(
    cluster: ClusterRef,
    kubernetesVersion: string,
    options?: { readonly ifMatch?: string; readonly forceUpgradeUntil?: Date },
  ): Promise<StartedOperation>;
  /** PUT the pool with a new `orchestratorVersion` (never above the control plane). */
  startPoolUpgrade(
    cluster: ClusterRef,
    poolName: string,
    orchestratorVersion: string,
    options?: { readonly ifMatch?: string },
  ): Promise<StartedOperation>;
  /** POST `upgradeNodeImageVersion` on one pool. */
  startNodeImageUpgrade(cluster: ClusterRef, poolName: string): Promise<StartedOperation>;
  /** POST `abort` on the cluster's (or one pool's) running operation. */
  abortOperation(cluster: ClusterRef, poolName?: string): Promise<StartedOperation>;
  /** PUT a maintenance configuration (synchronous in ARM). */
  putMaintenanceConfiguration(
    cluster: ClusterRef,
    configName: string,
    properties: Record<string, unknown>,
  ): Promise<MaintenanceConfigurationSnapshot>;
  /**
   * Reads a poll URL from {@link StartedOperation}: `Azure-AsyncOperation` bodies (`status`) or a
   * `Location` URL (202 running; 200 / 204 done — the 204 the live node-image operation answers).
   */
  operationStatus(subscriptionId: string, pollUrl: string): Promise<OperationStatus>;
}

export type InventoryScope =
  | { readonly kind: 'subscriptions'; readonly subscriptionIds: readonly string[] }
  | { readonly kind: 'managementGroup'; readonly managementGroupId: string }
  | { readonly kind: 'tenant' };

/** A managed cluster as the inventory sees it: everything of a snapshot that ARM / Resource Graph holds. */
export interface InventoryCluster {
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Readonly<Record<string, string>>;
  /** Running control-plane version (`currentKubernetesVersion`, else `kubernetesVersion`). */
  readonly kubernetesVersion: string;
  readonly supportPlan: string;
  readonly skuTier?: string;
  readonly skuName?: string;
  readonly nodeProvisioningMode?: string;
  readonly autoUpgradeChannel: string;
  readonly nodeOsUpgradeChannel?: string;
  readonly provisioningState?: string;
  readonly nodePools: readonly NodePoolSnapshot[];
}

/** A direct ARM read of a cluster: running versions (as in the inventory) plus what was last requested. */
export interface ArmCluster extends InventoryCluster {
  readonly eTag?: string;
  /** `properties.kubernetesVersion`: changes when a PUT is accepted (`kubernetesVersion` above is the running one). */
  readonly desiredKubernetesVersion: string;
  /** Each pool's `orchestratorVersion` (desired) by pool name. */
  readonly desiredPoolVersions: Readonly<Record<string, string>>;
}

export interface ArmPool extends NodePoolSnapshot {
  readonly eTag?: string;
  readonly desiredOrchestratorVersion: string;
}

export interface InventoryPage {
  readonly clusters: readonly InventoryCluster[];
  /** Pass back for the next page; absent on the last. */
  readonly skipToken?: string;
}

export interface ClusterUpgradeProfile {
  readonly controlPlaneVersion: string;
  readonly upgrades: readonly { readonly kubernetesVersion: string; readonly isPreview: boolean }[];
  /** Undefined when ARM sent `agentPoolProfiles: null` (the live service does). */
  readonly pools?: readonly { readonly name: string; readonly kubernetesVersion: string }[];
}

/**
 * An operation ARM accepted. `pollUrl` is absent when ARM finished it synchronously (200 / 204), and
 * `httpStatus` 304 means nothing started (upgradeNodeImageVersion on a pool already on the latest image).
 */
export interface StartedOperation {
  readonly pollUrl?: string;
  /** `Azure-AsyncOperation` (status bodies) or `Location` (202 until done). */
  readonly pollKind?: 'azure-async-operation' | 'location';
  /** The `Location` header too, when ARM sent both (the operation's final-state URL for POSTs). */
  readonly locationUrl?: string;
  /** Seconds ARM asked to wait between polls. */
  readonly retryAfterSeconds?: number;
  /** HTTP status of the initial response. */
  readonly httpStatus: number;
}

export interface OperationStatus {
  readonly status: 'running' | 'succeeded' | 'failed' | 'canceled';
  /** ARM's own word (`InProgress`, `Succeeded`, `Canceling`, …). */
  readonly armStatus?: string;
  readonly error?: { readonly code?: string; readonly message?: string };
  readonly percentComplete?: number;
  readonly retryAfterSeconds?: number;
}

import type { FleetProfileCover } from './fleetAutoUpgrade';
import type { Ring } from './rings';

/**
 * What Warden knows of one cluster, as of `lastSeen`. Built by the fleet sweep from
 * Resource Graph / ARM, refreshed before any action (Resource Graph can lag).
 */
export interface NodePoolSnapshot {
  readonly name: string;
  /** `System` or `User`. */
  readonly mode: string;
  readonly osType: string;
  readonly osSku?: string;
  /** The running version (`currentOrchestratorVersion`, else `orchestratorVersion`). */
  readonly orchestratorVersion: string;
  readonly nodeImageVersion?: string;
  /** As ARM has it: an integer ("5") or a percentage ("33%"); undefined when unset (the service default). */
  readonly maxSurge?: string;
  readonly count: number;
  readonly provisioningState?: string;
}

export interface MaintenanceConfigurationSnapshot {
  /** `default`, `aksManagedAutoUpgradeSchedule` or `aksManagedNodeOSUpgradeSchedule`. */
  readonly name: string;
  /** The ARM `properties` object as returned (parsed by shared/domain/maintenanceConfiguration.ts). */
  readonly properties: unknown;
}

export interface ClusterSnapshot {
  /** The ARM id as ARM returned it; compare with `sameCluster` / use `key`. */
  readonly id: string;
  /** Lower-case `subscription:resourceGroup:name` (see armId.ts). */
  readonly key: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly ring: Ring;
  readonly tags: Readonly<Record<string, string>>;
  /** The running control-plane version (`currentKubernetesVersion`, else `kubernetesVersion`). */
  readonly kubernetesVersion: string;
  /** `KubernetesOfficial` or `AKSLongTermSupport`. */
  readonly supportPlan: string;
  readonly skuTier?: string;
  /** `sku.name`: `Base`, or `Automatic` (AKS Automatic: its upgrade channels cannot be turned off). */
  readonly skuName?: string;
  /** `nodeProvisioningProfile.mode`: `Auto` when node auto-provisioning (Karpenter) makes the nodes. */
  readonly nodeProvisioningMode?: string;
  /** `rapid` | `stable` | `patch` | `node-image` | `none`. */
  readonly autoUpgradeChannel: string;
  /** `None` | `Unmanaged` | `NodeImage` | `SecurityPatch`; undefined when ARM has none set. */
  readonly nodeOsUpgradeChannel?: string;
  readonly provisioningState?: string;
  readonly nodePools: readonly NodePoolSnapshot[];
  readonly maintenanceConfigurations: readonly MaintenanceConfigurationSnapshot[];
  /**
   * The Fleet Manager auto-upgrade profiles that can upgrade it with no approval gate, as the last sweep
   * that read the fleets saw them (empty: none); undefined until a sweep read them.
   */
  readonly fleetAutoUpgrade?: readonly FleetProfileCover[];
  /** ISO time of the sweep or event that produced this snapshot. */
  readonly lastSeen: string;
}

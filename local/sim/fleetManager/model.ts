import { randomUUID } from 'node:crypto';

import { clusterArmId } from '../arm/model';
import type { SimCluster } from '../fleetFile/fleet';
import { clusterKey, FleetFileError, newETag } from '../fleetFile/fleet';

/**
 * Azure Kubernetes Fleet Manager as the simulator holds it (api-version 2026-06-01): fleets, their
 * members, auto-upgrade profiles, update runs with stages, groups and gates. The wire shapes follow the
 * spec examples in test/fixtures/arm/fleet/ (docs/design/azure-fleet.md).
 */
export interface FleetManagerSpec {
  readonly fleets?: readonly FleetSpec[];
}

export interface FleetSpec {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags?: Record<string, string>;
  /** Each member names a cluster of the fleet file (by name) and its update group. */
  readonly members: readonly { readonly name: string; readonly cluster: string; readonly group: string }[];
  /**
   * Auto-upgrade profiles (Fleet upgrades its members by itself on a channel): `updateStrategy` names one
   * of `updateStrategies` (without one, Fleet goes member by member, no gate); `disabled` turns it off.
   */
  readonly autoUpgradeProfiles?: readonly SimAutoUpgradeProfile[];
  /** Update strategies as the spec writes them (`stages[] { name, groups[] { name, beforeGates?, afterGates? }, beforeGates?, afterGates? }`). */
  readonly updateStrategies?: readonly SimUpdateStrategy[];
}

export interface SimAutoUpgradeProfile {
  readonly name: string;
  /** `Stable`, `Rapid`, `NodeImage` or `TargetKubernetesVersion`. */
  readonly channel: string;
  readonly updateStrategy?: string;
  readonly disabled?: boolean;
}

type SimGateSpec = readonly { readonly displayName?: string; readonly type?: string }[];

export interface SimUpdateStrategy {
  readonly name: string;
  readonly stages: readonly {
    readonly name: string;
    readonly groups: readonly {
      readonly name: string;
      readonly beforeGates?: SimGateSpec;
      readonly afterGates?: SimGateSpec;
    }[];
    readonly beforeGates?: SimGateSpec;
    readonly afterGates?: SimGateSpec;
    readonly afterStageWaitInSeconds?: number;
  }[];
}

export type GateTiming = 'Before' | 'After';

export interface SimGate {
  readonly name: string;
  readonly displayName: string;
  readonly runName: string;
  readonly stage: string;
  readonly group?: string;
  readonly timing: GateTiming;
  state: 'Pending' | 'Completed';
  eTag: string;
  readonly createdAt: string;
  lastModifiedAt: string;
  lastModifiedBy: string;
}

/** `NotStarted`, `Running`, `Pending` (at a gate), `Completed`, `Stopping`, `Stopped`, `Skipped`, `Failed`. */
export type RunState = string;

export interface SimMemberRun {
  readonly name: string;
  readonly clusterId: string;
  state: RunState;
  message?: string;
}

export interface SimGroupRun {
  readonly name: string;
  state: RunState;
  readonly members: SimMemberRun[];
}

export interface SimGateSlot {
  readonly displayName: string;
  gateName?: string;
  state: RunState;
}

export interface SimStageRun {
  readonly name: string;
  state: RunState;
  readonly groups: SimGroupRun[];
  readonly beforeGates: SimGateSlot[];
  readonly afterGates: SimGateSlot[];
}

export interface SimRun {
  readonly name: string;
  readonly createdBy: string;
  readonly createdAt: string;
  readonly kubernetesVersion: string;
  readonly upgradeType: 'Full' | 'ControlPlaneOnly' | 'NodeImageOnly';
  readonly nodeImageSelection: 'Latest' | 'Consistent';
  state: RunState;
  readonly stages: SimStageRun[];
  eTag: string;
}

export interface SimFleetResource {
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  readonly location: string;
  readonly tags: Record<string, string>;
  readonly eTag: string;
  readonly members: { readonly name: string; readonly clusterKey: string; readonly group: string }[];
  readonly autoUpgradeProfiles: SimAutoUpgradeProfile[];
  readonly updateStrategies: SimUpdateStrategy[];
  readonly runs: Map<string, SimRun>;
  readonly gates: Map<string, SimGate>;
}

export interface SimFleetManager {
  /** Keyed `sub/rg/name`, lower case. */
  readonly fleets: Map<string, SimFleetResource>;
}

export const fleetKey = (subscriptionId: string, resourceGroup: string, name: string): string =>
  `${subscriptionId}/${resourceGroup}/${name}`.toLowerCase();

export function fleetArmId(f: Pick<SimFleetResource, 'subscriptionId' | 'resourceGroup' | 'name'>): string {
  return `/subscriptions/${f.subscriptionId}/resourceGroups/${f.resourceGroup}/providers/Microsoft.ContainerService/fleets/${f.name}`;
}

/** Builds the fleets of a fleet file's `fleetManager` section; every member must name a cluster of the file. */
export function buildFleetManager(
  spec: FleetManagerSpec | undefined,
  clusters: ReadonlyMap<string, SimCluster>,
): SimFleetManager {
  const fleets = new Map<string, SimFleetResource>();
  for (const [i, f] of (spec?.fleets ?? []).entries()) {
    const where = `fleetManager.fleets[${i}]`;
    for (const field of ['subscriptionId', 'resourceGroup', 'name', 'location'] as const)
      if (typeof f[field] !== 'string' || f[field] === '')
        throw new FleetFileError(`fleet ${where}.${field}: is required`);
    if (!Array.isArray(f.members)) throw new FleetFileError(`fleet ${where}.members: must be an array`);
    const listed: FleetSpec['members'] = f.members;
    const members = listed.map((m, j) => {
      const c = [...clusters.values()].find((x) => x.name.toLowerCase() === String(m.cluster).toLowerCase());
      if (!c)
        throw new FleetFileError(
          `fleet ${where}.members[${j}].cluster: "${String(m.cluster)}" is not a cluster of the file`,
        );
      if (typeof m.name !== 'string' || typeof m.group !== 'string')
        throw new FleetFileError(`fleet ${where}.members[${j}]: name and group are required`);
      return {
        name: m.name,
        clusterKey: clusterKey(c.subscriptionId, c.resourceGroup, c.name),
        group: m.group,
      };
    });
    const strategies = [...(f.updateStrategies ?? [])];
    for (const [j, st] of strategies.entries())
      if (typeof st.name !== 'string' || !Array.isArray(st.stages))
        throw new FleetFileError(`fleet ${where}.updateStrategies[${j}]: name and stages are required`);
    for (const [j, p] of (f.autoUpgradeProfiles ?? []).entries()) {
      if (typeof p.name !== 'string' || typeof p.channel !== 'string')
        throw new FleetFileError(`fleet ${where}.autoUpgradeProfiles[${j}]: name and channel are required`);
      if (p.updateStrategy !== undefined && !strategies.some((st) => st.name === p.updateStrategy))
        throw new FleetFileError(
          `fleet ${where}.autoUpgradeProfiles[${j}].updateStrategy: "${String(p.updateStrategy)}" is not in updateStrategies`,
        );
    }
    fleets.set(fleetKey(f.subscriptionId, f.resourceGroup, f.name), {
      subscriptionId: f.subscriptionId,
      resourceGroup: f.resourceGroup,
      name: f.name,
      location: f.location,
      tags: { ...f.tags },
      eTag: newETag(),
      members,
      autoUpgradeProfiles: [...(f.autoUpgradeProfiles ?? [])],
      updateStrategies: strategies,
      runs: new Map(),
      gates: new Map(),
    });
  }
  return { fleets };
}

/** A fleet as a Resource Graph `resources` row (documented id casing, as for clusters). */
export function fleetGraphRow(f: SimFleetResource, tenantId: string): Record<string, unknown> {
  return {
    id: fleetArmId(f),
    name: f.name,
    type: 'microsoft.containerservice/fleets',
    tenantId,
    kind: '',
    location: f.location,
    resourceGroup: f.resourceGroup.toLowerCase(),
    subscriptionId: f.subscriptionId,
    managedBy: '',
    sku: null,
    plan: null,
    properties: { provisioningState: 'Succeeded' },
    tags: f.tags,
    identity: null,
    zones: null,
    extendedLocation: null,
  };
}

const state = (s: RunState): { state: RunState } => ({ state: s });

export function renderFleet(f: SimFleetResource): Record<string, unknown> {
  return {
    id: fleetArmId(f),
    name: f.name,
    type: 'Microsoft.ContainerService/fleets',
    location: f.location,
    tags: f.tags,
    eTag: f.eTag,
    properties: { provisioningState: 'Succeeded' },
  };
}

export function renderMember(
  f: SimFleetResource,
  m: SimFleetResource['members'][number],
  clusters: ReadonlyMap<string, SimCluster>,
): Record<string, unknown> {
  const c = clusters.get(m.clusterKey);
  return {
    id: `${fleetArmId(f)}/members/${m.name}`,
    name: m.name,
    type: 'Microsoft.ContainerService/fleets/members',
    properties: {
      clusterResourceId: c ? clusterArmId(c) : '',
      group: m.group,
      provisioningState: 'Succeeded',
    },
  };
}

/** As AutoUpgradeProfiles_Get (2026-06-01): `updateStrategyId` only with a strategy, `disabled` always. */
export function renderAutoUpgradeProfile(
  f: SimFleetResource,
  p: SimAutoUpgradeProfile,
): Record<string, unknown> {
  return {
    id: `${fleetArmId(f)}/autoUpgradeProfiles/${p.name}`,
    name: p.name,
    type: 'Microsoft.ContainerService/fleets/autoUpgradeProfiles',
    properties: {
      provisioningState: 'Succeeded',
      channel: p.channel,
      ...(p.updateStrategy !== undefined && {
        updateStrategyId: `${fleetArmId(f)}/updateStrategies/${p.updateStrategy}`,
      }),
      nodeImageSelection: { type: p.channel === 'NodeImage' ? 'Consistent' : 'Latest' },
      disabled: p.disabled === true,
    },
    eTag: `"${f.eTag}"`,
  };
}

const gatesOf = (g: SimGateSpec | undefined) =>
  g !== undefined && g.length > 0
    ? g.map((x) => ({ ...(x.displayName !== undefined && { displayName: x.displayName }), type: 'Approval' }))
    : undefined;

/** As FleetUpdateStrategies_Get (2026-06-01). */
export function renderUpdateStrategy(f: SimFleetResource, st: SimUpdateStrategy): Record<string, unknown> {
  return {
    id: `${fleetArmId(f)}/updateStrategies/${st.name}`,
    name: st.name,
    type: 'Microsoft.ContainerService/fleets/updateStrategies',
    properties: {
      provisioningState: 'Succeeded',
      strategy: {
        stages: st.stages.map((stage) => ({
          name: stage.name,
          groups: stage.groups.map((g) => ({
            name: g.name,
            ...(gatesOf(g.beforeGates) && { beforeGates: gatesOf(g.beforeGates) }),
            ...(gatesOf(g.afterGates) && { afterGates: gatesOf(g.afterGates) }),
          })),
          ...(gatesOf(stage.beforeGates) && { beforeGates: gatesOf(stage.beforeGates) }),
          ...(gatesOf(stage.afterGates) && { afterGates: gatesOf(stage.afterGates) }),
          ...(stage.afterStageWaitInSeconds !== undefined && {
            afterStageWaitInSeconds: stage.afterStageWaitInSeconds,
          }),
        })),
      },
    },
    eTag: `"${f.eTag}"`,
  };
}

export function renderGate(f: SimFleetResource, g: SimGate): Record<string, unknown> {
  return {
    id: `${fleetArmId(f)}/gates/${g.name}`,
    name: g.name,
    type: 'Microsoft.ContainerService/fleets/gates',
    systemData: {
      createdBy: 'fleet-manager',
      createdByType: 'Application',
      createdAt: g.createdAt,
      lastModifiedBy: g.lastModifiedBy,
      lastModifiedByType: 'Application',
      lastModifiedAt: g.lastModifiedAt,
    },
    eTag: g.eTag,
    properties: {
      provisioningState: 'Succeeded',
      displayName: g.displayName,
      target: {
        id: `${fleetArmId(f)}/updateRuns/${g.runName}`,
        updateRunProperties: {
          name: g.runName,
          stage: g.stage,
          ...(g.group !== undefined && { group: g.group }),
          timing: g.timing,
        },
      },
      gateType: 'Approval',
      state: g.state,
    },
  };
}

function renderSlots(f: SimFleetResource, slots: readonly SimGateSlot[]): Record<string, unknown>[] {
  return slots.map((s) => ({
    displayName: s.displayName,
    ...(s.gateName !== undefined && { gateId: `${fleetArmId(f)}/gates/${s.gateName}` }),
    status: state(s.state),
  }));
}

export function renderRun(f: SimFleetResource, r: SimRun): Record<string, unknown> {
  return {
    id: `${fleetArmId(f)}/updateRuns/${r.name}`,
    name: r.name,
    type: 'Microsoft.ContainerService/fleets/updateRuns',
    systemData: {
      createdBy: r.createdBy,
      createdByType: 'User',
      createdAt: r.createdAt,
      lastModifiedBy: r.createdBy,
      lastModifiedByType: 'User',
      lastModifiedAt: r.createdAt,
    },
    properties: {
      provisioningState: 'Succeeded',
      strategy: {
        stages: r.stages.map((s) => ({
          name: s.name,
          groups: s.groups.map((g) => ({ name: g.name })),
          ...(s.beforeGates.length > 0 && {
            beforeGates: s.beforeGates.map((g) => ({ displayName: g.displayName, type: 'Approval' })),
          }),
          ...(s.afterGates.length > 0 && {
            afterGates: s.afterGates.map((g) => ({ displayName: g.displayName, type: 'Approval' })),
          }),
        })),
      },
      managedClusterUpdate: {
        upgrade: {
          type: r.upgradeType,
          ...(r.upgradeType !== 'NodeImageOnly' && { kubernetesVersion: r.kubernetesVersion }),
        },
        nodeImageSelection: { type: r.nodeImageSelection },
      },
      status: {
        status: state(r.state),
        stages: r.stages.map((s) => ({
          status: state(s.state),
          name: s.name,
          groups: s.groups.map((g) => ({
            status: state(g.state),
            name: g.name,
            members: g.members.map((m) => ({
              status: { state: m.state, ...(m.message !== undefined && { message: m.message }) },
              name: m.name,
              clusterResourceId: m.clusterId,
            })),
          })),
          ...(s.beforeGates.length > 0 && { beforeGates: renderSlots(f, s.beforeGates) }),
          ...(s.afterGates.length > 0 && { afterGates: renderSlots(f, s.afterGates) }),
        })),
      },
    },
    eTag: `"${r.eTag}"`,
  };
}

/** A new gate resource for a slot of a run (Fleet names gates with a GUID). */
export function newGate(
  run: SimRun,
  stage: string,
  group: string | undefined,
  timing: GateTiming,
  displayName: string,
  now: Date,
): SimGate {
  return {
    name: randomUUID(),
    displayName,
    runName: run.name,
    stage,
    ...(group !== undefined && { group }),
    timing,
    state: 'Pending',
    eTag: newETag(),
    createdAt: now.toISOString(),
    lastModifiedAt: now.toISOString(),
    lastModifiedBy: 'fleet-manager',
  };
}

import type { ClusterRef } from './armId';
import { parseClusterId } from './armId';
import type { FleetRef } from './fleetGate';

/**
 * Fleet Manager auto-upgrade profiles (api-version 2026-06-01, docs/design/azure-fleet.md §5): a profile
 * that is not `disabled` makes Fleet create and start an update run whenever its channel gets a new
 * version. Without an update strategy it upgrades every member one by one, with no gate; with one, it
 * runs the strategy's stages in order, and a member waits for an `Approval` gate only when one stands
 * before its group: a before-gate of its stage or group, or any gate of an earlier stage (the next stage
 * starts only once the previous one, its groups' after-gates included, is done). A member whose group no
 * stage names is not upgraded by the profile. Pure: the gateway reads, this decides.
 */
export interface StrategyGroup {
  readonly name: string;
  readonly beforeGates: number;
  readonly afterGates: number;
}

export interface StrategyStage {
  readonly name: string;
  readonly groups: readonly StrategyGroup[];
  readonly beforeGates: number;
  readonly afterGates: number;
}

/** An update strategy as Warden reads it: its stages in order, each gate counted (every gate is `Approval`). */
export interface UpdateStrategyView {
  readonly id: string;
  readonly name: string;
  readonly stages: readonly StrategyStage[];
}

export interface FleetAutoUpgradeProfile {
  readonly name: string;
  /** `Stable`, `Rapid`, `NodeImage` or `TargetKubernetesVersion`. */
  readonly channel: string;
  readonly disabled: boolean;
  readonly updateStrategyId?: string;
  /** The strategy `updateStrategyId` names, read once per sweep; undefined when there is none or it is gone. */
  readonly strategy?: UpdateStrategyView;
}

/** A fleet's members (their cluster and update group) and auto-upgrade profiles. */
export interface FleetCoverage {
  readonly fleet: FleetRef;
  readonly members: readonly { readonly name: string; readonly clusterId: string; readonly group?: string }[];
  readonly autoUpgradeProfiles: readonly FleetAutoUpgradeProfile[];
}

/** One profile that can upgrade one member without passing an approval gate. */
export interface FleetProfileCover {
  readonly fleet: string;
  readonly fleetResourceGroup: string;
  readonly profile: string;
  readonly channel: string;
  /** The member's update group, when it has one. */
  readonly group?: string;
  /** The strategy's name and the stage holding the member's group; absent: the profile has no strategy. */
  readonly strategy?: string;
  readonly stage?: string;
}

/**
 * Per member cluster (by its key): the enabled profiles that reach it with no gate before it. Members
 * every enabled profile gates (or never reaches) are absent.
 */
export function ungatedCovers(fleets: readonly FleetCoverage[]): Map<string, FleetProfileCover[]> {
  const out = new Map<string, FleetProfileCover[]>();
  for (const f of fleets) {
    for (const p of f.autoUpgradeProfiles) {
      if (p.disabled) continue;
      for (const m of f.members) {
        const ref: ClusterRef | undefined = parseClusterId(m.clusterId);
        if (!ref) continue;
        const reach = reachOf(p, m.group);
        if (reach === undefined) continue;
        const cover: FleetProfileCover = {
          fleet: f.fleet.name,
          fleetResourceGroup: f.fleet.resourceGroup,
          profile: p.name,
          channel: p.channel,
          ...(m.group !== undefined && { group: m.group }),
          ...reach,
        };
        out.set(ref.key, [...(out.get(ref.key) ?? []), cover]);
      }
    }
  }
  return out;
}

/** How the profile reaches a member of `group` ungated: `{}` without a strategy, its stage with one; undefined when gated or not reached. */
function reachOf(
  p: FleetAutoUpgradeProfile,
  group: string | undefined,
): { strategy?: string; stage?: string } | undefined {
  // A strategy Fleet cannot read (gone) gates nothing Warden can see: the profile counts as ungated.
  if (p.strategy === undefined)
    return p.updateStrategyId !== undefined
      ? { strategy: p.updateStrategyId.split('/').at(-1) ?? p.updateStrategyId }
      : {};
  let gated = false;
  for (const stage of p.strategy.stages) {
    if (stage.beforeGates > 0) gated = true;
    const g = group === undefined ? undefined : stage.groups.find((x) => x.name === group);
    if (g !== undefined)
      return gated || g.beforeGates > 0 ? undefined : { strategy: p.strategy.name, stage: stage.name };
    if (stage.afterGates > 0 || stage.groups.some((x) => x.afterGates > 0)) gated = true;
  }
  return undefined;
}

/** What to say of one cover: the path, and how to close it. */
export function describeCover(c: FleetProfileCover): { readonly what: string; readonly close: string } {
  const where =
    c.strategy === undefined
      ? 'it has no update strategy, so Fleet upgrades every member one by one with no gate'
      : c.stage !== undefined
        ? `its update strategy ${c.strategy} has no Approval gate before stage ${c.stage}${c.group !== undefined ? ` (group ${c.group})` : ''}`
        : `its update strategy ${c.strategy} cannot be read, so no gate is known`;
  const disable = `az fleet autoupgradeprofile create -g ${c.fleetResourceGroup} -f ${c.fleet} -n ${c.profile} --channel ${c.channel} --disabled`;
  return {
    what: `Fleet Manager auto-upgrade profile ${c.profile} (fleet ${c.fleet}, channel ${c.channel}) can upgrade it: ${where}`,
    close:
      c.strategy === undefined
        ? `give the profile an update strategy with an Approval gate before this member's group${c.group !== undefined ? ` (${c.group})` : ''} (Warden then decides that gate), or disable the profile (${disable})`
        : `add an Approval gate (beforeGates) before ${c.stage !== undefined ? `stage ${c.stage}` : "this member's stage"} in update strategy ${c.strategy} (Warden then decides that gate), or disable the profile (${disable})`,
  };
}

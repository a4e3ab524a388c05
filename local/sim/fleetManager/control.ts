import type { SimContext } from '../context';
import type { SimFleetResource } from './model';
import { fleetArmId, renderGate } from './model';

/**
 * The simulator's Fleet Manager controls (docs/fleet-file.md): `POST /_sim/fleet-runs { fleet?, version,
 * gateBefore? }` starts an update run over every member of the fleet, a stage per update group in ring
 * order and an approval gate before the last (production) stage; `GET /_sim/fleet-runs` shows the runs with
 * their stages, members and gate states.
 */
type Json = Record<string, unknown>;

export function startFleetRun(ctx: SimContext, b: Json): { error: string } | Json {
  const fleets = [...ctx.fleet.fleetManager.fleets.values()];
  if (fleets.length === 0) return { error: 'the fleet file has no fleetManager.fleets' };
  if (b.fleet !== undefined && typeof b.fleet !== 'string') return { error: 'fleet must be a fleet name' };
  if (typeof b.version !== 'string' || !/^\d+\.\d+\.\d+$/.test(b.version))
    return { error: 'version must be major.minor.patch, e.g. 1.36.3' };
  if (b.gateBefore !== undefined && typeof b.gateBefore !== 'string')
    return { error: 'gateBefore must be a group name' };
  let fleet: SimFleetResource | undefined;
  if (b.fleet === undefined) {
    if (fleets.length > 1) return { error: `fleet is required: ${fleets.map((f) => f.name).join(', ')}` };
    fleet = fleets[0];
  } else {
    const name = b.fleet.toLowerCase();
    fleet = fleets.find((f) => f.name.toLowerCase() === name);
  }
  if (!fleet) return { error: `no fleet "${String(b.fleet)}" in the fleet file` };
  if (b.gateBefore !== undefined && !fleet.members.some((m) => m.group === b.gateBefore))
    return { error: `no update group "${b.gateBefore}" in fleet ${fleet.name}` };
  const run = ctx.fleetRuns.start(fleet, {
    version: b.version,
    ...(typeof b.gateBefore === 'string' && { gateBefore: b.gateBefore }),
  });
  return describe(fleet, run.name);
}

function describe(fleet: SimFleetResource, runName: string): Json {
  const run = fleet.runs.get(runName);
  if (!run) return {};
  return {
    fleet: fleet.name,
    id: `${fleetArmId(fleet)}/updateRuns/${run.name}`,
    name: run.name,
    version: run.kubernetesVersion,
    state: run.state,
    createdBy: run.createdBy,
    stages: run.stages.map((s) => ({
      name: s.name,
      state: s.state,
      members: s.groups.flatMap((g) =>
        g.members.map((m) => ({
          name: m.name,
          state: m.state,
          ...(m.message !== undefined && { message: m.message }),
        })),
      ),
      gates: [
        ...s.beforeGates.map((g) => ({ ...g, timing: 'Before' })),
        ...s.afterGates.map((g) => ({ ...g, timing: 'After' })),
      ].map((g) => {
        const gate = g.gateName !== undefined ? fleet.gates.get(g.gateName) : undefined;
        return {
          displayName: g.displayName,
          timing: g.timing,
          state: gate?.state ?? g.state,
          ...(gate !== undefined && { id: (renderGate(fleet, gate) as { id: string }).id }),
        };
      }),
    })),
  };
}

export function listFleetRuns(ctx: SimContext): Json[] {
  return [...ctx.fleet.fleetManager.fleets.values()].flatMap((f) =>
    [...f.runs.keys()].map((r) => describe(f, r)),
  );
}

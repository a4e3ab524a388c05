import { clusterArmId } from '../arm/model';
import { compareVersions } from '../arm/versions';
import type { SimContext } from '../context';
import { latestNodeImage, newETag } from '../fleetFile/fleet';
import type { GateTiming, SimFleetResource, SimGate, SimGateSlot, SimRun, SimStageRun } from './model';
import { fleetArmId, newGate, renderGate } from './model';

/**
 * Update runs as Fleet Manager moves them: stage after stage; a stage's before-gates first (each a
 * gate resource, `Pending` until PATCHed `Completed`, announced as FleetGateCreated / FleetGateUpdated),
 * then its groups together (each member upgraded to the run's version, control plane and pools, in
 * `memberMs`), then its after-gates. `stop` ends the run (`Stopping`, then `Stopped`); `skip` marks a
 * stage or group `Skipped` and the run goes on past it; `delete` removes the run and its gates
 * (FleetGateDeleted).
 */
export const FLEET_GATE_EVENT = {
  created: 'Microsoft.ResourceNotifications.AksResources.FleetGateCreated',
  updated: 'Microsoft.ResourceNotifications.AksResources.FleetGateUpdated',
  deleted: 'Microsoft.ResourceNotifications.AksResources.FleetGateDeleted',
} as const;

const RING_ORDER = ['canary', 'dev', 'staging', 'production'];
const DONE = new Set(['Completed', 'Skipped']);

export class FleetRunEngine {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly ctx: SimContext,
    private readonly memberMs: number,
  ) {}

  /** Starts a run to `version` over every member, a stage per update group in ring order, an approval gate before `gateBefore`. */
  start(
    fleet: SimFleetResource,
    spec: { version: string; name?: string; createdBy?: string; gateBefore?: string },
  ): SimRun {
    const groups = [...new Set(fleet.members.map((m) => m.group))].sort(
      (a, b) => rank(a) - rank(b) || a.localeCompare(b),
    );
    const gated = spec.gateBefore ?? groups.at(-1) ?? '';
    const now = this.ctx.now();
    const run: SimRun = {
      name:
        spec.name ??
        `run-${now
          .toISOString()
          .replace(/[^0-9]/g, '')
          .slice(0, 14)}`,
      createdBy: spec.createdBy ?? 'platform-lead@contoso.example',
      createdAt: now.toISOString(),
      kubernetesVersion: spec.version,
      upgradeType: 'Full',
      nodeImageSelection: 'Latest',
      state: 'NotStarted',
      eTag: newETag(),
      stages: groups.map((g) => ({
        name: g,
        state: 'NotStarted',
        groups: [
          {
            name: g,
            state: 'NotStarted',
            members: fleet.members
              .filter((m) => m.group === g)
              .map((m) => {
                const c = this.ctx.fleet.clusters.get(m.clusterKey);
                return { name: m.name, clusterId: c ? clusterArmId(c) : '', state: 'NotStarted' };
              }),
          },
        ],
        beforeGates: g === gated ? [{ displayName: `Approval before ${g}`, state: 'NotStarted' }] : [],
        afterGates: [],
      })),
    };
    if (fleet.runs.has(run.name)) throw new Error(`update run ${run.name} exists`);
    fleet.runs.set(run.name, run);
    run.state = 'Running';
    this.advance(fleet, run);
    return run;
  }

  /** PATCH state Completed: the gate opens and the run goes on. */
  completeGate(fleet: SimFleetResource, gate: SimGate): void {
    if (gate.state === 'Completed') return;
    const now = this.ctx.now().toISOString();
    gate.state = 'Completed';
    gate.eTag = newETag();
    gate.lastModifiedAt = now;
    gate.lastModifiedBy = 'warden';
    this.emit(fleet, gate, FLEET_GATE_EVENT.updated);
    const run = fleet.runs.get(gate.runName);
    if (!run) return;
    for (const s of run.stages)
      for (const slot of [...s.beforeGates, ...s.afterGates])
        if (slot.gateName === gate.name) slot.state = 'Completed';
    if (run.state === 'Running') this.advance(fleet, run);
  }

  stop(fleet: SimFleetResource, run: SimRun): void {
    if (!['Running', 'NotStarted'].includes(run.state)) return;
    run.state = 'Stopping';
    run.eTag = newETag();
    const t = setTimeout(() => {
      this.timers.delete(t);
      run.state = 'Stopped';
      for (const s of run.stages) {
        if (!DONE.has(s.state) && s.state !== 'NotStarted') s.state = 'Stopped';
        for (const g of s.groups) if (g.state === 'Running') g.state = 'Stopped';
      }
    }, 50);
    t.unref();
    this.timers.add(t);
  }

  /** Whether every target (`{ type: Stage | Group, name }`) names a stage or group of the run. */
  canSkip(run: SimRun, targets: readonly { type: string; name: string }[]): boolean {
    return targets.every(
      (t) =>
        (t.type === 'Stage' && run.stages.some((s) => s.name === t.name)) ||
        (t.type === 'Group' && run.stages.some((s) => s.groups.some((g) => g.name === t.name))),
    );
  }

  /**
   * DELETE of a run: it goes with its gates, each announced as FleetGateDeleted; members still
   * upgrading stop there.
   */
  delete(fleet: SimFleetResource, run: SimRun): void {
    run.state = 'Stopped';
    fleet.runs.delete(run.name);
    for (const gate of [...fleet.gates.values()].filter((g) => g.runName === run.name)) {
      fleet.gates.delete(gate.name);
      this.emit(fleet, gate, FLEET_GATE_EVENT.deleted);
    }
  }

  /** Skips stages or groups (`{ type: Stage | Group, name }`); unknown names answer false. */
  skip(fleet: SimFleetResource, run: SimRun, targets: readonly { type: string; name: string }[]): boolean {
    if (!this.canSkip(run, targets)) return false;
    for (const t of targets) {
      const stage = run.stages.find((s) =>
        t.type === 'Stage' ? s.name === t.name : s.groups.some((g) => g.name === t.name),
      );
      if (!stage || !['Stage', 'Group'].includes(t.type)) return false;
      const groups = t.type === 'Stage' ? stage.groups : stage.groups.filter((g) => g.name === t.name);
      for (const g of groups) {
        if (DONE.has(g.state)) continue;
        g.state = 'Skipped';
        for (const m of g.members) if (m.state === 'NotStarted') m.state = 'Skipped';
      }
      if (t.type === 'Stage') {
        stage.state = 'Skipped';
        for (const slot of [...stage.beforeGates, ...stage.afterGates])
          if (!DONE.has(slot.state)) slot.state = 'Skipped';
      }
    }
    run.eTag = newETag();
    if (run.state === 'Running') this.advance(fleet, run);
    return true;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private advance(fleet: SimFleetResource, run: SimRun): void {
    if (run.state !== 'Running') return;
    for (const stage of run.stages) {
      if (DONE.has(stage.state)) continue;
      if (this.waitAtGates(fleet, run, stage, stage.beforeGates, 'Before')) return;
      stage.state = 'Running';
      let busy = false;
      for (const g of stage.groups) {
        if (DONE.has(g.state)) continue;
        g.state = 'Running';
        for (const m of g.members) {
          if (m.state === 'NotStarted') this.upgradeMember(fleet, run, m);
          if (m.state === 'Running') busy = true;
        }
        if (!g.members.some((m) => m.state === 'Running')) g.state = 'Completed';
      }
      if (busy) return;
      if (this.waitAtGates(fleet, run, stage, stage.afterGates, 'After')) return;
      stage.state = 'Completed';
    }
    run.state = 'Completed';
    run.eTag = newETag();
  }

  /** Creates the stage's gates not created yet; true while any of them is pending. */
  private waitAtGates(
    fleet: SimFleetResource,
    run: SimRun,
    stage: SimStageRun,
    slots: SimGateSlot[],
    timing: GateTiming,
  ): boolean {
    let waiting = false;
    for (const slot of slots) {
      if (DONE.has(slot.state)) continue;
      if (slot.gateName === undefined) {
        const gate = newGate(run, stage.name, undefined, timing, slot.displayName, this.ctx.now());
        fleet.gates.set(gate.name, gate);
        slot.gateName = gate.name;
        slot.state = 'Pending';
        this.emit(fleet, gate, FLEET_GATE_EVENT.created);
      }
      waiting = true;
    }
    if (waiting && stage.state === 'NotStarted') stage.state = 'Pending';
    return waiting;
  }

  private upgradeMember(
    fleet: SimFleetResource,
    run: SimRun,
    m: SimStageRun['groups'][number]['members'][number],
  ): void {
    m.state = 'Running';
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (run.state !== 'Running') {
        m.state = 'Stopped';
        return;
      }
      const c = [...this.ctx.fleet.clusters.values()].find(
        (x) => clusterArmId(x).toLowerCase() === m.clusterId.toLowerCase(),
      );
      if (!c) {
        m.state = 'Failed';
        m.message = 'member cluster not found';
      } else if (compareVersions(run.kubernetesVersion, c.currentKubernetesVersion) > 0) {
        const region = this.ctx.fleet.regions.get(c.location);
        c.kubernetesVersion = run.kubernetesVersion;
        c.currentKubernetesVersion = run.kubernetesVersion;
        for (const p of c.pools) {
          p.orchestratorVersion = run.kubernetesVersion;
          p.currentOrchestratorVersion = run.kubernetesVersion;
          p.nodeImageVersion = latestNodeImage(region, p.nodeImageVersion);
        }
        c.eTag = newETag();
        m.state = 'Completed';
      } else {
        m.state = 'Completed';
        m.message = `already on ${c.currentKubernetesVersion}`;
      }
      this.advance(fleet, run);
    }, this.memberMs);
    t.unref();
    this.timers.add(t);
  }

  private emit(fleet: SimFleetResource, gate: SimGate, type: string): void {
    const body = renderGate(fleet, gate);
    const { systemData: _s, eTag: _e, ...resourceInfo } = body;
    this.ctx.events.emit(
      undefined,
      type,
      {
        resourceInfo,
        operationalInfo: { resourceEventTime: this.ctx.now().toISOString() },
        apiVersion: '2026-06-01',
      },
      { topic: `/subscriptions/${fleet.subscriptionId}`, subject: `${fleetArmId(fleet)}/gates/${gate.name}` },
    );
  }
}

function rank(group: string): number {
  const i = RING_ORDER.indexOf(group.toLowerCase());
  return i < 0 ? RING_ORDER.length : i;
}

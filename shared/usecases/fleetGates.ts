import { createHash } from 'node:crypto';

import type { AksGateway } from '../azure/aksGateway';
import type { FleetManagerGateway } from '../azure/fleetManagerGateway';
import type { AksEvent } from '../domain/aksEvents';
import { parseClusterId } from '../domain/armId';
import type { FleetGate, FleetGatePlan, FleetRef, GateMember, UpdateRunView } from '../domain/fleetGate';
import {
  asksForDecision,
  gateFindings,
  gateIsCompleted,
  gatePlace,
  gateRing,
  membersBehind,
  parseFleetId,
  refusalRequest,
} from '../domain/fleetGate';
import type { Notice } from '../domain/notice';
import type { By, Plan, PlanCluster } from '../domain/plan';
import { isOpen, noticeCluster, planTitle } from '../domain/plan';
import { proposePlan, transition } from '../domain/planTransition';
import { ownersFromTags } from '../domain/policy';
import { compareVersions } from '../domain/versions';
import { ensureError, TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import type { FleetGateRecord, FleetGateStore } from '../store/fleetGateStore';
import { OpenPlanExistsError } from '../store/planStore';
import type { EventReaction } from './ingestEvents';
import { applyPlanEvent, relayQuietly, toCommit } from './planCommands';
import type { FleetReader, PlanningDeps } from './proposePlans';
import { evidenceFor, planGate } from './proposePlans';

/**
 * Fleet Manager approval gates decided by Warden (docs/design/azure-fleet.md):
 *
 * 1. A pending `Approval` gate (event, or the timer's listing) becomes one `fleet-gate` plan: the
 *    members behind it read from the update run, with their ring, version, region and pre-flight,
 *    under the policy of the highest ring among them; Warden's approval machinery does the rest
 *    (links, quorum, allow-list, requester ≠ approver, reminder, escalation, expiry, reject).
 * 2. Approved: the gate is PATCHed `Completed`; rejected or expired: the run is stopped (or the stage or
 *    group behind the gate skipped, as the policy says) and the people are told.
 *
 * Exactly once: the gate's row (`fleetgates`) is written before the plan, and before every request the
 * row's ETag-conditional intent write (`attempt`, `intentAt`) decides who sends; Fleet is read first
 * (gate `Completed`, run stopped, target skipped) so a request that landed before a crash is not sent again.
 */
export interface FleetGateDeps extends PlanningDeps {
  readonly gates: FleetGateStore;
  readonly fleetManager: FleetManagerGateway;
  /** Polls a 202's `Location` / `Azure-AsyncOperation` (the ARM pipeline's reader). */
  readonly operations: Pick<AksGateway, 'operationStatus'>;
  readonly fleet: FleetReader;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly now: () => Date;
  /** Fleets in scope the timer lists the gates of, besides those a gate was already seen in. */
  readonly listFleets?: () => Promise<FleetRef[]>;
}

/** Another instance's recorded intent is left alone this long before Fleet is read and the request sent again. */
export const INTENT_LEASE_MS = 60_000;

/** One plan per gate, whatever delivers it: the id is derived from the gate id. */
export function gatePlanId(gateId: string): string {
  return `fg${createHash('sha256').update(gateId.toLowerCase()).digest('base64url').slice(0, 22)}`;
}

function preflightOf(plan: Plan | undefined): GateMember['preflight'] {
  // The member's own open plan carries its pre-flight report.
  const report = plan?.preflight;
  if (report === undefined) return undefined;
  return {
    verdict: report.verdict,
    checkedAt: report.checkedAt,
    notPassed: report.checks.filter((c) => c.status !== 'pass').map((c) => c.id),
  };
}

async function describeMember(
  deps: FleetGateDeps,
  m: { name: string; clusterId: string },
  version: string | undefined,
): Promise<{ member: GateMember; tags: Readonly<Record<string, string>> }> {
  const ref = parseClusterId(m.clusterId);
  const snapshot = ref ? await deps.fleet.cluster(ref) : undefined;
  if (!ref || !snapshot) return { member: { name: m.name, clusterId: m.clusterId }, tags: {} };
  const region = await deps.fleet.regionVersions(snapshot.subscriptionId, snapshot.location);
  const open = await deps.plans.openFor(snapshot.key);
  const preflight = preflightOf(open.find((o) => o.plan.kind !== 'fleet-gate')?.plan);
  return {
    member: {
      name: snapshot.name,
      clusterId: snapshot.id,
      ring: snapshot.ring,
      location: snapshot.location,
      kubernetesVersion: snapshot.kubernetesVersion,
      ...(version !== undefined &&
        region !== undefined && { versionInRegion: region.minors.some((x) => x.patches.includes(version)) }),
      ...(preflight !== undefined && { preflight }),
    },
    tags: snapshot.tags,
  };
}

/** Creates the gate's plan, awaiting approval (or approved by policy for an ungated ring), in one commit. */
async function createGatePlan(deps: FleetGateDeps, gate: FleetGate, planId: string, by: By): Promise<Plan> {
  const now = deps.now();
  const run: UpdateRunView | undefined = await deps.fleetManager.getUpdateRun(gate.target.runId);
  const behind = run ? membersBehind(run, gate.target) : [];
  const described = await Promise.all(behind.map((m) => describeMember(deps, m, run?.kubernetesVersion)));
  const members = described.map((d) => d.member);
  const fleetGate: FleetGatePlan = {
    gateId: gate.id,
    gateName: gate.name,
    fleetId: gate.fleet.id,
    fleetName: gate.fleet.name,
    displayName: gate.displayName,
    target: gate.target,
    upgradeType: run?.upgradeType ?? 'Full',
    ...(run?.kubernetesVersion !== undefined && { kubernetesVersion: run.kubernetesVersion }),
    nodeImageSelection: run?.nodeImageSelection ?? 'Latest',
    members,
    onReject: deps.policy.fleetGateRefusal,
  };
  const ring = gateRing(members, 'production');
  const owners = [...new Set(described.flatMap((d) => ownersFromTags(deps.policy, d.tags)))];
  const cluster: PlanCluster = {
    id: gate.id,
    key: `${gate.fleet.key}:${gate.name}`.toLowerCase(),
    name: `${gate.fleet.name}/${gate.target.stage}${gate.target.group !== undefined ? `/${gate.target.group}` : ''}`,
    subscriptionId: gate.fleet.subscriptionId,
    resourceGroup: gate.fleet.resourceGroup,
    location: members.find((m) => m.location !== undefined)?.location ?? '',
    ring,
    tags: { ...(owners.length > 0 && { [deps.policy.ownerTag]: owners.join(', ') }), fleet: gate.fleet.name },
  };
  const versions = members
    .map((m) => m.kubernetesVersion)
    .filter((v): v is string => v !== undefined)
    .sort(compareVersions);
  const to =
    run?.upgradeType === 'NodeImageOnly' || run?.kubernetesVersion === undefined
      ? `node image (${fleetGate.nodeImageSelection})`
      : run.kubernetesVersion;
  const created = proposePlan(
    {
      id: planId,
      cluster,
      kind: 'fleet-gate',
      from: versions[0] ?? '?',
      to,
      steps: [],
      // Fleet runs the upgrade once the gate completes: nothing for Warden's runner to execute.
      gate: { ...planGate(deps.policy, { ring }), autoExecute: true },
      findings: gateFindings(fleetGate),
      urgency: 'normal',
      reason: `Fleet gate "${gate.displayName || gate.name}" ${gatePlace(gate.target)} of update run ${gate.target.runName}`,
      initiator: run?.createdBy ?? 'fleet',
      fleetGate,
      by,
    },
    now,
  );
  const evidence = await evidenceFor(deps, created.plan, now);
  const asked = transition(
    created.plan,
    { type: 'PromotionSatisfied', evidence, requestId: deps.newId(), by: { ...by, actor: 'warden' } },
    now,
  );
  const { commit } = toCommit(deps.links, [created, asked]);
  try {
    await deps.plans.create(commit);
  } catch (e) {
    if (!(e instanceof OpenPlanExistsError)) throw e;
    deps.log.info(`Fleet gate ${gate.name}: its plan was created concurrently`);
  }
  await relayQuietly(deps, cluster.key);
  deps.log.info(
    `plan ${planId} ${planTitle(commit.plan)} for Fleet gate ${gate.name} (${commit.plan.status})`,
  );
  return commit.plan;
}

export type ObserveOutcome = 'created' | 'known' | 'closed' | 'ignored';

/**
 * What Warden does on seeing a gate (event or listing): a pending approval gate gets its plan (once);
 * a gate completed or deleted outside Warden closes a plan still waiting for a decision.
 */
export async function observeGate(
  deps: FleetGateDeps,
  gate: FleetGate,
  by: By,
  deleted = false,
): Promise<ObserveOutcome> {
  const row = await deps.gates.get(gate.fleet.key, gate.name);
  if (!deleted && asksForDecision(gate)) {
    if (row) {
      // The row is written first: a crash before the plan leaves a row without one, made here.
      if ((await deps.plans.get(row.planId)) === undefined) {
        await createGatePlan(deps, gate, row.planId, by);
        return 'created';
      }
      return 'known';
    }
    const planId = gatePlanId(gate.id);
    const created = await deps.gates.create({
      fleetKey: gate.fleet.key,
      gateName: gate.name,
      gateId: gate.id,
      runId: gate.target.runId,
      planId,
      gateState: gate.state,
      createdAt: deps.now().toISOString(),
    });
    if (!created) return 'known';
    await createGatePlan(deps, gate, planId, by);
    return 'created';
  }
  if (!row || row.doneAt !== undefined) return 'ignored';
  return closeWaiting(deps, row, deleted ? 'Deleted' : gate.state, by);
}

/** A gate completed or gone outside Warden: a plan still waiting for a decision is cancelled, the row settled. */
async function closeWaiting(
  deps: FleetGateDeps,
  row: FleetGateRecord,
  state: string,
  by: By,
): Promise<ObserveOutcome> {
  const waiting = (status: string): boolean => status === 'proposed' || status === 'awaiting-approval';
  const stored = await deps.plans.get(row.planId);
  if (!stored || !waiting(stored.plan.status)) return 'ignored';
  const reason =
    state === 'Deleted'
      ? 'the Fleet gate was deleted with its update run: the approval request is withdrawn, nothing will be sent to Fleet'
      : `the Fleet gate is ${state.toLowerCase()} outside Warden: the approval request is withdrawn`;
  await applyPlanEvent(
    deps,
    row.planId,
    (p) => (waiting(p.status) ? { type: 'Cancelled', reason, by } : undefined),
    deps.now,
  );
  await deps.gates.save(row, {
    gateState: state,
    doneAt: deps.now().toISOString(),
    outcome: `${state.toLowerCase()} outside Warden`,
  });
  return 'closed';
}

type Action = NonNullable<FleetGateRecord['action']>;

function actionFor(plan: Plan): Action | undefined {
  if (plan.status === 'approved') return 'complete';
  if (plan.status === 'rejected' || plan.status === 'expired')
    return plan.fleetGate ? refusalRequest(plan.fleetGate.target, plan.fleetGate.onReject).kind : 'stop';
  return undefined;
}

/** Fleet already shows the action done (a request that landed before a crash): what it shows, else undefined. */
async function shownDone(
  deps: FleetGateDeps,
  g: FleetGatePlan,
  action: Action,
): Promise<{ done: string } | { gone: string } | { gate: FleetGate | undefined }> {
  if (action === 'complete') {
    const gate = await deps.fleetManager.getGate(g.gateId);
    if (gate === undefined) return { gone: 'gate gone (its run was deleted): nothing to complete' };
    if (gateIsCompleted(gate)) return { done: 'gate Completed' };
    return { gate };
  }
  const run = await deps.fleetManager.getUpdateRun(g.target.runId);
  if (run === undefined) return { done: 'run gone' };
  const finished = ['stopping', 'stopped', 'completed', 'failed', 'skipped'];
  if (finished.includes(run.state.toLowerCase())) return { done: `run ${run.state}` };
  if (action === 'skip') {
    const stage = run.stages.find((s) => s.name === g.target.stage);
    const target =
      g.target.group !== undefined ? stage?.groups.find((x) => x.name === g.target.group) : stage;
    if (target !== undefined && target.state.toLowerCase() === 'skipped')
      return { done: `${g.target.group ?? g.target.stage} Skipped` };
  }
  return { gate: undefined };
}

function refusalNotice(plan: Plan, g: FleetGatePlan, action: 'stop' | 'skip', at: string): Notice {
  const decision = plan.status === 'expired' ? 'expired without a decision' : 'was rejected';
  const what =
    action === 'stop'
      ? `Warden stopped update run ${g.target.runName}`
      : `Warden skipped ${g.target.group !== undefined ? `group ${g.target.group}` : `stage ${g.target.stage}`} of update run ${g.target.runName}`;
  return {
    kind: 'fleet-run-stopped',
    key: `fleetgate:${plan.id}:${action}`,
    severity: 'warning',
    title: `${planTitle(plan)}: ${action === 'stop' ? 'Fleet run stopped' : 'Fleet stage skipped'}`,
    summary: `The approval for the Fleet gate "${g.displayName || g.gateName}" ${decision}. ${what}; the members behind the gate (${g.members.map((m) => m.name).join(', ') || 'none'}) are not upgraded by it.`,
    facts: [
      { label: 'Fleet', value: g.fleetName },
      { label: 'Update run', value: g.target.runName },
      { label: 'Gate', value: gatePlace(g.target) },
      ...(g.kubernetesVersion !== undefined ? [{ label: 'Version', value: g.kubernetesVersion }] : []),
    ],
    actions: [],
    audience: ['oncall', 'owners'],
    cluster: noticeCluster(plan),
    planId: plan.id,
    at,
  };
}

async function finish(
  deps: FleetGateDeps,
  row: FleetGateRecord,
  plan: Plan,
  action: Action,
  outcome: string,
): Promise<string> {
  const now = deps.now();
  const g = plan.fleetGate;
  // The plan first: a crash after it leaves the row unsettled, and the next pass settles it from the plan.
  if (action === 'complete') {
    await applyPlanEvent(
      deps,
      plan.id,
      (p) =>
        p.status === 'approved'
          ? { type: 'FleetGateCompleted', by: { actor: 'warden', source: { kind: 'runner' } } }
          : undefined,
      deps.now,
    );
  } else if (g !== undefined) {
    await deps.outbox.enqueue([refusalNotice(plan, g, action, now.toISOString())], now);
  }
  await deps.gates.save(row, {
    doneAt: now.toISOString(),
    outcome,
    ...(action === 'complete' && { gateState: 'Completed' }),
  });
  return outcome;
}

/** An approved gate plan whose gate went with its run: cancelled, since Fleet will never go on. */
async function closeApproved(deps: FleetGateDeps, planId: string): Promise<void> {
  await applyPlanEvent(
    deps,
    planId,
    (p) =>
      p.status === 'approved'
        ? {
            type: 'Cancelled',
            reason: 'the Fleet gate went with its update run before Warden completed it',
            by: { actor: 'warden', source: { kind: 'runner' } },
          }
        : undefined,
    deps.now,
  );
}

/** Carries one gate's decision to Fleet (or polls it there); returns what happened, in words. */
export async function settleGate(deps: FleetGateDeps, row: FleetGateRecord): Promise<string> {
  const stored = await deps.plans.get(row.planId);
  if (!stored) return 'no plan yet';
  const plan = stored.plan;
  const g = plan.fleetGate;
  if (plan.status === 'succeeded' || plan.status === 'cancelled' || g === undefined) {
    await deps.gates.save(row, {
      doneAt: deps.now().toISOString(),
      outcome: row.outcome ?? `plan ${plan.status}`,
    });
    return `plan ${plan.status}`;
  }
  const action = actionFor(plan);
  if (action === undefined) return isOpen(plan.status) ? 'waiting for a decision' : `plan ${plan.status}`;
  const now = deps.now();
  if (row.pollUrl !== undefined) {
    const status = await deps.operations.operationStatus(g.fleetId.split('/')[2] ?? '', row.pollUrl);
    if (status.status === 'running') return `${action}: in progress`;
    if (status.status === 'succeeded') return finish(deps, row, plan, action, `${action} accepted by Fleet`);
    await deps.gates.save(row, {
      pollUrl: undefined,
      lastError: `${action} ${status.status}: ${status.error?.message ?? ''}`,
    });
    return `${action}: ${status.status}`;
  }
  const seen = await shownDone(deps, g, action);
  if ('gone' in seen) {
    await closeApproved(deps, plan.id);
    await deps.gates.save(row, { gateState: 'Deleted', doneAt: now.toISOString(), outcome: seen.gone });
    return seen.gone;
  }
  if ('done' in seen) return finish(deps, row, plan, action, seen.done);
  const inFlight =
    row.intentAt !== undefined &&
    row.httpStatus === undefined &&
    now.getTime() - Date.parse(row.intentAt) < INTENT_LEASE_MS;
  if (inFlight) return `${action}: sent by another instance`;
  const intended = await deps.gates.save(row, {
    action,
    attempt: row.attempt + 1,
    intentAt: now.toISOString(),
    httpStatus: undefined,
    lastError: undefined,
  });
  if (!intended) return `${action}: another instance took it`;
  try {
    const refusal = refusalRequest(g.target, g.onReject);
    const op =
      action === 'complete'
        ? await deps.fleetManager.completeGate(seen.gate ?? (await missingGate(g)))
        : refusal.kind === 'skip'
          ? await deps.fleetManager.skip(g.target.runId, refusal.targets)
          : await deps.fleetManager.stopRun(g.target.runId);
    if (op.pollUrl !== undefined) {
      await deps.gates.save(intended, { httpStatus: op.httpStatus, pollUrl: op.pollUrl });
      return `${action}: accepted (${op.httpStatus}), polling`;
    }
    return finish(deps, intended, plan, action, `${action}: Fleet answered ${op.httpStatus}`);
  } catch (e) {
    const message = ensureError(e).message;
    await deps.gates.save(intended, { httpStatus: 0, lastError: message });
    deps.log.warn(`Fleet gate ${g.gateName}: ${action} failed: ${message}`);
    return `${action} failed: ${message}`;
  }
}

function missingGate(g: FleetGatePlan): Promise<never> {
  return Promise.reject(new Error(`gate ${g.gateName} was not read before the PATCH`));
}

/** Settles one gate's plan now (after a decision), when it is a Fleet gate plan. */
export async function settleGatePlan(deps: FleetGateDeps, plan: Plan): Promise<string | undefined> {
  const g = plan.fleetGate;
  const fleet = g ? parseFleetId(g.fleetId) : undefined;
  if (!g || !fleet || plan.kind !== 'fleet-gate') return undefined;
  const row = await deps.gates.get(fleet.key, g.gateName);
  return row && row.doneAt === undefined ? settleGate(deps, row) : undefined;
}

export interface GateSweepOutcome {
  readonly fleets: number;
  readonly pending: number;
  readonly created: number;
  readonly settled: readonly { readonly gate: string; readonly outcome: string }[];
  readonly failed: number;
}

/**
 * The timer (functions/fleetGateTimer.ts): lists the gates of every known fleet (one ARM list each), so
 * a lost event costs minutes, not a stalled run; then carries every decided gate to Fleet.
 */
export async function sweepFleetGates(deps: FleetGateDeps): Promise<GateSweepOutcome> {
  const by: By = { actor: 'warden', source: { kind: 'timer', name: 'fleetGateTimer' } };
  const fleets = new Map<string, FleetRef>();
  for (const f of await deps.gates.fleets()) {
    const ref = parseFleetId(f.fleetId);
    if (ref) fleets.set(ref.key, ref);
  }
  for (const f of (await deps.listFleets?.()) ?? []) fleets.set(f.key, f);
  let pending = 0;
  let created = 0;
  let failed = 0;
  /** Per fleet listed: the gates Fleet still shows pending (absent: the listing failed). */
  const stillPending = new Map<string, Set<string>>();
  const listedAt = deps.now().getTime();
  for (const fleet of fleets.values()) {
    try {
      const names = new Set<string>();
      for (const gate of await deps.fleetManager.listGates(fleet)) {
        if (!asksForDecision(gate)) continue;
        pending++;
        names.add(gate.name.toLowerCase());
        if ((await observeGate(deps, gate, by)) === 'created') created++;
      }
      stillPending.set(fleet.key, names);
    } catch (e) {
      failed++;
      deps.log.warn(`Fleet gates of ${fleet.name}: ${ensureError(e).message}`);
    }
  }
  const settled: { gate: string; outcome: string }[] = [];
  for (const row of await deps.gates.unsettled()) {
    try {
      // A lost FleetGateUpdated / FleetGateDeleted: the gate is no longer pending in Fleet's listing.
      const listed = stillPending.get(row.fleetKey);
      const before = Date.parse(row.createdAt) < listedAt;
      if (before && listed !== undefined && !listed.has(row.gateName.toLowerCase())) {
        if ((await closeWaiting(deps, row, 'completed or deleted', by)) === 'closed') {
          settled.push({ gate: row.gateName, outcome: 'closed: no longer pending in Fleet' });
          continue;
        }
      }
      settled.push({ gate: row.gateName, outcome: await settleGate(deps, row) });
    } catch (e) {
      failed++;
      deps.log.warn(`Fleet gate ${row.gateName}: ${ensureError(e).message}`);
    }
  }
  return { fleets: fleets.size, pending, created, settled, failed };
}

/** FleetGateCreated / Updated / Deleted: the gate's plan at once (the timer is the backstop). */
export function fleetGateReaction(getDeps: () => Omit<FleetGateDeps, 'log'>): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    const data = event.data;
    if (
      data.kind !== 'FleetGateCreated' &&
      data.kind !== 'FleetGateUpdated' &&
      data.kind !== 'FleetGateDeleted'
    )
      return;
    const deps = { ...getDeps(), log };
    const by: By = { actor: 'warden', source: { kind: 'event', eventId: event.id, eventType: data.kind } };
    try {
      const outcome = await observeGate(deps, data.gate, by, data.kind === 'FleetGateDeleted');
      log.info(`Fleet gate ${data.gate.name} (${data.kind}): ${outcome}`);
    } catch (e) {
      throw new TransientError(`could not take Fleet gate ${data.gate.name}`, { cause: e });
    }
  };
}

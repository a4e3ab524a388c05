import { signPlanAction } from '../approvals/actionTokens';
import type { ApprovalKeys } from '../approvals/tokens';
import type { AksGateway, ArmCluster, StartedOperation } from '../azure/aksGateway';
import { armErrorOf } from '../azure/armErrors';
import type { AksEvent } from '../domain/aksEvents';
import type { ClusterRef } from '../domain/armId';
import type { Notice } from '../domain/notice';
import type { By, Plan, PlanEvent, PlanStatus, PlanStep, TransitionResult } from '../domain/plan';
import { noticeCluster } from '../domain/plan';
import { isOpen, planTitle, stepLabel } from '../domain/plan';
import { transition } from '../domain/planTransition';
import type { Policy } from '../domain/policy';
import { allowedApprovers } from '../domain/policy';
import type { PlanPreflight } from '../domain/preflight';
import { blockingChecks, checkLine } from '../domain/preflight';
import type { FailureHandling, RequestFailure, StepObservation } from '../domain/runner';
import { handleFailure, RUNNER_TAKES_PLANS_FOR_MS, stepState, stepWindow } from '../domain/runner';
import { compareNodeImages } from '../domain/targeting';
import { compareVersions } from '../domain/versions';
import { ensureError, NotFoundError, TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import { formatAt } from '../notify/templates/common';
import type { StoredPlan } from '../store/planStore';
import { StalePlanError } from '../store/planStore';
import type { RunnerStore } from '../store/runnerStore';
import { runBounded } from './boundedRuns';
import type { EventReaction } from './ingestEvents';
import type { PlanCommandDeps } from './planCommands';
import { relayQuietly, toCommit } from './planCommands';
import type { Preflight, PreflightRun } from './preflight';

/** What the upgrade runner needs. */
export interface RunnerDeps extends PlanCommandDeps {
  readonly aks: AksGateway;
  readonly policy: Policy;
  readonly runs: RunnerStore;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  /** Signs the force-upgrade links of a blocked plan. */
  readonly keys: ApprovalKeys;
  readonly baseUrl: string;
  readonly newId: () => string;
  readonly now: () => Date;
  /** This runner instance: the lease owner. */
  readonly owner: string;
  /**
   * Stores the cluster as ARM shows it once a plan succeeded, so the fleet views show the new
   * versions now rather than after the next sweep. Its failure is logged; the plan has succeeded.
   */
  readonly recordCluster?: (cluster: ArmCluster) => Promise<void>;
  /**
   * One owner per cluster: the runner's read of ARM right before a step starts, against what Warden
   * knew; a version or node image no Warden plan produced is recorded, told once, and planned from
   * (`seeBeforeActing`). True when it saw such a change: the plan is read again before acting. Its
   * failure is logged; the step goes on (a step ARM shows done is never requested again).
   */
  readonly seeCluster?: (cluster: ArmCluster) => Promise<boolean>;
  /** Pre-flight right before each step: a step never starts on `no-go`. */
  readonly preflight?: Pick<Preflight, 'check' | 'newRun' | 'blocking'>;
  /** This invocation's pre-flight run (usages and SKUs read once per subscription and region). */
  readonly preflightRun?: PreflightRun;
}

export type PlanRunOutcome =
  | 'started'
  | 'running'
  | 'waiting'
  | 'scheduled'
  | 'succeeded'
  | 'failed'
  | 'blocked'
  | 'cancelled'
  | 'busy'
  | 'error'
  /** Not looked at: the tick had run for its time (`RunLimits.stopTakingAt`). */
  | 'next-tick';

export interface PlanRunResult {
  readonly planId: string;
  readonly cluster: string;
  readonly outcome: PlanRunOutcome;
  readonly detail?: string;
}

export interface RunOutcome {
  readonly checked: number;
  readonly results: readonly PlanRunResult[];
}

/** Plans the runner moves on. `blocked` waits for its force-upgrade approval, which makes it `approved`. */
export const RUNNABLE: readonly PlanStatus[] = ['approved', 'scheduled', 'running'];
/** How long one runner holds a plan; renewed each tick. A stalled runner's lease expires and another takes over. */
const LEASE_MS = 5 * 60_000;
/** Force upgrades bypass the block until then (compared only with the upgrade's start; notes §e). */
const FORCE_UNTIL_MS = 24 * 3_600_000;

const BY: By = { actor: 'runner', source: { kind: 'runner' } };

/** How one runner invocation spreads its work (docs/design/runner.md §5). */
export interface RunLimits {
  /** Clusters worked on at once (each runs its plans one after another). */
  readonly concurrency: number;
  /** Clusters of one subscription worked on at once: ARM throttles per subscription. */
  readonly perSubscription: number;
  /**
   * After this time (by `deps.now()`) no further plan is taken; those left get `next-tick`. The timer
   * sets it so that a tick ends before the next one is due.
   */
  readonly stopTakingAt?: Date;
}

/**
 * 16 clusters at once, 4 per subscription (docs/design/runner.md §5): 1,000 plans of 50 subscriptions
 * start within one tick, and one subscription's calls stay well inside the gateway's 8 in flight.
 */
export const RUN_LIMITS: RunLimits = { concurrency: 16, perSubscription: 4 };

/** The timer's limits for a tick that started at `startedAt`: it takes no plan after its share of the minute. */
export function tickLimits(startedAt: Date): RunLimits {
  return { ...RUN_LIMITS, stopTakingAt: new Date(startedAt.getTime() + RUNNER_TAKES_PLANS_FOR_MS) };
}

/**
 * The upgrade runner (docs/design/runner.md), every minute and on NodePoolRolling events:
 *
 * 1. List the plans in `approved | scheduled | running` (one cluster's only, for an event). Clusters
 *    are worked on concurrently within `limits` (in all and per subscription), each cluster's plans
 *    one after another; once `limits.stopTakingAt` has passed, no further plan is taken.
 * 2. Per plan, take the cluster's ETag lease: one runner per plan, one plan per cluster (a plan that has
 *    started a step keeps the cluster until it closes).
 * 3. Read the cluster from ARM (never Resource Graph: it lags).
 * 4. A running step: poll its operation, compare ARM's desired and running versions and provisioning
 *    state; succeeded → next step, failed → the plan fails with ARM's reason, not requested (a crash
 *    before the request, a 409 / 429 earlier) → send it again, once.
 * 5. The next pending step: gated cluster with AKS auto-upgrade on → hold (notice); window closed or
 *    under the policy's minimum left → `scheduled` with the next opening; cluster busy → wait; already
 *    done / requested in ARM → record it without a request; else record the intent (ETag write), send
 *    the one request, store the poll URL — and return: no invocation waits for an operation.
 * 6. Every step succeeded and ARM shows the versions → `succeeded` (the soak evidence promotion reads).
 */
export async function runUpgrades(
  deps: RunnerDeps,
  only?: { readonly clusterKey?: string },
  limits: RunLimits = RUN_LIMITS,
): Promise<RunOutcome> {
  // One cluster (an event): one partition query; the timer: every open plan, a page at a time.
  const pages: AsyncIterable<readonly StoredPlan[]> | Iterable<readonly StoredPlan[]> =
    only?.clusterKey !== undefined
      ? [(await deps.plans.openFor(only.clusterKey)).filter((s) => RUNNABLE.includes(s.plan.status))]
      : deps.plans.openPlanPages(RUNNABLE);
  // One lease owner per invocation: the timer and an event reaction in the same process exclude each other too.
  const self: RunnerDeps = {
    ...deps,
    owner: `${deps.owner}/${deps.newId()}`,
    ...(deps.preflight !== undefined && { preflightRun: deps.preflight.newRun() }),
  };
  const now = deps.now();
  const results: PlanRunResult[] = [];
  // Of each plan due only what queues it (a few fields): `drive` reads the plan again when it is taken,
  // so a tick over tens of thousands of open plans never holds them all.
  const due: QueuedPlan[] = [];
  let checked = 0;
  for await (const page of pages)
    for (const { plan } of page) {
      // A Fleet gate plan has no steps: Fleet runs the upgrade once the gate is completed (fleetGates.ts).
      if (plan.kind === 'fleet-gate') continue;
      if (only?.clusterKey !== undefined && plan.cluster.key !== only.clusterKey) continue;
      checked++;
      const opens = plan.status === 'scheduled' ? Date.parse(plan.window?.start ?? '') : Number.NaN;
      if (opens > now.getTime() && plan.steps.every((s) => s.status === 'pending')) {
        // Nothing to read in ARM before the window opens: a changed configuration reaches the plan through
        // the sweep (WindowChanged), which makes it `approved` again and so looked at on the next tick.
        results.push({
          planId: plan.id,
          cluster: plan.cluster.name,
          outcome: 'scheduled',
          detail: `until ${plan.window?.start ?? ''}`,
        });
      } else due.push(queued(plan));
    }
  const stop = (): boolean =>
    limits.stopTakingAt !== undefined && deps.now().getTime() >= limits.stopTakingAt.getTime();
  const left = await runBounded(
    clusterQueue(due),
    { total: limits.concurrency, perGroup: limits.perSubscription },
    (plans) => plans[0]?.cluster.subscriptionId.toLowerCase() ?? '',
    async (plans) => {
      // One cluster's plans one after another, as they hold its lock in turn.
      for (const [i, plan] of plans.entries()) {
        if (i > 0 && stop()) {
          for (const p of plans.slice(i)) results.push(nextTick(p));
          return;
        }
        results.push(await advanceSafely(self, plan));
      }
    },
    stop,
  );
  for (const plans of left) for (const plan of plans) results.push(nextTick(plan));
  return { checked, results };
}

/** What the runner's queue keeps of a plan due: enough to order, group and take it. */
export interface QueuedPlan {
  readonly id: string;
  readonly status: PlanStatus;
  readonly createdAt: string;
  readonly cluster: Pick<Plan['cluster'], 'key' | 'name' | 'subscriptionId'>;
}

const queued = (plan: Plan): QueuedPlan => ({
  id: plan.id,
  status: plan.status,
  createdAt: plan.createdAt,
  cluster: { key: plan.cluster.key, name: plan.cluster.name, subscriptionId: plan.cluster.subscriptionId },
});

/**
 * The plans grouped by cluster, each cluster's running plan first (it holds the cluster), then the
 * oldest. Clusters with no plan running yet come first: their window is open and every minute lost is
 * taken from it, while a running plan's next step waits at most a tick. Within each part the clusters
 * are in a random order, so that when ticks are cut short by their time limit, each leaves different
 * clusters for the next one and none waits for long.
 */
export function clusterQueue(plans: readonly QueuedPlan[]): QueuedPlan[][] {
  const byCluster = new Map<string, QueuedPlan[]>();
  for (const plan of plans) {
    const same = byCluster.get(plan.cluster.key);
    if (same) same.push(plan);
    else byCluster.set(plan.cluster.key, [plan]);
  }
  const queue = [...byCluster.values()].map((ps) =>
    [...ps].sort(
      (a, b) =>
        Number(b.status === 'running') - Number(a.status === 'running') ||
        a.createdAt.localeCompare(b.createdAt),
    ),
  );
  for (let i = queue.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [queue[i], queue[j]] = [queue[j] as QueuedPlan[], queue[i] as QueuedPlan[]];
  }
  const running = (ps: readonly QueuedPlan[]): number => Number(ps[0]?.status === 'running');
  return queue.sort((a, b) => running(a) - running(b));
}

const nextTick = (plan: QueuedPlan): PlanRunResult => ({
  planId: plan.id,
  cluster: plan.cluster.name,
  outcome: 'next-tick',
  detail: "left for the next tick: this one's time is up",
});

async function advanceSafely(deps: RunnerDeps, plan: QueuedPlan): Promise<PlanRunResult> {
  try {
    return await advancePlan(deps, plan);
  } catch (e) {
    const err = ensureError(e);
    if (err instanceof TransientError) deps.log.warn(`runner: plan ${plan.id}: ${err.message}`);
    else deps.log.error(`runner: plan ${plan.id}: ${err.stack ?? err.message}`);
    return { planId: plan.id, cluster: plan.cluster.name, outcome: 'error', detail: err.message };
  }
}

/** Runs the runner for the clusters of NodePoolRolling events: the plan moves on as soon as AKS says so. */
export function runnerReaction(getDeps: () => Omit<RunnerDeps, 'log'>): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    const kind = event.data.kind;
    if (
      kind !== 'NodePoolRollingStarted' &&
      kind !== 'NodePoolRollingSucceeded' &&
      kind !== 'NodePoolRollingFailed'
    )
      return;
    const deps = { ...getDeps(), log };
    for (const ref of event.clusters) {
      try {
        const out = await runUpgrades(deps, { clusterKey: ref.key });
        for (const r of out.results) log.info(`runner (${kind} ${ref.name}): plan ${r.planId} ${r.outcome}`);
      } catch (e) {
        // The timer tries again within a minute; the event must not be refused for this.
        log.warn(`runner reaction for ${ref.name}: ${ensureError(e).message}`);
      }
    }
  };
}

export function clusterRefOf(plan: Plan): ClusterRef {
  const c = plan.cluster;
  return {
    id: c.id,
    subscriptionId: c.subscriptionId,
    resourceGroup: c.resourceGroup,
    name: c.name,
    key: c.key,
  };
}

async function advancePlan(deps: RunnerDeps, first: QueuedPlan): Promise<PlanRunResult> {
  const result = (outcome: PlanRunOutcome, detail?: string): PlanRunResult => ({
    planId: first.id,
    cluster: first.cluster.name,
    outcome,
    ...(detail !== undefined && { detail }),
  });
  const now = deps.now();
  const lease = await deps.runs.acquire(
    first.cluster.key,
    first.id,
    deps.owner,
    now,
    new Date(now.getTime() + LEASE_MS),
    async (held) => {
      const other = await deps.plans.get(held);
      return (
        other === undefined ||
        !isOpen(other.plan.status) ||
        other.plan.steps.every((s) => s.status === 'pending')
      );
    },
  );
  if (!lease.ok) {
    if (lease.reason === 'other-plan') {
      const stored = await deps.plans.get(first.id);
      if (stored) await hold(deps, stored, `waiting for plan ${lease.heldBy}, which runs on this cluster`);
      return result('busy', `waiting for plan ${lease.heldBy}`);
    }
    return result('busy', `leased by ${lease.heldBy}`);
  }
  let closed = false;
  try {
    const out = await drive(deps, first.id);
    closed = out.closed;
    return result(out.outcome, out.detail);
  } finally {
    await deps.runs.release(first.cluster.key, lease.lock, deps.now(), closed);
  }
}

interface Driven {
  readonly outcome: PlanRunOutcome;
  readonly closed: boolean;
  readonly detail?: string;
}

const stay = (outcome: PlanRunOutcome, detail?: string): Driven => ({
  outcome,
  closed: false,
  ...(detail !== undefined && { detail }),
});

async function drive(deps: RunnerDeps, planId: string): Promise<Driven> {
  let looked = false;
  for (let round = 0; round < 64; round++) {
    const stored = await deps.plans.get(planId);
    if (!stored) throw new NotFoundError(`no plan ${planId}`);
    const plan = stored.plan;
    if (!RUNNABLE.includes(plan.status))
      return { outcome: outcomeOf(plan.status), closed: !isOpen(plan.status), detail: plan.status };
    const now = deps.now();
    let cluster: ArmCluster;
    try {
      cluster = await deps.aks.getCluster(clusterRefOf(plan));
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      const reason = `cluster ${plan.cluster.name} no longer exists`;
      const running = plan.steps.findIndex((s) => s.status === 'running');
      const event: PlanEvent = plan.steps.every((s) => s.status === 'pending')
        ? { type: 'Cancelled', reason, by: BY }
        : { type: 'StepFailed', step: Math.max(0, running), reason, by: BY };
      if (event.type === 'StepFailed' && running < 0) return stay('error', reason);
      await commit(deps, stored, now, [event]);
      continue;
    }
    const running = plan.steps.findIndex((s) => s.status === 'running');
    const step = running >= 0 ? plan.steps[running] : undefined;
    let moved: Driven | 'moved';
    if (step !== undefined) {
      moved = await reconcile(deps, stored, running, step, cluster, now);
    } else {
      const next = plan.steps.findIndex((s) => s.status === 'pending');
      const pending = plan.steps[next];
      if (pending === undefined) return finish(deps, stored, cluster, now);
      if (!looked && deps.seeCluster !== undefined) {
        looked = true;
        if (await lookFirst(deps, cluster)) continue;
      }
      moved = await startStep(deps, stored, next, pending, cluster, now);
    }
    if (moved !== 'moved') return moved;
  }
  return stay('error', 'too many state changes in one tick');
}

/** {@link RunnerDeps.seeCluster}, whose failure never stops the step. */
async function lookFirst(deps: RunnerDeps, cluster: ArmCluster): Promise<boolean> {
  try {
    return (await deps.seeCluster?.(cluster)) === true;
  } catch (e) {
    deps.log.warn(`outside-upgrade check of ${cluster.name}: ${ensureError(e).message}`);
    return false;
  }
}

function outcomeOf(status: PlanStatus): PlanRunOutcome {
  const direct: readonly PlanRunOutcome[] = [
    'succeeded',
    'failed',
    'blocked',
    'cancelled',
    'scheduled',
    'running',
  ];
  return direct.find((o) => o === status) ?? 'waiting';
}

/** What ARM shows of a step's resource, from one cluster read. */
function observe(step: PlanStep, cluster: ArmCluster): StepObservation {
  if (step.kind === 'control-plane')
    return {
      desired: cluster.desiredKubernetesVersion,
      current: cluster.kubernetesVersion,
      provisioningState: cluster.provisioningState,
    };
  const pool = cluster.nodePools.find((p) => p.name.toLowerCase() === step.pool.toLowerCase());
  if (step.kind === 'node-image')
    return {
      desired: pool?.nodeImageVersion ?? '',
      current: pool?.nodeImageVersion ?? '',
      provisioningState: pool?.provisioningState,
    };
  return {
    desired: cluster.desiredPoolVersions[pool?.name ?? step.pool] ?? pool?.orchestratorVersion ?? '',
    current: pool?.orchestratorVersion ?? '',
    provisioningState: pool?.provisioningState,
  };
}

const settled = (state: string | undefined): boolean =>
  state === undefined || state.toLowerCase() === 'succeeded';

/** Nothing else is operating on the cluster (AKS auto-upgrade, a person, another tool). */
function busyReason(cluster: ArmCluster): string | undefined {
  if (!settled(cluster.provisioningState)) return `cluster is ${cluster.provisioningState ?? '?'}`;
  const pool = cluster.nodePools.find((p) => !settled(p.provisioningState));
  return pool ? `pool ${pool.name} is ${pool.provisioningState ?? '?'}` : undefined;
}

function withStep(plan: Plan, index: number, change: (s: PlanStep) => PlanStep): Plan {
  return { ...plan, steps: plan.steps.map((s, i) => (i === index ? change(s) : s)) };
}

/**
 * Saves transitions (audit + notices in the same transaction) and/or runner bookkeeping (`mutate`),
 * conditional on the ETag read. Undefined when the plan changed meanwhile: the caller stops this tick.
 */
async function commit(
  deps: RunnerDeps,
  stored: StoredPlan,
  now: Date,
  events: readonly PlanEvent[],
  mutate: (p: Plan) => Plan = (p) => p,
  extraNotices: (p: Plan) => readonly Notice[] = () => [],
): Promise<StoredPlan | undefined> {
  const results: TransitionResult[] = [];
  let plan = stored.plan;
  for (const event of events) {
    const r = transition(plan, event, now);
    results.push(r);
    plan = r.plan;
  }
  const final = mutate(plan);
  const base =
    results.length === 0 ? { plan: final, audit: [], notices: [] } : toCommit(deps.links, results).commit;
  try {
    const saved = await deps.plans.save(stored, {
      plan: final,
      audit: base.audit,
      notices: [...base.notices, ...extraNotices(final)],
    });
    if (base.notices.length > 0 || results.length > 0) await relayQuietly(deps, final.cluster.key);
    return saved;
  } catch (e) {
    if (e instanceof StalePlanError) return undefined;
    throw e;
  }
}

/** Notes on the plan why the runner waits (written only when the reason changes). */
async function hold(
  deps: RunnerDeps,
  stored: StoredPlan,
  reason: string,
  extra: (p: Plan) => Plan = (p) => p,
): Promise<void> {
  const next = extra(stored.plan);
  if (stored.plan.hold?.reason === reason && JSON.stringify(next) === JSON.stringify(stored.plan)) return;
  await commit(deps, stored, deps.now(), [], (p) => ({
    ...extra(p),
    hold: { reason, since: p.hold?.reason === reason ? p.hold.since : deps.now().toISOString() },
  }));
}

const clearHold = (p: Plan): Plan => {
  if (p.hold === undefined) return p;
  const { hold: _hold, ...rest } = p;
  return rest;
};

async function startStep(
  deps: RunnerDeps,
  stored: StoredPlan,
  index: number,
  step: PlanStep,
  cluster: ArmCluster,
  now: Date,
): Promise<Driven | 'moved'> {
  const plan = stored.plan;
  const channel = (cluster.autoUpgradeChannel || 'none').toLowerCase();
  if (plan.gate.gated && channel !== 'none') {
    const reason = `AKS auto-upgrade (channel ${channel}) is on: AKS would upgrade this gated cluster without approval, and control-plane-only upgrades are refused while it is on. Warden runs nothing here until the channel is none.`;
    // Told once per hold (the key also makes a repeat a no-op).
    if (plan.hold?.reason !== reason)
      await deps.outbox.enqueue([autoUpgradeNotice(plan, channel, reason, now)], now);
    await hold(deps, stored, reason);
    return stay('waiting', reason);
  }

  const configs = await deps.aks.listMaintenanceConfigurations(clusterRefOf(plan));
  const w = stepWindow(configs, plan.kind, plan.cluster.ring, deps.policy, now);
  if (!w.canStart) {
    const reason = w.problem
      ? `window closed: an AKS maintenance configuration cannot be read (${w.problem})`
      : w.window.start !== undefined
        ? `waiting for the window: next opening ${formatAt(w.window.start)} (${w.window.description})`
        : `no opening with ${Math.round(deps.policy.minimumWindowRemainingMs / 60_000)} min to spare in ${w.window.description}`;
    if (plan.status === 'approved' && plan.gate.autoExecute) {
      const saved = await commit(
        deps,
        stored,
        now,
        [{ type: 'Scheduled', window: w.window, by: BY }],
        (p) => ({
          ...p,
          hold: { reason, since: now.toISOString() },
        }),
      );
      if (!saved) return stay('busy', 'plan changed meanwhile');
    } else {
      await hold(deps, stored, reason, (p) => ({ ...p, window: w.window }));
    }
    return stay('scheduled', reason);
  }
  if (step.nextAttemptAt !== undefined && Date.parse(step.nextAttemptAt) > now.getTime())
    return stay('waiting', `retry after ${step.nextAttemptAt}: ${step.lastError ?? ''}`);
  const busy = busyReason(cluster);
  if (busy !== undefined) {
    await hold(deps, stored, `waiting: ${busy}`);
    return stay('waiting', busy);
  }

  const seen = observe(step, cluster);
  const state = stepState(step, seen);
  const started: PlanEvent = { type: 'StepStarted', step: index, by: BY };
  if (state === 'done' || state === 'in-flight') {
    // ARM already shows it (done while we were down, or requested by the run we lost): no request.
    const events: PlanEvent[] =
      state === 'done' ? [started, { type: 'StepSucceeded', step: index, by: BY }] : [started];
    const saved = await commit(deps, stored, now, events, (p) =>
      clearHold(withStep(p, index, (s) => ({ ...s, desiredBefore: s.desiredBefore ?? seen.desired }))),
    );
    return saved ? 'moved' : stay('busy', 'plan changed meanwhile');
  }
  const report = await preflightBeforeStep(deps, stored, index, now);
  if (report === 'held') return stay('waiting', stored.plan.hold?.reason ?? 'pre-flight no-go');
  const checked: PlanEvent[] =
    report !== undefined && report.verdict !== plan.preflight?.verdict
      ? [{ type: 'PreflightChecked', report, by: BY }]
      : [];
  // The intent write: only its writer may send request n (docs/design/runner.md §4).
  const intent = await commit(deps, stored, now, [...checked, started], (p) =>
    clearHold({
      ...withStep(p, index, (s) => ({
        ...s,
        attempt: (s.attempt ?? 0) + 1,
        intentAt: now.toISOString(),
        desiredBefore: seen.desired,
      })),
      window: w.window,
      ...(report !== undefined && { preflight: report }),
    }),
  );
  if (!intent) return stay('busy', 'plan changed meanwhile');
  return send(deps, intent, index, now);
}

/**
 * Pre-flight right before a step's request: on `no-go` the plan waits with the blocking checks as its
 * reason (on-call told once per step) and goes on by itself once they pass. Undefined without
 * pre-flight; `held` when the step must not start.
 */
async function preflightBeforeStep(
  deps: RunnerDeps,
  stored: StoredPlan,
  index: number,
  now: Date,
): Promise<PlanPreflight | 'held' | undefined> {
  if (deps.preflight === undefined) return undefined;
  const plan = stored.plan;
  const report = await deps.preflight.check(plan, deps.preflightRun ?? deps.preflight.newRun());
  const blockers = blockingChecks(report, deps.preflight.blocking(plan));
  if (blockers.length === 0) return report;
  const reason = `pre-flight no-go: waiting for ${blockers.map(checkLine).join('; ')}`;
  const told = plan.hold?.reason.startsWith('pre-flight no-go') === true;
  await commit(
    deps,
    stored,
    now,
    report.verdict !== plan.preflight?.verdict ? [{ type: 'PreflightChecked', report, by: BY }] : [],
    (p) => ({
      ...p,
      preflight: report,
      hold: {
        reason: reason.slice(0, 2000),
        since: told && p.hold !== undefined ? p.hold.since : now.toISOString(),
      },
    }),
    (p) => (told ? [] : [preflightHoldNotice(p, index, blockers.map(checkLine), now)]),
  );
  deps.log.info(`runner: plan ${plan.id} held: ${reason}`);
  return 'held';
}

function preflightHoldNotice(plan: Plan, index: number, blockers: readonly string[], now: Date): Notice {
  const step = plan.steps[index];
  return {
    kind: 'plan-blocked',
    key: `plan:${plan.id}:preflight-hold:${index}`,
    severity: 'warning',
    title: `${planTitle(plan)}: waiting, pre-flight is no-go`,
    summary:
      `Warden did not start ${step !== undefined ? stepLabel(step) : 'the next step'}: pre-flight predicts AKS would refuse or stall the upgrade. ` +
      'Fix what the checks name; the plan goes on by itself at the next runner tick once they pass.',
    facts: [
      { label: 'Cluster', value: plan.cluster.name },
      { label: 'Upgrade', value: `${plan.from} → ${plan.to}` },
      ...blockers.slice(0, 6).map((b) => ({ label: 'Waiting for', value: b })),
    ],
    actions: [],
    audience: ['oncall'],
    cluster: noticeCluster(plan),
    planId: plan.id,
    at: now.toISOString(),
  };
}

async function reconcile(
  deps: RunnerDeps,
  stored: StoredPlan,
  index: number,
  step: PlanStep,
  cluster: ArmCluster,
  now: Date,
): Promise<Driven | 'moved'> {
  const plan = stored.plan;
  const seen = observe(step, cluster);
  const state = stepState(step, seen);
  const pollUrl = step.operation?.pollUrl;
  let opFailure: string | undefined;
  if (
    pollUrl !== undefined &&
    state !== 'done' &&
    (step.nextPollAt === undefined || Date.parse(step.nextPollAt) <= now.getTime())
  ) {
    try {
      const op = await deps.aks.operationStatus(plan.cluster.subscriptionId, pollUrl);
      if (op.status === 'failed' || op.status === 'canceled')
        opFailure =
          [op.error?.code, op.error?.message].filter(Boolean).join(': ') ||
          `operation ${op.armStatus ?? op.status}`;
    } catch (e) {
      // The status resource is gone or ARM is busy: ARM's resource state below still decides.
      deps.log.warn(`runner: polling ${plan.id} step ${index + 1}: ${ensureError(e).message}`);
    }
  }
  if (state === 'done') {
    const saved = await commit(
      deps,
      stored,
      now,
      [{ type: 'StepSucceeded', step: index, by: BY }],
      clearHold,
    );
    return saved ? 'moved' : stay('busy', 'plan changed meanwhile');
  }
  if (opFailure !== undefined || state === 'failed') {
    const where =
      step.kind === 'control-plane'
        ? `cluster provisioningState ${cluster.provisioningState ?? '?'}`
        : `pool ${step.pool} provisioningState ${seen.provisioningState ?? '?'}`;
    const reason = opFailure !== undefined ? `${opFailure} (${where})` : `ARM reports ${where}`;
    const saved = await commit(deps, stored, now, [{ type: 'StepFailed', step: index, reason, by: BY }]);
    return saved ? 'moved' : stay('busy', 'plan changed meanwhile');
  }
  if (state === 'in-flight') return stay('running', `${stepLabel(step)} in progress`);

  // Not requested: our intent is recorded but nothing reached ARM (a crash before the request, or a
  // 409 / 429 / 5xx we back off from). Send it again, under the same rules as a first start.
  if (step.nextAttemptAt !== undefined && Date.parse(step.nextAttemptAt) > now.getTime())
    return stay('waiting', `retry after ${step.nextAttemptAt}: ${step.lastError ?? ''}`);
  const configs = await deps.aks.listMaintenanceConfigurations(clusterRefOf(plan));
  const w = stepWindow(configs, plan.kind, plan.cluster.ring, deps.policy, now);
  if (!w.canStart) {
    await hold(
      deps,
      stored,
      `request not sent yet; waiting for the window (${w.window.start ?? w.window.description})`,
    );
    return stay('waiting', 'window closed');
  }
  const busy = busyReason(cluster);
  if (busy !== undefined) {
    await hold(deps, stored, `waiting: ${busy}`);
    return stay('waiting', busy);
  }
  const intent = await commit(deps, stored, now, [], (p) =>
    clearHold(
      withStep(p, index, (s) => ({
        ...s,
        attempt: (s.attempt ?? 0) + 1,
        intentAt: now.toISOString(),
        desiredBefore: s.desiredBefore ?? seen.desired,
      })),
    ),
  );
  if (!intent) return stay('busy', 'plan changed meanwhile');
  return send(deps, intent, index, now);
}

function startRequest(deps: RunnerDeps, plan: Plan, step: PlanStep, now: Date): Promise<StartedOperation> {
  const ref = clusterRefOf(plan);
  switch (step.kind) {
    case 'control-plane': {
      const force = plan.forceUpgrade;
      const until = force !== undefined ? Date.parse(force.until) : Number.NaN;
      return deps.aks.startControlPlaneUpgrade(
        ref,
        step.to,
        until > now.getTime() ? { forceUpgradeUntil: new Date(until) } : {},
      );
    }
    case 'node-pool':
      return deps.aks.startPoolUpgrade(ref, step.pool, step.to);
    case 'node-image':
      return deps.aks.startNodeImageUpgrade(ref, step.pool);
  }
}

function failureOf(e: unknown): RequestFailure {
  const err = ensureError(e);
  const arm = armErrorOf(err);
  const retryAfterMs = arm?.retryAfterMs ?? (err instanceof TransientError ? err.retryAfterMs : undefined);
  const status =
    arm?.statusCode ?? (err instanceof TransientError ? undefined : err instanceof NotFoundError ? 404 : 400);
  const message = arm ? arm.message.replace(/^[^:]*: /, '') : err.message;
  return {
    message,
    ...(status !== undefined && { status }),
    ...(arm?.code !== undefined && { code: arm.code }),
    ...(arm?.subcode !== undefined && { subcode: arm.subcode }),
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

/** Sends the step's one request (after its intent write) and stores the operation, or handles the refusal. */
async function send(deps: RunnerDeps, stored: StoredPlan, index: number, now: Date): Promise<Driven> {
  const plan = stored.plan;
  const step = plan.steps[index];
  if (step === undefined) return stay('error', `no step ${index}`);
  let op: StartedOperation;
  try {
    op = await startRequest(deps, plan, step, now);
  } catch (e) {
    if (!isArmRefusal(e)) throw e;
    const handling = handleFailure(failureOf(e), step.attempt ?? 1, now);
    return refused(deps, stored, index, step, handling, now);
  }
  const pollAfterMs = Math.min(60_000, (op.retryAfterSeconds ?? 0) * 1000);
  await commit(deps, stored, now, [], (p) =>
    withStep(p, index, (s) => {
      const { nextAttemptAt: _n, lastError: _l, ...rest } = s;
      return {
        ...rest,
        operation: {
          startedAt: now.toISOString(),
          httpStatus: op.httpStatus,
          ...(op.pollUrl !== undefined && { pollUrl: op.pollUrl }),
          ...(op.pollKind !== undefined && { pollKind: op.pollKind }),
        },
        nextPollAt: new Date(now.getTime() + pollAfterMs).toISOString(),
      };
    }),
  );
  deps.log.info(`runner: plan ${plan.id} ${stepLabel(step)} started (${op.httpStatus})`);
  return stay('started', stepLabel(step));
}

function isArmRefusal(e: unknown): boolean {
  return armErrorOf(e) !== undefined || e instanceof TransientError || e instanceof NotFoundError;
}

async function refused(
  deps: RunnerDeps,
  stored: StoredPlan,
  index: number,
  step: PlanStep,
  handling: FailureHandling,
  now: Date,
): Promise<Driven> {
  switch (handling.kind) {
    case 'blocked': {
      const requestId = deps.newId();
      await commit(
        deps,
        stored,
        now,
        [
          {
            type: 'StepBlocked',
            step: index,
            reason: handling.reason,
            deprecatedApis: handling.deprecatedApis,
            requestId,
            by: BY,
          },
        ],
        clearHold,
        (p) => forceUpgradeNotices(deps, p, now),
      );
      return stay('blocked', handling.deprecatedApis.join(', '));
    }
    case 'retry-later':
    case 'back-off':
      await commit(deps, stored, now, [], (p) => ({
        ...withStep(p, index, (s) => ({
          ...s,
          nextAttemptAt: handling.notBefore.toISOString(),
          lastError: handling.reason.slice(0, 1000),
        })),
        hold: {
          reason: `${handling.kind === 'back-off' ? 'ARM is throttling or failing' : 'ARM refused for now'}; retrying after ${handling.notBefore.toISOString()}: ${handling.reason.slice(0, 300)}`,
          since: now.toISOString(),
        },
      }));
      return stay('waiting', handling.reason);
    case 'gone':
    case 'failed':
      await commit(deps, stored, now, [
        { type: 'StepFailed', step: index, reason: `${stepLabel(step)}: ${handling.reason}`, by: BY },
      ]);
      return { outcome: 'failed', closed: true, detail: handling.reason };
  }
}

/** Every step succeeded: the plan succeeds once a fresh read of ARM shows the versions. */
async function finish(deps: RunnerDeps, stored: StoredPlan, cluster: ArmCluster, now: Date): Promise<Driven> {
  const plan = stored.plan;
  const missing = plan.steps.filter((s) => {
    if (s.kind === 'control-plane') return compareVersions(cluster.kubernetesVersion, s.to) < 0;
    const pool = cluster.nodePools.find((p) => p.name.toLowerCase() === s.pool.toLowerCase());
    if (pool === undefined) return true;
    return s.kind === 'node-image'
      ? compareNodeImages(pool.nodeImageVersion ?? '', s.to) < 0
      : compareVersions(pool.orchestratorVersion, s.to) < 0;
  });
  if (missing.length > 0) {
    const reason = `every step succeeded, waiting for ARM to show ${missing.map(stepLabel).join(', ')}`;
    await hold(deps, stored, reason);
    return stay('waiting', reason);
  }
  const saved = await commit(deps, stored, now, [{ type: 'PlanSucceeded', by: BY }], clearHold);
  if (!saved) return stay('busy', 'plan changed meanwhile');
  try {
    await deps.recordCluster?.(cluster);
  } catch (e) {
    deps.log.warn(
      `runner: plan ${plan.id} succeeded; storing ${plan.cluster.name}: ${ensureError(e).message}`,
    );
  }
  return { outcome: 'succeeded', closed: true };
}

/** Who may approve runner actions on a plan: the plan's approvers, else the ring's (policy). */
export function actionApprovers(policy: Policy, plan: Plan): string[] {
  const list =
    plan.gate.approvers.length > 0 ? plan.gate.approvers : allowedApprovers(policy, plan.cluster.ring);
  return [...new Set([...list, ...plan.gate.secondary])].filter(
    (a) => a.toLowerCase() !== plan.initiator.toLowerCase(),
  );
}

/** One notice per approver with a signed "approve force upgrade" link (the block's own approval). */
function forceUpgradeNotices(deps: RunnerDeps, plan: Plan, now: Date): Notice[] {
  const block = plan.blocked;
  if (block === undefined) return [];
  return actionApprovers(deps.policy, plan).flatMap((approver): Notice[] => {
    const token = signPlanAction('force-upgrade', plan, approver, deps.keys, now);
    if (token === undefined) return [];
    const url = `${deps.baseUrl}/api/plan-actions/${encodeURIComponent(plan.id)}/force-upgrade?token=${token}`;
    return [
      {
        kind: 'plan-blocked',
        key: `plan:${plan.id}:${block.requestId}:force-upgrade`,
        severity: 'critical',
        title: `${planTitle(plan)}: blocked, force upgrade needs your approval`,
        summary:
          `AKS refused the control-plane upgrade: deprecated APIs were used recently (${block.deprecatedApis.join(', ') || 'see the plan'}). ` +
          'Migrate the callers and wait for AKS to stop seeing them (up to 12 h), or approve a force upgrade: those API calls will fail after it.',
        facts: [
          { label: 'Cluster', value: plan.cluster.name },
          { label: 'Upgrade', value: `${plan.from} → ${plan.to}` },
          { label: 'Deprecated APIs', value: block.deprecatedApis.join(', ') || 'see the plan' },
        ],
        actions: [{ label: 'Review force upgrade', url, style: 'destructive' }],
        audience: ['oncall'],
        cluster: noticeCluster(plan),
        planId: plan.id,
        recipient: approver,
        at: now.toISOString(),
      },
    ];
  });
}

function autoUpgradeNotice(plan: Plan, channel: string, reason: string, now: Date): Notice {
  return {
    kind: 'auto-upgrade-conflict',
    key: `auto-upgrade-conflict:${plan.id}:${channel}`,
    severity: 'warning',
    title: `${plan.cluster.name}: AKS auto-upgrade (${channel}) bypasses approval`,
    summary: `${reason} Set the cluster's auto-upgrade channel to none (az aks update --auto-upgrade-channel none).`,
    facts: [
      { label: 'Cluster', value: plan.cluster.name },
      { label: 'Ring', value: plan.cluster.ring },
      { label: 'Auto-upgrade channel', value: channel },
      { label: 'Plan', value: planTitle(plan) },
    ],
    actions: [],
    audience: ['oncall', 'owners', 'platform'],
    cluster: noticeCluster(plan),
    planId: plan.id,
    at: now.toISOString(),
  };
}

export const FORCE_UPGRADE_FOR_MS = FORCE_UNTIL_MS;

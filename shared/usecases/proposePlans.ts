import type { AksEvent } from '../domain/aksEvents';
import { announcedVersions } from '../domain/aksEvents';
import type { ClusterRef } from '../domain/armId';
import type { ClusterSnapshot, NodePoolSnapshot } from '../domain/cluster';
import type { UpgradeKind } from '../domain/maintenanceConfiguration';
import { policySchedule, selectSchedule } from '../domain/maintenanceConfiguration';
import { describeSchedule, nextStartableWindow } from '../domain/maintenanceWindow';
import type { Notice } from '../domain/notice';
import type {
  By,
  Finding,
  Plan,
  PlanClass,
  PlanEvent,
  PlanGate,
  PlanWindow,
  TransitionResult,
  Urgency,
} from '../domain/plan';
import { classOf, NOT_STARTED, planCluster, planTitle, windowKey } from '../domain/plan';
import { proposePlan, transition } from '../domain/planTransition';
import type { Policy } from '../domain/policy';
import { allowedApprovers, isGated } from '../domain/policy';
import type { PlanPreflight } from '../domain/preflight';
import { unreadReport } from '../domain/preflightChecks';
import type { PromotionEvidence } from '../domain/promotion';
import { needsLowerRingClusters, promotionEvidence } from '../domain/promotion';
import { previousRing } from '../domain/rings';
import type { UpgradeTarget } from '../domain/targeting';
import { compareNodeImages, nodeImageTarget, versionTarget } from '../domain/targeting';
import type { RegionVersions } from '../domain/versions';
import { compareVersions, parseVersion } from '../domain/versions';
import { TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import { formatAt } from '../notify/templates/common';
import type { StoredPlan } from '../store/planStore';
import { OpenPlanExistsError, StalePlanError } from '../store/planStore';
import type { EventReaction } from './ingestEvents';
import type { PlanCommandDeps } from './planCommands';
import { applyPlanEvent, relayQuietly, toCommit } from './planCommands';
import type { Preflight } from './preflight';

/** Everything plan creation needs. */
export interface PlanningDeps extends PlanCommandDeps {
  readonly policy: Policy;
  readonly newId: () => string;
  /** Pre-flight for new plans and before an approval request (absent: plans carry no report). */
  readonly preflight?: Pick<Preflight, 'check'>;
}

/** Reads what Warden knows of a cluster and a region (the sweep's cluster store, or ARM). */
export interface FleetReader {
  cluster(ref: ClusterRef): Promise<ClusterSnapshot | undefined>;
  /** The compliance findings stored with a snapshot this reader returned (shown on the approval page). */
  findings?(snapshot: ClusterSnapshot): readonly Finding[];
  /**
   * The region's versions. `announced`: versions an event says the region offers; a read that does
   * not list one of them is refreshed before the answer (a release is planned when announced).
   */
  regionVersions(
    subscriptionId: string,
    location: string,
    announced?: readonly string[],
  ): Promise<RegionVersions | undefined>;
}

export interface ProposeOptions {
  readonly by: By;
  readonly reason: string;
  readonly urgency?: Urgency;
  readonly deadline?: string;
  /** The newest node image for a pool; node-image plans are proposed only when given. */
  readonly latestNodeImage?: (pool: NodePoolSnapshot) => string | undefined;
  readonly findings?: readonly Finding[];
  /** Record the version the cluster runs as fleet history for promotion (default true; one idempotent write). */
  readonly observe?: boolean;
}

export interface ProposeOutcome {
  readonly planClass: PlanClass;
  readonly outcome: 'created' | 'superseded' | 'unchanged' | 'window-changed' | 'busy' | 'up-to-date';
  readonly planId?: string;
  readonly status?: Plan['status'];
}

/** The window a plan will run in: the cluster's AKS configuration, else the policy's window for the ring. */
export function planWindow(
  snapshot: ClusterSnapshot,
  kind: UpgradeKind,
  policy: Policy,
  now: Date,
): PlanWindow {
  let source: PlanWindow['source'] = 'none';
  let schedule;
  try {
    const selected = selectSchedule(snapshot.maintenanceConfigurations, kind);
    if (selected) {
      schedule = selected.schedule;
      source = 'aks';
    }
  } catch (e) {
    // An applicable AKS configuration Warden cannot read means closed, never the policy window instead
    // (docs/design/runner.md §2): the runner starts nothing, and compliance reports the configuration.
    return {
      source: 'aks',
      description: `closed: unreadable maintenance configuration (${e instanceof Error ? e.message : String(e)})`,
    };
  }
  const fallback = policy.windows[snapshot.ring];
  if (schedule === undefined && fallback !== undefined) {
    schedule = policySchedule(fallback, `policy.windows.${snapshot.ring}`);
    source = 'policy';
  }
  if (schedule === undefined)
    return { source: 'none', description: 'any time (no maintenance window configured)' };
  const next = nextStartableWindow(schedule, now, policy.minimumWindowRemainingMs);
  return {
    source,
    description: describeSchedule(schedule),
    ...(next !== undefined && { start: next.start.toISOString(), end: next.end.toISOString() }),
  };
}

/** Who gets the links: the ring's on-call list, kept to those allowed to approve. */
export function planGate(policy: Policy, snapshot: Pick<ClusterSnapshot, 'ring'>): PlanGate {
  const ring = snapshot.ring;
  const allowed = new Set(allowedApprovers(policy, ring));
  const route = policy.routes[ring];
  let primary = route.email.filter((e) => allowed.has(e));
  if (primary.length === 0) primary = [...allowed].filter((e) => !route.secondary.email.includes(e));
  const secondary = route.secondary.email.filter((e) => allowed.has(e) && !primary.includes(e));
  return {
    gated: isGated(policy, ring),
    required: policy.approvals.required[ring],
    autoExecute: policy.autoExecute[ring],
    expiryMs: policy.approvals.expiryMs,
    reminderAt: policy.approvals.reminderAt,
    escalateAt: policy.approvals.escalateAt,
    approvers: primary,
    secondary,
    ...(policy.waves !== undefined && isGated(policy, ring) && { waves: true }),
  };
}

function sameTarget(plan: Plan, target: UpgradeTarget): boolean {
  return (
    plan.to === target.to && (plan.nodeImage ?? '') === (target.nodeImage ?? '') && plan.kind === target.kind
  );
}

function newer(target: UpgradeTarget, plan: Plan): boolean {
  if (target.kind === 'node-image')
    return compareNodeImages(target.nodeImage ?? '', plan.nodeImage ?? '') > 0;
  return compareVersions(target.to, plan.to) > 0;
}

/**
 * How old a new plan's promotion reads may be when they hold it back. A release proposes thousands of
 * plans in a few minutes, and each one's check would read every plan to the version in the ring below
 * (a partition that grows with the release): reading it again for each plan costs the square of the
 * fleet. A read this recent serves instead, but only for an answer of "not yet": the approval timer
 * checks every proposed plan again every 15 s with fresh reads, and an answer that lets a plan through
 * is always read fresh.
 */
export const PROPOSAL_EVIDENCE_MAX_AGE_MS = 30_000;

/**
 * Promotion evidence for a plan's target in its ring (node images are not promoted between rings).
 * `maxAgeMs` lets reads that recent serve an answer that holds the plan back ({@link ringRead}).
 */
export async function evidenceFor(
  deps: PlanningDeps,
  plan: Plan,
  now: Date,
  options: { readonly maxAgeMs?: number } = {},
): Promise<PromotionEvidence> {
  const ring = plan.cluster.ring;
  if (plan.kind === 'node-image') {
    return {
      ring,
      version: plan.nodeImage ?? '',
      allowed: true,
      reason: 'node images are not promoted between rings',
      soakMs: 0,
      plans: [],
      checkedAt: now.toISOString(),
    };
  }
  const lower = previousRing(ring);
  if (lower === undefined) return promotionEvidence(ring, plan.to, [], deps.policy.soakMs[ring], now);
  const decide = async (maxAgeMs: number): Promise<PromotionEvidence> => {
    const records = await ringRead(deps.plans, `plans|${lower}|${plan.to}`, maxAgeMs, () =>
      deps.plans.ringPlans(lower, plan.to),
    );
    // What the whole lower ring runs is read only when its plans to the version leave the question open.
    const lowerRingClusters = needsLowerRingClusters(lower, plan.to, records)
      ? await ringRead(deps.plans, `clusters|${lower}`, maxAgeMs, () => deps.plans.ringClusters(lower))
      : undefined;
    return promotionEvidence(ring, plan.to, records, deps.policy.soakMs[ring], now, {
      ...(lowerRingClusters !== undefined && { lowerRingClusters }),
    });
  };
  const maxAgeMs = options.maxAgeMs ?? 0;
  const evidence = await decide(maxAgeMs);
  return evidence.allowed && maxAgeMs > 0 ? decide(0) : evidence;
}

/** A promotion read, when it started (monotonic ms) and whether it has answered. */
interface RingReadEntry {
  readonly promise: Promise<unknown>;
  readonly startedAt: number;
  settled: boolean;
}

/** Promotion reads per plan store: in flight, or answered (kept for callers that accept an older one). */
const ringReads = new WeakMap<object, Map<string, RingReadEntry>>();

/** Distinct reads kept per store; past it the oldest go (a ring and version each, so rarely reached). */
const RING_READS_KEPT = 500;

/**
 * Runs `read`, or joins the same read another caller started and has not finished yet (a release's
 * burst of events for one ring reads its evidence once per round trip, not once per event). With
 * `maxAgeMs`, an answered read that started at most that long ago serves too; with 0, nothing answered
 * serves, so the answer is never older than a read started before the caller arrived. A failed read
 * serves nobody after it.
 */
function ringRead<T>(store: object, key: string, maxAgeMs: number, read: () => Promise<T>): Promise<T> {
  let reads = ringReads.get(store);
  if (reads === undefined) ringReads.set(store, (reads = new Map<string, RingReadEntry>()));
  const at = performance.now();
  const kept = reads.get(key);
  const serves = kept !== undefined && (!kept.settled || (maxAgeMs > 0 && at - kept.startedAt <= maxAgeMs));
  if (serves) return kept.promise as Promise<T>;
  const entry: RingReadEntry = { promise: read(), startedAt: at, settled: false };
  entry.promise.then(
    () => (entry.settled = true),
    () => {
      if (reads.get(key) === entry) reads.delete(key);
    },
  );
  reads.delete(key);
  reads.set(key, entry);
  if (reads.size > RING_READS_KEPT) reads.delete(reads.keys().next().value as string);
  return entry.promise as Promise<T>;
}

/** The promotion event for a proposed plan, or undefined when nothing changed since the last check. */
export function promotionEvent(
  plan: Plan,
  evidence: PromotionEvidence,
  requestId: string,
  by: By,
): PlanEvent | undefined {
  if (plan.status !== 'proposed') return undefined;
  if (evidence.allowed) {
    // Auto-execute off keeps a satisfied plan proposed; no need to say so again.
    if (plan.evidence?.allowed === true) return undefined;
    return { type: 'PromotionSatisfied', evidence, requestId, by };
  }
  const same =
    plan.evidence !== undefined &&
    !plan.evidence.allowed &&
    JSON.stringify(plan.evidence.plans) === JSON.stringify(evidence.plans) &&
    (evidence.firstSuccessAt === undefined) === (plan.evidence.firstSuccessAt === undefined);
  return same ? undefined : { type: 'PromotionPending', evidence, by };
}

/**
 * Proposes the plans a cluster needs now (the sweep and the event reactions call this).
 *
 * 1. Target: the control-plane/pool version plan and, when node images are known, the node-image plan.
 * 2. Read the cluster's open plans (one partition query).
 * 3. Per class: same target open → raise its urgency if needed; a started plan → leave it; an older
 *    target not started → supersede it; nothing open → create.
 * 4. A new plan is checked for promotion at once: approved by policy, sent for approval, or left
 *    proposed until the lower ring's evidence exists (the approval timer checks again).
 * 5. Plan, audit, pointer and notices commit in one transaction per cluster; a concurrent creator
 *    loses on the pointer and this call answers `unchanged`.
 */
export async function proposePlansForCluster(
  deps: PlanningDeps,
  snapshot: ClusterSnapshot,
  region: RegionVersions | undefined,
  now: Date,
  options: ProposeOptions,
): Promise<ProposeOutcome[]> {
  const targets: UpgradeTarget[] = [];
  const version = region
    ? versionTarget(snapshot, region, {
        allowPreview: deps.policy.allowPreview,
        poolOrder: deps.policy.poolOrder,
      })
    : undefined;
  if (version) targets.push(version);
  const image = options.latestNodeImage
    ? nodeImageTarget(snapshot, options.latestNodeImage, deps.policy.poolOrder)
    : undefined;
  if (image) targets.push(image);
  const [open] = await Promise.all([
    deps.plans.openFor(snapshot.key),
    options.observe === false
      ? Promise.resolve()
      : deps.plans.observe(snapshot.ring, snapshot.kubernetesVersion, snapshot.key, snapshot.name, now),
  ]);
  const outcomes: ProposeOutcome[] = [];
  for (const planClass of ['version', 'node-image'] as const) {
    const target = targets.find((t) => classOf(t.kind) === planClass);
    const existing = open.find((o) => classOf(o.plan.kind) === planClass);
    if (!target) {
      if (
        existing &&
        planClass === 'version' &&
        (await closeIfReached(deps, existing.plan, snapshot, now, options))
      ) {
        outcomes.push({ planClass, outcome: 'up-to-date', planId: existing.plan.id, status: 'cancelled' });
        continue;
      }
      if (region !== undefined || planClass === 'node-image')
        outcomes.push({ planClass, outcome: existing ? 'unchanged' : 'up-to-date' });
      continue;
    }
    outcomes.push(await proposeOne(deps, snapshot, target, existing, now, options));
  }
  // Transitions of existing plans relay their own notices (applyPlanEvent); only a new plan's wait here.
  if (outcomes.some((o) => o.outcome === 'created' || o.outcome === 'superseded')) {
    await relayQuietly(deps, snapshot.key);
  }
  return outcomes;
}

async function proposeOne(
  deps: PlanningDeps,
  snapshot: ClusterSnapshot,
  target: UpgradeTarget,
  existing: StoredPlan | undefined,
  now: Date,
  options: ProposeOptions,
): Promise<ProposeOutcome> {
  const planClass = classOf(target.kind);
  if (existing && (sameTarget(existing.plan, target) || !newer(target, existing.plan))) {
    await raiseUrgency(deps, existing.plan, options, now);
    const windowChanged = await followWindow(deps, existing.plan, snapshot, now, options);
    return {
      planClass,
      outcome: windowChanged ? 'window-changed' : 'unchanged',
      planId: existing.plan.id,
      status: existing.plan.status,
    };
  }
  if (existing && !NOT_STARTED.includes(existing.plan.status)) {
    return { planClass, outcome: 'busy', planId: existing.plan.id, status: existing.plan.status };
  }

  const id = deps.newId();
  const created = proposePlan(
    {
      id,
      cluster: planCluster(snapshot),
      kind: target.kind,
      from: target.from,
      to: target.to,
      ...(target.nodeImage !== undefined && { nodeImage: target.nodeImage }),
      steps: target.steps,
      gate: planGate(deps.policy, snapshot),
      window: planWindow(snapshot, target.kind, deps.policy, now),
      findings: options.findings ?? [],
      urgency: options.urgency ?? 'normal',
      ...(options.deadline !== undefined && { deadline: options.deadline }),
      reason: options.reason,
      initiator: 'warden',
      by: options.by,
    },
    now,
  );
  const checked = await withPreflight(deps, created, now);
  const results: TransitionResult[] = [checked];
  const evidence = await evidenceFor(deps, checked.plan, now, { maxAgeMs: PROPOSAL_EVIDENCE_MAX_AGE_MS });
  const promotion = promotionEvent(checked.plan, evidence, deps.newId(), {
    actor: 'warden',
    source: options.by.source,
  });
  if (promotion) results.push(transition(checked.plan, promotion, now));
  const { commit } = toCommit(deps.links, results);

  let supersede;
  if (existing) {
    const closed = transition(
      existing.plan,
      { type: 'Superseded', supersededBy: id, newTarget: target.nodeImage ?? target.to, by: options.by },
      now,
    );
    supersede = { previous: existing, commit: toCommit(deps.links, [closed]).commit };
  }
  try {
    await deps.plans.create(commit, supersede);
  } catch (e) {
    // Someone else created or changed this cluster's plan meanwhile: theirs stands; the next event or sweep looks again.
    if (e instanceof OpenPlanExistsError || e instanceof StalePlanError) {
      deps.log.info(
        `plan for ${snapshot.name} (${planClass}) was created concurrently; keeping the other one`,
      );
      return { planClass, outcome: 'unchanged' };
    }
    throw e;
  }
  deps.log.info(`plan ${id} ${planTitle(commit.plan)} (${commit.plan.status})`);
  return { planClass, outcome: existing ? 'superseded' : 'created', planId: id, status: commit.plan.status };
}

/**
 * A new gated plan with its pre-flight report, however it was proposed (an event, the sweep), so that
 * the approval request it may send at once carries the verdict. Pre-flight answers `unknown` for a
 * fact it cannot read; when the check itself throws, the plan carries a report whose every check is
 * `unknown` with the reason (logged), and the proposal goes on: a pre-flight never fails a sweep.
 */
async function withPreflight(
  deps: PlanningDeps,
  created: TransitionResult,
  now: Date,
): Promise<TransitionResult> {
  // Plans approved by policy are checked by the runner before each step; only a gated plan is shown to a person.
  if (deps.preflight === undefined || !created.plan.gate.gated) return created;
  let report: PlanPreflight;
  try {
    report = await deps.preflight.check(created.plan);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    deps.log.warn(`pre-flight for ${created.plan.cluster.name} could not run: ${reason}`);
    report = unreadReport(reason, deps.policy.preflight.block[created.plan.cluster.ring], now);
  }
  return { ...created, plan: { ...created.plan, preflight: report } };
}

/**
 * A version plan not yet started whose target the cluster already runs everywhere (control plane and
 * every pool; upgraded outside Warden) has nothing left to do: it is cancelled, saying so.
 */
async function closeIfReached(
  deps: PlanningDeps,
  plan: Plan,
  snapshot: ClusterSnapshot,
  now: Date,
  options: ProposeOptions,
): Promise<boolean> {
  const reached = (v: string): boolean => parseVersion(v) !== undefined && compareVersions(v, plan.to) >= 0;
  if (
    !NOT_STARTED.includes(plan.status) ||
    parseVersion(plan.to) === undefined ||
    !reached(snapshot.kubernetesVersion) ||
    !snapshot.nodePools.every((p) => reached(p.orchestratorVersion))
  )
    return false;
  const applied = await applyPlanEvent(
    deps,
    plan.id,
    (p) =>
      NOT_STARTED.includes(p.status)
        ? {
            type: 'Cancelled',
            reason: `${snapshot.name} already runs ${snapshot.kubernetesVersion}: upgraded outside Warden`,
            by: options.by,
          }
        : undefined,
    () => now,
  );
  return applied !== undefined;
}

/**
 * An open plan not yet started follows its cluster's maintenance window. A different schedule voids
 * any approval bound to the old one: a gated plan is asked for again (the state machine's WindowChanged).
 */
async function followWindow(
  deps: PlanningDeps,
  plan: Plan,
  snapshot: ClusterSnapshot,
  now: Date,
  options: ProposeOptions,
): Promise<boolean> {
  if (plan.kind === 'fleet-gate' || !NOT_STARTED.includes(plan.status)) return false;
  const window = planWindow(snapshot, plan.kind, deps.policy, now);
  if (windowKey(window) === windowKey(plan.window)) return false;
  const applied = await applyPlanEvent(
    deps,
    plan.id,
    (p) =>
      NOT_STARTED.includes(p.status) && windowKey(window) !== windowKey(p.window)
        ? { type: 'WindowChanged', window, requestId: deps.newId(), by: options.by }
        : undefined,
    () => now,
  );
  return applied !== undefined;
}

async function raiseUrgency(
  deps: PlanningDeps,
  plan: Plan,
  options: ProposeOptions,
  now: Date,
): Promise<void> {
  const order: Record<Urgency, number> = { normal: 0, high: 1, critical: 2 };
  const urgency = options.urgency ?? 'normal';
  const earlier =
    options.deadline !== undefined && (plan.deadline === undefined || options.deadline < plan.deadline);
  if (order[urgency] <= order[plan.urgency] && !earlier) return;
  await applyPlanEvent(
    deps,
    plan.id,
    (p) =>
      NOT_STARTED.includes(p.status) || p.status === 'running'
        ? {
            type: 'UrgencyRaised',
            urgency,
            ...(options.deadline !== undefined && { deadline: options.deadline }),
            reason: options.reason,
            by: options.by,
          }
        : undefined,
    () => now,
  );
}

/** Days of notice AKS gives before a version's support ends; the deadline Warden plans against. */
const SUPPORT_ENDING_NOTICE_DAYS = 30;

/**
 * The intake reaction: NewKubernetesVersionAvailable proposes plans; ClusterSupportEnding / Ended
 * propose them urgently with a deadline, and tell on-call and the owners. Idempotent: a redelivery
 * finds the open plan with the same target and the notice key already in the outbox.
 *
 * Storage per event, steady state (plan already open): cluster read + region read (the fleet reader's)
 * + one partition query of open plans.
 */
export function planningReaction(
  getDeps: () => PlanningDeps & {
    readonly fleet: FleetReader;
    readonly outbox?: Pick<Outbox, 'enqueue'>;
    readonly now: () => Date;
  },
): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    const kind = event.data.kind;
    if (
      kind !== 'NewKubernetesVersionAvailable' &&
      kind !== 'ClusterSupportEnding' &&
      kind !== 'ClusterSupportEnded'
    )
      return;
    const deps = { ...getDeps(), log };
    const now = deps.now();
    for (const ref of event.clusters) {
      let snapshot: ClusterSnapshot | undefined;
      let region: RegionVersions | undefined;
      try {
        snapshot = await deps.fleet.cluster(ref);
        region = snapshot
          ? await deps.fleet.regionVersions(
              snapshot.subscriptionId,
              snapshot.location,
              announcedVersions(event.data),
            )
          : undefined;
      } catch (e) {
        throw new TransientError(`could not read cluster ${ref.name} for planning`, { cause: e });
      }
      if (!snapshot) {
        log.info(`planning: cluster ${ref.name} is not in the fleet store; nothing planned from this event`);
        continue;
      }
      const by: By = { actor: 'warden', source: { kind: 'event', eventId: event.id, eventType: kind } };
      const urgent =
        kind === 'ClusterSupportEnded'
          ? { urgency: 'critical' as const, deadline: now.toISOString() }
          : kind === 'ClusterSupportEnding'
            ? {
                urgency: 'high' as const,
                deadline: new Date(
                  Date.parse(event.time) + SUPPORT_ENDING_NOTICE_DAYS * 86_400_000,
                ).toISOString(),
              }
            : {};
      const reason = `${kind} (event ${event.id})`;
      try {
        await proposePlansForCluster(deps, snapshot, region, now, {
          by,
          reason,
          findings: (deps.fleet.findings?.(snapshot) ?? []).map((f) => ({
            severity: f.severity,
            message: f.message,
          })),
          ...urgent,
        });
      } catch (e) {
        throw new TransientError(`could not plan ${ref.name}`, { cause: e });
      }
      if (kind !== 'NewKubernetesVersionAvailable' && deps.outbox) {
        await deps.outbox.enqueue([supportNotice(snapshot, kind, event, urgent.deadline ?? '')], now);
      }
    }
  };
}

function supportNotice(
  snapshot: ClusterSnapshot,
  kind: 'ClusterSupportEnding' | 'ClusterSupportEnded',
  event: AksEvent,
  deadline: string,
): Notice {
  const version = event.data.kind === kind ? event.data.kubernetesVersion : snapshot.kubernetesVersion;
  const ended = kind === 'ClusterSupportEnded';
  return {
    kind: ended ? 'support-ended' : 'support-ending',
    key: `${ended ? 'support-ended' : 'support-ending'}:${snapshot.key}:${version}`,
    severity: ended ? 'critical' : 'warning',
    title: `${snapshot.name}: Kubernetes ${version} support ${ended ? 'has ended' : 'is ending'}`,
    summary: ended
      ? `AKS no longer supports ${version} on ${snapshot.name}. Warden planned an urgent upgrade; approve it now.`
      : `AKS support for ${version} on ${snapshot.name} ends soon. Warden planned an upgrade with a deadline of ${formatAt(deadline)}.`,
    facts: [
      { label: 'Cluster', value: snapshot.name },
      { label: 'Ring', value: snapshot.ring },
      { label: 'Version', value: version },
      { label: 'Deadline', value: formatAt(deadline) },
    ],
    actions: [],
    audience: ended ? ['oncall', 'oncall-secondary', 'owners'] : ['oncall', 'owners'],
    cluster: { id: snapshot.id, name: snapshot.name, ring: snapshot.ring, tags: snapshot.tags },
    at: event.time,
  };
}

import type { Plan, PlanStatus } from './plan';
import { windowKey } from './plan';
import type { Ring } from './rings';
import type { PlanKind } from './targeting';
import { minorOf } from './versions';

/**
 * Waves: gated plans that share a ring, a kind, a from-minor, a target and a window (the policy's
 * `waves.by`, optionally a tag's value too) are asked for together, one request per approver, and
 * decided with one decision. A wave is a decision over several plans, not a second approval system:
 * every plan keeps its own approval round (quorum, expiry, allow-list, initiator), and a wave decision
 * is applied to each plan as that plan's own `ApprovalGranted` / `ApprovalRejected`, naming the wave.
 * Each plan stays bound to what it was when its wave was asked (`WaveMember.revision`): one that
 * changed since is left out of the decision and asked again on its own.
 */

/** What plans of one wave share besides their ring, as the policy's `waves.by` names them. */
export const WAVE_FIELDS = ['kind', 'fromMinor', 'target', 'window'] as const;
export type WaveField = (typeof WAVE_FIELDS)[number];

export const DEFAULT_WAVE_FIELDS: readonly WaveField[] = WAVE_FIELDS;
/** Large enough for a region's production clusters, small enough to read on one page. */
export const DEFAULT_WAVE_LARGEST = 50;

export interface WavePolicy {
  readonly by: readonly WaveField[];
  /** Also group by this tag's value (e.g. `team`: one wave per team); a plan without it groups with those without. */
  readonly tag?: string;
  /** The most plans in one wave; a larger group is split into waves of near-equal size. */
  readonly largest: number;
}

/** What the plans of a wave have in common (the fields the policy does not group by are absent). */
export interface WaveGroup {
  readonly ring: Ring;
  readonly kind?: PlanKind;
  readonly fromMinor?: string;
  /** Target version, or the node image of node-image plans. */
  readonly target?: string;
  /** The window's schedule, as people read it. */
  readonly window?: string;
  readonly tag?: { readonly name: string; readonly value: string };
}

/** A plan in a wave, bound to what it was when the wave was asked. */
export interface WaveMember {
  readonly planId: string;
  readonly clusterKey: string;
  readonly clusterName: string;
  readonly round: number;
  readonly requestId: string;
  /** What an approval of the plan is bound to: see {@link planRevision}. */
  readonly revision: string;
}

export interface Wave {
  readonly id: string;
  readonly group: WaveGroup;
  readonly members: readonly WaveMember[];
  readonly createdAt: string;
  /** Random id every link of this wave carries. */
  readonly requestId: string;
  /** The earliest expiry of its plans' requests: the wave's links live no longer. */
  readonly expiresAt: string;
  /** Everyone asked (the union of its plans' approvers), secondary added on escalation. */
  readonly approvers: readonly string[];
  readonly secondary: readonly string[];
  readonly reminderAt: number;
  readonly escalateAt: number;
  /** `forming` until every member was marked as asked in it and the requests went out. */
  readonly status: 'forming' | 'asked';
  readonly askedAt?: string;
  readonly remindedAt?: string;
  readonly escalatedAt?: string;
}

/** One approver's decision over a wave: recorded once, then applied to each plan (safe to re-run). */
export interface WaveDecision {
  readonly waveId: string;
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly comment: string;
  /** Plans the approver left out: not decided by this decision, asked again on their own. */
  readonly leftOut: readonly string[];
  readonly at: string;
  /** Set once every plan of the wave was handled. */
  readonly appliedAt?: string;
  readonly outcome?: WaveOutcome;
}

/** What a wave decision did to each plan. */
export interface WaveOutcome {
  readonly decided: readonly string[];
  readonly leftOut: readonly string[];
  /** Plans the decision could not apply to, with why (changed, closed, not allowed for this approver). */
  readonly skipped: readonly { readonly planId: string; readonly reason: string }[];
}

/** The reference a plan's audit trail carries for a wave decision. */
export const waveDecisionRef = (waveId: string, approver: string): string => `${waveId}/${approver}`;

/** A plan's change as its wave lists it: `1.35.6 → 1.35.8`, or the node image. */
function targetOf(plan: Pick<Plan, 'kind' | 'to' | 'nodeImage'>): string {
  return plan.kind === 'node-image' ? (plan.nodeImage ?? '') : plan.to;
}

/**
 * What an approval of a plan is bound to: kind, versions, node image, window schedule, steps, the
 * approval round and the pre-flight verdict. Not the ETag itself: reminders, escalation and the wave's
 * own decisions move the ETag without changing what is approved.
 */
export function planRevision(plan: Plan): string {
  return [
    plan.kind,
    plan.from,
    plan.to,
    plan.nodeImage ?? '',
    windowKey(plan.window),
    plan.steps.map((s) => `${s.kind}:${s.kind === 'control-plane' ? '' : s.pool}:${s.to}`).join(','),
    plan.approval?.round ?? 0,
    plan.approval?.requestId ?? '',
    plan.preflight?.verdict ?? 'none',
  ].join('|');
}

export function waveMember(plan: Plan): WaveMember {
  return {
    planId: plan.id,
    clusterKey: plan.cluster.key,
    clusterName: plan.cluster.name,
    round: plan.approval?.round ?? 0,
    requestId: plan.approval?.requestId ?? '',
    revision: planRevision(plan),
  };
}

/**
 * Why a wave decision cannot apply to this plan any more, or undefined while it is bound to the wave as
 * it was asked: still awaiting this round's decision, still in this wave, not changed since.
 */
export function bindingProblem(member: WaveMember, plan: Plan, waveId: string): string | undefined {
  if (plan.status !== 'awaiting-approval') return `it is ${plan.status as PlanStatus}`;
  const a = plan.approval;
  if (a === undefined || a.round !== member.round || a.requestId !== member.requestId)
    return 'its request was replaced since the wave was asked (window or target changed)';
  if (a.wave !== waveId) return 'it was asked again on its own';
  if (planRevision(plan) !== member.revision)
    return 'it changed since the wave was asked (target, window, steps or pre-flight verdict)';
  return undefined;
}

function tagValue(tags: Readonly<Record<string, string>>, name: string): string {
  return Object.entries(tags).find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1] ?? '';
}

/** The wave a plan belongs in under the policy: what it shares with the others of its wave. */
export function waveGroup(plan: Plan, policy: WavePolicy): WaveGroup {
  const by = new Set(policy.by);
  return {
    ring: plan.cluster.ring,
    ...(by.has('kind') && { kind: plan.kind }),
    ...(by.has('fromMinor') && { fromMinor: minorOf(plan.from) }),
    ...(by.has('target') && { target: targetOf(plan) }),
    ...(by.has('window') && { window: plan.window?.description ?? 'any time' }),
    ...(policy.tag !== undefined && {
      tag: { name: policy.tag, value: tagValue(plan.cluster.tags, policy.tag) },
    }),
  };
}

const groupKey = (plan: Plan, policy: WavePolicy): string =>
  JSON.stringify([waveGroup(plan, policy), policy.by.includes('window') ? windowKey(plan.window) : '']);

/** A plan whose request waits for its wave: gated in waves, awaiting approval, not asked yet this round. */
export function waitsForWave(plan: Plan): boolean {
  return (
    plan.gate.waves === true &&
    plan.kind !== 'fleet-gate' &&
    plan.status === 'awaiting-approval' &&
    plan.approval !== undefined &&
    plan.approval.askedAt === undefined
  );
}

/**
 * Groups the plans that wait for their wave: same group under the policy, in cluster-name order, a
 * group larger than `largest` split into near-equal waves (120 with 50 the largest: 40, 40, 40). A
 * wave of one is that plan asked on its own, as without waves.
 */
export function assembleWaves(plans: readonly Plan[], policy: WavePolicy): Plan[][] {
  const groups = new Map<string, Plan[]>();
  for (const plan of plans) {
    if (!waitsForWave(plan)) continue;
    const key = groupKey(plan, policy);
    const list = groups.get(key) ?? [];
    list.push(plan);
    groups.set(key, list);
  }
  const waves: Plan[][] = [];
  for (const list of groups.values()) {
    list.sort((a, b) => a.cluster.name.localeCompare(b.cluster.name) || a.id.localeCompare(b.id));
    const count = Math.ceil(list.length / policy.largest);
    const size = Math.ceil(list.length / count);
    for (let i = 0; i < list.length; i += size) waves.push(list.slice(i, i + size));
  }
  return waves;
}

/** The wave's one-line name: `3 production plans: patch 1.35 → 1.35.8 (team=payments)`. */
export function waveTitle(g: WaveGroup, size: number): string {
  const change = [
    g.kind,
    g.fromMinor !== undefined && g.target !== undefined
      ? `${g.fromMinor} → ${g.target}`
      : g.target !== undefined
        ? `→ ${g.target}`
        : g.fromMinor !== undefined
          ? `from ${g.fromMinor}`
          : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(' ');
  const tag = g.tag !== undefined && g.tag.value !== '' ? ` (${g.tag.name}=${g.tag.value})` : '';
  return `${size} ${g.ring} plans${change !== '' ? `: ${change}` : ''}${tag}`;
}

/** The wave's reminder or escalation that is due now, as a plan's own would be (same fractions). */
export function waveTimerDue(
  wave: Pick<
    Wave,
    'status' | 'askedAt' | 'expiresAt' | 'remindedAt' | 'escalatedAt' | 'reminderAt' | 'escalateAt'
  >,
  now: Date,
): 'reminder' | 'escalation' | undefined {
  if (wave.status !== 'asked' || wave.askedAt === undefined) return undefined;
  const start = Date.parse(wave.askedAt);
  const end = Date.parse(wave.expiresAt);
  const t = now.getTime();
  if (t >= end) return undefined;
  if (wave.escalatedAt === undefined && t >= start + (end - start) * wave.escalateAt) return 'escalation';
  if (
    wave.remindedAt === undefined &&
    wave.escalatedAt === undefined &&
    t >= start + (end - start) * wave.reminderAt
  )
    return 'reminder';
  return undefined;
}

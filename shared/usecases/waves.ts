import { createHash } from 'node:crypto';

import type { Principal } from '../approvals/principal';
import type { ApprovalKeys } from '../approvals/tokens';
import { verifyToken } from '../approvals/tokens';
import type { WaveLinks } from '../approvals/waveLinks';
import { WAVE_CLAIM } from '../approvals/waveLinks';
import type { By, HttpOrigin, Plan, PlanEvent } from '../domain/plan';
import { decided } from '../domain/plan';
import type { Policy } from '../domain/policy';
import type { Wave, WaveDecision, WaveMember, WaveOutcome } from '../domain/wave';
import {
  assembleWaves,
  bindingProblem,
  waitsForWave,
  waveDecisionRef,
  waveGroup,
  waveMember,
  waveTimerDue,
} from '../domain/wave';
import { ConflictError, ValidationError } from '../errors';
import type { Outbox } from '../notify/outbox';
import type { StoredWave, StoredWaveDecision, WaveStore } from '../store/waveStore';
import type { LinkProblem } from './decideApproval';
import { checkAgainstPlan, clickBy, parseDecision, problemError } from './decideApproval';
import type { PlanCommandDeps } from './planCommands';
import { applyPlanEvent, relayQuietly } from './planCommands';

export interface WaveDeps extends PlanCommandDeps {
  readonly waves: WaveStore;
  readonly waveLinks: WaveLinks;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly policy: Policy;
  readonly keys: ApprovalKeys;
  readonly newId: () => string;
}

const TIMER_BY: By = { actor: 'warden', source: { kind: 'timer', name: 'approvalTimer' } };
/** Plans of one wave written at once: a 200-plan wave in ~25 rounds, without a storm on the account. */
const CONCURRENCY = 8;
/** A decision not applied this long after it was recorded was cut short (a crash): the timer finishes it. */
const RESUME_AFTER_MS = 60_000;

async function eachLimited<T, R>(items: readonly T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, items.length) }, worker));
  return out;
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A wave's id, from its members and their rounds: assembling the same plans again finds the same wave. */
function waveId(plans: readonly Plan[]): string {
  const h = createHash('sha256');
  for (const p of plans) h.update(`${p.id}:${p.approval?.requestId ?? ''};`);
  return `wave-${h.digest('base64url').slice(0, 20)}`;
}

function newWave(deps: WaveDeps, plans: readonly Plan[], now: Date): Wave {
  const first = plans[0];
  const policy = deps.policy.waves;
  if (first === undefined || policy === undefined)
    throw new Error('a wave needs plans and the policy’s waves');
  const expiresAt = Math.min(...plans.map((p) => Date.parse(p.approval?.expiresAt ?? now.toISOString())));
  return {
    id: waveId(plans),
    group: waveGroup(first, policy),
    members: plans.map(waveMember),
    createdAt: now.toISOString(),
    requestId: deps.newId(),
    expiresAt: new Date(expiresAt).toISOString(),
    approvers: [...new Set(plans.flatMap((p) => p.approval?.approvers ?? []))],
    secondary: [...new Set(plans.flatMap((p) => p.gate.secondary))],
    reminderAt: first.gate.reminderAt,
    escalateAt: first.gate.escalateAt,
    status: 'forming',
  };
}

export interface WaveTick {
  /** Waves asked (requests sent), plans asked on their own (no company), reminders and escalations sent. */
  readonly asked: number;
  readonly alone: number;
  readonly reminded: number;
  readonly resumed: number;
  readonly failed: number;
}

/**
 * The approval timer's wave work, after the plans' own (shared/usecases/planTimers.ts):
 *
 * 1. Open waves: finish one a crash left `forming`; send its reminder or escalation when due (one per
 *    approver, as a plan's own); finish a decision cut short; close it once it expired or nothing is
 *    left to decide.
 * 2. Plans awaiting their wave: grouped by the policy (`assembleWaves`). A wave of one is asked on its
 *    own; a larger one is written first (its id derived from its members), then each plan is marked as
 *    asked in it (its audit trail names the wave), then one request per approver goes out.
 */
export async function tickWaves(deps: WaveDeps, now: () => Date): Promise<WaveTick> {
  let asked = 0;
  let alone = 0;
  let reminded = 0;
  let resumed = 0;
  let failed = 0;
  for (const stored of await deps.waves.open()) {
    try {
      const w = stored.wave;
      if (w.status === 'forming') {
        await finishWave(deps, stored, now);
        asked++;
        continue;
      }
      for (const d of await deps.waves.decisions(w.id)) {
        if (
          d.decision.appliedAt === undefined &&
          now().getTime() - Date.parse(d.decision.at) >= RESUME_AFTER_MS
        ) {
          await applyWaveDecision(deps, w, d, undefined, now);
          resumed++;
        }
      }
      if (now().getTime() >= Date.parse(w.expiresAt) || !(await anyStillBound(deps, w))) {
        await deps.waves.close(w.id);
        continue;
      }
      const due = waveTimerDue(w, now());
      if (due !== undefined) {
        await remind(deps, stored, due, now());
        reminded++;
      }
    } catch (e) {
      failed++;
      deps.log.error(`wave ${stored.wave.id}: ${message(e)}`);
    }
  }
  const policy = deps.policy.waves;
  if (policy === undefined) return { asked, alone, reminded, resumed, failed };
  const awaiting = await deps.plans.openPlans(['awaiting-approval']);
  for (const group of assembleWaves(
    awaiting.map((s) => s.plan),
    policy,
  )) {
    try {
      // Nobody to ask: each plan on its own tells the platform team what to configure.
      const separately = group.length === 1 || group.every((p) => (p.approval?.approvers ?? []).length === 0);
      if (separately) {
        for (const plan of group)
          await applyPlanEvent(
            deps,
            plan.id,
            (current) =>
              waitsForWave(current)
                ? {
                    type: 'ApprovalAsked',
                    reason: group.length === 1 ? 'no other plan shares its wave' : 'nobody to ask in a wave',
                    by: TIMER_BY,
                  }
                : undefined,
            now,
          );
        alone += group.length;
        continue;
      }
      const stored = await deps.waves.create(newWave(deps, group, now()));
      await finishWave(deps, stored, now);
      asked++;
    } catch (e) {
      failed++;
      deps.log.error(`wave of ${group.length} plans: ${message(e)}`);
    }
  }
  return { asked, alone, reminded, resumed, failed };
}

async function memberPlans(deps: WaveDeps, wave: Wave): Promise<Map<string, Plan>> {
  const plans = await eachLimited(wave.members, (m) => deps.plans.get(m.planId));
  return new Map(plans.flatMap((s) => (s === undefined ? [] : [[s.plan.id, s.plan] as const])));
}

/** Whether any plan is still bound to the wave (awaiting a decision that the wave's links can give). */
async function anyStillBound(deps: WaveDeps, wave: Wave): Promise<boolean> {
  const plans = await memberPlans(deps, wave);
  return wave.members.some((m) => {
    const p = plans.get(m.planId);
    return p !== undefined && bindingProblem(m, p, wave.id) === undefined;
  });
}

/** Marks each member as asked in the wave (unless it changed meanwhile), then sends the requests. */
async function finishWave(deps: WaveDeps, stored: StoredWave, now: () => Date): Promise<void> {
  const w = stored.wave;
  const size = w.members.length;
  await eachLimited(w.members, (m) =>
    applyPlanEvent(
      deps,
      m.planId,
      (current): PlanEvent | undefined =>
        waitsForWave(current) &&
        current.approval?.round === m.round &&
        current.approval.requestId === m.requestId
          ? { type: 'ApprovalAsked', wave: { id: w.id, size }, reason: `asked in wave ${w.id}`, by: TIMER_BY }
          : undefined,
      now,
      { relay: false },
    ).catch((e: unknown) => deps.log.warn(`wave ${w.id}: plan ${m.planId} not asked in it: ${message(e)}`)),
  );
  const plans = await memberPlans(deps, w);
  const bound = w.members.flatMap((m) => {
    const p = plans.get(m.planId);
    return p !== undefined && p.approval?.wave === w.id ? [p] : [];
  });
  const at = now();
  const asked: Wave = { ...w, status: 'asked', askedAt: at.toISOString() };
  await deps.outbox.enqueue(deps.waveLinks.noticesFor(asked, bound, 'request', w.approvers), at);
  const saved = await deps.waves.save(stored, { status: 'asked', askedAt: asked.askedAt });
  if (saved === undefined)
    deps.log.warn(`wave ${w.id}: changed while it was asked; the next tick looks again`);
}

async function remind(
  deps: WaveDeps,
  stored: StoredWave,
  mode: 'reminder' | 'escalation',
  now: Date,
): Promise<void> {
  const w = stored.wave;
  const plans = await memberPlans(deps, w);
  const bound = w.members.flatMap((m) => {
    const p = plans.get(m.planId);
    return p !== undefined && bindingProblem(m, p, w.id) === undefined ? [p] : [];
  });
  const approvers = mode === 'escalation' ? [...new Set([...w.approvers, ...w.secondary])] : w.approvers;
  const decidedBy = new Set((await deps.waves.decisions(w.id)).map((d) => d.decision.approver));
  const pending = approvers.filter((a) => !decidedBy.has(a));
  const changes =
    mode === 'reminder' ? { remindedAt: now.toISOString() } : { escalatedAt: now.toISOString(), approvers };
  const saved = await deps.waves.save(stored, changes);
  if (saved === undefined) return;
  await deps.outbox.enqueue(deps.waveLinks.noticesFor(saved.wave, bound, mode, pending), now);
}

/** Why a wave link cannot be used, as the page or the JSON error shows it. */
export type WaveLinkCheck =
  | {
      readonly ok: true;
      readonly wave: Wave;
      readonly approver: string;
      readonly plans: ReadonlyMap<string, Plan>;
      readonly decisions: readonly WaveDecision[];
    }
  | ({ readonly ok: false; readonly wave?: Wave } & Omit<LinkProblem, 'plan'>);

const refuse = (
  status: LinkProblem['status'],
  title: string,
  detail: string,
  wave?: Wave,
): WaveLinkCheck => ({
  ok: false,
  status,
  title,
  detail,
  ...(wave !== undefined && { wave }),
});

/**
 * Checks a wave link without changing anything (the GET page), as a plan's link is checked: a token
 * signed by Warden (401), for this wave (403), which exists (404), not expired (401), of the wave's
 * request (409); the signed-in principal, when the policy asks for one, is the link's approver (401,
 * 403). What each plan allows (allow-list, initiator, decided already) is checked per plan.
 */
export async function checkWaveLink(
  deps: WaveDeps,
  waveId: string,
  token: string | undefined,
  principal: Principal | undefined,
  now: Date,
): Promise<WaveLinkCheck> {
  if (token === undefined || token.trim() === '')
    return refuse(400, 'No token', 'The link has no token; open it exactly as it was sent.');
  const verified = verifyToken(token.trim(), deps.keys, now);
  if (!verified.ok && verified.problem !== 'expired')
    return refuse(
      401,
      'This link is not valid',
      verified.problem === 'malformed'
        ? 'The token in the link is damaged or incomplete; open it exactly as it was sent.'
        : 'The token was altered or not issued by Warden.',
    );
  const claims = verified.claims;
  if (claims.planId !== waveId || claims.nodeImage !== WAVE_CLAIM)
    return refuse(403, 'This link is for something else', `It was issued for ${claims.planId}.`);
  const stored = await deps.waves.get(waveId);
  if (stored === undefined) return refuse(404, 'No such wave', `There is no wave ${waveId}.`);
  const wave = stored.wave;
  if (!verified.ok)
    return refuse(
      401,
      'This link has expired',
      `It could be used until ${wave.expiresAt}. Plans not decided by then expire; Warden asks again when they are proposed again.`,
      wave,
    );
  if (claims.requestId !== wave.requestId || wave.status !== 'asked')
    return refuse(409, 'This link belongs to another request', 'Use the newest link Warden sent.', wave);
  if (deps.policy.approvals.requireSignIn && principal === undefined)
    return {
      ok: false,
      status: 401,
      title: 'Sign in to decide',
      detail: `Approvers sign in with their work account before deciding. Sign in as ${claims.approver}, and the link opens again.`,
      signIn: true,
    };
  if (principal !== undefined && principal.name.toLowerCase() !== claims.approver)
    return refuse(
      403,
      'This link is for someone else',
      `You are signed in as ${principal.name}, but this link was sent to ${claims.approver}.`,
      wave,
    );
  const [plans, decisions] = await Promise.all([memberPlans(deps, wave), deps.waves.decisions(wave.id)]);
  return { ok: true, wave, approver: claims.approver, plans, decisions: decisions.map((d) => d.decision) };
}

export interface WaveDecisionCommand {
  readonly waveId: string;
  readonly token: string | undefined;
  readonly decision: string | undefined;
  readonly comment: string | undefined;
  /** Plan ids the approver left out; undefined: none. */
  readonly leaveOut?: readonly string[];
  /** Or the plan ids the approver kept (a page's checked boxes): every other member is left out. */
  readonly keep?: readonly string[];
  readonly principal?: Principal;
  readonly source: HttpOrigin;
}

export interface WaveDecisionResult {
  readonly wave: Wave;
  readonly decision: WaveDecision;
  readonly outcome: WaveOutcome;
  readonly plans: ReadonlyMap<string, Plan>;
  /** False when this call found the decision recorded before (a redelivery) and only finished it. */
  readonly recorded: boolean;
}

/**
 * Records an approver's decision over a wave and applies it to each plan (the POST).
 *
 * 1. Validate: decision `approve` or `reject` (400), comment at most 2,000 characters, every plan left
 *    out a member of the wave (400); check the link as `checkWaveLink` does.
 * 2. Record the decision once per (wave, approver) (`d:{approver}`, a create): a second POST of the same
 *    link finds it; one already applied is a used link (409), one cut short is applied again.
 * 3. Apply to each plan, each its own ETag-conditional transition: a plan still bound to the wave gets
 *    `ApprovalGranted` / `ApprovalRejected` naming the wave decision, with the plan's own checks
 *    (allow-list, initiator, quorum, expiry); a plan left out, or changed since the wave was asked, is
 *    asked again on its own; a plan this approver decided already is done. Re-running changes nothing
 *    done before.
 */
export async function decideWave(
  deps: WaveDeps,
  cmd: WaveDecisionCommand,
  now: () => Date,
): Promise<WaveDecisionResult> {
  const { decision, comment } = parseDecision(cmd);
  const check = await checkWaveLink(deps, cmd.waveId, cmd.token, cmd.principal, now());
  if (!check.ok) throw problemError(check);
  const wave = check.wave;
  const members = new Set(wave.members.map((m) => m.planId));
  const leftOut =
    cmd.keep !== undefined
      ? wave.members.map((m) => m.planId).filter((id) => !cmd.keep?.includes(id))
      : [...new Set(cmd.leaveOut ?? [])];
  const strangers = [...leftOut, ...(cmd.keep ?? [])].filter((id) => !members.has(id));
  if (strangers.length > 0)
    throw new ValidationError('bad leave-out', `not plans of wave ${wave.id}: ${strangers.join(', ')}`);
  const { stored, created } = await deps.waves.recordDecision({
    waveId: wave.id,
    approver: check.approver,
    decision,
    comment,
    leftOut,
    at: now().toISOString(),
  });
  if (!created && stored.decision.appliedAt !== undefined)
    throw new ConflictError(`wave ${wave.id}: link already used`, {
      title: 'This link was already used',
      detail: `${check.approver} ${decided(stored.decision.decision)} this wave at ${stored.decision.at}.`,
    });
  const outcome = await applyWaveDecision(deps, wave, stored, cmd, now);
  return {
    wave,
    decision: stored.decision,
    outcome,
    plans: await memberPlans(deps, wave),
    recorded: created,
  };
}

type Applied = { kind: 'decided' } | { kind: 'left-out' } | { kind: 'skipped'; reason: string };

/**
 * Applies a recorded wave decision to every plan of the wave, then marks it applied. Each plan's
 * transition is decided from the plan as it is now, so running this twice (a redelivery, the timer after
 * a crash) changes nothing done the first time.
 */
async function applyWaveDecision(
  deps: WaveDeps,
  wave: Wave,
  stored: StoredWaveDecision,
  cmd: Pick<WaveDecisionCommand, 'principal' | 'source'> | undefined,
  now: () => Date,
): Promise<WaveOutcome> {
  const d = stored.decision;
  const ref = waveDecisionRef(wave.id, d.approver);
  const by = cmd !== undefined ? clickBy(d.approver, cmd.source) : { ...TIMER_BY, actor: d.approver };
  // Finishing a recorded decision (the timer): the approver was signed in when it was recorded.
  const principal: Principal | undefined =
    cmd !== undefined ? cmd.principal : { name: d.approver, groups: [], roles: [] };
  const left = new Set(d.leftOut);
  const results = await eachLimited(wave.members, async (m): Promise<[WaveMember, Applied]> => {
    let result: Applied = { kind: 'skipped', reason: 'not found' };
    let askedAgain = false;
    const decide = (plan: Plan): PlanEvent | undefined => {
      const problem = bindingProblem(m, plan, wave.id);
      if (problem !== undefined) {
        const changedInWave =
          plan.status === 'awaiting-approval' &&
          plan.approval?.wave === wave.id &&
          plan.approval.round === m.round &&
          plan.approval.requestId === m.requestId;
        result = { kind: 'skipped', reason: problem };
        if (!changedInWave) return undefined;
        askedAgain = true;
        return { type: 'ApprovalAsked', reason: `${problem}; left out of ${ref}`, by };
      }
      const a = plan.approval;
      if (a?.decisions.some((x) => x.approver === d.approver && x.round === a.round)) {
        result = { kind: 'decided' };
        return undefined;
      }
      if (left.has(plan.id)) {
        result = { kind: 'left-out' };
        askedAgain = true;
        return { type: 'ApprovalAsked', reason: `left out of ${ref}`, by };
      }
      const claims = deps.links.claimsFor(plan, d.approver);
      const allowed =
        claims === undefined ? undefined : checkAgainstPlan(deps.policy, plan, claims, principal);
      if (allowed === undefined || !allowed.ok) {
        result = {
          kind: 'skipped',
          reason: allowed?.ok === false ? `${allowed.title}: ${allowed.detail}` : 'no request',
        };
        return undefined;
      }
      result = { kind: 'decided' };
      return d.decision === 'approve'
        ? { type: 'ApprovalGranted', approver: d.approver, comment: d.comment, round: m.round, wave: ref, by }
        : {
            type: 'ApprovalRejected',
            approver: d.approver,
            comment: d.comment,
            round: m.round,
            wave: ref,
            by,
          };
    };
    try {
      // As a plan's own decision: answered without waiting for delivery (the dispatcher relays).
      await applyPlanEvent(deps, m.planId, decide, now, { relay: false });
      // A plan asked again on its own: its request goes out now.
      if (askedAgain) await relayQuietly(deps, m.clusterKey);
    } catch (e) {
      result = { kind: 'skipped', reason: message(e) };
    }
    return [m, result];
  });
  const outcome: WaveOutcome = {
    decided: results.filter(([, r]) => r.kind === 'decided').map(([m]) => m.planId),
    leftOut: results.filter(([, r]) => r.kind === 'left-out').map(([m]) => m.planId),
    skipped: results.flatMap(([m, r]) =>
      r.kind === 'skipped' ? [{ planId: m.planId, reason: r.reason }] : [],
    ),
  };
  await deps.waves.saveDecision(stored, { appliedAt: now().toISOString(), outcome });
  return outcome;
}

import type { Principal } from '../approvals/principal';
import type { ApprovalClaims, ApprovalKeys } from '../approvals/tokens';
import { verifyToken, windowDigest } from '../approvals/tokens';
import type { By, HttpOrigin, Plan } from '../domain/plan';
import { decided, windowKey } from '../domain/plan';
import type { Policy } from '../domain/policy';
import { ConflictError, ForbiddenError, NotFoundError, UnauthorizedError, ValidationError } from '../errors';
import type { StoredPlan } from '../store/planStore';
import type { PlanCommandDeps } from './planCommands';
import { applyPlanEvent } from './planCommands';

export interface ApprovalDeps extends PlanCommandDeps {
  readonly keys: ApprovalKeys;
  readonly policy: Policy;
  /**
   * Runs once a decision closed the request (approved, rejected): a Fleet gate plan carries it to Fleet
   * at once. A failure is logged and left to the timer (functions/fleetGateTimer.ts); the decision stands.
   */
  readonly afterDecision?: (plan: Plan) => Promise<unknown>;
}

export type { Principal };

/** Where a click came from, for the audit trail. */
export type ClickSource = HttpOrigin;

/** Why a link cannot be used, as a page or a JSON error shows it. */
export interface LinkProblem {
  readonly status: 400 | 401 | 403 | 404 | 409;
  readonly title: string;
  readonly detail: string;
  readonly plan?: Plan;
  /** The policy asks approvers to sign in and nobody is signed in: send them to sign in, then back. */
  readonly signIn?: true;
}

export type LinkCheck =
  | { readonly ok: true; readonly plan: Plan; readonly claims: ApprovalClaims; readonly stored?: StoredPlan }
  | ({ readonly ok: false } & LinkProblem);

const fail = (status: LinkProblem['status'], title: string, detail: string, plan?: Plan): LinkCheck => ({
  ok: false,
  status,
  title,
  detail,
  ...(plan !== undefined && { plan }),
});

/** Whether the approver may decide on this plan: allow-list, Entra group, or the plan's own request list. */
function mayApprove(policy: Policy, plan: Plan, approver: string, principal: Principal | undefined): boolean {
  const groups = new Set(policy.approvals.groups);
  if (principal?.groups.some((g) => groups.has(g.toLowerCase()))) return true;
  if (policy.approvals.allow.length > 0) return policy.approvals.allow.includes(approver);
  return (plan.approval?.approvers ?? []).includes(approver);
}

/** Checks the parts of a link that depend on the plan's current state; shared by the page, the decision and a wave's decision. */
export function checkAgainstPlan(
  policy: Policy,
  plan: Plan,
  claims: ApprovalClaims,
  principal: Principal | undefined,
): LinkCheck {
  if (plan.status !== 'awaiting-approval' || plan.approval === undefined) {
    const decisions = plan.approval?.decisions
      .map((d) => `${d.approver} ${decided(d.decision)} at ${d.at}`)
      .join('; ');
    return fail(
      409,
      `This plan is ${plan.status}`,
      `There is nothing left to decide.${decisions ? ` Decisions: ${decisions}.` : ''}`,
      plan,
    );
  }
  const a = plan.approval;
  if (claims.round !== a.round || claims.requestId !== a.requestId) {
    return fail(
      409,
      'This link belongs to an earlier request',
      'The plan changed (its window or target) after this link was sent, which voids earlier approvals. A new request went out; use the newest link.',
      plan,
    );
  }
  if (
    claims.target !== plan.to ||
    claims.nodeImage !== (plan.nodeImage ?? '') ||
    claims.window !== windowDigest(windowKey(plan.window))
  ) {
    return fail(
      409,
      'The plan changed since this link was sent',
      'Target version, node image or window differ from what this link approves. A new request goes out for the new plan.',
      plan,
    );
  }
  if (!mayApprove(policy, plan, claims.approver, principal)) {
    return fail(
      403,
      'Not an approver',
      `${claims.approver} is not allowed to approve plans in ${plan.cluster.ring}.`,
      plan,
    );
  }
  if (policy.approvals.requireSignIn && principal === undefined) {
    return {
      ok: false,
      status: 401,
      title: 'Sign in to decide',
      detail: `Approvers sign in with their work account before deciding. Sign in as ${claims.approver}, and the link opens again.`,
      signIn: true,
    };
  }
  if (principal !== undefined && principal.name.toLowerCase() !== claims.approver) {
    return fail(
      403,
      'This link is for someone else',
      `You are signed in as ${principal.name}, but this link was sent to ${claims.approver}.`,
      plan,
    );
  }
  if (plan.initiator.toLowerCase() === claims.approver) {
    return fail(403, 'You started this plan', 'The initiator of a plan cannot approve it.', plan);
  }
  const earlier = a.decisions.find((d) => d.approver === claims.approver);
  if (earlier) {
    return fail(
      409,
      'This link was already used',
      `${earlier.approver} ${decided(earlier.decision)} at ${earlier.at}.`,
      plan,
    );
  }
  return { ok: true, plan, claims };
}

/**
 * Checks an approval link without changing anything (the GET page; mail scanners open it too).
 *
 * 1. A token is present and well-formed, and its signature matches the current or previous key (401).
 * 2. It names this plan (403), which exists (404).
 * 3. It has not expired (401), and the plan still awaits this round's decision (409).
 * 4. It is bound to the plan's current target, node image and window (409).
 * 5. The approver may approve (allow-list / group / request list), is signed in when the policy asks
 *    for it (401), is the signed-in principal when there is one, did not initiate the plan (403), and
 *    has not decided yet (409).
 */
export async function checkApprovalLink(
  deps: ApprovalDeps,
  planId: string,
  token: string | undefined,
  principal: Principal | undefined,
  now: Date,
): Promise<LinkCheck> {
  if (token === undefined || token.trim() === '')
    return fail(400, 'No token', 'The link has no token; open it exactly as it was sent.');
  const verified = verifyToken(token.trim(), deps.keys, now);
  if (!verified.ok && verified.problem !== 'expired') {
    return fail(
      401,
      'This link is not valid',
      verified.problem === 'malformed'
        ? 'The token in the link is damaged or incomplete; open it exactly as it was sent.'
        : 'The token was altered or not issued by Warden.',
    );
  }
  const claims = verified.ok ? verified.claims : verified.claims;
  if (claims.planId !== planId)
    return fail(403, 'This link is for another plan', `It was issued for plan ${claims.planId}.`);
  const stored = await deps.plans.get(planId);
  if (!stored) return fail(404, 'No such plan', `There is no plan ${planId}.`);
  if (!verified.ok) {
    return fail(
      401,
      'This link has expired',
      `It could be used until ${new Date(claims.exp * 1000).toISOString()}. The plan is ${stored.plan.status}; Warden sends a new request when the plan is proposed again.`,
      stored.plan,
    );
  }
  const check = checkAgainstPlan(deps.policy, stored.plan, claims, principal);
  return check.ok ? { ...check, stored } : check;
}

export interface DecisionCommand {
  readonly planId: string;
  readonly token: string | undefined;
  readonly decision: string | undefined;
  readonly comment: string | undefined;
  readonly principal?: Principal;
  readonly source: ClickSource;
}

export interface DecisionOutcome {
  readonly plan: Plan;
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
}

const MAX_COMMENT = 2000;

/** A decision form's fields, checked: `approve` or `reject` (400), a comment of at most 2,000 characters. */
export function parseDecision(fields: {
  readonly decision: string | undefined;
  readonly comment: string | undefined;
}): {
  decision: 'approve' | 'reject';
  comment: string;
} {
  const decision = fields.decision?.trim().toLowerCase();
  if (decision !== 'approve' && decision !== 'reject')
    throw new ValidationError('bad decision', 'decision must be "approve" or "reject"');
  const comment = (fields.comment ?? '').trim();
  if (comment.length > MAX_COMMENT)
    throw new ValidationError('comment too long', `comment must be at most ${MAX_COMMENT} characters`);
  return { decision, comment };
}

/** Who decided, from where, as the audit trail records a click. */
export function clickBy(approver: string, source: ClickSource): By {
  return {
    actor: approver,
    source: {
      kind: 'http',
      ...(source.ip !== undefined && { ip: source.ip }),
      ...(source.claimedForwardedFor !== undefined && { claimedForwardedFor: source.claimedForwardedFor }),
      ...(source.userAgent !== undefined && { userAgent: source.userAgent.slice(0, 300) }),
    },
  };
}

export function problemError(p: LinkProblem): Error {
  const message = `${p.title}: ${p.detail}`;
  const explained = { title: p.title, detail: p.detail };
  switch (p.status) {
    case 400:
      return new ValidationError(p.title, p.detail);
    case 401:
      return new UnauthorizedError(message, explained);
    case 403:
      return new ForbiddenError(message, explained);
    case 404:
      return new NotFoundError(message, explained);
    case 409:
      return new ConflictError(message, explained);
  }
}

/**
 * Records an approver's decision from a link (the POST).
 *
 * 1. Validate the command: decision `approve` or `reject` (400), comment at most 2,000 characters.
 * 2. Check the link as `checkApprovalLink` does (401/403/404/409).
 * 3. Apply ApprovalGranted / ApprovalRejected with an ETag-conditional write: the decision is recorded
 *    for (round, approver), which consumes the token; a concurrent use of the same token loses the
 *    race, reloads, and finds it used (409).
 */
export async function decideApproval(
  deps: ApprovalDeps,
  cmd: DecisionCommand,
  now: () => Date,
): Promise<DecisionOutcome> {
  const { decision, comment } = parseDecision(cmd);

  const first = await checkApprovalLink(deps, cmd.planId, cmd.token, cmd.principal, now());
  if (!first.ok) throw problemError(first);
  const claims = first.claims;

  const applied = await applyPlanEvent(
    deps,
    cmd.planId,
    (plan) => {
      // The plan may have changed since the first check (another click, the timer): check again.
      const again = checkAgainstPlan(deps.policy, plan, claims, cmd.principal);
      if (!again.ok) throw problemError(again);
      const by = clickBy(claims.approver, cmd.source);
      return decision === 'approve'
        ? { type: 'ApprovalGranted', approver: claims.approver, comment, round: claims.round, by }
        : { type: 'ApprovalRejected', approver: claims.approver, comment, round: claims.round, by };
    },
    now,
    // The click is answered without waiting for delivery: the dispatcher relays the notices within a minute.
    { ...(first.stored !== undefined && { read: first.stored }), relay: false },
  );
  if (!applied) throw new ConflictError('nothing to decide');
  if (deps.afterDecision && applied.plan.status !== applied.previous.status) {
    try {
      await deps.afterDecision(applied.plan);
    } catch (e) {
      deps.log.warn(`after the decision on ${cmd.planId}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { plan: applied.plan, approver: claims.approver, decision };
}

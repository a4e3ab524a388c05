import type { Plan } from '../domain/plan';
import type { ApprovalClaims, ApprovalKeys } from './tokens';
import { signToken, verifyToken, windowDigest } from './tokens';

/**
 * Signed links for the runner's own approvals, built on the approval tokens (tokens.ts: HMAC-SHA256,
 * two keys, expiry): a force upgrade of a blocked plan, an abort of a running step, and Defer of an
 * AKS-run upgrade. Each token is bound to what it acts on, so it is void once that changed:
 * - force upgrade: the plan, its target, the block's request id and deprecated-API list;
 * - abort: the plan, the running step and when that step started;
 * - defer: the cluster key, the date to black out, the configuration and the scheduled event id.
 * Single use comes from the state they change (a plan no longer blocked / running) or, for Defer, the
 * record written by the runner store.
 */
export type PlanAction = 'force-upgrade' | 'abort';

export const ACTION_EXPIRY_MS = 24 * 3_600_000;

const actionTarget = (action: PlanAction, plan: Plan): string => `${action}:${plan.to}`;

/** What a plan-action token must match now; undefined when the action is not possible in the plan's state. */
export function actionBinding(
  action: PlanAction,
  plan: Plan,
):
  | { readonly target: string; readonly window: string; readonly round: number; readonly requestId: string }
  | undefined {
  if (action === 'force-upgrade') {
    const b = plan.blocked;
    if (plan.status !== 'blocked' || b === undefined) return undefined;
    return {
      target: actionTarget(action, plan),
      window: windowDigest(b.deprecatedApis.join(',')),
      round: b.step,
      requestId: b.requestId,
    };
  }
  const running = plan.steps.findIndex((s) => s.status === 'running');
  const step = plan.steps[running];
  if (plan.status !== 'running' || step === undefined) return undefined;
  return {
    target: actionTarget(action, plan),
    window: windowDigest(`step:${running}`),
    round: running,
    requestId: step.startedAt ?? '',
  };
}

export function signPlanAction(
  action: PlanAction,
  plan: Plan,
  approver: string,
  keys: ApprovalKeys,
  now: Date,
): string | undefined {
  const binding = actionBinding(action, plan);
  if (binding === undefined) return undefined;
  return signToken(
    {
      planId: plan.id,
      approver: approver.toLowerCase(),
      nodeImage: '',
      exp: Math.floor((now.getTime() + ACTION_EXPIRY_MS) / 1000),
      ...binding,
    },
    keys,
  );
}

export type ActionCheck =
  | { readonly ok: true; readonly claims: ApprovalClaims }
  | { readonly ok: false; readonly status: 400 | 401 | 403 | 409; readonly detail: string };

/** A token as presented on a link: present (400) and signed by a current key and unexpired (401). */
function verifyPresented(
  token: string | undefined,
  keys: ApprovalKeys,
  now: Date,
):
  | { readonly ok: true; readonly claims: ApprovalClaims }
  | { readonly ok: false; readonly status: 400 | 401; readonly detail: string } {
  if (token === undefined || token.trim() === '')
    return { ok: false, status: 400, detail: 'token is required' };
  const v = verifyToken(token.trim(), keys, now);
  if (!v.ok)
    return {
      ok: false,
      status: 401,
      detail: v.problem === 'expired' ? 'the link has expired' : 'the token is not valid',
    };
  return { ok: true, claims: v.claims };
}

/** Checks a plan-action token against the plan as it is now. */
export function checkPlanAction(
  action: PlanAction,
  plan: Plan,
  token: string | undefined,
  keys: ApprovalKeys,
  now: Date,
): ActionCheck {
  const v = verifyPresented(token, keys, now);
  if (!v.ok) return v;
  if (v.claims.planId !== plan.id) return { ok: false, status: 403, detail: 'the token is for another plan' };
  const binding = actionBinding(action, plan);
  if (binding === undefined)
    return { ok: false, status: 409, detail: `nothing to ${action} now: the plan is ${plan.status}` };
  const c = v.claims;
  if (
    c.target !== binding.target ||
    c.window !== binding.window ||
    c.round !== binding.round ||
    c.requestId !== binding.requestId
  )
    return { ok: false, status: 409, detail: 'the plan changed since this link was issued' };
  if (c.approver === plan.initiator.toLowerCase())
    return { ok: false, status: 403, detail: 'the initiator of a plan cannot approve it' };
  return { ok: true, claims: c };
}

/** What a Defer link names. */
export interface DeferClaims {
  readonly clusterKey: string;
  readonly approver: string;
  /** `YYYY-MM-DD`, on the configuration's clock. */
  readonly date: string;
  readonly configName: string;
  /** The ScheduledEventEmitted event id: a new announcement gets new links. */
  readonly requestId: string;
  readonly exp: number;
}

const DEFER = 'defer';

export function signDefer(claims: DeferClaims, keys: ApprovalKeys): string {
  return signToken(
    {
      planId: DEFER,
      approver: claims.approver.toLowerCase(),
      target: claims.clusterKey,
      nodeImage: claims.date,
      window: claims.configName,
      round: 0,
      requestId: claims.requestId,
      exp: claims.exp,
    },
    keys,
  );
}

export type DeferCheck =
  | { readonly ok: true; readonly claims: DeferClaims }
  | { readonly ok: false; readonly status: 400 | 401 | 403; readonly detail: string };

export function checkDefer(
  clusterKey: string,
  token: string | undefined,
  keys: ApprovalKeys,
  now: Date,
): DeferCheck {
  const v = verifyPresented(token, keys, now);
  if (!v.ok) return v;
  const c = v.claims;
  if (c.planId !== DEFER || c.target !== clusterKey.toLowerCase())
    return { ok: false, status: 403, detail: 'the token is for another cluster or action' };
  return {
    ok: true,
    claims: {
      clusterKey: c.target,
      approver: c.approver,
      date: c.nodeImage,
      configName: c.window,
      requestId: c.requestId,
      exp: c.exp,
    },
  };
}

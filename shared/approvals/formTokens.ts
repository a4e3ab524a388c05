import type { ApprovalKeys } from './tokens';
import { signToken, verifyToken } from './tokens';

/**
 * The plan page's own forms (cancel, abort request) carry a signed form token against cross-site
 * request forgery: a page elsewhere can make a signed-in operator's browser post a form (its session
 * cookie goes along), but it cannot read Warden's page to learn the token. The token is an approval
 * token (tokens.ts: HMAC-SHA256, the same two keys, expiry) whose target `form:<action>` no approval or
 * plan-action check accepts, bound to the plan, the action and the viewer (the signed-in name, or ''
 * when sign-in is off), valid for `FORM_TOKEN_MS`. It is not single use: the action itself is (a
 * cancelled plan cannot be cancelled again).
 */
export type PlanFormAction = 'cancel' | 'abort';

/** How long a form stays usable after its page was drawn: a slow reader, not a stored link. */
export const FORM_TOKEN_MS = 2 * 3_600_000;

const target = (action: PlanFormAction): string => `form:${action}`;

export function signFormToken(
  action: PlanFormAction,
  planId: string,
  viewer: string,
  keys: ApprovalKeys,
  now: Date,
): string {
  return signToken(
    {
      planId,
      approver: viewer.toLowerCase(),
      target: target(action),
      nodeImage: '',
      window: '',
      round: 0,
      requestId: '',
      exp: Math.floor((now.getTime() + FORM_TOKEN_MS) / 1000),
    },
    keys,
  );
}

/**
 * Why a form token does not let this post through, or undefined when it does: missing, forged or made
 * for another plan, action or person; expired (the page is older than `FORM_TOKEN_MS`).
 */
export function formTokenProblem(
  action: PlanFormAction,
  planId: string,
  viewer: string,
  token: string | undefined,
  keys: ApprovalKeys,
  now: Date,
): string | undefined {
  if (token === undefined || token === '')
    return 'the form token is missing: post this form from the plan page';
  const check = verifyToken(token, keys, now);
  if (!check.ok)
    return check.problem === 'expired'
      ? 'the form is too old: open the plan page again and resend it'
      : 'the form token is not valid: post this form from the plan page';
  const c = check.claims;
  if (c.planId !== planId || c.target !== target(action) || c.approver !== viewer.toLowerCase())
    return 'the form token was made for another plan, action or person: post this form from the plan page';
  return undefined;
}

import type { PlanFormAction } from '../approvals/formTokens';
import { formTokenProblem } from '../approvals/formTokens';
import type { Plan } from '../domain/plan';
import { ValidationError } from '../errors';
import type { ActionDeps, ActionSource } from './planActions';
import { abortStep, cancelPlan, requestAbort } from './planActions';

/**
 * Cancel and abort as the HTTP routes take them, from the plan page's forms and from API clients alike.
 * Everything is checked before anything changes: a form's token (formTokens.ts), the abort form's
 * confirmation, the acting person; then one action runs.
 */
export interface PlanActionRequest {
  readonly action: PlanFormAction;
  readonly planId: string;
  /** The body's string fields (`readFields`). */
  readonly fields: Readonly<Record<string, string | undefined>>;
  /**
   * True when the body is not `application/json`: what a browser's form posts, and what a page on
   * another site can make a browser post. Such a body needs the form token and, to abort, `confirm=yes`.
   */
  readonly form: boolean;
  /** The signed-in person (App Service Authentication), when sign-in is on: they act, whatever the body says. */
  readonly signedIn?: string;
  readonly source: ActionSource;
}

export type PlanActionOutcome =
  | { readonly done: 'cancelled'; readonly plan: Plan }
  | { readonly done: 'abort-requested'; readonly plan: Plan; readonly approvers: readonly string[] }
  | { readonly done: 'aborted'; readonly plan: Plan };

/** The form field that must say `yes` before an abort is asked for from a form. */
export const CONFIRM_FIELD = 'confirm';
/** The form field carrying the form token (`token` is the second person's abort link). */
export const FORM_TOKEN_FIELD = 'formToken';

export async function actOnPlan(deps: ActionDeps, r: PlanActionRequest): Promise<PlanActionOutcome> {
  if (r.form) {
    const problem = formTokenProblem(
      r.action,
      r.planId,
      r.signedIn ?? '',
      r.fields[FORM_TOKEN_FIELD],
      deps.keys,
      deps.now(),
    );
    if (problem !== undefined) throw new ValidationError('bad form', problem);
  }
  const { fields } = r;
  if (r.action === 'cancel') {
    const plan = await cancelPlan(deps, r.planId, r.signedIn ?? fields.actor, fields.reason, r.source);
    return { done: 'cancelled', plan };
  }
  if (fields.token !== undefined) {
    const plan = await abortStep(deps, r.planId, fields.token, fields.comment, r.source);
    return { done: 'aborted', plan };
  }
  if (r.form && fields[CONFIRM_FIELD] !== 'yes')
    throw new ValidationError(
      'not confirmed',
      'tick "I understand" to ask for the abort: the pool may be left half upgraded and the plan fails at this step',
    );
  const asked = await requestAbort(deps, r.planId, r.signedIn ?? fields.requestedBy, fields.reason);
  return { done: 'abort-requested', plan: asked.plan, approvers: asked.approvers };
}

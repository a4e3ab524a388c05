import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { services } from '../shared/app';
import type { PlanFormAction } from '../shared/approvals/formTokens';
import { actOnPlan } from '../shared/usecases/actOnPlan';
import { httpRoute } from '../shared/web/accessRoute';
import { readFields, requestSource } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';
import { planActionAnswer, planActionProblem, sentAsJson, signedInName } from '../shared/web/planForms';
import type { RunnerServices } from './upgradeRunner';
import { runnerDeps } from './upgradeRunner';

/**
 * `POST /api/plans/{planId}/cancel` `{ actor, reason? }`: cancels a plan that has not started a step;
 * 409 once one has. `POST /api/plans/{planId}/abort`: with `{ requestedBy, reason? }`, asks a second
 * person to approve (signed links to the approvers, 202); with `{ token }` from such a link, aborts the
 * running step (`abortLatestOperation`) and the plan fails at it. Operators only; the signed-in person
 * acts, whatever the body names. The plan page's forms post here too (with their form token, and
 * `confirm=yes` to abort) and get a 303 back to the plan page; API clients send JSON and get JSON.
 */
function planActionHandler(action: PlanFormAction, getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asPage = wantsPage(request);
    const planId = request.params.planId ?? '';
    try {
      const s = getServices();
      const signedIn = signedInName(request, s.config.easyAuth);
      const outcome = await actOnPlan(runnerDeps(s, context), {
        action,
        planId,
        fields: await readFields(request),
        form: !sentAsJson(request),
        ...(signedIn !== undefined && { signedIn }),
        source: requestSource(request),
      });
      return planActionAnswer(outcome, asPage);
    } catch (e) {
      return planActionProblem(e, planId, context, asPage);
    }
  };
}

export const planCancelHandler = (getServices: () => RunnerServices) =>
  planActionHandler('cancel', getServices);
export const planAbortHandler = (getServices: () => RunnerServices) =>
  planActionHandler('abort', getServices);

// Anonymous to the Functions host: a browser's form carries no function key. In Azure, Entra sign-in
// (App Service Authentication) and the operator guard stand in front.
httpRoute('planCancel', {
  access: 'operator',
  route: 'plans/{planId}/cancel',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: planCancelHandler(services),
});

httpRoute('planAbort', {
  access: 'operator',
  route: 'plans/{planId}/abort',
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: planAbortHandler(services),
});

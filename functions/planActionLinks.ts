import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { services } from '../shared/app';
import type { PlanAction } from '../shared/approvals/actionTokens';
import { ValidationError } from '../shared/errors';
import { abortStep, approveForceUpgrade, checkActionLink } from '../shared/usecases/planActions';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse, planActionDone, planActionPage } from '../shared/web/actionPages';
import { htmlPage, json, readFields, requestSource, wantsJson } from '../shared/web/http';
import type { RunnerServices } from './upgradeRunner';
import { runnerDeps } from './upgradeRunner';

const ACTIONS: readonly PlanAction[] = ['force-upgrade', 'abort'];

/**
 * The runner's approval links (anonymous, like approval links; the signed token is the credential):
 * `GET /api/plan-actions/{planId}/{force-upgrade|abort}?token=…` shows what would happen and changes
 * nothing; `POST` (form or JSON `token`, `comment`) approves it: the force upgrade of a blocked plan, or
 * the abort of the running step. JSON with `Accept: application/json`.
 */
export function planActionLinksHandler(getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asJson = wantsJson(request);
    try {
      const action = request.params.action as PlanAction;
      if (!ACTIONS.includes(action))
        throw new ValidationError('bad action', `action must be ${ACTIONS.join(' or ')}`);
      const planId = request.params.planId ?? '';
      const deps = runnerDeps(getServices(), context);
      if (request.method === 'GET' || request.method === 'HEAD') {
        const token = request.query.get('token') ?? undefined;
        const { plan, approver } = await checkActionLink(deps, action, planId, token);
        return htmlPage(200, planActionPage(action, plan, approver, token ?? ''));
      }
      const fields = await readFields(request);
      const plan =
        action === 'abort'
          ? await abortStep(deps, planId, fields.token, fields.comment, requestSource(request))
          : await approveForceUpgrade(deps, planId, fields.token, fields.comment, requestSource(request));
      const approver = plan.forceUpgrade?.approver ?? 'you';
      if (asJson) return json(200, { planId, action, status: plan.status });
      return htmlPage(200, planActionDone(action, plan, approver));
    } catch (e) {
      return actionErrorResponse(e, context, asJson);
    }
  };
}

httpRoute('planActionLinks', {
  access: 'signed-link',
  route: 'plan-actions/{planId}/{action}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: planActionLinksHandler(services),
});

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { services } from '../shared/app';
import { ensureError } from '../shared/errors';
import { abortStep, cancelPlan, requestAbort } from '../shared/usecases/planActions';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json, readFields, requestSource } from '../shared/web/http';
import type { RunnerServices } from './upgradeRunner';
import { runnerDeps } from './upgradeRunner';

/**
 * `POST /api/plans/{planId}/cancel` (function key) `{ actor, reason? }`: cancels a plan that has not
 * started a step; 409 once one has.
 */
export function planCancelHandler(getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const fields = await readFields(request);
      const plan = await cancelPlan(
        runnerDeps(getServices(), context),
        request.params.planId ?? '',
        fields.actor,
        fields.reason,
        requestSource(request),
      );
      return json(200, { planId: plan.id, status: plan.status });
    } catch (e) {
      return errorResponse(ensureError(e), context);
    }
  };
}

/**
 * `POST /api/plans/{planId}/abort` (function key): with `{ requestedBy, reason? }`, asks a second person
 * to approve (signed links to the approvers, 202); with `{ token }` from such a link, aborts the running
 * step (`abortLatestOperation`) and the plan fails at it.
 */
export function planAbortHandler(getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const fields = await readFields(request);
      const deps = runnerDeps(getServices(), context);
      const planId = request.params.planId ?? '';
      if (fields.token !== undefined) {
        const plan = await abortStep(deps, planId, fields.token, fields.comment, requestSource(request));
        return json(200, { planId: plan.id, status: plan.status, failure: plan.failure });
      }
      const asked = await requestAbort(deps, planId, fields.requestedBy, fields.reason);
      return json(202, { planId, status: asked.plan.status, approvalRequestedFrom: asked.approvers });
    } catch (e) {
      return errorResponse(ensureError(e), context);
    }
  };
}

httpRoute('planCancel', {
  access: 'operator',
  route: 'plans/{planId}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  handler: planCancelHandler(services),
});

httpRoute('planAbort', {
  access: 'operator',
  route: 'plans/{planId}/abort',
  methods: ['POST'],
  authLevel: 'function',
  handler: planAbortHandler(services),
});

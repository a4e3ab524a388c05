import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { pendingApprovers } from '../shared/domain/plan';
import { NotFoundError } from '../shared/errors';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json } from '../shared/web/http';

/**
 * `GET /api/plans/{planId}/approval-links` (function key): the pending approval links of a plan, for an
 * operator when mail or Teams did not arrive. The links are signed again on demand (the HMAC is
 * deterministic), so no token is stored, and none is ever logged.
 */
export function planApprovalLinksHandler(getServices: () => Pick<Services, 'plans' | 'links'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const { plans, links } = getServices();
      const planId = request.params.planId ?? '';
      const stored = await plans.get(planId);
      if (!stored) throw new NotFoundError(`no plan ${planId}`);
      const plan = stored.plan;
      return json(200, {
        planId: plan.id,
        status: plan.status,
        expiresAt: plan.approval?.expiresAt,
        links: pendingApprovers(plan).map((approver) => ({ approver, url: links.linkFor(plan, approver) })),
      });
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

httpRoute('planApprovalLinks', {
  access: 'operator',
  route: 'plans/{planId}/approval-links',
  methods: ['GET'],
  authLevel: 'function',
  handler: planApprovalLinksHandler(services),
});

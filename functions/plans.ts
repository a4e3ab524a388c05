import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { pageDeps, planPageData } from '../shared/usecases/pageViews';
import { listPlans, planDetail } from '../shared/usecases/planQueries';
import type { AccessSettings } from '../shared/web/access';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse } from '../shared/web/actionPages';
import { errorResponse, intParam, json } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';
import { planPageResponse, planPageView } from '../shared/web/planPage';
import { planStatusParam, ringParam } from '../shared/web/queryParams';

/**
 * `GET /api/plans` (filters `?status=`, `?ring=`, `?cluster=` name or ARM id, `?limit=`), newest first;
 * with `?cluster=` also that cluster's audit trail;
 * `GET /api/plans/{planId}`: one plan with its audit trail; a browser (`Accept: text/html`) gets the plan
 * page instead (what it waits for, steps, timeline, the forms the viewer may use). Approval links are
 * not here: operators get them from `GET /api/plans/{planId}/approval-links` (function key).
 */
export type PlansServices = Pick<Services, 'plans' | 'events' | 'clusters' | 'now' | 'approvalKeys'> & {
  readonly config: AccessSettings;
  readonly notifier: Pick<Services['notifier'], 'outbox'>;
};

export function plansHandler(getServices: () => PlansServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asPage = wantsPage(request);
    try {
      const s = getServices();
      const planId = request.params.planId ?? '';
      if (planId !== '' && asPage)
        return planPageResponse(
          await planPageData(pageDeps(s), planId),
          s.now(),
          planPageView(request, s.config, s.approvalKeys, planId, s.now()),
        );
      if (planId !== '') return json(200, await planDetail(s.plans, planId));
      const status = planStatusParam(request);
      const ring = ringParam(request);
      const cluster = request.query.get('cluster') ?? undefined;
      const limit = intParam(request, 'limit', 200, 1000);
      return json(
        200,
        await listPlans(s.plans, {
          limit,
          ...(status !== undefined && { status }),
          ...(ring !== undefined && { ring }),
          ...(cluster !== undefined && { cluster }),
        }),
      );
    } catch (e) {
      return asPage ? actionErrorResponse(e, context, false) : errorResponse(e, context);
    }
  };
}

httpRoute('plans', {
  access: 'viewer',
  route: 'plans/{planId?}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: plansHandler(services),
});

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { isPlanStatus } from '../shared/domain/plan';
import { isRing } from '../shared/domain/rings';
import { NotFoundError, ValidationError } from '../shared/errors';
import { pageDeps, planPageData } from '../shared/usecases/pageViews';
import type { AccessSettings } from '../shared/web/access';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse } from '../shared/web/actionPages';
import { errorResponse, intParam, json } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';
import { pageMode, planViewer } from '../shared/web/planForms';
import { planPageResponse } from '../shared/web/planPage';

/**
 * `GET /api/plans` (filters `?status=`, `?ring=`, `?cluster=` name or ARM id, `?limit=`), newest first;
 * with `?cluster=` also that cluster's audit trail;
 * `GET /api/plans/{planId}`: one plan with its audit trail; a browser (`Accept: text/html`) gets the plan
 * page instead (what it waits for, steps, timeline). Approval links are not here: operators get
 * them from `GET /api/plans/{planId}/approval-links` (function key).
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
      const { plans } = s;
      const planId = request.params.planId;
      if (planId !== undefined && planId !== '' && asPage)
        return planPageResponse(await planPageData(pageDeps(s), planId), s.now(), {
          autoRefresh: request.query.get('refresh') !== 'off',
          viewer: planViewer(request, s.config, s.approvalKeys, planId, s.now()),
          ...pageMode(request),
        });
      if (planId !== undefined && planId !== '') {
        const stored = await plans.get(planId);
        if (!stored) throw new NotFoundError(`no plan ${planId}`);
        const audit = await plans.audit(planId);
        return json(200, {
          ...stored.plan,
          approvalLinks:
            stored.plan.status === 'awaiting-approval' ? `/api/plans/${planId}/approval-links` : undefined,
          audit,
        });
      }
      const status = request.query.get('status') ?? undefined;
      if (status !== undefined && !isPlanStatus(status))
        throw new ValidationError(
          'bad status',
          `status must be a plan status such as awaiting-approval, got "${status.slice(0, 40)}"`,
        );
      const ring = request.query.get('ring') ?? undefined;
      if (ring !== undefined && !isRing(ring))
        throw new ValidationError(
          'bad ring',
          `ring must be canary, dev, staging or production, got "${ring.slice(0, 40)}"`,
        );
      const cluster = request.query.get('cluster') ?? undefined;
      const limit = intParam(request, 'limit', 200, 1000);
      const list = await plans.list({
        limit,
        ...(status !== undefined && { status }),
        ...(ring !== undefined && { ring }),
        ...(cluster !== undefined && { cluster }),
      });
      if (cluster === undefined) return json(200, { plans: list });
      // The cluster's audit trail: every transition of every plan it had (newest first).
      const keys = [...new Set(list.map((p) => p.cluster.key))].slice(0, 10);
      const audit = (await Promise.all(keys.map((k) => plans.clusterAudit(k, limit))))
        .flat()
        .sort((a, b) => b.at.localeCompare(a.at) || b.seq - a.seq)
        .slice(0, limit);
      return json(200, { plans: list, audit });
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

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { dashboardReads } from '../shared/usecases/fleetSummary';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse } from '../shared/web/actionPages';
import { FLEET_ROWS, parseDashboardFilter, PLAN_ROWS, renderDashboard } from '../shared/web/dashboard';
import { PAGE_HEADERS } from '../shared/web/html';
import { errorResponse } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';

/**
 * `GET /api/dashboard` (filters: `parseDashboardFilter`): the fleet, open and recent plans, the latest events, as one
 * HTML page. The fleet comes from the summary the sweep maintains (one read, whatever the fleet's
 * size); the table shows the clusters most in need of a look first, at most 200 rows. The plans are
 * the first rows of the recent-plans index, whatever the number stored.
 */
export function dashboardHandler(
  getServices: () => Pick<Services, 'clusters' | 'fleetSummary' | 'plans' | 'events' | 'now'> & {
    readonly config?: Pick<Services['config'], 'localOutbox'>;
  },
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const filter = parseDashboardFilter(request.query);
      const s = getServices();
      const { fleet, plans, events } = await dashboardReads(
        { summary: s.fleetSummary, clusters: s.clusters, plans: s.plans, events: s.events },
        filter,
        { fleetRows: FLEET_ROWS, planRows: PLAN_ROWS },
      );
      return {
        status: 200,
        headers: { ...PAGE_HEADERS },
        body: renderDashboard({
          fleet,
          plans,
          events,
          now: s.now(),
          filter,
          ...(s.config?.localOutbox !== undefined && { localOutbox: s.config.localOutbox }),
        }),
      };
    } catch (e) {
      return wantsPage(request) ? actionErrorResponse(e, context, false) : errorResponse(e, context);
    }
  };
}

httpRoute('dashboard', {
  access: 'viewer',
  route: 'dashboard',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardHandler(services),
});

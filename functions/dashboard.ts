import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { listClusters } from '../shared/usecases/fleetStatus';
import { renderDashboard } from '../shared/web/dashboard';
import { PAGE_HEADERS } from '../shared/web/html';
import { errorResponse } from '../shared/web/http';

/** `GET /api/dashboard`: the fleet, open and recent plans, the latest events, as one HTML page. */
export function dashboardHandler(getServices: () => Pick<Services, 'clusters' | 'plans' | 'events' | 'now'>) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const s = getServices();
      const [clusters, plans, events] = await Promise.all([
        listClusters(s.clusters),
        s.plans.list({ limit: 100 }),
        s.events.list({ limit: 20 }),
      ]);
      return {
        status: 200,
        headers: { ...PAGE_HEADERS },
        body: renderDashboard({ clusters, plans, events, now: s.now() }),
      };
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

app.http('dashboard', {
  route: 'dashboard',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: dashboardHandler(services),
});

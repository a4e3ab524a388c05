import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { isRing, RINGS } from '../shared/domain/rings';
import { ValidationError } from '../shared/errors';
import { listClusters } from '../shared/usecases/fleetStatus';
import { httpRoute } from '../shared/web/accessRoute';
import type { DashboardFilter } from '../shared/web/dashboard';
import { renderDashboard } from '../shared/web/dashboard';
import { PAGE_HEADERS } from '../shared/web/html';
import { errorResponse } from '../shared/web/http';

/** The fleet table's filter: `?ring=` one of the rings, `?q=` part of a cluster name. */
function filterOf(request: HttpRequest): DashboardFilter {
  const ring = request.query.get('ring')?.trim() || undefined;
  const q = request.query.get('q')?.trim() || undefined;
  if (ring !== undefined && !isRing(ring))
    throw new ValidationError(
      'bad ring',
      `ring must be one of ${RINGS.join(', ')}, got "${ring.slice(0, 40)}"`,
    );
  if (q !== undefined && q.length > 100)
    throw new ValidationError('bad filter', 'q is at most 100 characters');
  return { ...(ring !== undefined && { ring }), ...(q !== undefined && { q }) };
}

/**
 * `GET /api/dashboard` (`?ring=`, `?q=`): the fleet, open and recent plans, the latest events, as one
 * HTML page. The fleet table shows the clusters most in need of a look first, at most 200 rows.
 */
export function dashboardHandler(getServices: () => Pick<Services, 'clusters' | 'plans' | 'events' | 'now'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const filter = filterOf(request);
      const s = getServices();
      const [clusters, plans, events] = await Promise.all([
        listClusters(s.clusters),
        s.plans.list({ limit: 100 }),
        s.events.list({ limit: 20 }),
      ]);
      return {
        status: 200,
        headers: { ...PAGE_HEADERS },
        body: renderDashboard({ clusters, plans, events, now: s.now(), filter }),
      };
    } catch (e) {
      return errorResponse(e, context);
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

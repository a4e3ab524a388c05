import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { isPlanStatus } from '../shared/domain/plan';
import { isRing, RINGS } from '../shared/domain/rings';
import { ValidationError } from '../shared/errors';
import { dashboardFleet } from '../shared/usecases/fleetSummary';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse } from '../shared/web/actionPages';
import type { DashboardFilter } from '../shared/web/dashboard';
import { FLEET_ROWS, PLAN_ROWS, renderDashboard } from '../shared/web/dashboard';
import { PAGE_HEADERS } from '../shared/web/html';
import { errorResponse } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';

/**
 * The filters: `?ring=` one of the rings, `?q=` part of a cluster name, `?support=out`, `?findings=any`
 * (the fleet table); `?plans=open` or a plan status (the plans table).
 */
function filterOf(request: HttpRequest): DashboardFilter {
  const ring = request.query.get('ring')?.trim() || undefined;
  const q = request.query.get('q')?.trim() || undefined;
  const support = request.query.get('support')?.trim() || undefined;
  const findings = request.query.get('findings')?.trim() || undefined;
  const plans = request.query.get('plans')?.trim() || undefined;
  if (support !== undefined && support !== 'out')
    throw new ValidationError('bad support', `support can only be "out", got "${support.slice(0, 40)}"`);
  if (findings !== undefined && findings !== 'any')
    throw new ValidationError('bad findings', `findings can only be "any", got "${findings.slice(0, 40)}"`);
  if (plans !== undefined && plans !== 'open' && !isPlanStatus(plans))
    throw new ValidationError(
      'bad plans',
      `plans must be "open" or a plan status such as awaiting-approval, got "${plans.slice(0, 40)}"`,
    );
  if (ring !== undefined && !isRing(ring))
    throw new ValidationError(
      'bad ring',
      `ring must be one of ${RINGS.join(', ')}, got "${ring.slice(0, 40)}"`,
    );
  if (q !== undefined && q.length > 100)
    throw new ValidationError('bad filter', 'q is at most 100 characters');
  return {
    ...(ring !== undefined && { ring }),
    ...(q !== undefined && { q }),
    ...(support !== undefined && { support: 'out' as const }),
    ...(findings !== undefined && { findings: 'any' as const }),
    ...(plans !== undefined && { plans }),
  };
}

/**
 * `GET /api/dashboard` (filters above): the fleet, open and recent plans, the latest events, as one
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
      const filter = filterOf(request);
      const s = getServices();
      const [fleet, plans, events] = await Promise.all([
        dashboardFleet({ summary: s.fleetSummary, clusters: s.clusters }, filter, FLEET_ROWS),
        // The latest PLAN_ROWS plans (in the status asked for): a bounded read of the recent-plans index.
        s.plans.list({
          limit: PLAN_ROWS,
          ...(filter.plans !== undefined && filter.plans !== 'open' && { status: filter.plans }),
        }),
        s.events.list({ limit: 20 }),
      ]);
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

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, intParam, json } from '../shared/web/http';

/**
 * `GET /api/events`: the events recorded, newest first (`?cluster=` name or ARM id, `?type=`, `?limit=`),
 * and the rejected bodies listed separately for operators.
 */
export function eventsHandler(getServices: () => Pick<Services, 'events'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const limit = intParam(request, 'limit', 100, 1000);
      const { events } = getServices();
      const cluster = request.query.get('cluster') ?? undefined;
      const type = request.query.get('type') ?? undefined;
      const [recorded, rejected] = await Promise.all([
        events.list({
          limit,
          ...(cluster !== undefined && { cluster }),
          ...(type !== undefined && { type }),
        }),
        request.query.get('rejected') === 'false'
          ? Promise.resolve([])
          : events.rejections(Math.min(limit, 100)),
      ]);
      return json(200, { events: recorded, rejected });
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

httpRoute('events', {
  access: 'viewer',
  route: 'events',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: eventsHandler(services),
});

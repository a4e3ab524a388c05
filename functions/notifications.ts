import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import type { DeliveryStatus } from '../shared/notify/outbox';
import { publicEntry } from '../shared/store/outboxStore';
import { dispatchNotifications } from '../shared/usecases/dispatchNotifications';
import { retryNotification } from '../shared/usecases/retryNotification';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, intParam, json } from '../shared/web/http';
import { oneOfParam, textParam } from '../shared/web/queryParams';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'batched', 'sending', 'sent', 'dead'];

type Deps = () => Pick<Services, 'notifier' | 'now'>;

const ports = (s: ReturnType<Deps>, context: InvocationContext) => ({
  outbox: s.notifier.outbox,
  channels: s.notifier.channels,
  log: context,
});

/**
 * `GET /api/notifications`: the outbox, newest first, with delivery state and last error
 * (`?status=dead|pending|batched|sending|sent`, `?cluster=` name or ARM id, `?limit=`). Links are not shown:
 * approval links are personal.
 */
export function notificationsHandler(getServices: Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const limit = intParam(request, 'limit', 200, 1000);
      const status = oneOfParam(request, 'status', STATUSES);
      const cluster = textParam(request, 'cluster');
      const rows = await getServices().notifier.outbox.list({
        limit,
        ...(status !== undefined && { status }),
        ...(cluster !== undefined && { cluster }),
      });
      return json(200, { notifications: rows.map(publicEntry) });
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

/**
 * `POST /api/notifications/{id}/retry` (function key): an operator sends a dead notification again
 * with a fresh attempt budget; it is dispatched right away.
 */
export function notificationRetryHandler(getServices: Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const s = getServices();
      const notification = await retryNotification(ports(s, context), request.params.id ?? '', s.now());
      return json(202, { notification });
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

/** `POST /api/notifications/dispatch` (function key): runs the dispatcher now and answers with its report. */
export function notificationDispatchHandler(getServices: Deps) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const s = getServices();
      return json(200, await dispatchNotifications(ports(s, context), s.now()));
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

httpRoute('notifications', {
  access: 'viewer',
  route: 'notifications',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: notificationsHandler(services),
});

httpRoute('notificationRetry', {
  access: 'operator',
  route: 'notifications/{id}/retry',
  methods: ['POST'],
  authLevel: 'function',
  handler: notificationRetryHandler(services),
});

httpRoute('notificationDispatch', {
  access: 'operator',
  route: 'notifications/dispatch',
  methods: ['POST'],
  authLevel: 'function',
  handler: notificationDispatchHandler(services),
});

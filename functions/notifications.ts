import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors';
import type { DeliveryStatus } from '../shared/notify/outbox';
import { publicEntry } from '../shared/store/outboxStore';
import { dispatchNotifications } from '../shared/usecases/dispatchNotifications';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, intParam, json } from '../shared/web/http';

const STATUSES: readonly DeliveryStatus[] = ['pending', 'sending', 'sent', 'dead'];

type Deps = () => Pick<Services, 'notifier' | 'now'>;

/**
 * `GET /api/notifications`: the outbox, newest first, with delivery state and last error
 * (`?status=dead|pending|sending|sent`, `?cluster=` name or ARM id, `?limit=`). Links are not shown:
 * approval links are personal.
 */
export function notificationsHandler(getServices: Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const limit = intParam(request, 'limit', 200, 1000);
      const status = request.query.get('status') ?? undefined;
      if (status !== undefined && !(STATUSES as readonly string[]).includes(status))
        throw new ValidationError(
          'bad status',
          `status must be one of ${STATUSES.join(', ')}, got "${status.slice(0, 40)}"`,
        );
      const cluster = request.query.get('cluster') ?? undefined;
      const rows = await getServices().notifier.outbox.list({
        limit,
        ...(status !== undefined && { status: status as DeliveryStatus }),
        ...(cluster !== undefined && cluster !== '' && { cluster }),
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
      const id = request.params.id ?? '';
      const { notifier, now } = getServices();
      const result = await notifier.outbox.retry(id, now());
      if (result === 'not-found') throw new NotFoundError(`no notification ${id.slice(0, 64)}`);
      if (result === 'not-retryable')
        throw new ConflictError(`notification ${id} is already sent or being sent`);
      await dispatchNotifications(
        { outbox: notifier.outbox, channels: notifier.channels, log: context },
        now(),
      );
      const after = await notifier.outbox.get(id);
      return json(202, { notification: publicEntry(after ?? result) });
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

/** `POST /api/notifications/dispatch` (function key): runs the dispatcher now and answers with its report. */
export function notificationDispatchHandler(getServices: Deps) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const { notifier, now } = getServices();
      const report = await dispatchNotifications(
        { outbox: notifier.outbox, channels: notifier.channels, log: context },
        now(),
      );
      return json(200, report);
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

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { ensureError } from '../shared/errors';
import { json } from '../shared/web/http';

/** `GET /api/health`: liveness, and whether Table Storage answers. 503 when it does not. */
export function healthHandler(getServices: () => Pick<Services, 'tables' | 'now'>) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const { tables, now } = getServices();
    const started = Date.now();
    try {
      await tables.ping();
      return json(200, {
        status: 'ok',
        storage: 'reachable',
        storageMs: Date.now() - started,
        at: now().toISOString(),
      });
    } catch (e) {
      context.warn(`health: storage unreachable: ${ensureError(e).message}`);
      return json(503, {
        status: 'degraded',
        storage: 'unreachable',
        detail: ensureError(e).message,
        at: now().toISOString(),
      });
    }
  };
}

app.http('health', {
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: healthHandler(services),
});

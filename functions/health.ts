import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { ConfigError } from '../shared/config';
import { ensureError } from '../shared/errors';
import { httpRoute } from '../shared/web/accessRoute';
import { json } from '../shared/web/http';

/**
 * `GET /api/health`: liveness, and whether Table Storage answers. 503 when it does not, and 503 naming
 * the setting when a setting is missing or invalid (every other function fails with it too).
 */
export function healthHandler(getServices: () => Pick<Services, 'tables' | 'now'>) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    let s: Pick<Services, 'tables' | 'now'>;
    try {
      s = getServices();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      context.error(`health: ${e.message}`);
      return json(503, {
        status: 'misconfigured',
        setting: e.setting,
        detail: e.message,
        at: new Date().toISOString(),
      });
    }
    const { tables, now } = s;
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

httpRoute('health', {
  access: 'anonymous',
  route: 'health',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: healthHandler(services),
});

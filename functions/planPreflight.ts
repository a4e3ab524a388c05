import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { ensureError } from '../shared/errors';
import { recheckPreflight } from '../shared/usecases/preflight';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json, readFields, requestSource } from '../shared/web/http';

/**
 * `POST /api/plans/{planId}/preflight` (function key; an operator action) `{ actor? }`: runs pre-flight
 * for an open plan now and records the report on it. 200 with the report; 404 unknown plan; 409 closed.
 */
export function planPreflightHandler(
  getServices: () => Pick<Services, 'plans' | 'links' | 'preflight' | 'now'>,
) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const fields = await readFields(request);
      const s = getServices();
      const report = await recheckPreflight(
        { plans: s.plans, links: s.links, preflight: s.preflight, now: s.now, log: context },
        request.params.planId ?? '',
        { actor: fields.actor ?? 'operator', source: { kind: 'http', ...requestSource(request) } },
      );
      return json(200, { planId: request.params.planId, preflight: report });
    } catch (e) {
      return errorResponse(ensureError(e), context);
    }
  };
}

httpRoute('planPreflight', {
  access: 'operator',
  route: 'plans/{planId}/preflight',
  methods: ['POST'],
  authLevel: 'function',
  handler: planPreflightHandler(services),
});

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { ingestDelivery } from '../shared/usecases/ingestEvents';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json, readBytes, remoteAddress } from '../shared/web/http';

/**
 * The CloudEvents abuse-protection handshake (Event Grid sends it instead of the validation event
 * when a subscription delivers CloudEvents): grant the origin that asked, at any rate.
 */
function abuseProtection(request: HttpRequest): HttpResponseInit {
  const origin = request.headers.get('webhook-request-origin');
  if (origin === null || origin.trim() === '') {
    return json(400, { error: 'bad handshake', detail: 'OPTIONS needs a WebHook-Request-Origin header' });
  }
  return {
    status: 200,
    headers: { 'WebHook-Allowed-Origin': origin, 'WebHook-Allowed-Rate': '*', Allow: 'POST, OPTIONS' },
  };
}

/** `POST /api/aks-events`: the Event Grid webhook for AKS events, both schemas, and its handshakes. */
export function aksEventsHandler(getServices: () => Pick<Services, 'events' | 'reactions' | 'now'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    if (request.method === 'OPTIONS') return abuseProtection(request);
    try {
      const bytes = await readBytes(request);
      const s = getServices();
      const contentType = request.headers.get('content-type') ?? undefined;
      const address = remoteAddress(request);
      const outcome = await ingestDelivery(
        { events: s.events, reactions: s.reactions, now: s.now, log: context },
        {
          body: bytes.toString('utf8'),
          bodyBytes: bytes.length,
          ...(contentType !== undefined && { contentType }),
          ...(address !== undefined && { remoteAddress: address }),
        },
      );
      if (outcome.kind === 'validation') return json(200, { validationResponse: outcome.validationResponse });
      const count = (o: string): number => outcome.items.filter((i) => i.outcome === o).length;
      const summary = {
        recorded: count('recorded'),
        duplicates: count('duplicate'),
        ignored: count('ignored'),
        rejected: count('rejected'),
        results: outcome.items,
      };
      if (outcome.partial) {
        const detail = outcome.items
          .filter((i) => i.outcome === 'rejected')
          .map((i) => `event[${i.index}]: ${i.problem ?? ''}`)
          .join('; ');
        return json(400, { error: 'invalid event', detail, ...summary });
      }
      return json(200, summary);
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

httpRoute('aksEvents', {
  access: 'anonymous',
  route: 'aks-events',
  methods: ['POST', 'OPTIONS'],
  authLevel: 'function',
  handler: aksEventsHandler(services),
});

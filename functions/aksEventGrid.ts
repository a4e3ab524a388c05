import type { EventGridEvent, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { PayloadTooLargeError, ValidationError } from '../shared/errors';
import { ingestDelivery } from '../shared/usecases/ingestEvents';

/**
 * The native Event Grid trigger: the same use case as the webhook, one event per invocation.
 * Bad events are logged and kept (Event Grid would only retry them); anything else, transient
 * storage failures included, is rethrown so the delivery is retried.
 */
export function aksEventGridHandler(getServices: () => Pick<Services, 'events' | 'reactions' | 'now'>) {
  return async (event: EventGridEvent, context: InvocationContext): Promise<void> => {
    const s = getServices();
    const body = JSON.stringify([event]);
    try {
      await ingestDelivery(
        { events: s.events, reactions: s.reactions, now: s.now, log: context },
        { body, bodyBytes: Buffer.byteLength(body), contentType: 'application/json' },
      );
    } catch (e) {
      if (e instanceof ValidationError || e instanceof PayloadTooLargeError) {
        context.warn(`event ${event.id} rejected: ${e instanceof ValidationError ? e.detail : e.message}`);
        return;
      }
      throw e;
    }
  };
}

app.eventGrid('aksEventGrid', { handler: aksEventGridHandler(services) });

import { ConflictError, NotFoundError } from '../errors';
import type { OutboxEntry } from '../notify/outbox';
import type { TableOutbox } from '../store/outboxStore';
import { publicEntry } from '../store/outboxStore';
import type { DispatchOutbox, DispatchPorts } from './dispatchNotifications';
import { dispatchNotifications } from './dispatchNotifications';

/**
 * An operator's retry of one notification: a dead (or pending) delivery gets a fresh attempt budget and
 * is dispatched at once; the answer is the delivery as it stands after that attempt. 404 for no such
 * delivery, 409 for one already sent or being sent.
 */
export async function retryNotification(
  ports: DispatchPorts & { readonly outbox: DispatchOutbox & Pick<TableOutbox, 'retry' | 'get'> },
  id: string,
  now: Date,
): Promise<OutboxEntry> {
  const result = await ports.outbox.retry(id, now);
  if (result === 'not-found') throw new NotFoundError(`no notification ${id.slice(0, 64)}`);
  if (result === 'not-retryable') throw new ConflictError(`notification ${id} is already sent or being sent`);
  await dispatchNotifications(ports, now);
  return publicEntry((await ports.outbox.get(id)) ?? result);
}

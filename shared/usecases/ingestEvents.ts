import type { AksEvent } from '../domain/aksEvents';
import type { DeliveryItem } from '../domain/eventDelivery';
import { parseDelivery } from '../domain/eventDelivery';
import { PayloadTooLargeError, TransientError, ValidationError } from '../errors';
import type { Logger } from '../logging';
import type { EventStore } from '../store/eventStore';

/** Event Grid's own limit for one event or one batch (docs/design/azure-events.md §6). */
export const MAX_DELIVERY_BYTES = 1024 * 1024;

/** Reacts to a recorded AKS event. Must be idempotent: it also runs for redeliveries. */
export type EventReaction = (event: AksEvent, log: Logger) => Promise<void>;

export interface IngestDeps {
  readonly events: EventStore;
  readonly now: () => Date;
  readonly log: Logger;
  readonly reactions?: readonly EventReaction[];
}

export interface Delivered {
  readonly body: string;
  readonly bodyBytes: number;
  readonly contentType?: string;
  readonly remoteAddress?: string;
}

export interface ItemOutcome {
  readonly index: number;
  readonly id?: string;
  readonly type?: string;
  readonly outcome: 'recorded' | 'duplicate' | 'ignored' | 'rejected';
  readonly problem?: string;
}

export type IngestOutcome =
  | { readonly kind: 'validation'; readonly validationResponse: string }
  | {
      readonly kind: 'events';
      readonly items: readonly ItemOutcome[];
      /** True when at least one event in the batch was invalid (the others are kept). */
      readonly partial: boolean;
    };

/**
 * Receives one Event Grid delivery.
 *
 * 1. Refuse an oversized body (413) and keep a clipped copy.
 * 2. Parse: handshake, or a batch whose events are decoded one by one.
 * 3. Record every valid event idempotently, keyed by (source, type, id), before answering.
 * 4. Keep every rejected body (clipped) where an operator can list it.
 * 5. Run the reactions for every AKS event, redeliveries included (they are idempotent).
 *
 * A body that is wholly bad throws `ValidationError`; a batch with some bad events returns
 * `partial: true` with the good ones recorded. An event the store can never hold is one of the bad
 * events; only a storage failure worth retrying becomes `TransientError`, so that Event Grid retries.
 */
export async function ingestDelivery(deps: IngestDeps, delivered: Delivered): Promise<IngestOutcome> {
  const receivedAt = deps.now();
  if (delivered.bodyBytes > MAX_DELIVERY_BYTES) {
    const error = new PayloadTooLargeError(MAX_DELIVERY_BYTES, delivered.bodyBytes);
    await keepRejection(deps, delivered, receivedAt, 413, 'payload too large', error.message);
    throw error;
  }

  const delivery = parseDelivery(delivered.body, delivered.contentType);
  if (delivery.kind === 'validation') {
    deps.log.info('Event Grid subscription validation answered');
    return { kind: 'validation', validationResponse: delivery.validationCode };
  }
  if (delivery.kind === 'malformed') {
    await keepRejection(deps, delivered, receivedAt, 400, 'malformed delivery', delivery.problem);
    throw new ValidationError('malformed delivery', delivery.problem);
  }

  const items: ItemOutcome[] = [];
  for (const item of delivery.items) items.push(await recordItem(deps, item, receivedAt));

  const bad = items.filter((i) => i.outcome === 'rejected');
  if (bad.length > 0) {
    const detail = bad
      .map((b) => `event[${b.index}]${b.id !== undefined ? ` (id ${b.id.slice(0, 100)})` : ''}: ${b.problem}`)
      .join('\n');
    await keepRejection(deps, delivered, receivedAt, 400, 'invalid event', detail);
    if (bad.length === items.length) throw new ValidationError('invalid event', detail);
  }
  return { kind: 'events', items, partial: bad.length > 0 };
}

async function recordItem(deps: IngestDeps, item: DeliveryItem, receivedAt: Date): Promise<ItemOutcome> {
  if (!item.ok) {
    deps.log.warn(`rejected event[${item.index}]: ${item.problem}`);
    return {
      index: item.index,
      outcome: 'rejected',
      problem: item.problem,
      ...(item.id !== undefined && { id: item.id }),
      ...(item.type !== undefined && { type: item.type }),
    };
  }
  // CloudEvents' `time` is optional; what Warden orders and dates by is then when it arrived.
  const event = item.event.time === '' ? { ...item.event, time: receivedAt.toISOString() } : item.event;
  let stored: 'created' | 'duplicate';
  try {
    stored = await deps.events.record(event, receivedAt);
  } catch (e) {
    // An event that can never be stored is the sender's problem: retrying it would fail for 24 hours.
    if (e instanceof ValidationError) {
      deps.log.warn(`rejected event[${item.index}]: ${e.detail}`);
      return { index: item.index, id: event.id, type: event.type, outcome: 'rejected', problem: e.detail };
    }
    throw new TransientError(`could not record event ${event.id}`, { cause: e });
  }
  if (event.handled) {
    for (const react of deps.reactions ?? []) await react(event, deps.log);
  }
  const outcome = !event.handled ? 'ignored' : stored === 'duplicate' ? 'duplicate' : 'recorded';
  return { index: item.index, id: event.id, type: event.type, outcome };
}

async function keepRejection(
  deps: IngestDeps,
  delivered: Delivered,
  receivedAt: Date,
  status: number,
  error: string,
  detail: string,
): Promise<void> {
  deps.log.warn(`rejected delivery (${status}): ${detail.split('\n')[0] ?? detail}`);
  try {
    await deps.events.reject({
      receivedAt: receivedAt.toISOString(),
      status,
      error,
      detail,
      bodyBytes: delivered.bodyBytes,
      body: delivered.body.slice(0, 16_000),
      ...(delivered.contentType !== undefined && { contentType: delivered.contentType }),
      ...(delivered.remoteAddress !== undefined && { remoteAddress: delivered.remoteAddress }),
    });
  } catch (e) {
    throw new TransientError('could not keep the rejected body', { cause: e });
  }
}

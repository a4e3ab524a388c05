import type { DecodedEvent } from '../../shared/domain/aksEvents';
import type { EventQuery, EventRecord, EventStore, Rejection } from '../../shared/store/eventStore';

/** An in-memory EventStore for handler tests: same idempotency key as the table store. */
export class MemoryEventStore implements EventStore {
  readonly records = new Map<string, EventRecord>();
  readonly rejected: Rejection[] = [];

  record(event: DecodedEvent, receivedAt: Date): Promise<'created' | 'duplicate'> {
    const clusters = event.handled ? event.clusters : [undefined];
    let created = false;
    for (const c of clusters) {
      const key = `${c?.key ?? '~ignored'}|${event.source.toLowerCase()}|${event.type.toLowerCase()}|${event.id}`;
      if (this.records.has(key)) continue;
      created = true;
      this.records.set(key, {
        eventId: event.id,
        eventType: event.type,
        source: event.source,
        subject: event.subject,
        schema: event.schema,
        eventTime: event.time,
        receivedAt: receivedAt.toISOString(),
        status: event.handled ? 'recorded' : 'ignored',
        ...(c !== undefined && { clusterId: c.id, clusterName: c.name }),
        data: event.handled ? event.data : event.rawData,
      });
    }
    return Promise.resolve(created ? 'created' : 'duplicate');
  }

  list(query: EventQuery): Promise<EventRecord[]> {
    const wanted = query.cluster?.toLowerCase();
    return Promise.resolve(
      [...this.records.values()].filter(
        (r) =>
          (wanted === undefined ||
            r.clusterName?.toLowerCase() === wanted ||
            r.clusterId?.toLowerCase() === wanted) &&
          (query.receivedFrom === undefined || r.receivedAt >= query.receivedFrom) &&
          (query.receivedUntil === undefined || r.receivedAt <= query.receivedUntil),
      ),
    );
  }

  reject(rejection: Rejection): Promise<void> {
    this.rejected.push(rejection);
    return Promise.resolve();
  }

  rejections(limit: number): Promise<Rejection[]> {
    return Promise.resolve(this.rejected.slice(0, limit));
  }
}

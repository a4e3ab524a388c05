import { createHash } from 'node:crypto';

import { odata } from '@azure/data-tables';

import type { DecodedEvent } from '../domain/aksEvents';
import type { ClusterRef } from '../domain/armId';
import { parseClusterId } from '../domain/armId';
import { ValidationError } from '../errors';
import { clippedJson, keyProblem, stringProblem, wellFormed } from './tableLimits';
import type { Tables } from './tables';
import { clip, isConflict, listAll, statusOf } from './tables';

/** One recorded delivery of one event about one cluster. */
export interface EventRecord {
  readonly eventId: string;
  readonly eventType: string;
  readonly source: string;
  readonly subject: string;
  readonly schema: 'eventgrid' | 'cloudevents';
  readonly eventTime: string;
  readonly receivedAt: string;
  /** `recorded` for AKS events, `ignored` for types Warden does not act on. */
  readonly status: 'recorded' | 'ignored';
  readonly clusterId?: string;
  readonly clusterName?: string;
  readonly data: unknown;
}

export interface EventQuery {
  /** A cluster name or ARM id (case-insensitive). */
  readonly cluster?: string;
  readonly type?: string;
  readonly limit?: number;
  /** Only events received at or after this ISO time (Table Storage filters them, not the caller). */
  readonly receivedFrom?: string;
  /** Only events received at or before this ISO time. */
  readonly receivedUntil?: string;
}

/** A body Warden refused, kept (size-bounded) so an operator can see what Event Grid dead-lettered. */
export interface Rejection {
  readonly receivedAt: string;
  readonly status: number;
  readonly error: string;
  readonly detail: string;
  readonly contentType?: string;
  readonly bodyBytes: number;
  /** The first part of the body; bodies are clipped to what one Table Storage property holds. */
  readonly body: string;
  readonly remoteAddress?: string;
}

export interface EventStore {
  /**
   * Records an event idempotently; `duplicate` when this (source, type, id) was recorded before.
   * An event that can never be stored (a field or key Table Storage cannot hold, or a write it refuses
   * as bad input) throws `ValidationError`; anything else thrown is worth retrying.
   */
  record(event: DecodedEvent, receivedAt: Date): Promise<'created' | 'duplicate'>;
  list(query: EventQuery): Promise<EventRecord[]>;
  reject(rejection: Rejection): Promise<void>;
  rejections(limit: number): Promise<Rejection[]>;
}

const IGNORED_PARTITION = '~ignored';

/** Row key for the idempotency key (source, type, id). The spec examples reuse one id across types. */
function rowKeyFor(source: string, type: string, id: string): string {
  return createHash('sha256')
    .update(`${source.toLowerCase()}\n${type.toLowerCase()}\n${id}`)
    .digest('base64url');
}

interface EventEntity {
  eventId: string;
  eventType: string;
  source: string;
  subject: string;
  schema: string;
  eventTime: string;
  receivedAt: string;
  status: string;
  clusterId?: string;
  clusterName?: string;
  data: string;
}

/** Table Storage events: partition per cluster, row per (source, type, id). One write per event and cluster. */
export class TableEventStore implements EventStore {
  constructor(private readonly tables: Tables) {}

  async record(event: DecodedEvent, receivedAt: Date): Promise<'created' | 'duplicate'> {
    const client = await this.tables.table('events');
    const rowKey = rowKeyFor(event.source, event.type, event.id);
    const base = {
      eventId: event.id,
      eventType: event.type,
      source: event.source,
      subject: event.subject,
      schema: event.schema,
      eventTime: event.time,
      receivedAt: receivedAt.toISOString(),
    };
    const targets: { partitionKey: string; entity: EventEntity }[] = event.handled
      ? event.clusters.map((c: ClusterRef) => ({
          partitionKey: c.key,
          entity: {
            ...base,
            status: 'recorded',
            clusterId: c.id,
            clusterName: c.name,
            data: clippedJson(event.data),
          },
        }))
      : [
          {
            partitionKey: IGNORED_PARTITION,
            entity: { ...base, status: 'ignored', data: clippedJson(event.rawData ?? null) },
          },
        ];
    const problem = unstorable(targets);
    if (problem !== undefined) throw new ValidationError('event cannot be stored', problem);

    let created = false;
    for (const t of targets) {
      try {
        await client.createEntity({ partitionKey: t.partitionKey, rowKey, ...t.entity });
        created = true;
      } catch (e) {
        if (isConflict(e)) continue;
        // Table Storage answers 400 to what it can never store (PropertyValueTooLarge, InvalidInput, …):
        // the sender's problem, not an outage.
        if (statusOf(e) === 400)
          throw new ValidationError('event cannot be stored', `Table Storage refused it: ${storageCode(e)}`, {
            cause: e,
          });
        throw e;
      }
    }
    return created ? 'created' : 'duplicate';
  }

  async list(query: EventQuery): Promise<EventRecord[]> {
    const client = await this.tables.table('events');
    const wanted = query.cluster?.trim().toLowerCase() ?? '';
    const byId = wanted.startsWith('/subscriptions/') ? parseClusterId(wanted) : undefined;
    // An id names a partition. A name may repeat across subscriptions, and Table Storage compares
    // strings case-sensitively, so names are matched here without case.
    const filter = [
      ...(byId ? [odata`PartitionKey eq ${byId.key}`] : []),
      ...(query.receivedFrom !== undefined ? [odata`receivedAt ge ${query.receivedFrom}`] : []),
      ...(query.receivedUntil !== undefined ? [odata`receivedAt le ${query.receivedUntil}`] : []),
    ].join(' and ');
    const rows = await listAll<EventEntity>(client, filter === '' ? undefined : filter);
    const type = query.type?.toLowerCase() ?? '';
    const matches = rows.filter(
      (r) =>
        (wanted === '' || byId !== undefined || r.clusterName?.toLowerCase() === wanted) &&
        (type === '' || r.eventType.toLowerCase() === type),
    );
    matches.sort(
      (a, b) => b.receivedAt.localeCompare(a.receivedAt) || b.eventTime.localeCompare(a.eventTime),
    );
    return matches.slice(0, query.limit ?? 200).map(toRecord);
  }

  async reject(rejection: Rejection): Promise<void> {
    const client = await this.tables.table('rejections');
    const at = Date.parse(rejection.receivedAt);
    // Newest first: the row key counts down from the end of time.
    const rowKey = `${String(9_999_999_999_999 - at).padStart(13, '0')}-${Math.random().toString(36).slice(2, 10)}`;
    await client.createEntity({
      partitionKey: rejection.receivedAt.slice(0, 10),
      rowKey,
      ...rejection,
      error: wellFormed(clip(rejection.error, 200)),
      body: wellFormed(clip(rejection.body, 16_000)),
      detail: wellFormed(clip(rejection.detail, 8_000)),
      ...(rejection.contentType !== undefined && {
        contentType: wellFormed(clip(rejection.contentType, 200)),
      }),
      ...(rejection.remoteAddress !== undefined && {
        remoteAddress: wellFormed(clip(rejection.remoteAddress, 200)),
      }),
    });
  }

  async rejections(limit: number): Promise<Rejection[]> {
    const client = await this.tables.table('rejections');
    const rows = await listAll<Rejection & { partitionKey: string }>(client);
    rows.sort((a, b) => b.receivedAt.localeCompare(a.receivedAt));
    return rows.slice(0, limit).map((r) => ({
      receivedAt: r.receivedAt,
      status: r.status,
      error: r.error,
      detail: r.detail,
      bodyBytes: r.bodyBytes,
      body: r.body,
      ...(r.contentType !== undefined && { contentType: r.contentType }),
      ...(r.remoteAddress !== undefined && { remoteAddress: r.remoteAddress }),
    }));
  }
}

/** What in these entities Table Storage could not hold, or undefined when every one can be written. */
function unstorable(targets: readonly { partitionKey: string; entity: EventEntity }[]): string | undefined {
  for (const t of targets) {
    const problems = [
      keyProblem('the cluster key (from its ARM id)', t.partitionKey),
      ...Object.entries(t.entity).map(([field, value]) =>
        typeof value === 'string' ? stringProblem(field === 'eventId' ? 'id' : field, value) : undefined,
      ),
    ].filter((p): p is string => p !== undefined);
    if (problems.length > 0) return problems.join('; ');
  }
  return undefined;
}

/** The error code Table Storage gave (`x-ms-error-code`), for a refusal's detail. */
function storageCode(e: unknown): string {
  const details = (e as { details?: { errorCode?: unknown; odataError?: { code?: unknown } } }).details;
  const code = details?.errorCode ?? details?.odataError?.code;
  return typeof code === 'string' ? code : 'bad request';
}

function toRecord(e: EventEntity): EventRecord {
  let data: unknown;
  try {
    data = JSON.parse(e.data);
  } catch {
    data = e.data;
  }
  return {
    eventId: e.eventId,
    eventType: e.eventType,
    source: e.source,
    subject: e.subject,
    schema: e.schema === 'cloudevents' ? 'cloudevents' : 'eventgrid',
    eventTime: e.eventTime,
    receivedAt: e.receivedAt,
    status: e.status === 'ignored' ? 'ignored' : 'recorded',
    ...(e.clusterId !== undefined && { clusterId: e.clusterId }),
    ...(e.clusterName !== undefined && { clusterName: e.clusterName }),
    data,
  };
}

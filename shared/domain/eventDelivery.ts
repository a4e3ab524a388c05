import type { DecodedEvent, EventEnvelope } from './aksEvents';
import { decodeAksEvent, SUBSCRIPTION_VALIDATION_EVENT } from './aksEvents';

/**
 * One HTTP delivery from Event Grid, parsed: either the subscription-validation handshake, or a
 * batch of events of which each is decoded or rejected on its own.
 *
 * Accepted shapes (docs/design/azure-events.md §3):
 * - Event Grid schema: a JSON array of events (Event Grid always sends an array). A single object is
 *   accepted too, so a sample file can be posted as it is.
 * - CloudEvents 1.0 structured mode: one object (`application/cloudevents+json`), or an array
 *   (`application/cloudevents-batch+json`, or any JSON array of CloudEvents).
 */
export type Delivery =
  | { readonly kind: 'validation'; readonly validationCode: string; readonly validationUrl?: string }
  | { readonly kind: 'events'; readonly items: readonly DeliveryItem[] }
  | { readonly kind: 'malformed'; readonly problem: string };

export type DeliveryItem =
  | { readonly index: number; readonly ok: true; readonly event: DecodedEvent }
  | {
      readonly index: number;
      readonly ok: false;
      readonly id?: string;
      readonly type?: string;
      readonly problem: string;
    };

/**
 * The most clusters one event may name. AKS's ScheduledEventEmitted lists one (the published samples
 * and every delivery seen); each named cluster costs a write and a lookup before the answer, and
 * Event Grid gives the answer 30 s, so a few leave room for a schedule shared by some clusters
 * while a body naming thousands is refused at once instead of timing out and being retried.
 */
export const MAX_CLUSTERS_PER_EVENT = 10;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function requiredString(obj: Record<string, unknown>, field: string, allowEmpty = false): string | string[] {
  const v = obj[field];
  if (typeof v !== 'string') return [`${field} is ${v === undefined ? 'missing' : 'not a string'}`];
  if (!allowEmpty && v.trim() === '') return [`${field} is empty`];
  return v;
}

function isTimestamp(text: string): boolean {
  return (
    /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(text) &&
    !isNaN(Date.parse(text))
  );
}

/** Validates the Event Grid schema envelope (the same fields the SDK's deserializer insists on). */
function eventGridEnvelope(obj: Record<string, unknown>): EventEnvelope | string {
  const problems: string[] = [];
  const pick = (field: string, allowEmpty = false): string => {
    const r = requiredString(obj, field, allowEmpty);
    if (typeof r === 'string') return r;
    problems.push(...r);
    return '';
  };
  const id = pick('id');
  const type = pick('eventType');
  const subject = pick('subject', true);
  const time = pick('eventTime');
  const dataVersion = obj.dataVersion;
  const topic = obj.topic;
  if (time !== '' && !isTimestamp(time))
    problems.push(`eventTime is not an ISO-8601 time: ${time.slice(0, 40)}`);
  if (obj.metadataVersion !== undefined && obj.metadataVersion !== '1') {
    problems.push(`metadataVersion must be "1", got ${JSON.stringify(obj.metadataVersion)}`);
  }
  if (dataVersion !== undefined && typeof dataVersion !== 'string')
    problems.push('dataVersion is not a string');
  if (topic !== undefined && typeof topic !== 'string') problems.push('topic is not a string');
  if (!('data' in obj)) problems.push('data is missing');
  if (problems.length > 0) return problems.join('; ');
  return { schema: 'eventgrid', id, type, source: typeof topic === 'string' ? topic : '', subject, time };
}

/** Validates a CloudEvents 1.0 envelope (spec: id, source, specversion, type required). */
function cloudEventEnvelope(obj: Record<string, unknown>): EventEnvelope | string {
  const problems: string[] = [];
  const pick = (field: string): string => {
    const r = requiredString(obj, field);
    if (typeof r === 'string') return r;
    problems.push(...r);
    return '';
  };
  const specversion = obj.specversion;
  if (specversion !== '1.0') {
    problems.push(
      specversion === undefined
        ? 'specversion is missing'
        : `specversion must be "1.0", got ${JSON.stringify(specversion)}`,
    );
  }
  const id = pick('id');
  const type = pick('type');
  const source = pick('source');
  const subject = typeof obj.subject === 'string' ? obj.subject : '';
  const time = typeof obj.time === 'string' ? obj.time : '';
  if (obj.time !== undefined && (typeof obj.time !== 'string' || !isTimestamp(obj.time))) {
    problems.push('time is not an ISO-8601 time');
  }
  if ('data' in obj && 'data_base64' in obj) problems.push('data and data_base64 are both present');
  if (problems.length > 0) return problems.join('; ');
  return { schema: 'cloudevents', id, type, source, subject, time };
}

function cloudEventData(obj: Record<string, unknown>): unknown {
  if (obj.data !== undefined) return obj.data;
  if (typeof obj.data_base64 === 'string') {
    try {
      return JSON.parse(Buffer.from(obj.data_base64, 'base64').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

function decodeItem(raw: unknown, index: number, forceCloudEvents: boolean): DeliveryItem {
  if (!isRecord(raw)) return { index, ok: false, problem: 'an event must be a JSON object' };
  const isCloud = forceCloudEvents || 'specversion' in raw || ('source' in raw && !('eventType' in raw));
  const envelope = isCloud ? cloudEventEnvelope(raw) : eventGridEnvelope(raw);
  const id = typeof raw.id === 'string' ? raw.id : undefined;
  const rawType = isCloud ? raw.type : raw.eventType;
  const type = typeof rawType === 'string' ? rawType : undefined;
  const failed = (problem: string): DeliveryItem => ({
    index,
    ok: false,
    problem,
    ...(id !== undefined && { id }),
    ...(type !== undefined && { type }),
  });
  if (typeof envelope === 'string') return failed(envelope);
  const decoded = decodeAksEvent(envelope, isCloud ? cloudEventData(raw) : raw.data);
  if (!decoded.ok) return failed(decoded.problem);
  if (decoded.value.handled && decoded.value.clusters.length > MAX_CLUSTERS_PER_EVENT)
    return failed(
      `data.resourceInfo.properties.resources lists ${decoded.value.clusters.length} clusters; ` +
        `Warden takes at most ${MAX_CLUSTERS_PER_EVENT} per event (AKS lists one)`,
    );
  return { index, ok: true, event: decoded.value };
}

/**
 * Parses a delivery body. `contentType` decides CloudEvents when it says so; otherwise each event's
 * own fields do (`specversion` means CloudEvents, `eventType` the Event Grid schema).
 */
export function parseDelivery(body: string, contentType: string | undefined): Delivery {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    const reason = e instanceof Error ? e.message : 'invalid JSON';
    return {
      kind: 'malformed',
      problem: body.trim() === '' ? 'the body is empty' : `the body is not JSON: ${reason}`,
    };
  }
  const media = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  const cloud = media === 'application/cloudevents+json' || media === 'application/cloudevents-batch+json';
  if (media === 'application/cloudevents-batch+json' && !Array.isArray(json)) {
    return { kind: 'malformed', problem: 'a cloudevents-batch body must be a JSON array' };
  }
  const list: unknown[] = Array.isArray(json) ? json : [json];
  if (!Array.isArray(json) && !isRecord(json)) {
    return { kind: 'malformed', problem: 'the body must be a JSON array of events or one event object' };
  }
  if (list.length === 0) return { kind: 'malformed', problem: 'the batch is empty' };

  const first = list[0];
  if (isRecord(first) && first.eventType === SUBSCRIPTION_VALIDATION_EVENT) {
    const data = first.data;
    if (!isRecord(data) || typeof data.validationCode !== 'string' || data.validationCode === '') {
      return { kind: 'malformed', problem: 'SubscriptionValidationEvent without data.validationCode' };
    }
    return {
      kind: 'validation',
      validationCode: data.validationCode,
      ...(typeof data.validationUrl === 'string' && { validationUrl: data.validationUrl }),
    };
  }
  return { kind: 'events', items: list.map((raw, i) => decodeItem(raw, i, cloud)) };
}

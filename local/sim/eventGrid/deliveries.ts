import { randomUUID } from 'node:crypto';

import type { SimCluster } from '../fleetFile/fleet';

/**
 * Event Grid deliveries of AKS system events to one webhook, the way an Event Grid subscription
 * makes them (azure-events.md §3, §5): a POST per event, the Event Grid schema as a JSON array (or
 * one CloudEvent with `application/cloudevents+json` when configured), `aeg-*` headers, success on
 * 200–204 only, no retry on 400/401/403/413, other failures retried on a (shortened) schedule.
 */
export const AKS_EVENT_TYPES = [
  'Microsoft.ContainerService.NewKubernetesVersionAvailable',
  'Microsoft.ContainerService.ClusterSupportEnding',
  'Microsoft.ContainerService.ClusterSupportEnded',
  'Microsoft.ContainerService.NodePoolRollingStarted',
  'Microsoft.ContainerService.NodePoolRollingSucceeded',
  'Microsoft.ContainerService.NodePoolRollingFailed',
] as const;
/** AKS's advance notice of an upgrade it will run (subscription-scoped system topic, preview). */
export const SCHEDULED_EVENT_TYPE =
  'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted';
export type AksEventType = (typeof AKS_EVENT_TYPES)[number] | typeof SCHEDULED_EVENT_TYPE;

export interface EventOptions {
  /** Where deliveries go; `undefined` records them without delivering. */
  readonly webhookUrl: () => string | undefined;
  readonly schema: 'eventgrid' | 'cloudevents';
  /** Wait before each retry (Event Grid: 10 s, 30 s, 1 min, 5 min, …; shortened here). */
  readonly retryDelaysMs: readonly number[];
  /** Attempts in all (Event Grid default 30). */
  readonly maxAttempts: number;
  /**
   * Validate the endpoint before the first delivery, as creating an Event Grid subscription does:
   * the SubscriptionValidationEvent handshake (Event Grid schema) or the CloudEvents OPTIONS
   * abuse-protection handshake. Until it succeeds nothing is delivered there.
   */
  readonly handshake?: boolean;
}

export const DEFAULT_RETRY_DELAYS_MS = [100, 300, 600, 3_000, 6_000, 18_000, 36_000];

export interface Delivery {
  readonly id: string;
  readonly eventType: string;
  readonly subject: string;
  readonly topic: string;
  readonly data: Record<string, unknown>;
  readonly time: string;
  attempts: number;
  status: 'pending' | 'delivered' | 'failed' | 'dropped' | 'not-sent';
  lastStatus: number | undefined;
  lastError: string | undefined;
}

/** ARM id of a cluster as Event Grid stamps it in `topic` / `source`. */
export function eventTopic(c: SimCluster): string {
  return `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`;
}

/** `2026-11-25T14:00:00.1230000Z`: Event Grid's seven fractional digits. */
function eventTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');
}

const MAX_KEPT = 10_000;

export class EventEmitter {
  private readonly log: Delivery[] = [];
  private pending = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly idleWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly options: EventOptions,
    private readonly now: () => Date,
  ) {}

  /**
   * Emits one event and starts delivering it: an AKS event about a cluster, or (no cluster) an event of a
   * subscription-scoped system topic such as the Fleet gate events, whose topic and subject are given.
   */
  emit(
    cluster: SimCluster | undefined,
    eventType: string,
    data: Record<string, unknown>,
    envelope: { readonly id?: string; readonly topic?: string; readonly subject?: string } = {},
  ): Delivery {
    const delivery: Delivery = {
      id: envelope.id ?? randomUUID(),
      eventType,
      subject: envelope.subject ?? cluster?.name ?? '',
      topic: envelope.topic ?? (cluster ? eventTopic(cluster) : ''),
      data,
      time: eventTime(this.now()),
      attempts: 0,
      status: 'pending',
      lastStatus: undefined,
      lastError: undefined,
    };
    this.log.push(delivery);
    if (this.log.length > MAX_KEPT) this.log.splice(0, this.log.length - MAX_KEPT);
    const url = this.options.webhookUrl();
    if (url === undefined || this.closed) {
      delivery.status = 'not-sent';
      return delivery;
    }
    this.pending += 1;
    if (this.options.handshake !== true) {
      void this.attempt(delivery, url);
      return delivery;
    }
    void this.validate(url).then((problem) => {
      if (problem === undefined) return this.attempt(delivery, url);
      delivery.lastError = `endpoint validation failed: ${problem}`;
      this.settle(delivery, 'not-sent');
      return undefined;
    });
    return delivery;
  }

  /** Endpoints and their handshake (undefined = validated, else the problem). */
  private readonly validations = new Map<string, Promise<string | undefined>>();

  /** The outcome of validating an endpoint, once per URL (a failed one is tried again next time). */
  validate(url: string): Promise<string | undefined> {
    let v = this.validations.get(url);
    if (!v) {
      v = this.handshakeWith(url).catch((e: unknown) => (e instanceof Error ? e.message : String(e)));
      this.validations.set(url, v);
      void v.then((problem) => {
        if (problem !== undefined) this.validations.delete(url);
      });
    }
    return v;
  }

  private async handshakeWith(url: string): Promise<string | undefined> {
    if (this.options.schema === 'cloudevents') {
      const origin = 'eventgrid.azure.net';
      const res = await fetch(url, {
        method: 'OPTIONS',
        headers: { 'WebHook-Request-Origin': origin, 'WebHook-Request-Rate': '120' },
        signal: AbortSignal.timeout(30_000),
      });
      await res.arrayBuffer();
      const allowed = res.headers.get('webhook-allowed-origin');
      return allowed === origin || allowed === '*'
        ? undefined
        : `OPTIONS answered ${res.status} without WebHook-Allowed-Origin`;
    }
    const code = randomUUID();
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'aeg-event-type': 'SubscriptionValidation',
        'aeg-subscription-name': 'WARDEN-SIMULATOR',
        'aeg-delivery-count': '0',
        'aeg-metadata-version': '1',
        'aeg-data-version': '1',
      },
      body: JSON.stringify([
        {
          id: randomUUID(),
          topic: '/subscriptions/00000000-0000-0000-0000-000000000000',
          subject: '',
          data: {
            validationCode: code,
            validationUrl: `https://eventgrid.simulator.invalid:553/eventsubscriptions/warden-simulator/validate?id=${code}`,
          },
          eventType: 'Microsoft.EventGrid.SubscriptionValidationEvent',
          eventTime: eventTime(this.now()),
          metadataVersion: '1',
          dataVersion: '1',
        },
      ]),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await res.text();
    if (res.status !== 200) return `validation answered ${res.status}`;
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return 'validation answer is not JSON';
    }
    return (body as { validationResponse?: unknown }).validationResponse === code
      ? undefined
      : 'validationResponse does not echo the validationCode';
  }

  deliveries(): readonly Delivery[] {
    return this.log;
  }

  clear(): void {
    this.log.length = 0;
  }

  /** Resolves when every delivery has succeeded or given up. */
  idle(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.pending = 0;
    this.idleWaiters.splice(0).forEach((r) => r());
  }

  private body(d: Delivery): { contentType: string; text: string } {
    if (this.options.schema === 'cloudevents') {
      return {
        contentType: 'application/cloudevents+json; charset=utf-8',
        text: JSON.stringify({
          id: d.id,
          source: d.topic,
          specversion: '1.0',
          type: d.eventType,
          subject: d.subject,
          time: d.time,
          data: d.data,
        }),
      };
    }
    return {
      contentType: 'application/json; charset=utf-8',
      text: JSON.stringify([
        {
          topic: d.topic,
          subject: d.subject,
          eventType: d.eventType,
          id: d.id,
          data: d.data,
          dataVersion: '1',
          metadataVersion: '1',
          eventTime: d.time,
        },
      ]),
    };
  }

  private async attempt(d: Delivery, url: string): Promise<void> {
    if (this.closed) return;
    const { contentType, text } = this.body(d);
    let status: number | undefined;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': contentType,
          'aeg-event-type': 'Notification',
          'aeg-subscription-name': 'WARDEN-SIMULATOR',
          'aeg-delivery-count': String(d.attempts),
          'aeg-metadata-version': this.options.schema === 'cloudevents' ? '1.0' : '1',
          ...(this.options.schema === 'eventgrid' && { 'aeg-data-version': '1' }),
          'aeg-output-event-id': d.id,
        },
        body: text,
        signal: AbortSignal.timeout(30_000),
      });
      status = res.status;
      await res.arrayBuffer();
      d.lastError = undefined;
    } catch (e) {
      d.lastError = e instanceof Error ? e.message : String(e);
    }
    d.attempts += 1;
    d.lastStatus = status;
    if (status !== undefined && status >= 200 && status <= 204) return this.settle(d, 'delivered');
    if (status !== undefined && [400, 401, 403, 413].includes(status)) return this.settle(d, 'dropped');
    if (d.attempts >= this.options.maxAttempts || this.closed) return this.settle(d, 'failed');
    const delays = this.options.retryDelaysMs;
    const delay = delays[Math.min(d.attempts - 1, delays.length - 1)] ?? 1000;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(d, url);
    }, delay);
    timer.unref();
    this.timers.add(timer);
  }

  private settle(d: Delivery, status: Delivery['status']): void {
    d.status = status;
    this.pending = Math.max(0, this.pending - 1);
    if (this.pending === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }
}

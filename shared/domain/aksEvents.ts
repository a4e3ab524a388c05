import type {
  ContainerServiceClusterSupportEventData,
  ContainerServiceNewKubernetesVersionAvailableEventData,
  ContainerServiceNodePoolRollingEventData,
} from '@azure/eventgrid';

import type { ClusterRef } from './armId';
import { parseClusterId } from './armId';
import type { FleetGate, FleetGateEventKind } from './fleetGate';
import { decodeFleetGate, FLEET_GATE_EVENT_TYPES } from './fleetGate';

/**
 * AKS events as Warden understands them: one typed value per delivery, whichever schema it came in.
 *
 * The wire formats are in docs/design/azure-events.md. Every `data` field is optional in the spec
 * (the SDK types claim otherwise), so each is validated here before anything is typed.
 */

export const AKS_EVENT_TYPES = {
  NewKubernetesVersionAvailable: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
  ClusterSupportEnding: 'Microsoft.ContainerService.ClusterSupportEnding',
  ClusterSupportEnded: 'Microsoft.ContainerService.ClusterSupportEnded',
  NodePoolRollingStarted: 'Microsoft.ContainerService.NodePoolRollingStarted',
  NodePoolRollingSucceeded: 'Microsoft.ContainerService.NodePoolRollingSucceeded',
  NodePoolRollingFailed: 'Microsoft.ContainerService.NodePoolRollingFailed',
  ScheduledEventEmitted:
    'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted',
} as const;

export type AksEventKind = keyof typeof AKS_EVENT_TYPES;
/** Every type Warden acts on (the Event Grid subscriptions filter to exactly these). */
export const HANDLED_EVENT_TYPES: readonly string[] = [
  ...Object.values(AKS_EVENT_TYPES),
  ...Object.values(FLEET_GATE_EVENT_TYPES),
];

export const SUBSCRIPTION_VALIDATION_EVENT = 'Microsoft.EventGrid.SubscriptionValidationEvent';

/** What each kind of event says, after validation. */
export type AksEventData =
  | {
      readonly kind: 'NewKubernetesVersionAvailable';
      readonly latestSupportedKubernetesVersion?: string;
      readonly latestStableKubernetesVersion?: string;
      readonly lowestMinorKubernetesVersion?: string;
      readonly latestPreviewKubernetesVersion?: string;
    }
  | { readonly kind: 'ClusterSupportEnding' | 'ClusterSupportEnded'; readonly kubernetesVersion: string }
  | {
      readonly kind: 'NodePoolRollingStarted' | 'NodePoolRollingSucceeded' | 'NodePoolRollingFailed';
      readonly nodePoolName: string;
    }
  | {
      readonly kind: 'ScheduledEventEmitted';
      readonly scheduledEventId: string;
      readonly eventSource?: string;
      readonly eventStatus: string;
      /** As text; an object (the end-of-support form) is kept as its JSON. */
      readonly eventDetails?: string;
      readonly scheduledTime?: string;
      readonly resourceLocation?: string;
      /** Set for the `EOLNotification` source: an end-of-support notice, not maintenance. */
      readonly endOfSupport?: EndOfSupportNotice;
    }
  /** A Fleet Manager gate was created, changed state or went with its run; `clusters` holds its fleet. */
  | { readonly kind: FleetGateEventKind; readonly gate: FleetGate };

/**
 * AKS's end-of-support notice (ScheduledEventEmitted with `eventSource: EOLNotification`): sent two
 * weeks and one week before a version's end of support, then weekly once it is out of support. It
 * needs no auto-upgrade channel and no maintenance window.
 */
export interface EndOfSupportNotice {
  /** `description`: `KubernetesVersionEOLTwoWeeks` | `KubernetesVersionEOLOneWeek` | `KubernetesVersionOutOfSupport`. */
  readonly notice: string;
  readonly kubernetesVersion: string;
  /** ISO. */
  readonly eolDate: string;
  /** Which support ends: the community one, or the LTS plan's. */
  readonly supportType: 'Community' | 'LTS';
  /** Negative once past. */
  readonly daysUntilEOL?: number;
  readonly region?: string;
}

/** The `eventSource` of end-of-support notices (compared without case). */
export const EOL_NOTIFICATION_SOURCE = 'EOLNotification';

/** The envelope fields Warden keeps, common to both schemas. */
export interface EventEnvelope {
  readonly schema: 'eventgrid' | 'cloudevents';
  readonly id: string;
  readonly type: string;
  /** `topic` (Event Grid) or `source` (CloudEvents). */
  readonly source: string;
  readonly subject: string;
  /** As sent; AKS uses 7 fractional digits, which `Date` would truncate. */
  readonly time: string;
}

/** A delivery Warden can act on: one AKS event about one or more clusters. */
export interface AksEvent extends EventEnvelope {
  readonly handled: true;
  readonly data: AksEventData;
  /** Usually one; a ScheduledEventEmitted may list several. */
  readonly clusters: readonly ClusterRef[];
}

/** A well-formed event of a type Warden does not act on. Recorded as ignored so Event Grid stops retrying. */
export interface IgnoredEvent extends EventEnvelope {
  readonly handled: false;
  readonly rawData: unknown;
}

export type DecodedEvent = AksEvent | IgnoredEvent;

const VERSION = /^\d+\.\d+(\.\d+)?$/;

type Problem = string;
type Result<T> = { ok: true; value: T } | { ok: false; problem: Problem };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalVersion(data: Record<string, unknown>, field: string): Result<string | undefined> {
  const value = data[field];
  if (value === undefined || value === null || value === '') return { ok: true, value: undefined };
  if (typeof value !== 'string' || !VERSION.test(value)) {
    return {
      ok: false,
      problem: `data.${field} must be a Kubernetes version such as 1.30.3, got ${describe(value)}`,
    };
  }
  return { ok: true, value };
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function decodeNewVersion(data: Record<string, unknown>): Result<AksEventData> {
  const partial: Partial<ContainerServiceNewKubernetesVersionAvailableEventData> = {};
  for (const field of [
    'latestSupportedKubernetesVersion',
    'latestStableKubernetesVersion',
    'lowestMinorKubernetesVersion',
    'latestPreviewKubernetesVersion',
  ] as const) {
    const r = optionalVersion(data, field);
    if (!r.ok) return r;
    if (r.value !== undefined) partial[field] = r.value;
  }
  if (
    partial.latestSupportedKubernetesVersion === undefined &&
    partial.latestStableKubernetesVersion === undefined &&
    partial.lowestMinorKubernetesVersion === undefined
  ) {
    return {
      ok: false,
      problem:
        'data carries no version: expected at least one of latestSupportedKubernetesVersion, latestStableKubernetesVersion, lowestMinorKubernetesVersion',
    };
  }
  return { ok: true, value: { kind: 'NewKubernetesVersionAvailable', ...partial } };
}

function decodeSupport(
  kind: 'ClusterSupportEnding' | 'ClusterSupportEnded',
  data: Record<string, unknown>,
): Result<AksEventData> {
  const raw: Partial<ContainerServiceClusterSupportEventData> = data;
  const v = raw.kubernetesVersion;
  if (typeof v !== 'string' || !VERSION.test(v)) {
    return { ok: false, problem: `data.kubernetesVersion must be a Kubernetes version, got ${describe(v)}` };
  }
  return { ok: true, value: { kind, kubernetesVersion: v } };
}

function decodeRolling(
  kind: 'NodePoolRollingStarted' | 'NodePoolRollingSucceeded' | 'NodePoolRollingFailed',
  data: Record<string, unknown>,
): Result<AksEventData> {
  const raw: Partial<ContainerServiceNodePoolRollingEventData> = data;
  const name = raw.nodePoolName;
  if (typeof name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/.test(name)) {
    return { ok: false, problem: `data.nodePoolName must be a node pool name, got ${describe(name)}` };
  }
  return { ok: true, value: { kind, nodePoolName: name } };
}

/**
 * ScheduledEventEmitted (preview) names the affected clusters in `data.resourceInfo.properties.resources`.
 * The SDK's typed names (`resourceDetails`, …) are not the wire names, so the raw object is read.
 */
function decodeScheduled(
  data: Record<string, unknown>,
): Result<{ data: AksEventData; clusters: ClusterRef[] }> {
  const info = data.resourceInfo;
  if (!isRecord(info)) return { ok: false, problem: 'data.resourceInfo must be an object' };
  const props = info.properties;
  if (!isRecord(props)) return { ok: false, problem: 'data.resourceInfo.properties must be an object' };
  const resources = props.resources;
  if (!Array.isArray(resources) || resources.length === 0) {
    return { ok: false, problem: 'data.resourceInfo.properties.resources must list the affected clusters' };
  }
  const clusters: ClusterRef[] = [];
  for (const [i, r] of resources.entries()) {
    const ref = typeof r === 'string' ? parseClusterId(r) : undefined;
    if (!ref) {
      return {
        ok: false,
        problem: `data.resourceInfo.properties.resources[${i}] is not a managed-cluster id: ${describe(r)}`,
      };
    }
    clusters.push(ref);
  }
  const status = props.eventStatus;
  if (typeof status !== 'string' || status === '') {
    return { ok: false, problem: 'data.resourceInfo.properties.eventStatus must be a string' };
  }
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  let endOfSupport: EndOfSupportNotice | undefined;
  if (str(props.eventSource)?.toLowerCase() === EOL_NOTIFICATION_SOURCE.toLowerCase()) {
    const eol = decodeEndOfSupport(props);
    if (!eol.ok) return eol;
    endOfSupport = eol.value;
  }
  const details =
    isRecord(props.eventDetails) || Array.isArray(props.eventDetails)
      ? JSON.stringify(props.eventDetails)
      : str(props.eventDetails);
  const scheduledEventId = str(props.eventId) ?? str(info.name);
  if (scheduledEventId === undefined) {
    return { ok: false, problem: 'data.resourceInfo.properties.eventId must be a string' };
  }
  const value: AksEventData = {
    kind: 'ScheduledEventEmitted',
    scheduledEventId,
    eventStatus: status,
    ...(str(props.eventSource) !== undefined && { eventSource: str(props.eventSource) }),
    ...(details !== undefined && { eventDetails: details }),
    ...(str(props.scheduledTime) !== undefined && { scheduledTime: str(props.scheduledTime) }),
    ...(str(info.location) !== undefined && { resourceLocation: str(info.location) }),
    ...(endOfSupport !== undefined && { endOfSupport }),
  };
  return { ok: true, value: { data: value, clusters } };
}

/**
 * The versions a NewKubernetesVersionAvailable announces (latest supported, stable, preview, and the
 * lowest minor's newest patch); none for any other event. A region read that lacks one of them is
 * older than the announcement.
 */
export function announcedVersions(data: AksEventData): string[] {
  if (data.kind !== 'NewKubernetesVersionAvailable') return [];
  return [
    data.latestSupportedKubernetesVersion,
    data.latestStableKubernetesVersion,
    data.latestPreviewKubernetesVersion,
    data.lowestMinorKubernetesVersion,
  ].filter((v): v is string => v !== undefined);
}

/**
 * `eventDetails` of an `EOLNotification`: an object, or that object as JSON text (the published query
 * parses it from text, so either may arrive).
 */
function decodeEndOfSupport(props: Record<string, unknown>): Result<EndOfSupportNotice> {
  let details: unknown = props.eventDetails;
  if (typeof details === 'string') {
    try {
      details = JSON.parse(details);
    } catch {
      return {
        ok: false,
        problem: `data.resourceInfo.properties.eventDetails of an EOLNotification must be an object or its JSON text, got ${describe(details)}`,
      };
    }
  }
  const at = 'data.resourceInfo.properties.eventDetails';
  if (!isRecord(details))
    return { ok: false, problem: `${at} of an EOLNotification must be an object, got ${describe(details)}` };
  const version = details.kubernetesVersion;
  if (typeof version !== 'string' || !VERSION.test(version))
    return {
      ok: false,
      problem: `${at}.kubernetesVersion must be a Kubernetes version, got ${describe(version)}`,
    };
  const eolDate = details.eolDate;
  if (typeof eolDate !== 'string' || Number.isNaN(Date.parse(eolDate)))
    return { ok: false, problem: `${at}.eolDate must be a date, got ${describe(eolDate)}` };
  const type = details.supportType ?? 'Community';
  const supportType =
    typeof type === 'string'
      ? (['Community', 'LTS'] as const).find((t) => t.toLowerCase() === type.toLowerCase())
      : undefined;
  if (supportType === undefined)
    return { ok: false, problem: `${at}.supportType must be Community or LTS, got ${describe(type)}` };
  const days = typeof details.daysUntilEOL === 'string' ? Number(details.daysUntilEOL) : details.daysUntilEOL;
  if (days !== undefined && (typeof days !== 'number' || !Number.isFinite(days)))
    return {
      ok: false,
      problem: `${at}.daysUntilEOL must be a number, got ${describe(details.daysUntilEOL)}`,
    };
  const notice =
    typeof props.description === 'string' && props.description !== ''
      ? props.description
      : 'KubernetesVersionEOL';
  return {
    ok: true,
    value: {
      notice,
      kubernetesVersion: version,
      eolDate: new Date(eolDate).toISOString(),
      supportType,
      ...(days !== undefined && { daysUntilEOL: days }),
      ...(typeof details.region === 'string' && details.region !== '' && { region: details.region }),
    },
  };
}

/** What an end-of-support notice asks of one cluster's plan. */
export type EndOfSupportDecision =
  | {
      readonly applies: true;
      /** `high` before the date (as ClusterSupportEnding), `critical` once past (as ClusterSupportEnded). */
      readonly urgency: 'high' | 'critical';
      /** The end-of-support date itself. */
      readonly deadline: string;
      readonly ended: boolean;
    }
  | { readonly applies: false; readonly why: string };

/**
 * Whether an end-of-support notice concerns the cluster as it runs now, and with what urgency. An LTS
 * cluster is held to its LTS date: a Community notice for its version does not raise it. A notice for
 * a minor that neither the control plane nor any pool runs any more is stale.
 */
export function endOfSupportDecision(
  notice: EndOfSupportNotice,
  cluster: {
    readonly kubernetesVersion: string;
    readonly supportPlan: string;
    readonly nodePools: readonly { readonly orchestratorVersion: string }[];
  },
  now: Date,
): EndOfSupportDecision {
  const minor = (v: string): string => v.split('.').slice(0, 2).join('.');
  const noticeMinor = minor(notice.kubernetesVersion);
  const runs = [cluster.kubernetesVersion, ...cluster.nodePools.map((p) => p.orchestratorVersion)].some(
    (v) => minor(v) === noticeMinor,
  );
  if (!runs)
    return {
      applies: false,
      why: `the cluster no longer runs ${noticeMinor} (${cluster.kubernetesVersion})`,
    };
  if (cluster.supportPlan === 'AKSLongTermSupport' && notice.supportType === 'Community')
    return {
      applies: false,
      why: `the cluster is on the LTS plan: community end of support of ${noticeMinor} does not end its support`,
    };
  const ended =
    /outofsupport/i.test(notice.notice) ||
    (notice.daysUntilEOL !== undefined && notice.daysUntilEOL <= 0) ||
    Date.parse(notice.eolDate) <= now.getTime();
  return { applies: true, urgency: ended ? 'critical' : 'high', deadline: notice.eolDate, ended };
}

function kindOf(type: string): AksEventKind | undefined {
  for (const [kind, wire] of Object.entries(AKS_EVENT_TYPES)) {
    if (wire.toLowerCase() === type.toLowerCase()) return kind as AksEventKind;
  }
  return undefined;
}

/** The published samples spell `AksResources`, the event-type table `AKSResources`: compared without case. */
function fleetGateKindOf(type: string): FleetGateEventKind | undefined {
  for (const [kind, wire] of Object.entries(FLEET_GATE_EVENT_TYPES)) {
    if (wire.toLowerCase() === type.toLowerCase()) return kind as FleetGateEventKind;
  }
  return undefined;
}

/**
 * Turns a validated envelope and its raw `data` into a typed event, or says what is wrong with it.
 * Event types Warden does not handle come back as `IgnoredEvent`.
 */
export function decodeAksEvent(envelope: EventEnvelope, rawData: unknown): Result<DecodedEvent> {
  const gateKind = fleetGateKindOf(envelope.type);
  if (gateKind !== undefined) {
    if (!isRecord(rawData)) return { ok: false, problem: `data must be an object for ${envelope.type}` };
    const gate = decodeFleetGate(rawData.resourceInfo);
    if (!gate.ok) return gate;
    return {
      ok: true,
      value: {
        ...envelope,
        handled: true,
        data: { kind: gateKind, gate: gate.value },
        clusters: [gate.value.fleet],
      },
    };
  }
  const kind = kindOf(envelope.type);
  if (kind === undefined) return { ok: true, value: { ...envelope, handled: false, rawData } };
  if (!isRecord(rawData)) return { ok: false, problem: `data must be an object for ${envelope.type}` };

  if (kind === 'ScheduledEventEmitted') {
    const r = decodeScheduled(rawData);
    if (!r.ok) return r;
    return {
      ok: true,
      value: { ...envelope, handled: true, data: r.value.data, clusters: r.value.clusters },
    };
  }

  const cluster = parseClusterId(envelope.source);
  if (!cluster) {
    const field = envelope.schema === 'eventgrid' ? 'topic' : 'source';
    return {
      ok: false,
      problem: `${field} must be a managed-cluster ARM id, got ${describe(envelope.source)}`,
    };
  }
  let data: Result<AksEventData>;
  switch (kind) {
    case 'NewKubernetesVersionAvailable':
      data = decodeNewVersion(rawData);
      break;
    case 'ClusterSupportEnding':
    case 'ClusterSupportEnded':
      data = decodeSupport(kind, rawData);
      break;
    case 'NodePoolRollingStarted':
    case 'NodePoolRollingSucceeded':
    case 'NodePoolRollingFailed':
      data = decodeRolling(kind, rawData);
      break;
  }
  if (!data.ok) return data;
  return { ok: true, value: { ...envelope, handled: true, data: data.value, clusters: [cluster] } };
}

import { randomUUID } from 'node:crypto';

import type { SimContext } from '../context';
import { SCHEDULED_EVENT_TYPE } from '../eventGrid/deliveries';
import type { SimCluster, SimRegion } from '../fleetFile/fleet';
import { clusterKey, newETag } from '../fleetFile/fleet';
import { clusterArmId } from './model';
import type { Step } from './operations';
import { checkControlPlaneUpgrade, finishCluster, poolRollStep } from './upgrades';
import type { MinorSpec } from './versions';
import { compareVersions, minorDistance, minorOf, sortedMinors } from './versions';

/**
 * What AKS cluster auto-upgrade does after a release (auto-upgrade-cluster.md), shortened: for each
 * cluster of the region on the `patch`, `stable` or `rapid` channel with a newer target, an advance
 * notice (ScheduledEventEmitted, `Scheduled`), then after `noticeMs` the upgrade itself — control
 * plane and every pool, with NodePoolRolling events — unless a `notAllowedDates` range of the
 * `aksManagedAutoUpgradeSchedule` covers that day (Warden's Defer), another operation runs, or the
 * deprecated-API block applies. Off unless asked (`startSimulator({ autoUpgrade })`).
 */
export interface AutoUpgradeOptions {
  /** Between the advance notice and the upgrade. */
  readonly noticeMs: number;
}

type Json = Record<string, unknown>;

/** The version a channel moves a cluster to, one minor at a time; undefined when it stays. */
export function channelTarget(
  minors: readonly MinorSpec[],
  channel: string | undefined,
  current: string,
): string | undefined {
  const ga = sortedMinors(minors).filter((m) => m.isPreview !== true && m.patches.length > 0);
  const latestOf = (m: MinorSpec | undefined): string | undefined =>
    m ? [...m.patches].sort(compareVersions).at(-1) : undefined;
  let target: string | undefined;
  if (channel === 'patch') target = latestOf(ga.find((m) => m.version === minorOf(current)));
  else if (channel === 'stable' || channel === 'rapid') {
    const top = channel === 'stable' ? (ga.at(-2) ?? ga.at(-1)) : ga.at(-1);
    if (!top) return undefined;
    // Never more than the next minor in one go; never beyond the channel's minor.
    const next = ga.find((m) => minorDistance(current, m.version) === 1);
    const minor =
      minorDistance(current, top.version) <= 0 ? ga.find((m) => m.version === minorOf(current)) : next;
    target = latestOf(minor);
  }
  return target !== undefined && compareVersions(target, current) > 0 ? target : undefined;
}

/** ScheduledEventEmitted as the fixture shows it: topic the subscription, subject the scheduled event under the cluster. */
export function scheduledEventPayload(
  ctx: SimContext,
  c: SimCluster,
  given: Json,
): { data: Json; topic: string; subject: string } {
  const eventId = typeof given.eventId === 'string' ? given.eventId : randomUUID();
  const id = clusterArmId(c);
  const now = ctx.now();
  const text = (k: string, fallback: string): string => (typeof given[k] === 'string' ? given[k] : fallback);
  const eol =
    text('eventSource', '').toLowerCase() === 'eolnotification' ? eolDetails(c, given, now) : undefined;
  return {
    topic: `/subscriptions/${c.subscriptionId}`,
    subject: `${id}/scheduledEvents/${eventId}`,
    data: {
      resourceInfo: {
        id: `${id}/${eventId}`,
        name: eventId,
        type: 'Microsoft.ContainerService/managedClusters/scheduledEvents',
        location: c.location,
        properties: {
          description: text('description', eol?.description ?? 'ScheduledEvents'),
          eventId,
          eventSource: text('eventSource', 'AutoUpgrader'),
          eventStatus: text('eventStatus', 'Scheduled'),
          eventDetails:
            eol?.details ?? text('eventDetails', `Upgrade of ${c.name} to a newer Kubernetes version`),
          scheduledTime: text(
            'scheduledTime',
            eol?.eolDate ?? new Date(now.getTime() + 7 * 86_400_000).toISOString(),
          ),
          startTime: '0001-01-01T00:00:00.0000000Z',
          lastUpdateTime: '0001-01-01T00:00:00.0000000Z',
          resources: [id],
          resourceType: 'ManagedCluster',
        },
      },
      operationalInfo: { resourceEventTime: now.toISOString() },
      apiVersion: '2023-11-02-preview',
    },
  };
}

/**
 * An end-of-support notice's `eventDetails` (the `EOLNotification` form): an object, or the text given.
 * By default the cluster's version, 14 days ahead, its support plan's type.
 */
function eolDetails(
  c: SimCluster,
  given: Json,
  now: Date,
): { description: string; eolDate: string; details: Json | string } {
  if (typeof given.eventDetails === 'string') {
    let parsed: Json = {};
    try {
      parsed = JSON.parse(given.eventDetails) as Json;
    } catch {
      // Sent as given: the receiver decides what a malformed notice is.
    }
    const eolDate = typeof parsed.eolDate === 'string' ? parsed.eolDate : now.toISOString();
    return { description: 'KubernetesVersionEOLTwoWeeks', eolDate, details: given.eventDetails };
  }
  const g = (
    typeof given.eventDetails === 'object' && given.eventDetails !== null ? given.eventDetails : {}
  ) as Json;
  const days = typeof g.daysUntilEOL === 'number' ? g.daysUntilEOL : 14;
  const eolDate =
    typeof g.eolDate === 'string' ? g.eolDate : new Date(now.getTime() + days * 86_400_000).toISOString();
  return {
    description:
      days <= 0
        ? 'KubernetesVersionOutOfSupport'
        : days <= 7
          ? 'KubernetesVersionEOLOneWeek'
          : 'KubernetesVersionEOLTwoWeeks',
    eolDate,
    details: {
      kubernetesVersion: c.currentKubernetesVersion,
      supportType: c.supportPlan === 'AKSLongTermSupport' ? 'LTS' : 'Community',
      region: c.location,
      ...g,
      eolDate,
      daysUntilEOL: days,
    },
  };
}

function emitScheduled(ctx: SimContext, c: SimCluster, given: Json): void {
  const e = scheduledEventPayload(ctx, c, given);
  ctx.events.emit(c, SCHEDULED_EVENT_TYPE, e.data, { topic: e.topic, subject: e.subject });
}

/** True when the day of `now` (UTC) falls in a not-allowed range of the auto-upgrade schedule. */
export function blackedOut(c: SimCluster, now: Date): boolean {
  const day = now.toISOString().slice(0, 10);
  const window = (c.maintenance.get('aksManagedAutoUpgradeSchedule')?.maintenanceWindow ?? {}) as Json;
  const dates = Array.isArray(window.notAllowedDates) ? (window.notAllowedDates as Json[]) : [];
  if (
    dates.some(
      (d) => typeof d.start === 'string' && typeof d.end === 'string' && d.start <= day && day <= d.end,
    )
  )
    return true;
  const legacy = c.maintenance.get('default')?.notAllowedTime;
  const t = now.getTime();
  return (Array.isArray(legacy) ? (legacy as Json[]) : []).some(
    (r) =>
      typeof r.start === 'string' &&
      typeof r.end === 'string' &&
      Date.parse(r.start) <= t &&
      t <= Date.parse(r.end),
  );
}

export interface AutoUpgradeRecord {
  readonly cluster: string;
  readonly from: string;
  readonly to: string;
  readonly eventId: string;
  outcome: 'scheduled' | 'started' | 'deferred' | 'skipped';
  reason: string | undefined;
}

export class AutoUpgrader {
  private readonly timers = new Set<NodeJS.Timeout>();
  readonly records: AutoUpgradeRecord[] = [];

  constructor(
    private readonly ctx: SimContext,
    private readonly options: AutoUpgradeOptions,
  ) {}

  /** Schedules what auto-upgrade does for the clusters of a region after its version list changed. */
  afterRelease(region: SimRegion): AutoUpgradeRecord[] {
    const out: AutoUpgradeRecord[] = [];
    for (const c of this.ctx.fleet.clusters.values()) {
      if (c.location !== region.name) continue;
      const to = channelTarget(region.versions, c.upgradeChannel, c.currentKubernetesVersion);
      if (to === undefined) continue;
      const eventId = randomUUID();
      const record: AutoUpgradeRecord = {
        cluster: c.name,
        from: c.currentKubernetesVersion,
        to,
        eventId,
        outcome: 'scheduled',
        reason: undefined,
      };
      this.records.push(record);
      out.push(record);
      const at = new Date(this.ctx.now().getTime() + this.options.noticeMs).toISOString();
      emitScheduled(this.ctx, c, {
        eventId,
        eventStatus: 'Scheduled',
        scheduledTime: at,
        eventDetails: `Upgrade Kubernetes version from ${record.from} to ${to}`,
      });
      const key = clusterKey(c.subscriptionId, c.resourceGroup, c.name);
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.run(key, record);
      }, this.options.noticeMs);
      timer.unref();
      this.timers.add(timer);
    }
    return out;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private run(key: string, record: AutoUpgradeRecord): void {
    const ctx = this.ctx;
    const c = ctx.fleet.clusters.get(key);
    const region = c ? ctx.fleet.regions.get(c.location) : undefined;
    const skip = (outcome: 'deferred' | 'skipped', reason: string): void => {
      record.outcome = outcome;
      record.reason = reason;
    };
    if (!c || !region) return skip('skipped', 'the cluster is gone');
    if (c.upgradeChannel === undefined || c.upgradeChannel === 'none')
      return skip('skipped', 'auto-upgrade was turned off');
    if (blackedOut(c, ctx.now()))
      return skip('deferred', 'a not-allowed date of aksManagedAutoUpgradeSchedule covers today');
    if (ctx.lro.isRunning(c.operationId)) return skip('skipped', 'another operation is running');
    if (compareVersions(c.currentKubernetesVersion, record.to) >= 0)
      return skip('skipped', 'already upgraded');
    const targets = new Map(c.pools.map((p) => [p.name, record.to]));
    const blocked = checkControlPlaneUpgrade(ctx, region, c, record.to, c.overrideSettings, targets);
    if (blocked) {
      const error = (blocked.body as { error?: { code?: string } } | undefined)?.error;
      return skip('skipped', `blocked: ${error?.code ?? String(blocked.status)}`);
    }
    const steps: Step[] = [
      { durationMs: ctx.durations.controlPlaneMs, end: () => void (c.currentKubernetesVersion = record.to) },
      ...c.pools.map((p) => poolRollStep(ctx, c, p, { version: record.to }, ctx.durations.poolMs)),
    ];
    c.kubernetesVersion = record.to;
    c.provisioningState = 'Upgrading';
    c.eTag = newETag();
    const op = ctx.lro.start({
      subscriptionId: c.subscriptionId,
      location: c.location,
      clusterKey: key,
      kind: 'auto-upgrading',
      steps,
      done: finishCluster(c),
    });
    c.operationId = op.id;
    record.outcome = 'started';
    emitScheduled(ctx, c, {
      eventId: record.eventId,
      eventStatus: 'Started',
      scheduledTime: ctx.now().toISOString(),
      eventDetails: `Upgrade Kubernetes version from ${record.from} to ${record.to}`,
    });
  }
}

import type { DeferClaims } from '../approvals/actionTokens';
import { checkDefer, signDefer } from '../approvals/actionTokens';
import type { ApprovalKeys } from '../approvals/tokens';
import type { AksGateway } from '../azure/aksGateway';
import type { AksEvent } from '../domain/aksEvents';
import type { ClusterRef } from '../domain/armId';
import type { ClusterSnapshot, MaintenanceConfigurationSnapshot } from '../domain/cluster';
import {
  AUTO_UPGRADE_CONFIG,
  configurationName,
  DEFAULT_CONFIG,
  localDate,
  NODE_OS_UPGRADE_CONFIG,
  parseMaintenanceConfiguration,
  withBlackoutDate,
} from '../domain/maintenanceConfiguration';
import type { Notice } from '../domain/notice';
import type { HttpOrigin } from '../domain/plan';
import type { Policy } from '../domain/policy';
import { allowedApprovers, isGated } from '../domain/policy';
import {
  ConflictError,
  ensureError,
  ForbiddenError,
  NotFoundError,
  TransientError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import type { RunnerStore } from '../store/runnerStore';
import type { EventReaction } from './ingestEvents';
import type { FleetReader } from './proposePlans';

/**
 * Defer: AKS announces the upgrades it runs itself (ScheduledEventEmitted, `Scheduled`, 7 d and
 * 24 h ahead). On a gated cluster that is an upgrade nobody approved, so the notice offers Defer: a signed
 * link per approver, checked like an approval (HMAC, expiry, approver, single use) and audited, that adds
 * the scheduled day to the governing maintenance configuration's `notAllowedDates` (PUT through ARM).
 */
export interface DeferDeps {
  readonly aks: AksGateway;
  readonly fleet: Pick<FleetReader, 'cluster'>;
  readonly policy: Policy;
  readonly runs: RunnerStore;
  readonly outbox: Pick<Outbox, 'enqueue'>;
  readonly keys: ApprovalKeys;
  readonly baseUrl: string;
  readonly now: () => Date;
  readonly log: Logger;
}

/** Defer links live until the announced time (at most 8 days). */
const MAX_LINK_MS = 8 * 86_400_000;

/** Node-OS work (security VHDs, node images) goes by the node-OS schedule; Kubernetes upgrades by the auto-upgrade one. */
function preferredConfigs(details: string): string[] {
  const nodeOs = /vhd|node ?image|node ?os|security patch|nodeimage/i.test(details);
  return nodeOs
    ? [NODE_OS_UPGRADE_CONFIG, DEFAULT_CONFIG, AUTO_UPGRADE_CONFIG]
    : [AUTO_UPGRADE_CONFIG, DEFAULT_CONFIG, NODE_OS_UPGRADE_CONFIG];
}

/** The configuration a Defer changes, and the day to black out on its clock. */
export function deferTarget(
  configs: readonly MaintenanceConfigurationSnapshot[],
  details: string,
  scheduledTime: Date,
): { configName: string; date: string } | undefined {
  for (const name of preferredConfigs(details)) {
    const config = configs.find((c) => configurationName(c)?.toLowerCase() === name.toLowerCase());
    if (config === undefined) continue;
    let offset = '+00:00';
    try {
      const schedule = parseMaintenanceConfiguration(config);
      if (schedule.form === 'window') offset = schedule.utcOffset;
    } catch {
      continue;
    }
    return { configName: config.name, date: localDate(scheduledTime, offset) };
  }
  return undefined;
}

const refOf = (s: ClusterSnapshot): ClusterRef => ({
  id: s.id,
  subscriptionId: s.subscriptionId,
  resourceGroup: s.resourceGroup,
  name: s.name,
  key: s.key,
});

/** The intake reaction: a `Scheduled` AKS-run upgrade on a gated cluster → notices with Defer links. */
export function deferReaction(getDeps: () => Omit<DeferDeps, 'log'>): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    if (event.data.kind !== 'ScheduledEventEmitted' || event.data.eventStatus.toLowerCase() !== 'scheduled')
      return;
    // An end-of-support notice is not maintenance AKS will run: nothing to defer (endOfSupport.ts).
    if (event.data.endOfSupport !== undefined) return;
    const data = event.data;
    const deps = { ...getDeps(), log };
    const now = deps.now();
    const when = data.scheduledTime !== undefined ? new Date(data.scheduledTime) : undefined;
    for (const ref of event.clusters) {
      let snapshot: ClusterSnapshot | undefined;
      try {
        snapshot = await deps.fleet.cluster(ref);
      } catch (e) {
        throw new TransientError(`could not read cluster ${ref.name} for Defer`, { cause: e });
      }
      if (!snapshot || !isGated(deps.policy, snapshot.ring)) continue;
      const details = `${data.eventSource ?? ''} ${data.eventDetails ?? ''}`;
      const target =
        when !== undefined && !Number.isNaN(when.getTime())
          ? deferTarget(snapshot.maintenanceConfigurations, details, when)
          : undefined;
      const approvers = allowedApprovers(deps.policy, snapshot.ring);
      const exp = Math.floor(
        Math.min(when?.getTime() ?? now.getTime() + MAX_LINK_MS, now.getTime() + MAX_LINK_MS) / 1000,
      );
      const base = {
        kind: 'aks-advance-notice' as const,
        severity: 'warning' as const,
        title: `${snapshot.name}: AKS-run upgrade scheduled${data.scheduledTime !== undefined ? ` for ${data.scheduledTime}` : ''}`,
        facts: [
          { label: 'Cluster', value: snapshot.name },
          { label: 'Ring', value: snapshot.ring },
          { label: 'What', value: data.eventDetails ?? 'an AKS-run upgrade' },
          { label: 'Source', value: data.eventSource ?? 'AKS' },
          { label: 'Scheduled', value: data.scheduledTime ?? 'unknown' },
          ...(target
            ? [{ label: 'Defer adds', value: `${target.date} to ${target.configName} notAllowedDates` }]
            : []),
        ],
        audience: ['oncall' as const],
        cluster: { id: snapshot.id, name: snapshot.name, ring: snapshot.ring, tags: snapshot.tags },
        at: event.time,
      };
      const summary = `AKS will run this on a gated cluster without Warden's approval (ring ${snapshot.ring}).`;
      const notices: Notice[] =
        target === undefined || approvers.length === 0
          ? [
              {
                ...base,
                key: `defer:${data.scheduledEventId}:${snapshot.key}`,
                summary: `${summary} There is no maintenance configuration to add a blackout day to: turn AKS auto-upgrade off or add a window.`,
                actions: [],
              },
            ]
          : approvers.map((approver) => {
              const claims: DeferClaims = {
                clusterKey: snapshot.key,
                approver,
                date: target.date,
                configName: target.configName,
                requestId: data.scheduledEventId,
                exp,
              };
              const url = `${deps.baseUrl}/api/defer/${encodeURIComponent(snapshot.key)}?token=${signDefer(claims, deps.keys)}`;
              return {
                ...base,
                key: `defer:${data.scheduledEventId}:${snapshot.key}`,
                summary: `${summary} Defer blocks ${target.date} in ${target.configName}, so AKS moves it to a later window.`,
                actions: [{ label: `Defer (block ${target.date})`, url, style: 'default' as const }],
                recipient: approver,
              };
            });
      await deps.outbox.enqueue(notices, now);
      log.info(
        `defer: ${snapshot.name} scheduled event ${data.scheduledEventId}: ${notices.length} notice(s)`,
      );
    }
  };
}

export interface DeferCheckResult {
  readonly claims: DeferClaims;
  readonly cluster: ClusterSnapshot;
  /** A used link's record, when it was used before. */
  readonly usedAt?: string;
}

/** Checks a Defer link (the confirmation page changes nothing). */
export async function checkDeferLink(
  deps: Omit<DeferDeps, 'log'>,
  clusterKey: string,
  token: string | undefined,
): Promise<DeferCheckResult> {
  const check = checkDefer(clusterKey, token, deps.keys, deps.now());
  if (!check.ok) {
    if (check.status === 400) throw new ValidationError('bad token', check.detail);
    if (check.status === 401) throw new UnauthorizedError(check.detail);
    throw new ForbiddenError(check.detail);
  }
  const [subscriptionId = '', resourceGroup = '', name = ''] = check.claims.clusterKey.split(':');
  const ref: ClusterRef = {
    id: `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`,
    subscriptionId,
    resourceGroup,
    name,
    key: check.claims.clusterKey,
  };
  const cluster = await deps.fleet.cluster(ref);
  if (!cluster) throw new NotFoundError(`cluster ${name} is not known to Warden`);
  if (!allowedApprovers(deps.policy, cluster.ring).includes(check.claims.approver))
    throw new ForbiddenError(`${check.claims.approver} may not defer upgrades in ${cluster.ring}`);
  const used = (await deps.runs.defers(cluster.key)).find(
    (d) => d.requestId === check.claims.requestId && d.approver === check.claims.approver,
  );
  return { claims: check.claims, cluster, ...(used !== undefined && { usedAt: used.at }) };
}

export interface DeferOutcome {
  readonly cluster: string;
  readonly configName: string;
  readonly date: string;
  /** False when the day was already blacked out. */
  readonly changed: boolean;
  readonly approver: string;
}

/**
 * Defers an AKS-run upgrade from a link (the POST).
 *
 * 1. Check the link (signature, expiry, cluster, approver) and that it was not used (409).
 * 2. Read the configuration from ARM and add the day (`withBlackoutDate`; idempotent).
 * 3. PUT it through the gateway when it changed, then record the use (single use + audit row).
 */
export async function deferUpgrade(
  deps: DeferDeps,
  clusterKey: string,
  token: string | undefined,
  source: HttpOrigin,
): Promise<DeferOutcome> {
  const { claims, cluster, usedAt } = await checkDeferLink(deps, clusterKey, token);
  if (usedAt !== undefined) throw new ConflictError(`this Defer link was already used at ${usedAt}`);
  const ref = refOf(cluster);
  const configs = await deps.aks.listMaintenanceConfigurations(ref);
  const config = configs.find((c) => c.name.toLowerCase() === claims.configName.toLowerCase());
  if (!config)
    throw new ConflictError(`${cluster.name} has no maintenance configuration ${claims.configName} any more`);
  const change = withBlackoutDate(config, claims.date);
  if (change.changed) {
    try {
      await deps.aks.putMaintenanceConfiguration(ref, change.configName, change.properties);
    } catch (e) {
      const err = ensureError(e);
      deps.log.warn(`defer ${cluster.name} ${claims.date}: ${err.message}`);
      throw err;
    }
  }
  const now = deps.now();
  const recorded = await deps.runs.recordDefer({
    clusterKey: cluster.key,
    requestId: claims.requestId,
    approver: claims.approver,
    date: claims.date,
    configName: change.configName,
    at: now.toISOString(),
    changed: change.changed,
    ...(source.ip !== undefined && { ip: source.ip }),
    ...(source.claimedForwardedFor !== undefined && { claimedForwardedFor: source.claimedForwardedFor }),
    ...(source.userAgent !== undefined && { userAgent: source.userAgent }),
  });
  if (!recorded) throw new ConflictError('this Defer link was already used');
  deps.log.info(`defer: ${claims.approver} blocked ${claims.date} in ${cluster.name}/${change.configName}`);
  return {
    cluster: cluster.name,
    configName: change.configName,
    date: claims.date,
    changed: change.changed,
    approver: claims.approver,
  };
}

import type { AksEvent, EndOfSupportNotice } from '../domain/aksEvents';
import { endOfSupportDecision } from '../domain/aksEvents';
import type { ClusterSnapshot } from '../domain/cluster';
import type { EndOfSupportEntry } from '../domain/clusterTimeline';
import type { Notice } from '../domain/notice';
import type { By } from '../domain/plan';
import { TransientError } from '../errors';
import type { Logger } from '../logging';
import type { Outbox } from '../notify/outbox';
import type { ClusterStore } from '../store/clusterStore';
import { recordOnTimeline } from './clusterTimeline';
import type { EventReaction } from './ingestEvents';
import type { FleetReader, PlanningDeps } from './proposePlans';
import { proposePlansForCluster } from './proposePlans';

/**
 * The intake reaction to AKS's end-of-support notices (ScheduledEventEmitted from `EOLNotification`,
 * two weeks and one week ahead, then weekly once out of support). Per cluster named:
 *
 * 1. Judge it ({@link endOfSupportDecision}): an LTS cluster is held to its LTS date, a minor it no
 *    longer runs is stale.
 * 2. Put it on the cluster's timeline (once per version and notice), which shows it on the cluster.
 * 3. When it applies: raise the cluster's plan as ClusterSupportEnding does (`high`; `critical` once
 *    past), the deadline the end-of-support date, and tell on-call and the owners once per notice.
 *
 * A redelivery or the weekly repeat finds the entry, the raised plan and the notice key in place.
 */
export function endOfSupportReaction(
  getDeps: () => PlanningDeps & {
    readonly fleet: FleetReader;
    readonly clusters: Pick<ClusterStore, 'get' | 'write'>;
    readonly outbox: Pick<Outbox, 'enqueue'>;
    readonly now: () => Date;
  },
): EventReaction {
  return async (event: AksEvent, log: Logger): Promise<void> => {
    if (event.data.kind !== 'ScheduledEventEmitted' || event.data.endOfSupport === undefined) return;
    const notice = event.data.endOfSupport;
    const deps = { ...getDeps(), log };
    const now = deps.now();
    for (const ref of event.clusters) {
      let snapshot: ClusterSnapshot | undefined;
      try {
        snapshot = await deps.fleet.cluster(ref);
      } catch (e) {
        throw new TransientError(`could not read cluster ${ref.name} for its end-of-support notice`, {
          cause: e,
        });
      }
      if (!snapshot) {
        log.info(
          `end of support: cluster ${ref.name} is not in the fleet store; the notice is recorded only`,
        );
        continue;
      }
      const decision = endOfSupportDecision(notice, snapshot, now);
      const entry: EndOfSupportEntry = {
        kind: 'end-of-support',
        key: `eol:${notice.kubernetesVersion}:${notice.notice}`,
        at: event.time,
        eventId: event.id,
        notice,
        applies: decision.applies,
        ...(!decision.applies && { why: decision.why }),
      };
      await recordOnTimeline(deps.clusters, snapshot, [entry]);
      if (!decision.applies) {
        log.info(
          `end of support: ${snapshot.name} ${notice.notice} ${notice.kubernetesVersion}: ${decision.why}`,
        );
        continue;
      }
      const by: By = {
        actor: 'warden',
        source: { kind: 'event', eventId: event.id, eventType: 'ScheduledEventEmitted' },
      };
      try {
        const region = await deps.fleet.regionVersions(snapshot.subscriptionId, snapshot.location);
        await proposePlansForCluster(deps, snapshot, region, now, {
          by,
          reason: `AKS end-of-support notice ${notice.notice} for ${notice.kubernetesVersion} (event ${event.id})`,
          urgency: decision.urgency,
          deadline: decision.deadline,
          findings: (deps.fleet.findings?.(snapshot) ?? []).map((f) => ({
            severity: f.severity,
            message: f.message,
          })),
        });
      } catch (e) {
        throw new TransientError(`could not plan ${snapshot.name} for its end-of-support notice`, {
          cause: e,
        });
      }
      await deps.outbox.enqueue([endOfSupportNotice(snapshot, notice, decision.ended, event)], now);
    }
  };
}

function endOfSupportNotice(
  snapshot: ClusterSnapshot,
  notice: EndOfSupportNotice,
  ended: boolean,
  event: AksEvent,
): Notice {
  const v = notice.kubernetesVersion;
  const date = notice.eolDate.slice(0, 10);
  return {
    kind: ended ? 'support-ended' : 'support-ending',
    key: `eol:${snapshot.key}:${v}:${notice.notice}`,
    severity: ended ? 'critical' : 'warning',
    title: `${snapshot.name}: Kubernetes ${v} ${notice.supportType} support ${ended ? `ended on ${date}` : `ends on ${date}`}`,
    summary: ended
      ? `AKS says ${v} on ${snapshot.name} is out of ${notice.supportType} support since ${date}. Warden raised its upgrade plan to critical; approve it now.`
      : `AKS says ${notice.supportType} support for ${v} on ${snapshot.name} ends on ${date}${notice.daysUntilEOL !== undefined ? ` (${notice.daysUntilEOL} days)` : ''}. Warden's upgrade plan now has that deadline.`,
    facts: [
      { label: 'Cluster', value: snapshot.name },
      { label: 'Ring', value: snapshot.ring },
      { label: 'Version', value: v },
      { label: 'Support', value: notice.supportType },
      { label: 'End of support', value: notice.eolDate },
      { label: 'AKS notice', value: notice.notice },
    ],
    actions: [],
    audience: ended ? ['oncall', 'oncall-secondary', 'owners'] : ['oncall', 'owners'],
    cluster: { id: snapshot.id, name: snapshot.name, ring: snapshot.ring, tags: snapshot.tags },
    at: event.time,
  };
}

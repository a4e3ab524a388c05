import type { ClusterVersions, EndOfSupportEntry, TimelineEntry } from './clusterTimeline';
import type { SupportAssessment } from './versions';

/**
 * How long a cluster's version stays supported, as far as Warden knows. AKS publishes no end-of-support
 * date through its API (the release calendar is a web page), so the only real date Warden has is the
 * one in AKS's own end-of-support notice (`eolDate`), kept on the cluster's timeline. Without one, the
 * honest answer is a count: how many more minors the region can release before this one leaves N-2.
 */
export interface SupportOutlook {
  /** The end-of-support date of the cluster's minor from AKS's notice; undefined: no date known. */
  readonly endsAt?: string;
  /** Whole days from `now` to `endsAt`, rounded down; negative once past. */
  readonly daysLeft?: number;
  /** The notice the date comes from (`KubernetesVersionEOLTwoWeeks`…) and which support it ends. */
  readonly notice?: Pick<EndOfSupportEntry['notice'], 'notice' | 'supportType'>;
  /** More minor releases before the minor leaves support (N-2), for a `supported` cluster. */
  readonly minorsLeft?: number;
}

const DAY_MS = 86_400_000;
const minorOf = (v: string): string => v.split('.').slice(0, 2).join('.');

/** The latest end-of-support notice that applies to the minor the cluster's control plane runs. */
export function endOfSupportNoticeFor(
  cluster: Pick<ClusterVersions, 'kubernetesVersion'>,
  timeline: readonly TimelineEntry[],
): EndOfSupportEntry | undefined {
  const minor = minorOf(cluster.kubernetesVersion);
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i];
    if (e?.kind === 'end-of-support' && e.applies && minorOf(e.notice.kubernetesVersion) === minor) return e;
  }
  return undefined;
}

export function supportOutlook(
  cluster: Pick<ClusterVersions, 'kubernetesVersion'>,
  support: SupportAssessment | undefined,
  timeline: readonly TimelineEntry[],
  now: Date,
): SupportOutlook {
  const minorsLeft =
    support?.status === 'supported' ? { minorsLeft: Math.max(0, 2 - support.minorsBehind) } : {};
  const eol = endOfSupportNoticeFor(cluster, timeline);
  if (eol === undefined) return minorsLeft;
  const { eolDate, notice, supportType } = eol.notice;
  return {
    endsAt: eolDate,
    daysLeft: Math.floor((Date.parse(eolDate) - now.getTime()) / DAY_MS),
    notice: { notice, supportType },
    ...minorsLeft,
  };
}

import type { TimelineEntry } from '../domain/clusterTimeline';
import { withTimelineEntries } from '../domain/clusterTimeline';
import type { FindingCode } from '../domain/compliance';
import { sortFindings, timelineFindings } from '../domain/compliance';
import { ConflictError, TransientError } from '../errors';
import type { ClusterStore } from '../store/clusterStore';

/** Findings that come from the timeline (recomputed whenever it changes). */
const TIMELINE_CODES: ReadonlySet<FindingCode> = new Set(['end-of-support', 'upgraded-outside-warden']);

const ATTEMPTS = 4;

/**
 * Adds entries to a stored cluster's timeline, those it already has (by key) left out, and refreshes
 * the findings that come from it, so `/api/clusters` shows them before the next sweep. ETag-checked:
 * a sweep writing meanwhile makes this re-read and retry (the sweep keeps the timeline it read).
 * Answers the entries actually added; none when the cluster is not stored.
 */
export async function recordOnTimeline(
  store: Pick<ClusterStore, 'get' | 'write'>,
  cluster: { readonly subscriptionId: string; readonly key: string },
  entries: readonly TimelineEntry[],
): Promise<readonly TimelineEntry[]> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const stored = await store.get(cluster.subscriptionId, cluster.key);
    if (stored === undefined) return [];
    const { timeline, added } = withTimelineEntries(stored.timeline ?? [], entries);
    if (added.length === 0) return [];
    const { etag, ...record } = stored;
    const findings = sortFindings([
      ...timelineFindings(stored.snapshot, timeline),
      ...stored.findings.filter((f) => !TIMELINE_CODES.has(f.code)),
    ]);
    try {
      await store.write(
        cluster.subscriptionId,
        [{ ...record, timeline, findings }],
        new Map([[stored.snapshot.key, etag]]),
      );
      return added;
    } catch (e) {
      if (!(e instanceof ConflictError)) throw e;
    }
  }
  throw new TransientError(`the timeline of ${cluster.key} kept changing; try again`);
}

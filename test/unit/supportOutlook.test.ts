import type { EndOfSupportEntry, TimelineEntry } from '../../shared/domain/clusterTimeline';
import { supportOutlook } from '../../shared/domain/supportOutlook';
import { renderClusterPage } from '../../shared/web/clusterPage';
import { snapshotOf } from '../helpers/memoryClusterStore';

/** Support "days left": AKS's end-of-support date when Warden has one, else the minors left, said so. */
const NOW = new Date('2026-11-25T12:00:00Z');
const eol = (version: string, eolDate: string, applies = true): EndOfSupportEntry => ({
  kind: 'end-of-support',
  key: `eol:${version}:KubernetesVersionEOLTwoWeeks`,
  at: '2026-11-24T00:00:00Z',
  eventId: 'e1',
  notice: {
    notice: 'KubernetesVersionEOLTwoWeeks',
    kubernetesVersion: version,
    eolDate,
    supportType: 'Community',
  },
  applies,
});
const supported = { status: 'supported' as const, minorsBehind: 1, newestMinor: '1.36' };

test('a notice for the minor the cluster runs gives the date and the whole days left', () => {
  const cluster = { kubernetesVersion: '1.35.8' };
  expect(supportOutlook(cluster, supported, [eol('1.35.2', '2026-12-06T00:00:00Z')], NOW)).toEqual({
    endsAt: '2026-12-06T00:00:00Z',
    daysLeft: 10,
    notice: { notice: 'KubernetesVersionEOLTwoWeeks', supportType: 'Community' },
    minorsLeft: 1,
  });
  expect(supportOutlook(cluster, supported, [eol('1.35.2', '2026-11-20T00:00:00Z')], NOW).daysLeft).toBe(-6);
});

test('no applicable notice for this minor: minors left, and no date', () => {
  const cluster = { kubernetesVersion: '1.35.8' };
  const other: TimelineEntry[] = [
    eol('1.34.9', '2026-12-06T00:00:00Z'),
    eol('1.35.1', '2026-12-06T00:00:00Z', false),
  ];
  expect(supportOutlook(cluster, supported, other, NOW)).toEqual({ minorsLeft: 1 });
  expect(supportOutlook(cluster, undefined, [], NOW)).toEqual({});
});

test('the cluster page says the days left from the notice, or the minors left with no date known', () => {
  const snapshot = snapshotOf({
    subscriptionId: '1b7e6d2a-5c1f-4e8a-9d3b-0a1c2e3f4a51',
    name: 'aks-eol',
    kubernetesVersion: '1.35.8',
  });
  const base = { snapshot, support: supported, findings: [], sweepId: 's', etag: '*' };
  const line = (page: string) =>
    /id="support-left"[^>]*>([\s\S]*?)<\/span\s*>/.exec(page)?.[1]?.replace(/\s+/g, ' ');
  const dated = renderClusterPage(
    { cluster: { ...base, timeline: [eol('1.35.2', '2026-12-06T00:00:00Z')] }, plans: [], events: [] },
    undefined,
    NOW,
  );
  expect(line(dated)).toMatch(
    /^Community support for 1\.35 ends <time datetime="2026-12-06T00:00:00.000Z">Sun 6 Dec 00:00 UTC, in 10 d 12 h<\/time>: <b>10 days left<\/b> \(AKS notice KubernetesVersionEOLTwoWeeks\); 1 minor left$/,
  );
  const undated = renderClusterPage({ cluster: base, plans: [], events: [] }, undefined, NOW);
  expect(line(undated)).toMatch(/^1 minor left, no date known/);
});

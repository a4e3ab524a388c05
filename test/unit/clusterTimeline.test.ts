import type { OutsideChange, TimelineEntry } from '../../shared/domain/clusterTimeline';
import {
  madeByWarden,
  outsideChangeKey,
  upgradesBetween,
  withTimelineEntries,
} from '../../shared/domain/clusterTimeline';
import { timelineFindings } from '../../shared/domain/compliance';
import { snapshotOf } from '../helpers/memoryClusterStore';

/** What moved between two snapshots, whether Warden made it, and the timeline that keeps each fact once. */
const pool = (name: string, version: string, image: string) => ({
  name,
  mode: 'System',
  osType: 'Linux',
  orchestratorVersion: version,
  nodeImageVersion: `AKSUbuntu-2204gen2containerd-${image}`,
  count: 3,
});
const before = snapshotOf({
  subscriptionId: 's',
  name: 'c',
  kubernetesVersion: '1.35.8',
  nodePools: [pool('system', '1.35.8', '202611.03.0'), pool('user', '1.35.8', '202611.03.0')],
});

describe('upgradesBetween', () => {
  it('names the control plane, each pool and each node image that moved forward', () => {
    const after = {
      ...before,
      kubernetesVersion: '1.36.3',
      nodePools: [pool('system', '1.36.3', '202612.01.0'), pool('user', '1.35.8', '202611.03.0')],
    };
    expect(upgradesBetween(before, after)).toEqual([
      { what: 'control-plane', from: '1.35.8', to: '1.36.3' },
      { what: 'pool', pool: 'system', from: '1.35.8', to: '1.36.3' },
      {
        what: 'node-image',
        pool: 'system',
        from: 'AKSUbuntu-2204gen2containerd-202611.03.0',
        to: 'AKSUbuntu-2204gen2containerd-202612.01.0',
      },
    ]);
  });

  it('nothing for the same versions, a pool that appeared, or a version that went back', () => {
    expect(upgradesBetween(before, before)).toEqual([]);
    expect(
      upgradesBetween(before, {
        ...before,
        nodePools: [...before.nodePools, pool('new', '1.36.3', '209901.01.0')],
      }),
    ).toEqual([]);
    expect(upgradesBetween(before, { ...before, kubernetesVersion: '1.35.6' })).toEqual([]);
  });
});

describe('madeByWarden', () => {
  const change: OutsideChange = { what: 'control-plane', from: '1.35.8', to: '1.36.3' };
  const image: OutsideChange = {
    what: 'node-image',
    pool: 'system',
    from: 'x-202611.03.0',
    to: 'x-202612.01.0',
  };
  const after = { nodePools: [pool('system', '1.36.3', '202612.01.0')] };

  it('a plan that ran to that version made it; one that never started did not', () => {
    expect(madeByWarden(change, after, [{ status: 'running', kind: 'minor', to: '1.36.3' }])).toBe(true);
    expect(madeByWarden(change, after, [{ status: 'succeeded', kind: 'minor', to: '1.36.3' }])).toBe(true);
    expect(madeByWarden(change, after, [{ status: 'awaiting-approval', kind: 'minor', to: '1.36.3' }])).toBe(
      false,
    );
    expect(madeByWarden(change, after, [{ status: 'succeeded', kind: 'patch', to: '1.35.9' }])).toBe(false);
  });

  it('a node image: its own plan, or a version plan that rolled the pool', () => {
    expect(
      madeByWarden(image, after, [
        { status: 'succeeded', kind: 'node-image', to: '1.36.3', nodeImage: 'x-202612.01.0' },
      ]),
    ).toBe(true);
    expect(madeByWarden(image, after, [{ status: 'succeeded', kind: 'minor', to: '1.36.3' }])).toBe(true);
    expect(madeByWarden(image, after, [])).toBe(false);
  });
});

describe('the timeline', () => {
  const changes: OutsideChange[] = [{ what: 'control-plane', from: '1.35.8', to: '1.36.3' }];
  const entry: TimelineEntry = {
    kind: 'upgraded-outside-warden',
    key: outsideChangeKey(changes),
    at: '2026-11-25T10:00:00Z',
    changes,
    likelyPath: 'AKS auto-upgrade channel stable',
    seenBy: 'sweep',
  };

  it('keeps each fact once, by key', () => {
    const once = withTimelineEntries([], [entry, entry]);
    expect(once.added).toHaveLength(1);
    expect(withTimelineEntries(once.timeline, [{ ...entry, at: '2026-11-26T10:00:00Z' }]).added).toEqual([]);
  });

  it('an outside upgrade is a finding while the cluster still runs what it changed to', () => {
    const now = { ...before, kubernetesVersion: '1.36.3' };
    expect(timelineFindings(now, [entry])).toEqual([
      expect.objectContaining({
        code: 'upgraded-outside-warden',
        message: expect.stringContaining(
          'control plane 1.35.8 → 1.36.3 (first seen 2026-11-25T10:00:00Z); likely path: AKS auto-upgrade channel stable',
        ),
      }),
    ]);
    expect(timelineFindings({ ...now, kubernetesVersion: '1.36.4' }, [entry])).toEqual([]);
  });
});

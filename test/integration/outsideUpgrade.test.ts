import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * One owner per cluster on `npm start`: an upgrade done behind Warden's back (`POST /_sim/upgrade`, as a
 * person in the portal would) is seen by the next sweep through the production SDKs: an
 * `upgraded-outside-warden` finding and timeline entry, one notice to on-call and the owners, and the
 * plan that upgrade made moot closed. Warden's own upgrades are never reported as outside ones.
 */
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
  await sweep();
});

afterAll(async () => {
  await warden.stop();
});

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${warden.url}${path}`, init);
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface ClusterView {
  controlPlaneVersion: string;
  nodePools: { name: string; version: string; nodeImageVersion: string | null }[];
  lastSeen: string;
  findings: { code: string; severity: string; subject?: string; message: string }[];
  timeline: {
    kind: string;
    changes: { what: string; pool?: string; from: string; to: string }[];
    likelyPath: string;
    seenBy: string;
  }[];
}

async function sweep(): Promise<void> {
  const before = await json<{ clusters: { lastSeen: string }[] }>('/api/clusters');
  const started = await json<{ clusters: number; at: string }>('/api/sweep', { method: 'POST' });
  await waitFor(
    () => json<{ clusters: { lastSeen: string }[] }>('/api/clusters'),
    (l) => l.clusters.length === started.clusters && l.clusters.every((c) => c.lastSeen >= started.at),
    { what: `the sweep after ${before.clusters.length} clusters` },
  );
}

async function outsideNotices(cluster: string): Promise<string[]> {
  const { notifications } = await json<{ notifications: { noticeKey: string }[] }>('/api/notifications');
  return [
    ...new Set(
      notifications
        .map((n) => n.noticeKey)
        .filter((k) => k.startsWith('outside:') && k.includes(`:${cluster}:`)),
    ),
  ];
}

test('a gated cluster lists every path besides Warden that can upgrade it, each with how to close it', async () => {
  const view = await json<ClusterView>('/api/clusters/aks-prod-weu-2');
  const paths = view.findings
    .filter((f) => f.code === 'upgrade-path' || f.code === 'gated-auto-upgrade')
    .map((f) => f.subject ?? f.code);
  expect(paths).toEqual(expect.arrayContaining(['gated-auto-upgrade', 'node-os-channel', 'portal']));
  expect(
    view.findings.filter((f) => f.code === 'upgrade-path').every((f) => /To close: /.test(f.message)),
  ).toBe(true);
});

test("a Fleet member is told of the demo fleet's profile without a gate, not of the one its strategy gates", async () => {
  const view = await json<ClusterView>('/api/clusters/aks-prod-weu-1');
  const fleet = view.findings.filter((f) => f.subject === 'fleet-auto-upgrade');
  expect(fleet).toHaveLength(1);
  expect(fleet[0]?.message).toContain(
    'auto-upgrade profile node-images (fleet fleet-weu, channel NodeImage)',
  );
  expect(fleet[0]?.message).toMatch(/To close: .*--disabled/);
  // Not gated: the canary member is reached by both profiles, with no finding.
  const canary = await json<ClusterView>('/api/clusters/aks-canary-weu-1');
  expect(canary.findings.filter((f) => f.subject === 'fleet-auto-upgrade')).toEqual([]);
});

test("POST /_sim/upgrade behind Warden's back: the next sweep records it, tells once, and closes the moot plan", async () => {
  const cluster = 'aks-prod-weu-1';
  const before = await json<ClusterView>(`/api/clusters/${cluster}`);
  const open = await waitFor(
    () =>
      json<{ plans: { id: string; to: string; kind: string; status: string }[] }>(
        `/api/plans?cluster=${cluster}`,
      ),
    (l) => l.plans.some((p) => p.kind !== 'node-image'),
    { what: "the sweep's plan" },
  );
  // The sweep planned 1.36.3 for it; the upgrade behind Warden's back makes that plan moot.
  const versionPlan = open.plans.find((p) => p.kind !== 'node-image' && p.to === '1.36.3');
  expect(versionPlan).toMatchObject({ status: expect.stringMatching(/proposed|awaiting-approval/) });

  const upgraded = await json<{ currentKubernetesVersion: string }>('/_sim/upgrade', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    // As if the NodePoolRolling events were lost: the sweep is the one to see it.
    body: JSON.stringify({ cluster, version: '1.36.3', events: false }),
  });
  expect(upgraded.currentKubernetesVersion).toBe('1.36.3');
  await sweep();

  // The sweep writes the snapshot, then looks at what changed.
  const view = await waitFor(
    () => json<ClusterView>(`/api/clusters/${cluster}`),
    (v) => v.timeline.length > 0,
    { what: 'the outside upgrade on the timeline' },
  );
  expect(view.controlPlaneVersion).toBe('1.36.3');
  expect(view.timeline).toEqual([
    expect.objectContaining({
      kind: 'upgraded-outside-warden',
      seenBy: 'sweep',
      changes: expect.arrayContaining([
        { what: 'control-plane', from: before.controlPlaneVersion, to: '1.36.3' },
        ...before.nodePools.map((p) => ({ what: 'pool', pool: p.name, from: p.version, to: '1.36.3' })),
      ]),
      likelyPath: expect.stringContaining('managedClusters/write'),
    }),
  ]);
  expect(view.findings).toContainEqual(
    expect.objectContaining({
      code: 'upgraded-outside-warden',
      message: expect.stringContaining(`control plane ${before.controlPlaneVersion} → 1.36.3`),
    }),
  );
  await waitFor(
    () => outsideNotices(cluster),
    (n) => n.length > 0,
    { what: 'the notice' },
  );
  expect(await outsideNotices(cluster)).toHaveLength(1);
  const closed = await waitFor(
    () => json<{ status: string; audit: { detail?: string }[] }>(`/api/plans/${versionPlan?.id ?? ''}`),
    (p) => p.status === 'cancelled',
    { what: 'the moot plan closed' },
  );
  expect(JSON.stringify(closed.audit)).toContain('upgraded outside Warden');

  // Seen again by the next sweep: nothing more.
  await sweep();
  expect((await json<ClusterView>(`/api/clusters/${cluster}`)).timeline).toHaveLength(1);
  expect(await outsideNotices(cluster)).toHaveLength(1);
});

test("a node image changed behind Warden's back is seen from its NodePoolRolling event, before any sweep", async () => {
  const cluster = 'aks-prod-weu-2';
  const before = await json<ClusterView>(`/api/clusters/${cluster}`);
  const pool = before.nodePools[0];
  expect(pool?.nodeImageVersion).toBeTruthy();
  await json('/_sim/upgrade', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cluster, pool: pool?.name, nodeImage: '209901.01.0' }),
  });
  const view = await waitFor(
    () => json<ClusterView>(`/api/clusters/${cluster}`),
    (v) => v.timeline.length > 0,
    { what: 'the node image change on the timeline' },
  );
  expect(view.timeline).toEqual([
    expect.objectContaining({
      changes: [
        expect.objectContaining({
          what: 'node-image',
          pool: pool?.name,
          to: expect.stringMatching(/-209901\.01\.0$/),
        }),
      ],
      likelyPath: expect.stringMatching(/auto-upgrade channel stable|node OS upgrade channel/),
      seenBy: 'event',
    }),
  ]);
  await waitFor(
    () => outsideNotices(cluster),
    (n) => n.length > 0,
    { what: 'the notice' },
  );
  expect(await outsideNotices(cluster)).toHaveLength(1);
  // The next sweep sees the same change: nothing more.
  await sweep();
  expect((await json<ClusterView>(`/api/clusters/${cluster}`)).timeline).toHaveLength(1);
});

test('bad input to /_sim/upgrade is a 400 saying what is wrong', async () => {
  for (const body of [
    {},
    { cluster: 'aks-prod-weu-1' },
    { cluster: 'aks-prod-weu-1', version: '1.36.3', nodeImage: '202612.01.0' },
    { cluster: 'aks-prod-weu-1', version: '9.9.9' },
    { cluster: 'aks-prod-weu-1', pool: 'nope', version: '1.36.3' },
    { cluster: 'aks-prod-weu-1', version: '1.36.3', events: 'no' },
  ]) {
    const res = await fetch(`${warden.url}/_sim/upgrade`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'bad request', detail: expect.any(String) });
  }
});

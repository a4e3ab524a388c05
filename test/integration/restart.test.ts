import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

const json = { 'content-type': 'application/json' };

async function get<T>(warden: LocalWarden, path: string): Promise<T> {
  const r = await fetch(`${warden.url}${path}`);
  expect(r.status).toBe(200);
  return (await r.json()) as T;
}

async function patchTags(warden: LocalWarden, tags: Record<string, string>): Promise<void> {
  const r = await fetch(`${warden.url}/_sim/clusters/aks-prod-weu-1`, {
    method: 'PATCH',
    headers: json,
    body: JSON.stringify({ tags }),
  });
  expect(r.status).toBe(200);
}

describe('npm start a second time resumes Warden and the simulator together', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warden-restart-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('Ctrl-C then start: the simulator keeps what changed, Warden its plans, the outbox its history; kill -9 too', async () => {
    const first = await startLocalWarden({ dataDir });
    let plansBefore: { id: string; status: string }[];
    let simTags: Record<string, string>;
    try {
      expect(first.output()).toMatch(/data +.*: new \(simulator from the fleet file\)/);
      const prod = await get<{ tags: Record<string, string> }>(first, '/_sim/clusters/aks-prod-weu-1');
      simTags = { ...prod.tags, 'teams-channel': 'production' };
      await patchTags(first, simTags);
      const release = await fetch(`${first.url}/_sim/release`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ location: 'westeurope', version: '1.36.9' }),
      });
      expect(release.status).toBe(200);
      const sweep = await (await fetch(`${first.url}/api/sweep`, { method: 'POST' })).json();
      await waitFor(
        () => get<{ clusters: unknown[] }>(first, '/api/clusters'),
        (list) => list.clusters.length === (sweep as { clusters: number }).clusters,
        { what: 'the sweep to store every cluster' },
      );
      expect((await fetch(`${first.url}/admin/functions/dailyDigest`, { method: 'POST' })).status).toBe(202);
      await waitFor(
        () => get<unknown[]>(first, '/_local/outbox.json'),
        (list) => list.length > 0,
        { what: 'the digest in the outbox' },
      );
      // The release's events are planned asynchronously: take the plans once two reads agree.
      let previous = '';
      plansBefore = await waitFor(
        async () => (await get<{ plans: { id: string; status: string }[] }>(first, '/api/plans')).plans,
        (plans) => {
          const now = JSON.stringify(plans.map((p) => `${p.id}:${p.status}`).sort());
          const stable = now === previous;
          previous = now;
          return stable && plans.length > 0;
        },
        { what: 'the plans to settle', intervalMs: 1_500, timeoutMs: 60_000 },
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(readFileSync(join(dataDir, 'simulator.json'), 'utf8')).toContain('teams-channel');

    const second = await startLocalWarden({ dataDir });
    try {
      expect(second.output()).toMatch(
        new RegExp(
          `resumed +${dataDir}: Warden's tables and the simulator \\(16 clusters\\), \\d+ open plans, \\d+ awaiting approval, [1-9]\\d* outbox messages; to start clean: stop Warden and rm -rf ${dataDir}`,
        ),
      );
      const sim = await get<{ tags: Record<string, string> }>(second, '/_sim/clusters/aks-prod-weu-1');
      expect(sim.tags).toEqual(simTags);
      const plansAfter = (await get<{ plans: { id: string; status: string }[] }>(second, '/api/plans')).plans;
      // Every plan is back as it was; a shard still planning at Ctrl-C finishes before the exit, so
      // plans it adds then are kept too.
      expect(plansAfter.map((p) => `${p.id}:${p.status}`)).toEqual(
        expect.arrayContaining(plansBefore.map((p) => `${p.id}:${p.status}`)),
      );
      const outbox = await get<{ subject: string }[]>(second, '/_local/outbox.json');
      expect(outbox.some((m) => /digest/i.test(m.subject))).toBe(true);
      // Both sides agree on what the cluster runs: a sweep after the restart changes nothing.
      const warden = await get<{ controlPlaneVersion: string }>(second, '/api/clusters/aks-prod-weu-1');
      const simCluster = await get<{ kubernetesVersion?: string; currentKubernetesVersion?: string }>(
        second,
        '/_sim/clusters/aks-prod-weu-1',
      );
      expect(warden.controlPlaneVersion).toBe(
        simCluster.currentKubernetesVersion ?? simCluster.kubernetesVersion,
      );

      await patchTags(second, { ...simTags, 'after-restart': 'yes' });
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      const exited = new Promise((r) => second.process.once('exit', r));
      second.process.kill('SIGKILL');
      await exited;
    }

    const third = await startLocalWarden({ dataDir });
    try {
      const sim = await get<{ tags: Record<string, string> }>(third, '/_sim/clusters/aks-prod-weu-1');
      expect(sim.tags['after-restart']).toBe('yes');
    } finally {
      await third.stop();
    }
  }, 240_000);

  test('tables without simulator state (or the reverse) are refused, saying how to start clean', async () => {
    const first = await startLocalWarden({ dataDir });
    await first.stop();
    rmSync(join(dataDir, 'simulator.json'));
    await expect(startLocalWarden({ dataDir })).rejects.toThrow(
      `warden: the data folder ${dataDir} has Warden's tables but no simulator state (simulator.json), so the two would disagree; to start clean: stop Warden and rm -rf ${dataDir}`,
    );
  }, 120_000);
});

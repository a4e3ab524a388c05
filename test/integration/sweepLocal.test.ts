import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * `npm start` end to end: the sweep runs on demand, its shards travel through the Azurite queue to the
 * `sweepShard` queue trigger (the local host's poller), and `/api/clusters` shows the demo fleet.
 */
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
});

afterAll(async () => {
  await warden.stop();
});

interface ClusterList {
  count: number;
  clusters: { name: string; ring: string; findings: { code: string; severity: string }[] }[];
}

async function clustersWhen(ready: (list: ClusterList) => boolean): Promise<ClusterList> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const list = (await (await fetch(`${warden.url}/api/clusters`)).json()) as ClusterList;
    if (ready(list) || Date.now() > deadline) return list;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('npm start: the demo fleet at /api/clusters', () => {
  it('is empty before a sweep, and shows every demo cluster with findings after POST /api/sweep', async () => {
    expect((await clustersWhen(() => true)).count).toBe(0);

    const simulated = ((await (await fetch(`${warden.url}/_sim/clusters`)).json()) as unknown[]).length;
    expect(simulated).toBeGreaterThan(3);
    const sweep = await fetch(`${warden.url}/api/sweep`, { method: 'POST' });
    expect(sweep.status).toBe(202);
    const summary = (await sweep.json()) as { clusters: number; shards: number };
    expect(summary.clusters).toBe(simulated);

    const list = await clustersWhen((l) => l.count === simulated);
    expect(list.count).toBe(simulated);
    expect(new Set(list.clusters.map((c) => c.ring))).toEqual(
      new Set(['canary', 'dev', 'staging', 'production']),
    );
    expect(list.clusters.some((c) => c.findings.length > 0)).toBe(true);

    // The shards plan what the swept clusters need (versions no event announced).
    const plans = await waitFor(
      async () => ((await (await fetch(`${warden.url}/api/plans`)).json()) as { plans: unknown[] }).plans,
      (p) => p.length > 0,
      { what: 'plans proposed by the sweep' },
    );
    expect(plans.length).toBeGreaterThan(0);
  });

  it('answers one cluster by name and by ARM id, and 404 with {error, detail} for an unknown one', async () => {
    const byName = (await (await fetch(`${warden.url}/api/clusters/aks-prod-weu-1`)).json()) as {
      id: string;
    };
    expect(byName.id).toMatch(/managedClusters\/aks-prod-weu-1$/i);
    const byId = await fetch(`${warden.url}/api/clusters/${encodeURIComponent(byName.id)}`);
    expect(byId.status).toBe(200);
    const missing = await fetch(`${warden.url}/api/clusters/no-such-cluster`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: 'not found',
      detail: expect.stringContaining('no-such-cluster'),
    });
  });
});

describe('a cluster created after the last sweep', () => {
  it('is swept and planned as soon as an AKS event names it, not at the next hourly sweep', async () => {
    const known = (await (await fetch(`${warden.url}/_sim/clusters`)).json()) as {
      name: string;
      subscriptionId: string;
    }[];
    const subscriptionId = known.find((c) => c.name === 'aks-canary-weu-1')?.subscriptionId;
    expect(subscriptionId).toBeDefined();
    const created = await fetch(`${warden.url}/_sim/clusters`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subscriptionId,
        resourceGroup: 'rg-canary',
        name: 'aks-canary-new',
        location: 'westeurope',
        kubernetesVersion: '1.36.1',
        tags: { environment: 'canary' },
        pools: [{ name: 'system', mode: 'System', count: 2 }],
      }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${warden.url}/api/clusters/aks-canary-new`)).status).toBe(404);

    const event = await fetch(`${warden.url}/_sim/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        cluster: 'aks-canary-new',
        eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
      }),
    });
    expect(event.status).toBe(202);

    const plans = await waitFor(
      async () =>
        (
          (await (await fetch(`${warden.url}/api/plans?cluster=aks-canary-new`)).json()) as {
            plans: { from: string; to: string; kind: string; reason: string }[];
          }
        ).plans,
      (p) => p.length > 0,
      { what: 'a plan for the new cluster' },
    );
    expect(plans).toEqual([
      expect.objectContaining({
        from: '1.36.1',
        to: '1.36.3',
        kind: 'patch',
        reason: expect.stringContaining('NewKubernetesVersionAvailable'),
      }),
    ]);
    const cluster = (await (await fetch(`${warden.url}/api/clusters/aks-canary-new`)).json()) as {
      ring: string;
      controlPlaneVersion: string;
    };
    expect(cluster).toMatchObject({ ring: 'canary', controlPlaneVersion: '1.36.1' });
  });
});

import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * The README's order on `npm start` (production SDKs against the simulator): an AKS event for a
 * region, then a release announced in that region a moment later. The first event fills the region's
 * version cache; the release's NewKubernetesVersionAvailable names a version that read lacks, so the
 * region is read again and the release is planned now, not at the next sweep.
 */
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
});

afterAll(async () => {
  await warden.stop();
});

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${warden.url}${path}`, init);
  expect(res.status).toBeLessThan(300);
  return (await res.json()) as T;
}

interface PlanRow {
  cluster: { name: string };
  to: string;
  reason: string;
}

test('POST /_sim/events, then POST /_sim/release in the same region: the release is planned within seconds', async () => {
  const clusters = (await json<unknown[]>('/_sim/clusters')).length;
  await json('/api/sweep', { method: 'POST' });
  await waitFor(
    () => json<{ count: number }>('/api/clusters'),
    (l) => l.count === clusters,
    { what: 'the swept demo fleet' },
  );

  const first = await json<{ id: string }>('/_sim/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cluster: 'aks-prod-weu-1', eventType: 'ClusterSupportEnding' }),
  });
  await waitFor(
    () => json<{ id: string; status: string }[]>('/_sim/deliveries'),
    (d) => d.some((x) => x.id === first.id && x.status === 'delivered'),
    { what: 'the first event delivered (and planned)' },
  );

  const release = await json<{ notified: number }>('/_sim/release', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ location: 'westeurope', version: '1.36.4' }),
  });
  expect(release.notified).toBeGreaterThan(0);

  const plans = await waitFor(
    async () => (await json<{ plans: PlanRow[] }>('/api/plans?cluster=aks-canary-weu-1')).plans,
    (p) => p.some((x) => x.to === '1.36.4'),
    { what: 'a plan for the released version', timeoutMs: 10_000 },
  );
  expect(plans.find((p) => p.to === '1.36.4')).toMatchObject({
    reason: expect.stringContaining('NewKubernetesVersionAvailable'),
  });
  expect(warden.output()).toMatch(/region westeurope: Kubernetes versions changed: \+1\.36\.4/);
});

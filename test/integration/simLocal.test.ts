import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';

/**
 * `npm start` runs the simulator with the demo fleet: `/_sim` on the app's base URL, and a release
 * announced to every cluster of the region lands in Warden's event intake (`GET /api/events`).
 */
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
});

afterAll(async () => {
  await warden.stop();
});

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(`${warden.url}${path}`);
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

test('the demo fleet is served and described at /_sim', async () => {
  expect(warden.output()).toMatch(
    /azure {5}simulator ARM \+ Resource Graph https:\/\/127\.0\.0\.1:\d+ \(fleet .*demo\.json: 16 clusters, 3 subscriptions, 3 regions\)/,
  );
  expect(warden.output()).toMatch(
    /events to http:\/\/127\.0\.0\.1:\d+\/api\/aks-events \(endpoint validated\)/,
  );
  const clusters =
    await getJson<{ name: string; tags: Record<string, string>; location: string }[]>('/_sim/clusters');
  expect(clusters).toHaveLength(16);
  expect(new Set(clusters.map((c) => c.tags.environment))).toEqual(
    new Set(['canary', 'dev', 'staging', 'production', 'prod', undefined]),
  );
});

test('POST /_sim/release delivers NewKubernetesVersionAvailable that intake records', async () => {
  const clusters = await getJson<{ name: string; location: string }[]>('/_sim/clusters');
  const inRegion = clusters
    .filter((c) => c.location === 'northeurope')
    .map((c) => c.name)
    .sort();
  const res = await fetch(`${warden.url}/_sim/release`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ location: 'northeurope', version: '1.36.4' }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({
    location: 'northeurope',
    version: '1.36.4',
    added: true,
    notified: inRegion.length,
  });

  let recorded: string[] = [];
  for (let i = 0; i < 100 && recorded.length < inRegion.length; i += 1) {
    const { events } = await getJson<{ events: { eventType: string; subject: string; status: string }[] }>(
      '/api/events',
    );
    recorded = events
      .filter(
        (e) =>
          e.eventType === 'Microsoft.ContainerService.NewKubernetesVersionAvailable' &&
          e.status === 'recorded',
      )
      .map((e) => e.subject)
      .sort();
    if (recorded.length < inRegion.length) await new Promise((r) => setTimeout(r, 50));
  }
  expect(recorded).toEqual(inRegion);
  // The simulator marks a delivery done when Warden's answer reaches it, just after intake recorded it.
  let statuses: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    statuses = (await getJson<{ status: string }[]>('/_sim/deliveries')).map((d) => d.status);
    if (!statuses.includes('pending')) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(statuses).toEqual(inRegion.map(() => 'delivered'));
});

test('control API: calls, faults and bad input', async () => {
  const calls = await getJson<{ count: number; calls: unknown[] }>('/_sim/calls');
  expect(calls.count).toBe(calls.calls.length);
  const graphOnly = await getJson<{ calls: { api: string }[] }>('/_sim/calls?api=resourcegraph&limit=1');
  expect(graphOnly.calls.length).toBeLessThanOrEqual(1);
  expect(graphOnly.calls.every((c) => c.api === 'resourcegraph')).toBe(true);
  expect((await fetch(`${warden.url}/_sim/calls?limit=-1`)).status).toBe(400);
  // A misspelt api filter is bad input (400), not an empty list that looks like "no calls".
  const badApi = await fetch(`${warden.url}/_sim/calls?api=arn`);
  expect(badApi.status).toBe(400);
  expect(await badApi.json()).toMatchObject({ error: 'bad request', detail: expect.stringContaining('api') });
  expect((await fetch(`${warden.url}/_sim/calls`, { method: 'DELETE' })).status).toBe(204);
  expect((await getJson<{ count: number }>('/_sim/calls')).count).toBe(0);

  const fault = await fetch(`${warden.url}/_sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ path: '/managedClusters/aks-dev-weu-1$', status: 500, count: 2 }),
  });
  expect(fault.status).toBe(201);
  expect(await getJson<unknown[]>('/_sim/faults')).toEqual([
    expect.objectContaining({ status: 500, remaining: 2 }),
  ]);
  expect((await fetch(`${warden.url}/_sim/faults`, { method: 'DELETE' })).status).toBe(204);

  for (const [path, body] of [
    ['/_sim/release', '{"location":"westeurope"}'],
    ['/_sim/release', '{"location":"marsnorth","version":"1.36.4"}'],
    ['/_sim/release', 'not json'],
    ['/_sim/faults', '{"path":"x"}'],
    ['/_sim/events', '{"cluster":"aks-dev-weu-1","eventType":"Nope"}'],
  ] as const) {
    const bad = await fetch(`${warden.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'bad request', detail: expect.any(String) });
  }
  const emitted = await fetch(`${warden.url}/_sim/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ cluster: 'aks-legacy-eus', eventType: 'ClusterSupportEnded' }),
  });
  expect(emitted.status).toBe(202);
});

test('clusters appear, change and disappear through /_sim/clusters; scheduled events reach intake', async () => {
  const sub = '1b7e6d2a-5c1f-4e8a-9d3b-0a1c2e3f4a51';
  const spec = {
    subscriptionId: sub,
    resourceGroup: 'rg-new',
    name: 'aks-new-weu',
    location: 'westeurope',
    kubernetesVersion: '1.36',
    tags: { environment: 'dev' },
  };
  const created = await fetch(`${warden.url}/_sim/clusters`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(spec),
  });
  expect(created.status).toBe(201);
  expect(await created.json()).toMatchObject({
    name: 'aks-new-weu',
    currentKubernetesVersion: '1.36.3',
    pools: [{ name: 'nodepool1', maxSurge: '10%' }],
  });
  expect(
    (
      await fetch(`${warden.url}/_sim/clusters`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(spec),
      })
    ).status,
  ).toBe(400);

  const patched = await fetch(`${warden.url}/_sim/clusters/aks-new-weu`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tags: { environment: 'staging' },
      deprecatedApiUsage: [{ api: 'batch.cronjobs.v1beta1.list', removedIn: '1.37' }],
    }),
  });
  expect(await patched.json()).toMatchObject({
    tags: { environment: 'staging' },
    deprecatedApiUsage: [{ api: 'batch.cronjobs.v1beta1.list' }],
  });

  const scheduled = await fetch(`${warden.url}/_sim/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      cluster: 'aks-new-weu',
      eventType: 'ScheduledEventEmitted',
      data: { eventId: 'f00d0000-0000-4000-8000-000000000001' },
    }),
  });
  expect(scheduled.status).toBe(202);
  let found = false;
  for (let i = 0; i < 100 && !found; i += 1) {
    const { events } = await getJson<{ events: { eventType: string; status: string }[] }>('/api/events');
    found = events.some((e) => e.eventType.endsWith('ScheduledEventEmitted') && e.status === 'recorded');
    if (!found) await new Promise((r) => setTimeout(r, 50));
  }
  expect(found).toBe(true);

  expect((await fetch(`${warden.url}/_sim/clusters/aks-new-weu`, { method: 'DELETE' })).status).toBe(204);
  expect((await fetch(`${warden.url}/_sim/clusters/aks-new-weu`, { method: 'DELETE' })).status).toBe(404);
  expect((await getJson<unknown[]>('/_sim/clusters')).length).toBe(16);
});

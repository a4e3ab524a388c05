import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { ContainerServiceClient } from '@azure/arm-containerservice';
import type { RestError } from '@azure/core-rest-pipeline';

import type { FleetFile, RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim/fleetFile/generate';
import { clientOptions, fakeCredential, simFetch, startTestSimulator } from '../helpers/sim';

/**
 * AKS's rules as the simulator enforces them (version rules, one operation at a time, the
 * deprecated-API block), ARM throttling and Resource Graph quota, faults, and Event Grid
 * deliveries to a webhook.
 */
const SUB = '5ab0c0de-0000-4000-8000-000000000001';
const RG = 'rg-apps';

const fleet: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }, { name: 'northeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: [
    {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: 'old',
      location: 'westeurope',
      kubernetesVersion: '1.34.4',
      pools: [{ name: 'system', mode: 'System' }],
    },
    {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: 'hpa',
      location: 'westeurope',
      kubernetesVersion: '1.35.6',
      pools: [{ name: 'system', mode: 'System' }, { name: 'apps' }],
      deprecatedApiUsage: [
        {
          api: 'autoscaling.horizontalpodautoscalers.v2beta2.watch',
          removedIn: '1.36',
          lastSeen: '2026-11-25T08:00:00Z',
        },
      ],
    },
    {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: 'north',
      location: 'northeurope',
      kubernetesVersion: '1.35.8',
    },
  ],
};

const poll = { updateIntervalInMs: 5 };

async function restError(p: Promise<unknown>): Promise<RestError> {
  try {
    await p;
  } catch (e) {
    return e as RestError;
  }
  throw new Error('expected the call to fail');
}

describe('version rules and one operation at a time', () => {
  let sim: RunningSimulator;
  let client: ContainerServiceClient;
  beforeAll(async () => {
    sim = await startTestSimulator({
      fleet,
      throttle: false,
      // The control plane takes long enough that the 409 test sees it still running under load.
      durations: { controlPlaneMs: 1_500, poolMs: 300, nodeImageMs: 300 },
    });
    client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
  });
  afterAll(() => sim.close());

  test('a skipped minor, a downgrade and a pool above the control plane are refused', async () => {
    const mc = await client.managedClusters.get(RG, 'old');
    const skip = await restError(
      client.managedClusters.createOrUpdate(RG, 'old', { ...mc, kubernetesVersion: '1.36.3' }, poll),
    );
    expect(skip.statusCode).toBe(400);
    expect(skip.code).toBe('OperationNotAllowed');
    expect(skip.message).toMatch(
      /1\.34\.4 to 1\.36\.3 is not allowed\. Available upgrades: \[1\.35\.8 1\.35\.6 1\.35\.3 1\.34\.9 1\.34\.7\]/,
    );
    const down = await restError(
      client.managedClusters.createOrUpdate(RG, 'old', { ...mc, kubernetesVersion: '1.34.3' }, poll),
    );
    expect(down.statusCode).toBe(400);
    const unknown = await restError(
      client.managedClusters.createOrUpdate(RG, 'old', { ...mc, kubernetesVersion: '1.35.99' }, poll),
    );
    expect(unknown.code).toBe('VersionNotSupported');
    const pool = await client.agentPools.get(RG, 'old', 'system');
    const above = await restError(
      client.agentPools.createOrUpdate(RG, 'old', 'system', { ...pool, orchestratorVersion: '1.35.8' }, poll),
    );
    expect(above.statusCode).toBe(400);
    expect(above.message).toMatch(/version-skew-policy/);
  });

  test('a second operation while one runs is 409 OperationNotAllowed; the state shows Upgrading', async () => {
    const mc = await client.managedClusters.get(RG, 'old');
    const poller = client.managedClusters.createOrUpdate(
      RG,
      'old',
      { ...mc, kubernetesVersion: '1.35' },
      poll,
    );
    await poller.submitted();
    const running = await client.managedClusters.get(RG, 'old');
    expect(running.provisioningState).toBe('Upgrading');
    expect(running.kubernetesVersion).toBe('1.35.8');
    expect(running.currentKubernetesVersion).toBe('1.34.4');
    const pool = await client.agentPools.get(RG, 'old', 'system');
    const busy = await restError(
      client.agentPools.createOrUpdate(RG, 'old', 'system', { ...pool, count: 5 }, poll),
    );
    expect(busy.statusCode).toBe(409);
    expect(busy.code).toBe('OperationNotAllowed');
    const done = await poller;
    expect(done.currentKubernetesVersion).toBe('1.35.8');
    expect(done.agentPoolProfiles?.[0]?.currentOrchestratorVersion).toBe('1.34.4');
  });

  test('If-Match: a stale ETag on a pool or cluster write is 412; the current one goes through', async () => {
    const pool = await client.agentPools.get(RG, 'old', 'system');
    const stale = await restError(
      client.agentPools.createOrUpdate(
        RG,
        'old',
        'system',
        { ...pool, count: 4 },
        { ...poll, ifMatch: 'stale' },
      ),
    );
    expect(stale).toMatchObject({ statusCode: 412, code: 'PreconditionFailed' });
    const done = await client.agentPools.createOrUpdate(
      RG,
      'old',
      'system',
      { ...pool, count: 4 },
      { ...poll, ifMatch: pool.eTag! },
    );
    expect(done.count).toBe(4);
    expect(done.eTag).not.toBe(pool.eTag);
    const mc = await client.managedClusters.get(RG, 'old');
    const tagged = await restError(
      client.managedClusters.createOrUpdate(
        RG,
        'old',
        { ...mc, tags: { a: 'b' } },
        { ...poll, ifMatch: pool.eTag! },
      ),
    );
    expect(tagged.statusCode).toBe(412);
    const created = await restError(
      client.managedClusters.createOrUpdate(RG, 'old', mc, { ...poll, ifNoneMatch: '*' }),
    );
    expect(created.statusCode).toBe(412);
  });

  test('deprecated API usage blocks a minor upgrade until forceUpgrade with a future until', async () => {
    const mc = await client.managedClusters.get(RG, 'hpa');
    let raw = '';
    const blocked = await restError(
      client.managedClusters.createOrUpdate(
        RG,
        'hpa',
        { ...mc, kubernetesVersion: '1.36.3' },
        { ...poll, onResponse: (r) => (raw = r.bodyAsText ?? '') },
      ),
    );
    expect(blocked.statusCode).toBe(400);
    expect(blocked.code).toBe('ValidationError');
    expect(blocked.message).toMatch(
      /usage has been detected on API autoscaling\.horizontalpodautoscalers\.v2beta2\.watch.*removed in 1\.36/,
    );
    expect(JSON.parse(raw)).toMatchObject({
      error: { code: 'ValidationError', subcode: 'UpgradeBlockedOnDeprecatedAPIUsage' },
    });

    const patch = await client.managedClusters.createOrUpdate(
      RG,
      'hpa',
      { ...mc, kubernetesVersion: '1.35.8' },
      poll,
    );
    expect(patch.currentKubernetesVersion).toBe('1.35.8');

    const expired = { forceUpgrade: true, until: new Date(Date.now() - 60_000) };
    const stillBlocked = await restError(
      client.managedClusters.createOrUpdate(
        RG,
        'hpa',
        { ...patch, kubernetesVersion: '1.36.3', upgradeSettings: { overrideSettings: expired } },
        poll,
      ),
    );
    expect(stillBlocked.code).toBe('ValidationError');

    const forced = { forceUpgrade: true, until: new Date(Date.now() + 3 * 86_400_000) };
    const upgraded = await client.managedClusters.createOrUpdate(
      RG,
      'hpa',
      { ...patch, kubernetesVersion: '1.36.3', upgradeSettings: { overrideSettings: forced } },
      poll,
    );
    expect(upgraded.currentKubernetesVersion).toBe('1.36.3');
    expect(upgraded.upgradeSettings?.overrideSettings?.forceUpgrade).toBe(true);
  });
});

describe('throttling and quota', () => {
  test('ARM reads beyond the bucket get 429 with Retry-After and the remaining-reads header; the SDK retries', async () => {
    const sim = await startTestSimulator({ fleet, throttle: { reads: { capacity: 3, refillPerSecond: 2 } } });
    try {
      const path = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/old?api-version=2026-06-01`;
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await simFetch(sim, 'GET', path));
      expect(answers.slice(0, 3).map((a) => a.status)).toEqual([200, 200, 200]);
      expect(answers.map((a) => a.headers['x-ms-ratelimit-remaining-subscription-reads'])).toEqual([
        '2',
        '1',
        '0',
        '0',
      ]);
      expect(answers[3]?.status).toBe(429);
      expect(Number(answers[3]?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(answers[3]?.body).toMatchObject({ error: { code: 'SubscriptionRequestsThrottled' } });
      // Provider-scoped calls (operation status without a subscription) draw from the tenant's bucket.
      const tenant = await simFetch(
        sim,
        'GET',
        '/providers/Microsoft.ContainerService/locations/westeurope/operations/none?api-version=2026-06-01',
      );
      expect(tenant.headers['x-ms-ratelimit-remaining-tenant-reads']).toBe('2');

      const client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
      const mc = await client.managedClusters.get(RG, 'old');
      expect(mc.name).toBe('old');
      expect(sim.stats().throttled).toBeGreaterThanOrEqual(2);
      expect(
        sim
          .calls()
          .filter((c) => c.status === 429)
          .every((c) => c.subscription === SUB),
      ).toBe(true);
    } finally {
      await sim.close();
    }
  });

  test('Resource Graph answers quota headers and 429 once the quota is spent', async () => {
    const sim = await startTestSimulator({ fleet, graphQuota: { perWindow: 2, windowMs: 60_000 } });
    try {
      const q = {
        query: "resources | where type =~ 'microsoft.containerservice/managedclusters' | project id, name",
      };
      const path = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';
      const a = await simFetch(sim, 'POST', path, q);
      const b = await simFetch(sim, 'POST', path, q);
      const c = await simFetch(sim, 'POST', path, q);
      expect([a.status, b.status, c.status]).toEqual([200, 200, 429]);
      expect([
        a.headers['x-ms-user-quota-remaining'],
        b.headers['x-ms-user-quota-remaining'],
        c.headers['x-ms-user-quota-remaining'],
      ]).toEqual(['1', '0', '0']);
      expect(c.headers['x-ms-user-quota-resets-after']).toMatch(/^00:0\d:\d\d$/);
      expect(c.body).toMatchObject({ error: { code: 'RateLimiting' } });
    } finally {
      await sim.close();
    }
  });
});

test('Resource Graph scopes by management group when the fleet names them', async () => {
  const other = '5ab0c0de-0000-4000-8000-000000000002';
  const sim = await startTestSimulator({
    fleet: {
      ...fleet,
      subscriptions: [...fleet.subscriptions, { id: other }],
      managementGroups: [
        { id: 'mg-platform', subscriptions: [SUB] },
        { id: 'mg-empty', subscriptions: [] },
      ],
      clusters: [
        ...fleet.clusters,
        {
          subscriptionId: other,
          resourceGroup: 'rg-x',
          name: 'elsewhere',
          location: 'westeurope',
          kubernetesVersion: '1.35.8',
        },
      ],
    },
  });
  try {
    const path = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';
    const query = 'resources | project id, name | order by name asc';
    const names = async (scope: object): Promise<unknown> =>
      (
        (await simFetch(sim, 'POST', path, { query, ...scope })).body as { data: { name: string }[] }
      ).data.map((r) => r.name);
    expect(await names({ managementGroups: ['MG-Platform'] })).toEqual(['hpa', 'north', 'old']);
    expect(await names({ managementGroups: ['mg-empty'] })).toEqual([]);
    expect(await names({ subscriptions: [other] })).toEqual(['elsewhere']);
    expect(await names({})).toEqual(['elsewhere', 'hpa', 'north', 'old']);
    expect((await simFetch(sim, 'POST', path, { query, managementGroups: ['mg-unknown'] })).status).toBe(403);
  } finally {
    await sim.close();
  }
});

test('auto-upgrade after a release: advance notice, then the upgrade, unless deferred', async () => {
  const today = new Date().toISOString().slice(0, 10);
  const c = (name: string, version: string, channel: string, extra: object = {}) => ({
    subscriptionId: SUB,
    resourceGroup: 'rg-auto',
    name,
    location: 'westeurope',
    kubernetesVersion: version,
    autoUpgradeProfile: { upgradeChannel: channel },
    ...extra,
  });
  const sim = await startTestSimulator({
    fleet: {
      ...fleet,
      clusters: [
        c('pat', '1.35.6', 'patch'),
        c('stab', '1.34.4', 'stable'),
        c('gated', '1.35.6', 'none'),
        c('deferred', '1.35.6', 'patch', {
          maintenanceConfigurations: {
            aksManagedAutoUpgradeSchedule: {
              maintenanceWindow: {
                schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Sunday' } },
                durationHours: 4,
                startTime: '01:00',
                notAllowedDates: [{ start: today, end: today }],
              },
            },
          },
        }),
      ],
    },
    throttle: false,
    autoUpgrade: { noticeMs: 50 },
  });
  const got: {
    eventType: string;
    subject: string;
    data: { resourceInfo?: { properties: { eventStatus: string } } };
  }[] = [];
  const hook = await receiver((body) => {
    got.push(...(body as typeof got));
    return 200;
  });
  sim.setWebhookUrl(hook.url);
  try {
    sim.release('westeurope', '1.35.9');
    for (let i = 0; i < 100 && sim.autoUpgrades().some((r) => r.outcome === 'scheduled'); i += 1)
      await new Promise((r) => setTimeout(r, 20));
    await sim.idle();
    expect(
      sim
        .autoUpgrades()
        .map((r) => [r.cluster, r.from, r.to, r.outcome])
        .sort(),
    ).toEqual([
      ['deferred', '1.35.6', '1.35.9', 'deferred'],
      ['pat', '1.35.6', '1.35.9', 'started'],
      ['stab', '1.34.4', '1.35.9', 'started'],
    ]);
    const state = sim.fleet.clusters;
    expect(
      [...state.values()].map((x) => [
        x.name,
        x.currentKubernetesVersion,
        x.pools[0]?.currentOrchestratorVersion,
      ]),
    ).toEqual([
      ['pat', '1.35.9', '1.35.9'],
      ['stab', '1.35.9', '1.35.9'],
      ['gated', '1.35.6', '1.35.6'],
      ['deferred', '1.35.6', '1.35.6'],
    ]);
    const scheduled = got
      .filter((e) => e.eventType.endsWith('ScheduledEventEmitted'))
      .map((e) => `${e.subject.split('/')[8] ?? ''}:${e.data.resourceInfo?.properties.eventStatus ?? ''}`);
    expect(scheduled.sort()).toEqual([
      'deferred:Scheduled',
      'pat:Scheduled',
      'pat:Started',
      'stab:Scheduled',
      'stab:Started',
    ]);
    expect(
      got
        .filter((e) => e.eventType.endsWith('NodePoolRollingSucceeded'))
        .map((e) => e.subject)
        .sort(),
    ).toEqual(['pat', 'stab']);
  } finally {
    await sim.close();
    await hook.close();
  }
});

test('Resource Graph can lag behind ARM', async () => {
  const sim = await startTestSimulator({ fleet, throttle: false, graphLagMs: 60_000 });
  try {
    const path = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';
    const query = { query: "resources | where name == 'north' | project id, tags" };
    expect(
      ((await simFetch(sim, 'POST', path, query)).body as { data: { tags: object }[] }).data[0]?.tags,
    ).toEqual({});
    const arm = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/north?api-version=2026-06-01`;
    expect((await simFetch(sim, 'PATCH', arm, { tags: { environment: 'dev' } })).status).toBe(200);
    expect((await simFetch(sim, 'GET', arm)).body).toMatchObject({ tags: { environment: 'dev' } });
    expect(
      ((await simFetch(sim, 'POST', path, query)).body as { data: { tags: object }[] }).data[0]?.tags,
    ).toEqual({});
  } finally {
    await sim.close();
  }
});

test('plain http on request, for clients that run without TLS (allowInsecureConnection)', async () => {
  const sim = await startTestSimulator({ fleet, https: false });
  try {
    expect(sim.armUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(sim.caCertPem).toBeUndefined();
    const res = await fetch(
      `${sim.armUrl}/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters?api-version=2026-06-01`,
    );
    expect(res.status).toBe(200);
    expect(((await res.json()) as { value: unknown[] }).value).toHaveLength(3);
    expect(sim.stats()).toMatchObject({ calls: 1, byApi: { arm: 1, resourcegraph: 0 } });
  } finally {
    await sim.close();
  }
});

describe('faults', () => {
  test('status, dropped connections and failed operations on demand', async () => {
    const sim = await startTestSimulator({ fleet, throttle: false, eventRetryDelaysMs: [10] });
    const received: unknown[] = [];
    const hook = await receiver((body) => {
      received.push(...(body as unknown[]));
      return 200;
    });
    sim.setWebhookUrl(hook.url);
    try {
      const path = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/north`;
      sim.addFault({ path: '/managedClusters/north$', method: 'GET', status: 503, retryAfter: 1, count: 1 });
      expect((await simFetch(sim, 'GET', `${path}?api-version=2026-06-01`)).status).toBe(503);
      expect((await simFetch(sim, 'GET', `${path}?api-version=2026-06-01`)).status).toBe(200);

      sim.addFault({ path: '/managedClusters/north$', drop: true });
      await expect(simFetch(sim, 'GET', `${path}?api-version=2026-06-01`)).rejects.toThrow();

      const client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
      sim.addFault({
        path: '/agentPools/nodepool1$',
        method: 'PUT',
        failOperation: { code: 'UpgradeFailed', message: 'drain failed: PDB' },
      });
      const pool = await client.agentPools.get(RG, 'north', 'nodepool1');
      sim.fleet.regions
        .get('northeurope')!
        .versions.find((m) => m.version === '1.35')!
        .patches.push('1.35.9');
      const mc = await client.managedClusters.get(RG, 'north');
      await client.managedClusters.createOrUpdate(RG, 'north', { ...mc, kubernetesVersion: '1.35.9' }, poll);
      await expect(
        client.agentPools.createOrUpdate(
          RG,
          'north',
          'nodepool1',
          { ...pool, orchestratorVersion: '1.35.9' },
          poll,
        ),
      ).rejects.toThrow(/UpgradeFailed.*drain failed/);
      await sim.idle();
      const failedPool = await client.agentPools.get(RG, 'north', 'nodepool1');
      expect(failedPool.provisioningState).toBe('Failed');
      expect(failedPool.status?.provisioningError).toMatchObject({
        code: 'UpgradeFailed',
        message: 'drain failed: PDB',
      });
      const failedCluster = await client.managedClusters.get(RG, 'north');
      expect(failedCluster.provisioningState).toBe('Failed');
      expect(failedCluster.status?.provisioningError?.code).toBe('UpgradeFailed');
      const types = received.map((e) => (e as { eventType: string }).eventType);
      expect(types).toEqual([
        'Microsoft.ContainerService.NodePoolRollingStarted',
        'Microsoft.ContainerService.NodePoolRollingFailed',
      ]);
    } finally {
      await sim.close();
      await hook.close();
    }
  });

  test('bad fault specs are refused', () => {
    return startTestSimulator({ fleet }).then(async (sim) => {
      expect(() => sim.addFault({ path: '(', status: 500 })).toThrow(/regular expression/);
      expect(() => sim.addFault({ path: 'x' })).toThrow(/needs status/);
      await sim.close();
    });
  });
});

interface Receiver {
  readonly url: string;
  close(): Promise<void>;
}

/** A tiny loopback webhook: answers what `reply` says for each delivery. */
async function receiver(reply: (body: unknown, req: IncomingMessage) => number): Promise<Receiver> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = reply(JSON.parse(Buffer.concat(chunks).toString('utf8')), req);
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/aks-events`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** A loopback webhook that answers with a body. */
async function receiverRaw(
  reply: (req: IncomingMessage, body: string) => { status: number; body?: string },
): Promise<Receiver> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = reply(req, Buffer.concat(chunks).toString('utf8'));
      res.writeHead(r.status, { 'content-type': 'application/json' }).end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/aks-events`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('Event Grid deliveries', () => {
  test('a release in a region reaches every cluster there, retried after a 503, in the Event Grid schema', async () => {
    const sim = await startTestSimulator({ fleet, throttle: false, eventRetryDelaysMs: [10] });
    let calls = 0;
    const events: { eventType: string; subject: string; topic: string; data: Record<string, string> }[] = [];
    const headers: string[] = [];
    const hook = await receiver((body, req) => {
      calls += 1;
      if (calls === 1) return 503;
      headers.push(`${String(req.headers['aeg-event-type'])}|${String(req.headers['content-type'])}`);
      events.push(...(body as typeof events));
      return 200;
    });
    sim.setWebhookUrl(hook.url);
    try {
      expect(sim.release('westeurope', '1.36.4')).toEqual({ added: true, notified: 2 });
      expect(sim.release('westeurope', '1.36.4')).toEqual({ added: false, notified: 0 });
      await sim.idle();
      expect(events.map((e) => e.subject).sort()).toEqual(['hpa', 'old']);
      expect(events[0]).toMatchObject({
        eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
        topic: expect.stringMatching(
          new RegExp(
            `^/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/`,
          ),
        ),
        data: {
          latestSupportedKubernetesVersion: '1.36.4',
          latestStableKubernetesVersion: '1.35.8',
          lowestMinorKubernetesVersion: '1.34.9',
          latestPreviewKubernetesVersion: '1.37.0',
        },
      });
      expect(headers[0]).toBe('Notification|application/json; charset=utf-8');
      expect(sim.deliveries().every((d) => d.status === 'delivered')).toBe(true);
      expect(sim.deliveries().some((d) => d.attempts === 2)).toBe(true);
      const client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
      const versions = await client.managedClusters.listKubernetesVersions('westeurope');
      expect(Object.keys(versions.values?.find((v) => v.version === '1.36')?.patchVersions ?? {})).toContain(
        '1.36.4',
      );
    } finally {
      await sim.close();
      await hook.close();
    }
  });

  test('a node image release shows in the pool upgrade profile and rolls with NodePoolRolling events', async () => {
    const sim = await startTestSimulator({ fleet, throttle: false });
    const got: { eventType: string; data: { nodePoolName: string } }[] = [];
    const hook = await receiver((body) => {
      got.push(...(body as typeof got));
      return 200;
    });
    sim.setWebhookUrl(hook.url);
    try {
      expect(sim.releaseNodeImage('AKSUbuntu-2204gen2containerd', '202612.01.0', 'northeurope')).toEqual([
        'northeurope',
      ]);
      const client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
      const profile = await client.agentPools.getUpgradeProfile(RG, 'north', 'nodepool1');
      expect(profile.latestNodeImageVersion).toBe('AKSUbuntu-2204gen2containerd-202612.01.0');
      expect((await client.agentPools.getUpgradeProfile(RG, 'old', 'system')).latestNodeImageVersion).toBe(
        'AKSUbuntu-2204gen2containerd-202611.10.0',
      );
      await client.agentPools.upgradeNodeImageVersion(RG, 'north', 'nodepool1', poll).catch(() => undefined);
      await sim.idle();
      expect((await client.agentPools.get(RG, 'north', 'nodepool1')).nodeImageVersion).toBe(
        'AKSUbuntu-2204gen2containerd-202612.01.0',
      );
      expect(got.map((e) => `${e.eventType.split('.').at(-1) ?? ''}:${e.data.nodePoolName}`)).toEqual([
        'NodePoolRollingStarted:nodepool1',
        'NodePoolRollingSucceeded:nodepool1',
      ]);
    } finally {
      await sim.close();
      await hook.close();
    }
  });

  test('with the handshake on, only an endpoint that validates gets events', async () => {
    const sim = await startTestSimulator({ fleet, throttle: false, eventHandshake: true });
    const seen: string[] = [];
    const good = await receiver((body, req) => {
      const [first] = body as { eventType: string; data: { validationCode?: string } }[];
      seen.push(`${String(req.headers['aeg-event-type'])}:${first?.eventType ?? ''}`);
      return 200;
    });
    try {
      // A receiver that answers 200 without echoing the code fails the handshake.
      sim.setWebhookUrl(good.url);
      expect(await sim.validateWebhook()).toMatch(/not JSON/);
      sim.emitEvent('old', 'ClusterSupportEnding');
      await sim.idle();
      expect(sim.deliveries().at(-1)).toMatchObject({
        status: 'not-sent',
        lastError: expect.stringMatching(/endpoint validation failed/),
      });
      expect(seen).toEqual([
        'SubscriptionValidation:Microsoft.EventGrid.SubscriptionValidationEvent',
        'SubscriptionValidation:Microsoft.EventGrid.SubscriptionValidationEvent',
      ]);
    } finally {
      await good.close();
    }
    const echo = await receiverRaw((req, body) => {
      const [first] = JSON.parse(body) as { data: { validationCode?: string } }[];
      if (req.headers['aeg-event-type'] === 'SubscriptionValidation')
        return { status: 200, body: JSON.stringify({ validationResponse: first?.data.validationCode }) };
      seen.push('delivered');
      return { status: 200 };
    });
    try {
      sim.setWebhookUrl(echo.url);
      sim.emitEvent('old', 'ClusterSupportEnding');
      await sim.idle();
      expect(seen.at(-1)).toBe('delivered');
      expect(sim.deliveries().at(-1)).toMatchObject({ status: 'delivered' });
    } finally {
      await sim.close();
      await echo.close();
    }
  });

  test('CloudEvents when configured; support events on demand through the control API', async () => {
    const sim = await startTestSimulator({ fleet, throttle: false, eventSchema: 'cloudevents' });
    const got: { type: string; source: string; data: Record<string, string>; specversion: string }[] = [];
    const hook = await receiver((body) => {
      got.push(body as (typeof got)[number]);
      return 200;
    });
    sim.setWebhookUrl(hook.url);
    try {
      sim.emitEvent('old', 'ClusterSupportEnding');
      await sim.idle();
      expect(got).toEqual([
        expect.objectContaining({
          type: 'Microsoft.ContainerService.ClusterSupportEnding',
          specversion: '1.0',
          data: { kubernetesVersion: '1.34.4' },
        }),
      ]);
      expect(() => sim.emitEvent('nope', 'ClusterSupportEnded')).toThrow(/no cluster/);
      expect(() => sim.emitEvent('old', 'SomethingElse')).toThrow(/eventType must be one of/);
    } finally {
      await sim.close();
      await hook.close();
    }
  });
});

import { resolve } from 'node:path';

import type { RunningSimulator } from '../../local/sim';
import { startSimulator } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { TableClusterStore } from '../../shared/store/clusterStore';
import { findCluster, listClusters } from '../../shared/usecases/fleetStatus';
import type { SweepDeps } from '../../shared/usecases/sweepFleet';
import { inProcessQueue, sweepFleet } from '../../shared/usecases/sweepFleet';
import { testTables } from '../helpers/storage';

/**
 * The fleet sweep through the real SDKs against the loopback simulator (https, self-signed CA, ARM
 * token buckets on) and Azurite: the demo fleet (12 clusters, 3 subscriptions, 3 regions).
 */
const DEMO = resolve(__dirname, '../../local/fleets/demo.json');

let sim: RunningSimulator;
let clients: ArmClients;
let store: TableClusterStore;
let deps: SweepDeps;
let clock = new Date('2026-11-25T15:00:00Z');

beforeAll(async () => {
  sim = await startSimulator({ fleet: DEMO, durations: { controlPlaneMs: 50, poolMs: 50, nodeImageMs: 50 } });
  clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
  });
  store = new TableClusterStore(testTables());
  const gateway = new ArmAksGateway(clients);
  const shardDeps = { gateway, store, policy: DEFAULT_POLICY };
  deps = {
    ...shardDeps,
    queue: inProcessQueue(shardDeps),
    scope: { kind: 'subscriptions', subscriptionIds: [...sim.fleet.subscriptions.values()].map((s) => s.id) },
    now: () => clock,
  };
});

afterAll(async () => {
  await sim.close();
});

const armCalls = (): number => sim.calls().filter((c) => c.api !== 'other').length;

describe('fleet sweep against the simulator', () => {
  it('stores a snapshot and findings for every cluster, in O(pages + regions + image families) calls', async () => {
    sim.clearCalls();
    const summary = await sweepFleet(deps);

    expect(summary).toMatchObject({ clusters: 12, subscriptions: 3, pages: 1, regions: 3, problems: [] });
    expect(summary.imageFamilies).toBe(2); // Ubuntu 22.04 and Windows 2022
    expect(summary.windowReads).toBe(12); // first sweep: every cluster's windows, within the budget
    expect(armCalls()).toBe(summary.pages + summary.regions + summary.imageFamilies + summary.windowReads);

    const clusters = await listClusters(store);
    expect(clusters).toHaveLength(12);
    const prod = await findCluster(store, 'aks-prod-weu-1');
    expect(prod).toMatchObject({
      ring: 'production',
      controlPlaneVersion: '1.35.8',
      support: { status: 'supported', newestMinor: '1.36' },
      lastSeen: clock.toISOString(),
      deleted: false,
    });
    expect(prod.nodePools.map((p) => [p.name, p.version])).toEqual([
      ['system', '1.35.8'],
      ['payments', '1.35.8'],
    ]);
    expect(prod.maintenanceConfigurations).toEqual(
      expect.arrayContaining(['aksManagedAutoUpgradeSchedule', 'aksManagedNodeOSUpgradeSchedule']),
    );
    const legacy = await findCluster(store, 'aks-legacy-eus');
    expect(legacy.findings.map((f) => f.code)).toEqual(
      expect.arrayContaining(['version-support', 'maintenance-window-missing', 'node-image-age']),
    );
    const devEus = await findCluster(store, 'aks-dev-eus-1');
    expect(devEus.findings.find((f) => f.code === 'node-image-age')?.message).toMatch(/latest is AKSUbuntu/);
  });

  it('on the next sweep reads no windows again: pages + regions + families only', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    sim.clearCalls();
    const summary = await sweepFleet(deps);
    expect(summary.windowReads).toBe(0);
    expect(armCalls()).toBe(1 + 3 + 2);
    expect((await findCluster(store, 'aks-prod-weu-1')).lastSeen).toBe(clock.toISOString());
  });

  it('honours a 429 with Retry-After from ARM and still completes', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    sim.clearCalls();
    const throttledBefore = clients.stats.throttled;
    sim.addFault({ path: 'kubernetesVersions', status: 429, retryAfter: 1, count: 1 });
    const summary = await sweepFleet(deps);
    expect(summary.problems).toEqual([]);
    expect(summary.regions).toBe(3);
    const versionCalls = sim.calls().filter((c) => c.path.includes('kubernetesVersions'));
    expect(versionCalls.map((c) => c.status).sort()).toEqual([200, 200, 200, 429]);
    expect(clients.stats.throttled).toBe(throttledBefore + 1);
    sim.clearFaults();
  });

  it('honours a 429 from Resource Graph and still reads the inventory', async () => {
    clock = new Date(clock.getTime() + 3_600_000);
    sim.clearCalls();
    sim.addFault({ path: 'Microsoft.ResourceGraph/resources', status: 429, retryAfter: 1, count: 1 });
    const summary = await sweepFleet(deps);
    expect(summary.clusters).toBe(12);
    const graph = sim.calls().filter((c) => c.api === 'resourcegraph');
    expect(graph.map((c) => c.status)).toEqual([429, 200]);
    sim.clearFaults();
  });

  it('notices a deleted cluster and keeps its last snapshot', async () => {
    const key = [...sim.fleet.clusters.keys()].find((k) => k.endsWith('/aks-sandbox-neu'));
    expect(key).toBeDefined();
    sim.fleet.clusters.delete(key ?? '');
    clock = new Date(clock.getTime() + 3_600_000);
    const summary = await sweepFleet(deps);

    expect(summary.markedDeleted).toBe(1);
    expect((await listClusters(store)).map((c) => c.name)).not.toContain('aks-sandbox-neu');
    const gone = await findCluster(store, 'aks-sandbox-neu');
    expect(gone).toMatchObject({
      deleted: true,
      deletedAt: clock.toISOString(),
      controlPlaneVersion: '1.36.1',
    });
    expect((await listClusters(store, { includeDeleted: true })).length).toBe(12);
  });
});

describe('fleet sweep paging over Resource Graph', () => {
  it('reads every page ($skipToken, 1,000 rows) within the query quota, without a 429', async () => {
    const big = await startSimulator({
      fleet: 'generate:2100,4,2,1',
      graphQuota: { perWindow: 3, windowMs: 1000 },
    });
    try {
      const bigClients = new ArmClients({
        endpoint: big.armUrl,
        credential: new StaticTokenCredential(),
        ...(big.caCertPem !== undefined && { caCertPem: big.caCertPem }),
      });
      const bigStore = new TableClusterStore(testTables());
      const shardDeps = { gateway: new ArmAksGateway(bigClients), store: bigStore, policy: DEFAULT_POLICY };
      const summary = await sweepFleet({
        ...shardDeps,
        queue: inProcessQueue(shardDeps),
        scope: {
          kind: 'subscriptions',
          subscriptionIds: [...big.fleet.subscriptions.values()].map((s) => s.id),
        },
        now: () => new Date('2026-11-25T15:00:00Z'),
        windowReadsPerSweep: 0,
      });
      expect(summary).toMatchObject({ clusters: 2100, pages: 3, subscriptions: 4, problems: [] });
      expect(big.calls().filter((c) => c.api === 'resourcegraph' && c.status === 429)).toEqual([]);
      expect((await bigStore.summaries()).length).toBe(2100);
    } finally {
      await big.close();
    }
  });
});

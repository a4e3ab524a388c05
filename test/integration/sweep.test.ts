import type { ClusterSpec, FleetFile, RunningSimulator } from '../../local/sim';
import { startSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim/fleetFile/generate';
import type { InventoryScope } from '../../shared/azure/aksGateway';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { clusterId, parseClusterId } from '../../shared/domain/armId';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { TableClusterStore } from '../../shared/store/clusterStore';
import { findCluster, listClusters } from '../../shared/usecases/fleetStatus';
import type { SweepDeps } from '../../shared/usecases/sweepFleet';
import { inProcessQueue, sweepFleet, sweepOneCluster } from '../../shared/usecases/sweepFleet';
import { testTables } from '../helpers/storage';

/**
 * The fleet sweep through the real SDKs against the loopback simulator (https, self-signed CA, ARM
 * token buckets on) and Azurite: a small fleet of 8 clusters in 3 subscriptions and 3 regions, with a
 * Windows pool (a second image family), an out-of-support cluster and one without windows.
 */
const SUBS = [
  '00000000-0000-4000-8000-0000000000a1',
  '00000000-0000-4000-8000-0000000000a2',
  '00000000-0000-4000-8000-0000000000a3',
];
const UBUNTU = (v: string): string => `AKSUbuntu-2204gen2containerd-${v}`;
const weekly = (day: string): Record<string, unknown> => ({
  maintenanceWindow: {
    schedule: { weekly: { intervalWeeks: 1, dayOfWeek: day } },
    durationHours: 4,
    startDate: '2026-01-01',
    startTime: '01:00',
    utcOffset: '+00:00',
  },
});
const cluster = (
  sub: number,
  name: string,
  location: string,
  version: string,
  ring: string,
  over: Partial<ClusterSpec> = {},
): ClusterSpec => ({
  subscriptionId: SUBS[sub]!,
  resourceGroup: `rg-${ring}`,
  name,
  location,
  kubernetesVersion: version,
  tags: { environment: ring },
  autoUpgradeProfile: {
    upgradeChannel: ring === 'production' ? 'none' : 'stable',
    nodeOSUpgradeChannel: 'NodeImage',
  },
  pools: [
    { name: 'system', mode: 'System', nodeImageVersion: UBUNTU('202611.10.0'), maxSurge: '33%', count: 3 },
  ],
  maintenanceConfigurations: { aksManagedAutoUpgradeSchedule: weekly('Sunday') },
  ...over,
});
const FLEET: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }, { name: 'northeurope' }, { name: 'eastus' }],
  subscriptions: SUBS.map((id) => ({ id })),
  managementGroups: [{ id: 'mg-platform', subscriptions: [SUBS[0]!, SUBS[1]!] }],
  clusters: [
    cluster(0, 'aks-canary-weu-1', 'westeurope', '1.36.3', 'canary', {
      autoUpgradeProfile: { upgradeChannel: 'rapid', nodeOSUpgradeChannel: 'NodeImage' },
    }),
    cluster(0, 'aks-dev-eus-1', 'eastus', '1.35.6', 'dev', {
      pools: [{ name: 'system', mode: 'System', nodeImageVersion: UBUNTU('202610.20.0'), count: 3 }],
    }),
    cluster(0, 'aks-sandbox-neu', 'northeurope', '1.36.1', 'canary'),
    cluster(1, 'aks-staging-weu-1', 'westeurope', '1.35.8', 'staging'),
    cluster(1, 'aks-prod-weu-1', 'westeurope', '1.35.8', 'production', {
      pools: [
        {
          name: 'system',
          mode: 'System',
          nodeImageVersion: UBUNTU('202611.10.0'),
          maxSurge: '33%',
          count: 3,
        },
        { name: 'payments', nodeImageVersion: UBUNTU('202611.10.0'), maxSurge: '33%', count: 6 },
      ],
      maintenanceConfigurations: {
        aksManagedAutoUpgradeSchedule: weekly('Saturday'),
        aksManagedNodeOSUpgradeSchedule: weekly('Sunday'),
      },
    }),
    cluster(2, 'aks-prod-neu-1', 'northeurope', '1.34.9', 'production'),
    cluster(2, 'aks-prod-eus-2', 'eastus', '1.35.8', 'production', {
      pools: [
        { name: 'system', mode: 'System', nodeImageVersion: UBUNTU('202611.10.0'), count: 3 },
        {
          name: 'win1',
          osType: 'Windows',
          nodeImageVersion: 'AKSWindows-2022-containerd-20348.4405.251112',
          count: 2,
        },
      ],
    }),
    cluster(2, 'aks-legacy-eus', 'eastus', '1.33.5', 'production', {
      pools: [{ name: 'system', mode: 'System', nodeImageVersion: UBUNTU('202605.01.0'), count: 3 }],
      maintenanceConfigurations: {},
    }),
  ],
};

let sim: RunningSimulator;
let clients: ArmClients;
let store: TableClusterStore;
let deps: SweepDeps;
let clock = new Date('2026-11-25T15:00:00Z');

beforeAll(async () => {
  sim = await startSimulator({ fleet: FLEET });
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

    expect(summary).toMatchObject({ clusters: 8, subscriptions: 3, pages: 1, regions: 3, problems: [] });
    expect(summary.imageFamilies).toBe(2); // Ubuntu 22.04 and Windows 2022
    expect(summary.windowReads).toBe(8); // first sweep: every cluster's windows, within the budget
    expect(armCalls()).toBe(summary.pages + summary.regions + summary.imageFamilies + summary.windowReads);

    const clusters = await listClusters(store);
    expect(clusters).toHaveLength(8);
    const prod = await findCluster(store, 'aks-prod-weu-1');
    expect(prod).toMatchObject({
      ring: 'production',
      controlPlaneVersion: '1.35.8',
      support: { status: 'supported', newestMinor: '1.36' },
      windowsReadAt: clock.toISOString(),
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
    expect(summary.clusters).toBe(8);
    const graph = sim.calls().filter((c) => c.api === 'resourcegraph');
    expect(graph.map((c) => c.status)).toEqual([429, 200]);
    sim.clearFaults();
  });

  it('reads the inventory of a management group scope', async () => {
    const page = await new ArmAksGateway(clients).inventory({
      kind: 'managementGroup',
      managementGroupId: 'mg-platform',
    });
    expect(new Set(page.clusters.map((c) => c.subscriptionId))).toEqual(new Set([SUBS[0], SUBS[1]]));
    expect(page.clusters).toHaveLength(5);
    expect(page.skipToken).toBeUndefined();
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
    expect((await listClusters(store, { includeDeleted: true })).length).toBe(8);
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

describe('sweeping one cluster an event named before any sweep stored it', () => {
  const ref = (sub: number, rg: string, name: string) => parseClusterId(clusterId(SUBS[sub]!, rg, name))!;
  const oneDeps = (scope: InventoryScope, selector?: { name: string; value: string }) => ({
    gateway: new ArmAksGateway(clients),
    store: new TableClusterStore(testTables()),
    policy: DEFAULT_POLICY,
    scope,
    ...(selector !== undefined && { selector }),
    now: () => new Date('2026-11-26T09:00:00Z'),
  });
  const allSubs: InventoryScope = { kind: 'subscriptions', subscriptionIds: SUBS };
  const regionOf = (gateway: ArmAksGateway) => (sub: string, location: string) =>
    gateway.listKubernetesVersions(sub, location);

  it('stores it as a sweep would, with windows and support, in one Resource Graph query and one window read', async () => {
    const d = oneDeps(allSubs);
    sim.clearCalls();
    const graph = jest.spyOn(clients.resourceGraph(), 'resources');
    const stored = await sweepOneCluster(d, ref(1, 'rg-production', 'aks-prod-weu-1'), regionOf(d.gateway));
    // The query names the one cluster: Resource Graph answers one row, not the fleet.
    const answer = (await graph.mock.results[0]?.value) as { data: unknown[]; totalRecords: number };
    expect(answer.data).toHaveLength(1);
    graph.mockRestore();

    expect(stored?.snapshot).toMatchObject({
      name: 'aks-prod-weu-1',
      ring: 'production',
      kubernetesVersion: '1.35.8',
      lastSeen: '2026-11-26T09:00:00.000Z',
    });
    expect(stored?.snapshot.maintenanceConfigurations.map((m) => m.name).sort()).toEqual([
      'aksManagedAutoUpgradeSchedule',
      'aksManagedNodeOSUpgradeSchedule',
    ]);
    expect(stored?.support?.status).toBe('supported');
    expect(await d.store.get(SUBS[1]!, stored!.snapshot.key)).toMatchObject({
      snapshot: { name: 'aks-prod-weu-1' },
    });
    const calls = sim.calls().filter((c) => c.api !== 'other');
    expect(calls.filter((c) => c.api === 'resourcegraph')).toHaveLength(1);
    expect(calls.filter((c) => c.path.includes('maintenanceConfigurations'))).toHaveLength(1);
    expect(calls.filter((c) => c.path.includes('kubernetesVersions'))).toHaveLength(1);
    expect(calls).toHaveLength(3);
  });

  it('finds nothing outside the scope (subscriptions or management group) and stores nothing', async () => {
    const bySubs = oneDeps({ kind: 'subscriptions', subscriptionIds: [SUBS[0]!] });
    const prodNeu = ref(2, 'rg-production', 'aks-prod-neu-1');
    expect(await sweepOneCluster(bySubs, prodNeu, regionOf(bySubs.gateway))).toBeUndefined();
    expect(await bySubs.store.get(SUBS[2]!, prodNeu.key)).toBeUndefined();

    const byGroup = oneDeps({ kind: 'managementGroup', managementGroupId: 'mg-platform' });
    expect(await sweepOneCluster(byGroup, prodNeu, regionOf(byGroup.gateway))).toBeUndefined();
    const staging = ref(1, 'rg-staging', 'aks-staging-weu-1');
    expect((await sweepOneCluster(byGroup, staging, regionOf(byGroup.gateway)))?.snapshot.name).toBe(
      'aks-staging-weu-1',
    );
  });

  it('finds nothing for a cluster without the selector tag, or one that does not exist', async () => {
    const tagged = oneDeps(allSubs, { name: 'warden', value: 'enabled' });
    const staging = ref(1, 'rg-staging', 'aks-staging-weu-1');
    expect(await sweepOneCluster(tagged, staging, regionOf(tagged.gateway))).toBeUndefined();
    expect(await tagged.store.get(SUBS[1]!, staging.key)).toBeUndefined();

    const d = oneDeps(allSubs);
    expect(
      await sweepOneCluster(d, ref(1, 'rg-staging', 'aks-nowhere'), regionOf(d.gateway)),
    ).toBeUndefined();
  });
});

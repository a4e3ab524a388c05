import type { RunningSimulator } from '../../local/sim';
import { startSimulator } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { parseClusterId } from '../../shared/domain/armId';
import { tableRows } from '../../shared/domain/fleetOverview';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { TableClusterStore } from '../../shared/store/clusterStore';
import { TableFleetSummaryStore } from '../../shared/store/fleetSummaryStore';
import { listClusters } from '../../shared/usecases/fleetStatus';
import { dashboardFleet, fleetOfViews } from '../../shared/usecases/fleetSummary';
import type { ShardMessage } from '../../shared/usecases/sweepFleet';
import { inProcessQueue, runShard, storeClusterRow, sweepFleet } from '../../shared/usecases/sweepFleet';
import { testTables } from '../helpers/storage';

/**
 * The fleet summary through the real SDKs, the simulator and Azurite: the sweep builds it (whether
 * the coordinator or the last shard finishes last), it shows what the stored clusters show, a
 * redelivered shard does not count twice, and a cluster Warden writes between sweeps is patched in.
 */
let sim: RunningSimulator;
let gateway: ArmAksGateway;
beforeAll(async () => {
  sim = await startSimulator({ fleet: 'generate:450,3,2,2' });
  gateway = new ArmAksGateway(
    new ArmClients({
      endpoint: sim.armUrl,
      credential: new StaticTokenCredential(),
      ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    }),
  );
});
afterAll(() => sim.close());

function setup() {
  const tables = testTables();
  const store = new TableClusterStore(tables);
  const summary = new TableFleetSummaryStore(tables);
  const shardDeps = { gateway, store, policy: DEFAULT_POLICY, summary };
  const sweep = {
    ...shardDeps,
    scope: {
      kind: 'subscriptions' as const,
      subscriptionIds: [...sim.fleet.subscriptions.values()].map((s) => s.id),
    },
    now: () => new Date('2026-11-25T15:00:00Z'),
  };
  return { store, summary, shardDeps, sweep };
}

/** What the dashboard would show read from every stored cluster. */
async function fromRows(store: TableClusterStore, ring?: 'production') {
  return fleetOfViews(await listClusters(store), ring === undefined ? {} : { ring }, 200);
}

it('is built by a sweep in one process and shows what the stored clusters show', async () => {
  const { store, summary, shardDeps, sweep } = setup();
  await sweepFleet({ ...sweep, queue: inProcessQueue(shardDeps) });
  const built = await summary.load();
  expect(built?.at).toBe('2026-11-25T15:00:00.000Z');
  const expected = await fromRows(store);
  expect(built?.overview).toEqual(expected.overview);
  expect(tableRows(built!.overview, undefined, 200).rows).toEqual(expected.rows);
  const prod = await dashboardFleet({ summary, clusters: store }, { ring: 'production' }, 200);
  expect(prod).toEqual({ ...(await fromRows(store, 'production')), overview: expected.overview });
});

it('is built by the last shard when the coordinator finished first, and a redelivery counts once', async () => {
  const { store, summary, shardDeps, sweep } = setup();
  const queued: ShardMessage[] = [];
  await sweepFleet({ ...sweep, queue: { send: (m) => Promise.resolve(void queued.push(...m)) } });
  expect(queued.length).toBeGreaterThan(2);
  expect(await summary.load()).toBeUndefined();

  const [first, ...rest] = queued;
  await runShard(shardDeps, first!);
  await runShard(shardDeps, first!); // redelivered
  for (const m of rest.slice(0, -1)) await runShard(shardDeps, m);
  expect(await summary.load()).toBeUndefined();
  await runShard(shardDeps, rest[rest.length - 1]!);
  expect((await summary.load())?.overview).toEqual((await fromRows(store)).overview);
  // The parts are gone once merged.
  const left: unknown[] = [];
  for await (const p of summary.parts(first!.sweepId)) left.push(p);
  expect(left).toEqual([]);
});

it('patches in a cluster Warden wrote between sweeps', async () => {
  const { store, summary, shardDeps, sweep } = setup();
  await sweepFleet({ ...sweep, queue: inProcessQueue(shardDeps) });
  const [cluster] = await listClusters(store, { ring: 'production' });
  const before = (await summary.load())!.overview;
  const row = await gateway.inventoryCluster(sweep.scope, parseClusterId(cluster!.id)!);
  await storeClusterRow(
    { ...shardDeps, now: () => new Date('2026-11-25T16:00:00Z') },
    { ...row!, kubernetesVersion: '1.36.3' },
    undefined,
    { readWindows: false },
  );
  const after = (await summary.load())!.overview;
  expect(after.clusters).toBe(before.clusters);
  expect(after.byRingMinor['production|1.36']).toBe((before.byRingMinor['production|1.36'] ?? 0) + 1);
  expect(after).toEqual((await fromRows(store)).overview);
});

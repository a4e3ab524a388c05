import { startSimulator } from '../local/sim';
import { ArmAksGateway, ArmClients } from '../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../shared/azure/credentials';
import { DEFAULT_POLICY } from '../shared/domain/policy';
import { TableClusterStore } from '../shared/store/clusterStore';
import { Tables } from '../shared/store/tables';
import { listClusters } from '../shared/usecases/fleetStatus';
import { inProcessQueue, sweepFleet } from '../shared/usecases/sweepFleet';
import { renderDashboard } from '../shared/web/dashboard';
import type { Figure } from './report';
import { figure, median, noGoal } from './report';
import type { BenchStorage } from './storageProcess';

/**
 * The fleet dashboard over 5,000 swept clusters (Azurite in its own process): what `GET /api/dashboard`
 * does, reading every cluster and rendering the page, beside the same page drawing every cluster (what
 * it did before the table showed the 200 most in need of a look). Median of 5 builds each.
 */
const FLEET = 'generate:5000,20,10,3';
const RUNS = 5;

export async function benchDashboard(azurite: BenchStorage): Promise<Figure[]> {
  const sim = await startSimulator({ fleet: FLEET });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
  });
  const store = new TableClusterStore(
    new Tables({ kind: 'connectionString', connectionString: azurite.connectionString }, 'benchdash'),
  );
  const shardDeps = { gateway: new ArmAksGateway(clients), store, policy: DEFAULT_POLICY };
  await sweepFleet({
    ...shardDeps,
    queue: inProcessQueue(shardDeps, 8),
    scope: { kind: 'subscriptions', subscriptionIds: [...sim.fleet.subscriptions.values()].map((s) => s.id) },
    now: () => new Date(),
  });
  await sim.close();

  const build = async (maxRows?: number): Promise<{ ms: number; bytes: number; clusters: number }> => {
    const t0 = performance.now();
    const clusters = await listClusters(store);
    const page = renderDashboard({
      clusters,
      plans: [],
      events: [],
      now: new Date(),
      ...(maxRows !== undefined && { maxRows }),
    });
    return { ms: performance.now() - t0, bytes: Buffer.byteLength(page), clusters: clusters.length };
  };
  const served: { ms: number; bytes: number; clusters: number }[] = [];
  const everything: { ms: number; bytes: number; clusters: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    served.push(await build());
    everything.push(await build(Number.POSITIVE_INFINITY));
  }
  const clusters = served[0]?.clusters ?? 0;
  if (clusters !== 5000) throw new Error(`the dashboard read ${clusters} clusters, not 5,000`);
  return [
    figure({
      name: 'dashboard, 5,000 clusters: page size',
      value: Math.round((served[0]?.bytes ?? 0) / 1024),
      unit: 'KB',
      baseline: { name: 'every cluster drawn', value: Math.round((everything[0]?.bytes ?? 0) / 1024) },
      goal: noGoal(),
      kind: 'count',
    }),
    figure({
      name: 'dashboard, 5,000 clusters: read + render',
      value: Math.round(median(served.map((s) => s.ms))),
      unit: 'ms (median)',
      baseline: { name: 'every cluster drawn', value: Math.round(median(everything.map((s) => s.ms))) },
      goal: noGoal(),
      kind: 'absolute',
    }),
  ];
}

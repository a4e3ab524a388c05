import { ContainerServiceClient } from '@azure/arm-containerservice';

import { startSimulator } from '../local/sim';
import { ArmAksGateway, ArmClients } from '../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../shared/azure/credentials';
import { ArmFleetManagerGateway } from '../shared/azure/fleetManagerGateway';
import { DEFAULT_POLICY } from '../shared/domain/policy';
import { TableClusterStore } from '../shared/store/clusterStore';
import { Tables } from '../shared/store/tables';
import { inProcessQueue, sweepFleet } from '../shared/usecases/sweepFleet';
import type { Figure } from './report';
import { atMost, figure, noGoal, pool } from './report';
import type { BenchStorage } from './storageProcess';

/**
 * The sweep figure: 5,000 clusters in 20 subscriptions, 10 regions, 3 pools each, the simulator
 * at 20 ms per call with ARM's token buckets (reads 250, +25/s per subscription) and Resource Graph's
 * quota. Warden's sweep (Resource Graph pages + versions per region + node image per family + the
 * window budget, the Fleet Manager fleets once, shards in one process, snapshots to Azurite) beside the per-cluster polling users
 * write today (each cluster's upgrade profile, then each pool's) through the same SDK, default retries.
 */
const FLEET = { clusters: 5000, subscriptions: 20, regions: 10, pools: 3 };
const LATENCY_MS = 20;
/** In-flight calls of the per-cluster poller (a typical Promise pool). */
const POLLER_CONCURRENCY = 64;

export async function benchSweep(azurite: BenchStorage): Promise<Figure[]> {
  const spec = `generate:${FLEET.clusters},${FLEET.subscriptions},${FLEET.regions},${FLEET.pools}`;

  // Warden's sweep.
  const sim = await startSimulator({ fleet: spec, latencyMs: LATENCY_MS });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
  });
  const gateway = new ArmAksGateway(clients);
  const store = new TableClusterStore(
    new Tables({ kind: 'connectionString', connectionString: azurite.connectionString }, 'benchsweep'),
  );
  const shardDeps = { gateway, store, policy: DEFAULT_POLICY };
  const subscriptionIds = [...sim.fleet.subscriptions.values()].map((s) => s.id);
  sim.clearCalls();
  const t0 = performance.now();
  const summary = await sweepFleet({
    ...shardDeps,
    queue: inProcessQueue(shardDeps, 8),
    scope: { kind: 'subscriptions', subscriptionIds },
    fleets: new ArmFleetManagerGateway(clients),
    now: () => new Date(),
  });
  const sweepSeconds = (performance.now() - t0) / 1000;
  const sweepStats = sim.stats();
  const stored = (await store.summaries()).length;
  await sim.close();
  if (stored !== FLEET.clusters || summary.problems.length > 0)
    throw new Error(`sweep incomplete: ${stored} stored, problems: ${summary.problems.join('; ')}`);

  // The per-cluster poller, on a fresh simulator (full buckets) with the same fleet.
  const sim2 = await startSimulator({ fleet: spec, latencyMs: LATENCY_MS });
  // Bare SDK clients as users write them: default retries (Retry-After honoured), no pacing of ours.
  const credential = new StaticTokenCredential();
  const naive = new Map<string, ContainerServiceClient>();
  const clientFor = (subscriptionId: string): ContainerServiceClient => {
    let client = naive.get(subscriptionId);
    if (!client) {
      client = new ContainerServiceClient(credential, subscriptionId, {
        endpoint: sim2.armUrl,
        ...(sim2.caCertPem !== undefined && { tlsOptions: { ca: sim2.caCertPem } }),
      });
      naive.set(subscriptionId, client);
    }
    return client;
  };
  const targets = [...sim2.fleet.clusters.values()];
  let failures = 0;
  sim2.clearCalls();
  const t1 = performance.now();
  await pool(targets.length, POLLER_CONCURRENCY, async (i) => {
    const c = targets[i];
    if (!c) return;
    const client = clientFor(c.subscriptionId);
    try {
      await client.managedClusters.getUpgradeProfile(c.resourceGroup, c.name);
    } catch {
      failures++; // SDK 25.5.0 throws on the live `agentPoolProfiles: null` (notes §c)
    }
    for (const p of c.pools) {
      try {
        await client.agentPools.getUpgradeProfile(c.resourceGroup, c.name, p.name);
      } catch {
        failures++;
      }
    }
  });
  const pollSeconds = (performance.now() - t1) / 1000;
  const pollStats = sim2.stats();
  await sim2.close();

  console.log(
    `  sweep: ${summary.clusters} clusters, ${summary.pages} pages, ${summary.regions} regions, ` +
      `${summary.imageFamilies} image families, ${summary.windowReads} window reads, ${summary.shards} shards; ` +
      `429s received ${clients.stats.throttled}, all retried after Retry-After | per-cluster poller: ` +
      `${failures} calls failed (null agentPoolProfiles crash or 429 after retries)`,
  );
  return [
    figure({
      name: 'fleet sweep, 5,000 clusters, wall time',
      value: sweepSeconds,
      unit: 's',
      baseline: { name: 'per-cluster polling', value: pollSeconds },
      goal: atMost(20, 's'),
      kind: 'absolute',
    }),
    figure({
      name: 'fleet sweep, ARM + Resource Graph calls',
      value: sweepStats.calls,
      unit: 'calls',
      baseline: { name: 'per-cluster polling', value: pollStats.calls },
      goal: atMost(100),
      kind: 'count',
    }),
    figure({
      name: 'fleet sweep, 429s received (each honoured)',
      value: sweepStats.throttled,
      unit: '429s',
      baseline: { name: 'per-cluster polling', value: pollStats.throttled },
      goal: noGoal('each is retried after its Retry-After, as the line above says'),
      kind: 'count',
    }),
  ];
}

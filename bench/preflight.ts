import type { ClusterSpec, FleetFile, RunningSimulator } from '../local/sim';
import { generateFleet, startSimulator } from '../local/sim';
import { ArmAksGateway, ArmClients } from '../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../shared/azure/credentials';
import { KubeStats } from '../shared/azure/kubeApi';
import { ArmPreflight } from '../shared/azure/preflightArm';
import type { Plan } from '../shared/domain/plan';
import { proposePlan } from '../shared/domain/planTransition';
import { DEFAULT_POLICY } from '../shared/domain/policy';
import type { RegionVersions } from '../shared/domain/versions';
import { Preflight } from '../shared/usecases/preflight';
import type { Figure } from './report';
import { atMost, figure, median, pool } from './report';

/**
 * Pre-flight at 20 ms per call (ARM with its token buckets, and each cluster's Kubernetes API): calls
 * and latency for one cluster with three pools in its own VNet going to a new minor, and for 500 plans
 * after a release (5 subscriptions × 5 regions), each beside what the same checks cost when nothing is
 * shared between pools or clusters. Region versions come from the fleet reader's cache, as when a plan
 * is proposed (the planning has just read them).
 *
 * The budget (docs/design/performance.md): ARM is the shared, throttled one — per subscription, for
 * every cluster in it — so its goal is per cluster plus the reads shared per subscription × region.
 * Each cluster's Kubernetes calls go to that cluster's own API server and are held to their floor.
 */
const LATENCY_MS = 20;
const FLEET = { clusters: 500, subscriptions: 5, regions: 5, pools: 3 };
const CONCURRENCY = 16;
/**
 * ARM per cluster beyond the reads shared per subscription × region (Compute usages, SKUs): the
 * cluster, `listClusterUserCredential` (server and CA), the VNet's usages. None can be shared: each
 * is the cluster's own. A later pre-flight of the same plan reads the kept endpoint instead: 2.
 */
const ARM_PER_CLUSTER = 3;
const ARM_PER_CLUSTER_REPEATED = 2;
/** Reads shared per subscription × region: Compute usages and resource SKUs. */
const SHARED_PER_REGION = 2;
/**
 * Kubernetes GETs per cluster at their floor: nodes, PDBs and (when a PDB allows no disruption) pods
 * for any plan, and `/metrics` for a minor. One list each; fewer when no PDB is at zero.
 */
const KUBE_FLOOR = { patch: 3, minor: 4 };

/** Every cluster's pools in a subnet of its own VNet, so each cluster costs its VNet read. */
function withVnets(file: FleetFile): FleetFile {
  const vnets = file.clusters.map((c) => ({
    subscriptionId: c.subscriptionId,
    resourceGroup: c.resourceGroup,
    name: `vnet-${c.name}`,
    location: c.location,
    subnets: [{ name: 'nodes', addressPrefix: '10.0.0.0/16', used: 100 }],
  }));
  const clusters = file.clusters.map((c): ClusterSpec => ({
    ...c,
    pools: (c.pools ?? []).map((p) => ({
      ...p,
      vnetSubnetID: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.Network/virtualNetworks/vnet-${c.name}/subnets/nodes`,
    })),
    kube: {
      workloads: [
        {
          namespace: 'app',
          name: 'web',
          pool: c.pools?.[0]?.name ?? 'system',
          replicas: 3,
          pdb: { maxUnavailable: 1 },
        },
      ],
    },
  }));
  return { ...file, virtualNetworks: vnets, clusters };
}

function minorPlan(c: ClusterSpec, i: number, onlyPool?: string, kind: 'minor' | 'patch' = 'minor'): Plan {
  const from = c.kubernetesVersion;
  const [major = '1', minor = '35', patch = '0'] = from.split('.');
  const to = kind === 'minor' ? `${major}.${Number(minor) + 1}.3` : `${major}.${minor}.${Number(patch) + 1}`;
  const pools = (c.pools ?? []).filter((p) => onlyPool === undefined || p.name === onlyPool);
  return proposePlan(
    {
      id: `bench-pf-${kind}-${i}-${onlyPool ?? 'all'}`,
      cluster: {
        id: `/subscriptions/${c.subscriptionId}/resourceGroups/${c.resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${c.name}`,
        key: `${c.subscriptionId}:${c.resourceGroup}:${c.name}`.toLowerCase(),
        name: c.name,
        subscriptionId: c.subscriptionId,
        resourceGroup: c.resourceGroup,
        location: c.location,
        ring: 'production',
        tags: {},
      },
      kind,
      from,
      to,
      steps: [
        { kind: 'control-plane', from, to },
        ...pools.map((p) => ({ kind: 'node-pool' as const, pool: p.name, mode: p.mode ?? 'User', from, to })),
      ],
      gate: {
        gated: true,
        required: 1,
        autoExecute: true,
        expiryMs: 1,
        reminderAt: 0.5,
        escalateAt: 0.75,
        approvers: [],
        secondary: [],
      },
      window: { source: 'none', description: 'any time' },
      findings: [],
      urgency: 'normal',
      reason: 'bench',
      initiator: 'warden',
      by: { actor: 'warden', source: { kind: 'sweep' } },
    },
    new Date(),
  ).plan;
}

interface World {
  readonly sim: RunningSimulator;
  readonly clients: ArmClients;
  readonly kube: KubeStats;
  readonly preflight: Preflight;
  /** Another pre-flight over the same simulator, keeping nothing (no endpoint of the first). */
  fresh(): Preflight;
}

async function world(file: FleetFile): Promise<World> {
  const sim = await startSimulator({ fleet: file, latencyMs: LATENCY_MS });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
  });
  const gateway = new ArmAksGateway(clients);
  // The fleet reader's region cache, filled before the checks start (as the planning leaves it).
  const regions = new Map<string, RegionVersions>();
  for (const c of file.clusters) {
    const key = `${c.subscriptionId}|${c.location}`;
    if (!regions.has(key))
      regions.set(key, await gateway.listKubernetesVersions(c.subscriptionId, c.location));
  }
  const kube = new KubeStats();
  const fresh = () =>
    new Preflight({
      arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
      regionVersions: (s, l) => Promise.resolve(regions.get(`${s}|${l}`)),
      policy: DEFAULT_POLICY,
      now: () => new Date(),
      kubeTimeoutMs: 8_000,
      kubeStats: kube,
    });
  sim.clearCalls();
  clients.stats.calls = 0;
  return { sim, clients, kube, preflight: fresh(), fresh };
}

const p99 = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] ?? 0;
};

/** The ARM reads shared per subscription × region in the simulator's call log: Compute usages and SKUs. */
const sharedReads = (sim: RunningSimulator): number =>
  sim.calls().filter((c) => /\/providers\/microsoft\.compute\/(locations\/[^/]+\/usages|skus)/i.test(c.path))
    .length;

/** Calls made by `f`: ARM, the shared part of them, and Kubernetes. */
async function counted(
  w: World,
  f: () => Promise<unknown>,
): Promise<{ arm: number; shared: number; kube: number }> {
  const arm0 = w.clients.stats.calls;
  const shared0 = sharedReads(w.sim);
  const kube0 = w.kube.calls;
  await f();
  return {
    arm: w.clients.stats.calls - arm0,
    shared: sharedReads(w.sim) - shared0,
    kube: w.kube.calls - kube0,
  };
}

const perCluster = (x: number, n: number): number => Number((x / n).toFixed(2));

export async function benchPreflight(): Promise<Figure[]> {
  const figures: Figure[] = [];

  // One cluster, three pools, one VNet, a minor upgrade: the first pre-flight, then 19 more of the
  // same plan (each a run of its own, as before the approval request and before each step).
  const one = withVnets(generateFleet({ clusters: 1, subscriptions: 1, regions: 1, pools: 3 }));
  const spec = one.clusters[0]!;
  const w1 = await world(one);
  const latencies: number[] = [];
  const timed = async (i: number) => {
    const t = performance.now();
    await w1.preflight.check(minorPlan(spec, i), w1.preflight.newRun());
    latencies.push(performance.now() - t);
  };
  const first = await counted(w1, () => timed(0));
  let repeated = first;
  for (let i = 1; i < 20; i++) repeated = await counted(w1, () => timed(i));
  const patch = await counted(w1, () =>
    w1.preflight.check(minorPlan(spec, 0, undefined, 'patch'), w1.preflight.newRun()),
  );
  // The same checks pool by pool, nothing shared nor kept (what one script per pool reads).
  const perPool = await counted(w1, async () => {
    for (const p of spec.pools ?? []) {
      const alone = w1.fresh();
      await alone.check(minorPlan(spec, 99, p.name), alone.newRun());
    }
  });
  // One cluster GET through the SDK: the floor of any check.
  const tg = performance.now();
  await new ArmAksGateway(w1.clients).getCluster(minorPlan(spec, 0).cluster);
  const floorMs = performance.now() - tg;
  const oneThrottled = w1.sim.stats().throttled;
  await w1.sim.close();
  figures.push(
    figure({
      name: 'pre-flight, 1 cluster × 3 pools: ARM calls',
      value: first.arm,
      unit: `calls (${first.arm - first.shared} own + ${first.shared} usages/SKUs)`,
      baseline: { name: 'pool by pool, nothing shared', value: perPool.arm },
      goal: atMost(ARM_PER_CLUSTER + SHARED_PER_REGION, 'calls (3 own + 2 per sub × region)'),
      kind: 'count',
    }),
    figure({
      name: 'pre-flight, 1 cluster: Kubernetes calls, minor',
      value: first.kube,
      unit: 'calls (nodes, PDBs, /metrics), its own API server',
      baseline: { name: 'pool by pool, nothing shared', value: perPool.kube },
      goal: atMost(KUBE_FLOOR.minor, 'calls: the floor (nodes, PDBs, pods, /metrics)'),
      kind: 'count',
    }),
    figure({
      name: 'pre-flight, 1 cluster: Kubernetes calls, patch',
      value: patch.kube,
      unit: 'calls (nodes, PDBs), its own API server',
      baseline: { name: 'a minor', value: first.kube },
      goal: atMost(KUBE_FLOOR.patch, 'calls: the floor (nodes, PDBs, pods)'),
      kind: 'count',
    }),
    figure({
      name: "pre-flight, 1 cluster: a plan's repeated pre-flight, ARM calls",
      value: repeated.arm,
      unit: `calls (${repeated.arm - repeated.shared} own + ${repeated.shared} usages/SKUs; endpoint kept)`,
      baseline: { name: 'its first pre-flight', value: first.arm },
      goal: atMost(ARM_PER_CLUSTER_REPEATED + SHARED_PER_REGION, 'calls'),
      kind: 'count',
    }),
    figure({
      name: 'pre-flight, 1 cluster: latency p99 at 20 ms/call',
      value: Math.round(p99(latencies)),
      unit: `ms (median ${Math.round(median(latencies))})`,
      baseline: { name: 'one cluster GET', value: Math.round(floorMs) },
      goal: atMost(1000, 'ms'),
      kind: 'absolute',
    }),
  );

  // 500 plans after a release: proposals share one run. Then each plan's next pre-flight, all in one
  // run as a runner tick's (the endpoints kept from the first).
  const fleet = withVnets(generateFleet(FLEET));
  const pairs = new Set(fleet.clusters.map((c) => `${c.subscriptionId}|${c.location}`)).size;
  const n = fleet.clusters.length;
  const w2 = await world(fleet);
  const per: number[] = [];
  const run = w2.preflight.newRun();
  const t0 = performance.now();
  const burst = await counted(w2, () =>
    pool(n, CONCURRENCY, async (i) => {
      const t = performance.now();
      await w2.preflight.check(minorPlan(fleet.clusters[i]!, i), run);
      per.push(performance.now() - t);
    }),
  );
  const totalS = (performance.now() - t0) / 1000;
  const tick = w2.preflight.newRun();
  const again = await counted(w2, () =>
    pool(n, CONCURRENCY, async (i) => {
      await w2.preflight.check(minorPlan(fleet.clusters[i]!, i), tick);
    }),
  );
  const throttled = w2.sim.stats().throttled;
  await w2.sim.close();
  // Baseline: the same 500 with nothing shared (a run of its own per plan), on a fresh simulator.
  const w3 = await world(fleet);
  const alone = await counted(w3, () =>
    pool(n, CONCURRENCY, async (i) => {
      await w3.preflight.check(minorPlan(fleet.clusters[i]!, i), w3.preflight.newRun());
    }),
  );
  const aloneThrottled = w3.sim.stats().throttled;
  await w3.sim.close();
  figures.push(
    figure({
      name: `pre-flight, ${n} plans: ARM calls per cluster`,
      value: perCluster(burst.arm - burst.shared, n),
      unit: '/cluster (cluster, credential, VNet usages)',
      baseline: { name: 'nothing shared between clusters', value: perCluster(alone.arm - alone.shared, n) },
      goal: atMost(ARM_PER_CLUSTER, 'per cluster'),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: ARM reads shared per sub × region`,
      value: burst.shared,
      unit: `calls (usages + SKUs, ${pairs} sub × region)`,
      baseline: { name: 'nothing shared between clusters', value: alone.shared },
      goal: atMost(SHARED_PER_REGION * pairs, `calls: ${SHARED_PER_REGION} per sub × region`),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: Kubernetes calls per cluster`,
      value: perCluster(burst.kube, n),
      unit: 'calls/cluster, each on its own API server',
      baseline: { name: 'nothing shared', value: perCluster(alone.kube, n) },
      goal: atMost(KUBE_FLOOR.minor, 'per cluster: the floor for a minor'),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: a plan's repeated pre-flight, ARM per cluster`,
      value: perCluster(again.arm - again.shared, n),
      unit: `/cluster (cluster, VNet usages; endpoint kept) + ${again.shared} shared`,
      baseline: { name: 'its first pre-flight', value: perCluster(burst.arm - burst.shared, n) },
      goal: atMost(ARM_PER_CLUSTER_REPEATED, 'per cluster'),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: latency p99 per cluster`,
      value: Math.round(p99(per)),
      unit: `ms (all in ${totalS.toFixed(1)} s, ${CONCURRENCY} at a time)`,
      baseline: { name: 'median', value: Math.round(median(per)) },
      goal: atMost(1000, 'ms'),
      kind: 'absolute',
    }),
    figure({
      name: `pre-flight, ${n} plans: 429 answers`,
      value: throttled + oneThrottled,
      unit: '429s',
      baseline: { name: 'nothing shared', value: aloneThrottled },
      goal: atMost(0, '429s'),
      kind: 'count',
    }),
  );
  return figures;
}

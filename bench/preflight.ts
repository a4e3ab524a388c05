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
 * Pre-flight at 20 ms per call (ARM with its token buckets, and each cluster's Kubernetes API):
 * calls and latency for one cluster with three pools in its own VNet going to a new minor, and for
 * 500 plans after a release (5 subscriptions × 5 regions), each beside what the same checks cost
 * when nothing is shared between pools or clusters. Region versions come from the fleet reader's
 * cache, as when a plan is proposed (the planning has just read them).
 */
const LATENCY_MS = 20;
const FLEET = { clusters: 500, subscriptions: 5, regions: 5, pools: 3 };
const CONCURRENCY = 16;
/**
 * What one cluster costs beyond the reads clusters share, for a minor upgrade with every pool in one
 * VNet. ARM: the cluster, `listClusterUserCredential` (server and CA), the VNet's usages. Kubernetes:
 * one nodes list, one PDB list, `/metrics` (a fourth, the pods list, only when a PDB allows no
 * disruption). Each cluster has its own credential and API server, so none of these six can be
 * shared; Compute usages and SKUs are the reads shared per subscription and region.
 */
const PER_CLUSTER = { arm: 3, kube: 3 };

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

function minorPlan(c: ClusterSpec, i: number, onlyPool?: string): Plan {
  const from = c.kubernetesVersion;
  const [major = '1', minor = '35'] = from.split('.');
  const to = `${major}.${Number(minor) + 1}.3`;
  const pools = (c.pools ?? []).filter((p) => onlyPool === undefined || p.name === onlyPool);
  return proposePlan(
    {
      id: `bench-pf-${i}-${onlyPool ?? 'all'}`,
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
      kind: 'minor',
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
  const preflight = new Preflight({
    arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
    regionVersions: (s, l) => Promise.resolve(regions.get(`${s}|${l}`)),
    policy: DEFAULT_POLICY,
    now: () => new Date(),
    kubeTimeoutMs: 8_000,
    kubeStats: kube,
  });
  sim.clearCalls();
  clients.stats.calls = 0;
  return { sim, clients, kube, preflight };
}

const p99 = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.99) - 1)] ?? 0;
};

export async function benchPreflight(): Promise<Figure[]> {
  const figures: Figure[] = [];

  // One cluster, three pools, one VNet, a minor upgrade.
  const one = withVnets(generateFleet({ clusters: 1, subscriptions: 1, regions: 1, pools: 3 }));
  const spec = one.clusters[0]!;
  const w1 = await world(one);
  const latencies: number[] = [];
  let oneArm = 0;
  let oneKube = 0;
  for (let i = 0; i < 20; i++) {
    const arm0 = w1.clients.stats.calls;
    const kube0 = w1.kube.calls;
    const t = performance.now();
    await w1.preflight.check(minorPlan(spec, i), w1.preflight.newRun());
    latencies.push(performance.now() - t);
    oneArm = w1.clients.stats.calls - arm0;
    oneKube = w1.kube.calls - kube0;
  }
  // The same checks pool by pool, nothing shared (what one script per pool reads).
  const arm1 = w1.clients.stats.calls;
  const kube1 = w1.kube.calls;
  for (const p of spec.pools ?? [])
    await w1.preflight.check(minorPlan(spec, 99, p.name), w1.preflight.newRun());
  const perPool = w1.clients.stats.calls - arm1 + (w1.kube.calls - kube1);
  // One cluster GET through the SDK: the floor of any check.
  const tg = performance.now();
  await new ArmAksGateway(w1.clients).getCluster(minorPlan(spec, 0).cluster);
  const floorMs = performance.now() - tg;
  const oneThrottled = w1.sim.stats().throttled;
  await w1.sim.close();
  figures.push(
    figure({
      name: 'pre-flight, 1 cluster × 3 pools: calls (ARM + Kubernetes)',
      value: oneArm + oneKube,
      unit: `calls (${oneArm} ARM + ${oneKube} k8s)`,
      baseline: { name: 'pool by pool, nothing shared', value: perPool },
      goal: atMost(8, 'calls'),
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

  // 500 plans after a release: proposals share one run.
  const fleet = withVnets(generateFleet(FLEET));
  const regionsCount = new Set(fleet.clusters.map((c) => `${c.subscriptionId}|${c.location}`)).size;
  const w2 = await world(fleet);
  const per: number[] = [];
  const run = w2.preflight.newRun();
  const t0 = performance.now();
  await pool(fleet.clusters.length, CONCURRENCY, async (i) => {
    const t = performance.now();
    await w2.preflight.check(minorPlan(fleet.clusters[i]!, i), run);
    per.push(performance.now() - t);
  });
  const totalS = (performance.now() - t0) / 1000;
  const shared = { arm: w2.clients.stats.calls, kube: w2.kube.calls, throttled: w2.sim.stats().throttled };
  await w2.sim.close();
  // Baseline: the same 500 with nothing shared (a run of its own per plan), on a fresh simulator.
  const w3 = await world(fleet);
  await pool(fleet.clusters.length, CONCURRENCY, async (i) => {
    await w3.preflight.check(minorPlan(fleet.clusters[i]!, i), w3.preflight.newRun());
  });
  const alone = { arm: w3.clients.stats.calls, kube: w3.kube.calls, throttled: w3.sim.stats().throttled };
  await w3.sim.close();
  const n = fleet.clusters.length;
  figures.push(
    figure({
      name: `pre-flight, ${n} plans: ARM + Kubernetes calls per cluster`,
      value: Number(((shared.arm - 2 * regionsCount + shared.kube) / n).toFixed(2)),
      unit: `/cluster (${((shared.arm - 2 * regionsCount) / n).toFixed(2)} ARM + ${(shared.kube / n).toFixed(2)} k8s) + ${2 * regionsCount} shared`,
      baseline: {
        name: 'nothing shared between clusters',
        value: Number(((alone.arm + alone.kube) / n).toFixed(2)),
      },
      goal: atMost(
        PER_CLUSTER.arm + PER_CLUSTER.kube,
        'per cluster, beside O(subs × regions): the 1-cluster budget of 8 less its 2 shared reads',
      ),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: ARM calls per cluster`,
      value: Number(((shared.arm - 2 * regionsCount) / n).toFixed(2)),
      unit: `/cluster (cluster, credential, VNet usages) + ${2 * regionsCount} (usages + SKUs × ${regionsCount} sub×region)`,
      baseline: { name: 'nothing shared between clusters', value: Number((alone.arm / n).toFixed(2)) },
      goal: atMost(PER_CLUSTER.arm, 'per cluster, beside O(subs × regions)'),
      kind: 'count',
    }),
    figure({
      name: `pre-flight, ${n} plans: Kubernetes calls per cluster`,
      value: Number((shared.kube / n).toFixed(2)),
      unit: 'calls/cluster (nodes, PDBs, /metrics: its own API server)',
      baseline: { name: 'nothing shared', value: Number((alone.kube / n).toFixed(2)) },
      goal: atMost(PER_CLUSTER.kube, 'per cluster: one list each, pods only when a PDB allows none'),
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
      value: shared.throttled + oneThrottled,
      unit: '429s',
      baseline: { name: 'nothing shared', value: alone.throttled },
      goal: atMost(0, '429s'),
      kind: 'count',
    }),
  );
  return figures;
}

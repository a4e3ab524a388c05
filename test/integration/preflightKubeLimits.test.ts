import type { ClusterSpec, FleetFile, RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { KUBE_PER_CLUSTER } from '../../shared/azure/kubeApi';
import { ArmPreflight } from '../../shared/azure/preflightArm';
import type { Plan } from '../../shared/domain/plan';
import { parsePolicy } from '../../shared/domain/policy';
import type { PlanPreflight, PreflightCheckId } from '../../shared/domain/preflight';
import { Preflight } from '../../shared/usecases/preflight';
import { proposed } from '../helpers/plans';
import { simControl, startTestSimulator } from '../helpers/sim';

/**
 * Kubernetes reads are bounded, through the real SDKs and `node:https` against the simulator: at most
 * the process's concurrency in flight over all clusters and `KUBE_PER_CLUSTER` per cluster, and an
 * API server slower than the timeout makes the Kubernetes checks `unknown` with the reason while the
 * ARM checks still run (the kube room told to be slow with `POST /_sim/kube/slow`).
 */
const SUB = '7c1d2e3f-0000-4000-8000-0000000000f3';
const RG = 'rg-limits';
const CLUSTERS = 8;
const LIMIT = 3;

const spec = (name: string): ClusterSpec => ({
  subscriptionId: SUB,
  resourceGroup: RG,
  name,
  location: 'westeurope',
  kubernetesVersion: '1.35.6',
  tags: { environment: 'production' },
  pools: [
    { name: 'system', mode: 'System', count: 3, maxSurge: '33%' },
    { name: 'apps', count: 3, maxSurge: '33%' },
  ],
  kube: {
    workloads: [{ namespace: 'web', name: 'front', pool: 'apps', replicas: 3, pdb: { maxUnavailable: 1 } }],
  },
});

const FLEET: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: Array.from({ length: CLUSTERS }, (_, i) => spec(`aks-lim-${i}`)),
};

let sim: RunningSimulator;
let clients: ArmClients;

beforeAll(async () => {
  // Every Kubernetes answer takes 50 ms, so concurrent GETs overlap at the server.
  sim = await startTestSimulator({ fleet: FLEET, throttle: false, latencyMs: 50 });
  clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    maxRetries: 0,
  });
});

afterAll(async () => {
  await sim.close();
});

function preflight(options: { kubeTimeoutMs: number; kubeConcurrency?: number }): Preflight {
  const gateway = new ArmAksGateway(clients);
  return new Preflight({
    arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
    regionVersions: (s, l) => gateway.listKubernetesVersions(s, l),
    policy: parsePolicy(''),
    now: () => new Date('2026-11-28T02:00:00Z'),
    ...options,
  });
}

function planFor(name: string): Plan {
  const from = '1.35.6';
  const to = '1.36.3';
  return proposed({
    id: `plan-${name}`,
    cluster: {
      id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      key: `${SUB}:${RG}:${name}`.toLowerCase(),
      name,
      subscriptionId: SUB,
      resourceGroup: RG,
      location: 'westeurope',
      ring: 'production',
      tags: {},
    },
    kind: 'minor',
    from,
    to,
    steps: [
      { kind: 'control-plane', from, to },
      { kind: 'node-pool', pool: 'system', mode: 'System', from, to },
      { kind: 'node-pool', pool: 'apps', mode: 'User', from, to },
    ],
    window: { source: 'none', description: 'any time (no maintenance window configured)' },
  });
}

const statusOf = (r: PlanPreflight, id: PreflightCheckId): string[] =>
  r.checks.filter((c) => c.id === id).map((c) => c.status);

test('Kubernetes GETs in flight never exceed the process limit over all clusters, nor the per-cluster one', async () => {
  const pf = preflight({ kubeTimeoutMs: 5_000, kubeConcurrency: LIMIT });
  const run = pf.newRun();
  sim.kube.stats.peakInFlight = 0;
  const calls0 = sim.kube.stats.calls;
  const reports = await Promise.all(FLEET.clusters.map((c) => pf.check(planFor(c.name), run)));
  // Every cluster's three reads (nodes, PDBs, /metrics) were made and answered.
  expect(sim.kube.stats.calls - calls0).toBe(CLUSTERS * 3);
  for (const r of reports)
    expect([...statusOf(r, 'pdb'), ...statusOf(r, 'deprecated-apis')]).not.toContain('unknown');
  expect(sim.kube.stats.peakInFlight).toBeGreaterThan(1);
  expect(sim.kube.stats.peakInFlight).toBeLessThanOrEqual(LIMIT);

  // One cluster alone: its own limit holds (three reads at most at once).
  sim.kube.stats.peakInFlight = 0;
  await pf.check(planFor('aks-lim-0'), pf.newRun());
  expect(sim.kube.stats.peakInFlight).toBeLessThanOrEqual(KUBE_PER_CLUSTER);
});

test('an API server slower than the timeout: the Kubernetes checks are unknown with the reason, ARM checks still run; once it answers in time, they pass', async () => {
  const pf = preflight({ kubeTimeoutMs: 300 });
  await simControl(sim, 'POST', '/_sim/kube/slow', { cluster: 'aks-lim-1', ms: 2_000 });
  const slow = await pf.check(planFor('aks-lim-1'), pf.newRun());
  for (const id of ['pdb', 'nodes-ready', 'deprecated-apis'] as const) {
    const c = slow.checks.filter((x) => x.id === id);
    expect(c.length).toBeGreaterThan(0);
    for (const x of c) {
      expect(x.status).toBe('unknown');
      expect(x.detail).toMatch(/no answer in 300 ms/);
    }
  }
  expect(statusOf(slow, 'cluster-state')).toEqual(['pass']);
  expect(statusOf(slow, 'vcpu-quota')).toEqual(['pass', 'pass']);
  expect(statusOf(slow, 'subnet-ips')).toEqual(['pass', 'pass']);
  // Its neighbour on the same API server port is not held up by it.
  const other = await pf.check(planFor('aks-lim-2'), pf.newRun());
  expect(statusOf(other, 'pdb')).toEqual(['pass', 'pass']);

  await simControl(sim, 'POST', '/_sim/kube/slow', { cluster: 'aks-lim-1', ms: 0 });
  const mended = await pf.check(planFor('aks-lim-1'), pf.newRun());
  expect(statusOf(mended, 'pdb')).toEqual(['pass', 'pass']);
  expect(statusOf(mended, 'deprecated-apis')).toEqual(['pass']);
});

test('POST /_sim/kube/slow refuses what is not a delay, with what was wrong', async () => {
  await expect(simControl(sim, 'POST', '/_sim/kube/slow', { cluster: 'aks-lim-1', ms: -1 })).rejects.toThrow(
    /400 .*ms must be an integer from 0 to 120000/,
  );
  await expect(simControl(sim, 'POST', '/_sim/kube/slow', { cluster: 'aks-nowhere', ms: 5 })).rejects.toThrow(
    /404|400/,
  );
});

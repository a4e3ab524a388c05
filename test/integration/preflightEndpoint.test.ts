import type { FleetFile, RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { KubeStats } from '../../shared/azure/kubeApi';
import { ArmPreflight } from '../../shared/azure/preflightArm';
import type { Plan } from '../../shared/domain/plan';
import { parsePolicy } from '../../shared/domain/policy';
import type { PlanPreflight } from '../../shared/domain/preflight';
import { KUBE_ENDPOINT_TTL_MS, Preflight } from '../../shared/usecases/preflight';
import { proposed } from '../helpers/plans';
import { simControl, startTestSimulator } from '../helpers/sim';

/**
 * The kept API server endpoint (server URL and CA from `listClusterUserCredential`), through the
 * production SDK and `node:https` against the simulator: a plan's later pre-flights read no
 * credential, a rotated CA is noticed by the refused TLS handshake and read again within the same
 * check, and the endpoint is read again once its TTL has passed.
 */
const SUB = '7c1d2e3f-0000-4000-8000-0000000000e1';
const RG = 'rg-ep';
const NAME = 'aks-endpoint';

const FLEET: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: [
    {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: NAME,
      location: 'westeurope',
      kubernetesVersion: '1.35.6',
      tags: { environment: 'production' },
      pools: [{ name: 'system', mode: 'System', count: 3, maxSurge: '33%', vmSize: 'Standard_D4ds_v5' }],
      kube: {
        workloads: [
          { namespace: 'web', name: 'front', pool: 'system', replicas: 3, pdb: { maxUnavailable: 1 } },
        ],
      },
    },
  ],
};

let sim: RunningSimulator;
let preflight: Preflight;
const kubeStats = new KubeStats();
let clock = Date.parse('2026-11-28T02:00:00Z');

beforeAll(async () => {
  sim = await startTestSimulator({ fleet: FLEET, throttle: false });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    maxRetries: 0,
  });
  const gateway = new ArmAksGateway(clients);
  preflight = new Preflight({
    arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
    regionVersions: (sub, location) => gateway.listKubernetesVersions(sub, location),
    policy: parsePolicy(''),
    now: () => new Date(clock),
    kubeTimeoutMs: 2_000,
    kubeStats,
  });
});

afterAll(async () => {
  await sim.close();
});

function plan(): Plan {
  const from = '1.35.6';
  const to = '1.36.3';
  return proposed({
    id: 'plan-endpoint',
    cluster: {
      id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${NAME}`,
      key: `${SUB}:${RG}:${NAME}`.toLowerCase(),
      name: NAME,
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
    ],
    window: { source: 'none', description: 'any time (no maintenance window configured)' },
  });
}

const credentialReads = (): number =>
  sim.calls().filter((c) => /\/listclusterusercredential/i.test(c.path)).length;
const kubeStatuses = (r: PlanPreflight) =>
  r.checks.filter((c) => ['nodes-ready', 'pdb', 'deprecated-apis'].includes(c.id)).map((c) => c.status);

test("a plan's later pre-flights read no credential; a rotated CA is read again in the same check", async () => {
  const first = await preflight.check(plan(), preflight.newRun());
  expect(kubeStatuses(first)).toEqual(['pass', 'pass', 'pass']);
  expect(credentialReads()).toBe(1);

  // Before the approval request, before each step: the kept endpoint.
  const again = await preflight.check(plan(), preflight.newRun());
  expect(kubeStatuses(again)).toEqual(['pass', 'pass', 'pass']);
  expect(credentialReads()).toBe(1);

  // az aks rotate-certs: the kept CA no longer verifies the API server.
  await simControl(sim, 'POST', '/_sim/kube/rotate-certs', {});
  const failuresBefore = kubeStats.failures;
  const rotated = await preflight.check(plan(), preflight.newRun());
  expect(kubeStatuses(rotated)).toEqual(['pass', 'pass', 'pass']);
  expect(rotated.nodes).toHaveLength(3);
  expect(credentialReads()).toBe(2);
  // The refused GETs were sent and failed; none of them reached a check.
  expect(kubeStats.failures).toBeGreaterThan(failuresBefore);

  // The new CA is kept in turn.
  await preflight.check(plan(), preflight.newRun());
  expect(credentialReads()).toBe(2);
});

test('once its TTL has passed the endpoint is read again', async () => {
  const before = credentialReads();
  clock += KUBE_ENDPOINT_TTL_MS - 1;
  await preflight.check(plan(), preflight.newRun());
  expect(credentialReads()).toBe(before);
  clock += 1;
  const report = await preflight.check(plan(), preflight.newRun());
  expect(kubeStatuses(report)).toEqual(['pass', 'pass', 'pass']);
  expect(credentialReads()).toBe(before + 1);
});

import { randomBytes } from 'node:crypto';

import type { FleetFile, RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { ArmPreflight } from '../../shared/azure/preflightArm';
import type { Plan, TransitionResult } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import type { StepTarget } from '../../shared/domain/targeting';
import { silentLogger } from '../../shared/logging';
import { TableRunnerStore } from '../../shared/store/runnerStore';
import { toCommit } from '../../shared/usecases/planCommands';
import { Preflight } from '../../shared/usecases/preflight';
import type { RunnerDeps } from '../../shared/usecases/runUpgrades';
import { runUpgrades } from '../../shared/usecases/runUpgrades';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld, TEST_POLICY } from '../helpers/planning';
import { GATE } from '../helpers/plans';
import { simControl, startTestSimulator } from '../helpers/sim';

/**
 * The runner with pre-flight, through the real SDKs, the simulator and Azurite: a production plan
 * approved although pre-flight said no-go gets no upgrade request at all — it waits with the failing
 * check as its reason and on-call is told once — and once the cause is mended in the simulator it
 * starts by itself at the next tick.
 */
const SUB = '8d2e3f4a-0000-4000-8000-0000000000f2';
const RG = 'rg-prod';
const FLEET: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: [
    {
      subscriptionId: SUB,
      resourceGroup: RG,
      name: 'aks-held',
      location: 'westeurope',
      kubernetesVersion: '1.35.6',
      tags: { environment: 'production' },
      autoUpgradeProfile: { upgradeChannel: 'none' },
      pools: [
        { name: 'system', mode: 'System', count: 3, maxSurge: '33%' },
        { name: 'apps', count: 3, maxSurge: '33%' },
      ],
      kube: {
        workloads: [
          { namespace: 'pay', name: 'ledger', pool: 'apps', replicas: 2, pdb: { maxUnavailable: 0 } },
        ],
      },
    },
  ],
};

const NOW = new Date('2026-11-28T02:00:00Z');
let sim: RunningSimulator;
let world: PlanningWorld;
let deps: RunnerDeps;

beforeAll(async () => {
  sim = await startTestSimulator({ fleet: FLEET, throttle: false, now: () => NOW });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    maxRetries: 0,
  });
  const gateway = new ArmAksGateway(clients);
  world = planningWorld(TEST_POLICY);
  deps = {
    plans: world.plans,
    links: world.deps.links,
    log: silentLogger,
    aks: gateway,
    policy: world.policy,
    runs: new TableRunnerStore(world.tables),
    outbox: world.outbox,
    keys: world.keys,
    baseUrl: 'http://warden.test',
    newId: () => randomBytes(6).toString('hex'),
    now: () => NOW,
    owner: 'runner-pf',
    preflight: new Preflight({
      arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
      regionVersions: (s, l) => gateway.listKubernetesVersions(s, l),
      policy: world.policy,
      now: () => NOW,
      kubeTimeoutMs: 2_000,
    }),
  };
});

afterAll(async () => {
  await sim.close();
});

const STEPS: StepTarget[] = [
  { kind: 'control-plane', from: '1.35.6', to: '1.35.8' },
  { kind: 'node-pool', pool: 'system', mode: 'System', from: '1.35.6', to: '1.35.8' },
  { kind: 'node-pool', pool: 'apps', mode: 'User', from: '1.35.6', to: '1.35.8' },
];

/** A production plan approved as the approval page leaves it (an approver may approve a no-go plan). */
async function approvedPlan(): Promise<Plan> {
  const at = new Date(NOW.getTime() - 60_000);
  const by = { actor: 'warden', source: { kind: 'sweep' as const } };
  const created = proposePlan(
    {
      id: `plan-held-${randomBytes(3).toString('hex')}`,
      cluster: {
        id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/aks-held`,
        key: `${SUB}:${RG}:aks-held`.toLowerCase(),
        name: 'aks-held',
        subscriptionId: SUB,
        resourceGroup: RG,
        location: 'westeurope',
        ring: 'production',
        tags: {},
      },
      kind: 'patch',
      from: '1.35.6',
      to: '1.35.8',
      steps: STEPS,
      gate: GATE,
      window: { source: 'none', description: 'any time (no maintenance window configured)' },
      findings: [],
      urgency: 'normal',
      reason: 'test',
      initiator: 'warden',
      by,
    },
    at,
  );
  const evidence = {
    ring: 'production' as const,
    version: '1.35.8',
    allowed: true,
    reason: 'soaked',
    soakMs: 0,
    plans: [],
    checkedAt: at.toISOString(),
  };
  const results: TransitionResult[] = [created];
  results.push(
    transition(results[0]!.plan, { type: 'PromotionSatisfied', evidence, requestId: 'r1', by }, at),
  );
  results.push(
    transition(
      results[1]!.plan,
      { type: 'ApprovalGranted', approver: 'oncall@contoso.com', comment: 'fixing the PDB', round: 1, by },
      at,
    ),
  );
  await world.plans.create(toCommit(world.deps.links, results).commit);
  return results[2]!.plan;
}

const writes = () =>
  sim
    .calls()
    .filter(
      (c) =>
        c.method !== 'GET' &&
        /managedclusters\/aks-held/i.test(c.path) &&
        !/listclusterusercredential/i.test(c.path),
    );

describe('the runner holds a no-go plan', () => {
  it('sends no upgrade request, waits naming the check, tells on-call once, and runs once mended', async () => {
    const plan = await approvedPlan();
    const key = plan.cluster.key;
    for (let tick = 0; tick < 2; tick++) {
      const out = await runUpgrades(deps, { clusterKey: key });
      expect(out.results[0]).toMatchObject({ planId: plan.id, outcome: 'waiting' });
    }
    expect(writes()).toEqual([]);
    const held = (await world.plans.get(plan.id))?.plan;
    expect(held?.status).toBe('approved');
    expect(held?.hold?.reason).toMatch(
      /^pre-flight no-go: waiting for pdb \(pool apps\): PDB pay\/ledger has maxUnavailable 0/,
    );
    expect(held?.preflight?.verdict).toBe('no-go');
    const told = (await world.outbox.list({ cluster: 'aks-held', limit: 100 })).filter((n) =>
      n.notice.key.includes(`${plan.id}:preflight-hold`),
    );
    expect(told.length).toBeGreaterThan(0);
    expect(new Set(told.map((n) => n.notice.key)).size).toBe(1);

    await simControl(sim, 'POST', '/_sim/kube/pdbs', {
      cluster: 'aks-held',
      namespace: 'pay',
      name: 'ledger',
      maxUnavailable: 1,
    });
    const out = await runUpgrades(deps, { clusterKey: key });
    expect(out.results[0]).toMatchObject({ planId: plan.id, outcome: 'started' });
    expect(writes().map((w) => w.method)).toEqual(['PUT']);
    const running = (await world.plans.get(plan.id))?.plan;
    expect(running?.status).toBe('running');
    expect(running?.hold).toBeUndefined();
    expect(running?.preflight?.verdict).toBe('go');
    await sim.idle();
  });
});

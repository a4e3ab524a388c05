import { randomBytes } from 'node:crypto';

import type { FleetFile, RunningSimulator } from '../../local/sim';
import { signPlanAction } from '../../shared/approvals/actionTokens';
import type { AksGateway, ArmCluster } from '../../shared/azure/aksGateway';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import type { AksEvent } from '../../shared/domain/aksEvents';
import { parseClusterId } from '../../shared/domain/armId';
import type { ClusterSnapshot } from '../../shared/domain/cluster';
import type { Plan, PlanGate, TransitionResult } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import type { StepTarget } from '../../shared/domain/targeting';
import { silentLogger } from '../../shared/logging';
import { TableClusterStore } from '../../shared/store/clusterStore';
import type { PlanStore } from '../../shared/store/planStore';
import { TableRunnerStore } from '../../shared/store/runnerStore';
import { checkDeferLink, deferReaction, deferUpgrade } from '../../shared/usecases/deferUpgrade';
import { seeBeforeActing } from '../../shared/usecases/outsideUpgrades';
import { abortStep, approveForceUpgrade, cancelPlan, requestAbort } from '../../shared/usecases/planActions';
import { toCommit } from '../../shared/usecases/planCommands';
import type { RunnerDeps } from '../../shared/usecases/runUpgrades';
import { runUpgrades } from '../../shared/usecases/runUpgrades';
import { storeClusterRow, sweepOneCluster } from '../../shared/usecases/sweepFleet';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld } from '../helpers/planning';
import { startTestSimulator } from '../helpers/sim';

/**
 * The upgrade runner through the real SDKs against the loopback simulator and Azurite: the call log
 * proves the order (control plane alone, then each pool, never two operations at once), crashes after
 * every action resume with one PUT per step, windows hold plans as `scheduled`, the deprecated-API
 * block makes a plan `blocked` until a force upgrade is approved, and a failed pool fails the plan
 * with ARM's reason in the notice.
 */
const SUB = '5a1b2c3d-0000-4000-8000-00000000000a';
const RG = 'rg-prod';
const POLICY = `
soak: { dev: PT1H, staging: PT2H, production: P1D }
approvals: { expiry: PT24H }
routes:
  production: { email: [oncall@contoso.com], secondary: { email: [lead@contoso.com] } }
platform: { email: [platform@contoso.com] }
`;
/** Saturday 02:00 UTC: inside every test cluster's Saturday 01:00-07:00 window. */
const OPEN = new Date('2026-11-28T02:00:00Z');
/** Wednesday: the window is closed. */
const CLOSED = new Date('2026-11-25T15:00:00Z');

const window = {
  aksManagedAutoUpgradeSchedule: {
    maintenanceWindow: {
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
      durationHours: 6,
      startDate: '2026-01-01',
      startTime: '01:00',
      utcOffset: '+00:00',
    },
  },
};

function cluster(name: string, extra: Record<string, unknown> = {}): FleetFile['clusters'][number] {
  return {
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: 'westeurope',
    kubernetesVersion: '1.35.8',
    tags: { environment: 'production', 'owner-email': 'payments@contoso.com' },
    autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' },
    pools: [
      { name: 'apps', mode: 'User', orchestratorVersion: '1.35.8', count: 3 },
      { name: 'system', mode: 'System', orchestratorVersion: '1.35.8', count: 2 },
    ],
    maintenanceConfigurations: window,
    ...extra,
  };
}

const CRASH_CASES = 14;
const FAMILY = 'AKSUbuntu-2204gen2containerd';
const FLEET: FleetFile = {
  versions: [
    { version: '1.35', patches: ['1.35.8'], isDefault: true },
    { version: '1.36', patches: ['1.36.3'] },
  ],
  nodeImages: { [FAMILY]: '202611.10.0' },
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  clusters: [
    cluster('prod-order'),
    cluster('prod-record'),
    cluster('prod-outside-step'),
    cluster('prod-outside-moot'),
    cluster('prod-record-fails'),
    cluster('prod-closed'),
    cluster('prod-deprecated', {
      deprecatedApiUsage: [
        { api: 'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list', removedIn: '1.36' },
      ],
    }),
    cluster('prod-failpool'),
    cluster('prod-auto', { autoUpgradeProfile: { upgradeChannel: 'stable' } }),
    cluster('prod-abort'),
    cluster('prod-twins'),
    cluster('prod-busy'),
    cluster('prod-two', {
      pools: [
        {
          name: 'apps',
          mode: 'User',
          orchestratorVersion: '1.35.8',
          count: 3,
          nodeImageVersion: `${FAMILY}-202510.01.0`,
        },
        {
          name: 'system',
          mode: 'System',
          orchestratorVersion: '1.35.8',
          count: 2,
          nodeImageVersion: `${FAMILY}-202510.01.0`,
        },
      ],
    }),
    cluster('prod-image', {
      pools: [
        {
          name: 'apps',
          mode: 'User',
          orchestratorVersion: '1.35.8',
          count: 3,
          nodeImageVersion: `${FAMILY}-202510.01.0`,
        },
        {
          name: 'system',
          mode: 'System',
          orchestratorVersion: '1.35.8',
          count: 2,
          nodeImageVersion: `${FAMILY}-202510.01.0`,
        },
      ],
    }),
    ...Array.from({ length: CRASH_CASES + 1 }, (_, i) => cluster(`prod-crash-${i}`)),
  ],
};

const GATE: PlanGate = {
  gated: true,
  required: 1,
  autoExecute: true,
  expiryMs: 24 * 3_600_000,
  reminderAt: 0.5,
  escalateAt: 0.75,
  approvers: ['oncall@contoso.com'],
  secondary: ['lead@contoso.com'],
};

const STEPS: StepTarget[] = [
  { kind: 'control-plane', from: '1.35.8', to: '1.36.3' },
  { kind: 'node-pool', pool: 'system', mode: 'System', from: '1.35.8', to: '1.36.3' },
  { kind: 'node-pool', pool: 'apps', mode: 'User', from: '1.35.8', to: '1.36.3' },
];

let sim: RunningSimulator;
let gateway: ArmAksGateway;
let world: PlanningWorld;
let clock = OPEN;
let planCount = 0;

beforeAll(async () => {
  sim = await startTestSimulator({ fleet: FLEET, throttle: false, now: () => clock });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    maxRetries: 0,
  });
  gateway = new ArmAksGateway(clients);
  world = planningWorld(POLICY);
});

afterAll(async () => {
  await sim.close();
});

function deps(owner = 'runner-a', overrides: Partial<RunnerDeps> = {}): RunnerDeps {
  return {
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
    now: () => clock,
    owner,
    ...overrides,
  };
}

const idOf = (name: string): string =>
  `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`;
const keyOf = (name: string): string => `${SUB}:${RG}:${name}`.toLowerCase();

/** An approved production plan for a cluster of the fleet, stored as the approval flow leaves it. */
async function approvedPlan(
  name: string,
  steps: readonly StepTarget[] = STEPS,
  kind: Plan['kind'] = 'minor',
): Promise<Plan> {
  const at = new Date(clock.getTime() - 60_000);
  const id = `plan${++planCount}${randomBytes(3).toString('hex')}`;
  const created = proposePlan(
    {
      id,
      cluster: {
        id: idOf(name),
        key: keyOf(name),
        name,
        subscriptionId: SUB,
        resourceGroup: RG,
        location: 'westeurope',
        ring: 'production',
        tags: { environment: 'production', 'owner-email': 'payments@contoso.com' },
      },
      kind,
      from: '1.35.8',
      to: kind === 'node-image' ? '1.35.8' : '1.36.3',
      ...(kind === 'node-image' && { nodeImage: `${FAMILY}-202611.10.0` }),
      steps,
      gate: GATE,
      window: {
        source: 'aks',
        description: 'every week on Saturday at 01:00 UTC+00:00 for 6 h, from 2026-01-01',
      },
      findings: [],
      urgency: 'normal',
      reason: 'test',
      initiator: 'warden',
      by: { actor: 'warden', source: { kind: 'sweep' } },
    },
    at,
  );
  const evidence = {
    ring: 'production' as const,
    version: '1.36.3',
    allowed: true,
    reason: 'soaked',
    soakMs: 0,
    plans: [],
    checkedAt: at.toISOString(),
  };
  const results: TransitionResult[] = [created];
  const by = { actor: 'warden', source: { kind: 'sweep' as const } };
  results.push(
    transition(results[0]!.plan, { type: 'PromotionSatisfied', evidence, requestId: 'r1', by }, at),
  );
  results.push(
    transition(
      results[1]!.plan,
      { type: 'ApprovalGranted', approver: 'oncall@contoso.com', comment: '', round: 1, by },
      at,
    ),
  );
  await world.plans.create(toCommit(world.deps.links, results).commit);
  return results[2]!.plan;
}

async function planOf(plans: PlanStore, id: string): Promise<Plan> {
  const stored = await plans.get(id);
  if (!stored) throw new Error(`no plan ${id}`);
  return stored.plan;
}

/** Ticks of fresh runners until the plan closes (each waits for the simulator's operations to end). */
async function runToEnd(
  planId: string,
  name: string,
  make: () => RunnerDeps = () => deps(),
  max = 30,
): Promise<Plan> {
  for (let i = 0; i < max; i++) {
    await runUpgrades(make(), { clusterKey: keyOf(name) });
    const plan = await planOf(world.plans, planId);
    if (!['approved', 'scheduled', 'running'].includes(plan.status)) return plan;
    await sim.idle();
    clock = new Date(clock.getTime() + 1000);
  }
  return planOf(world.plans, planId);
}

/** The writes the simulator received for one cluster, in order. */
function writes(
  name: string,
  on: RunningSimulator = sim,
): { method: string; path: string; status: number }[] {
  return on
    .calls()
    .filter((c) => c.method !== 'GET' && new RegExp(`/managedclusters/${name}(/|\\?|$)`, 'i').test(c.path))
    .map((c) => ({
      method: c.method,
      path: c.path.replace(/^.*\/managedclusters\//i, '').replace(/\?.*$/, ''),
      status: c.status,
    }));
}

async function notices(name: string) {
  await world.outbox.relay();
  return (await world.outbox.list({ limit: 1000 })).filter((r) => r.notice.cluster?.name === name);
}

describe('the upgrade runner against the simulator', () => {
  beforeEach(() => {
    clock = OPEN;
  });

  test('control plane alone first, then each pool in turn (system first), one operation at a time; success with notices', async () => {
    const plan = await approvedPlan('prod-order');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-order') });
    // After the first tick only the control plane was asked to move: the pools keep their version.
    const simCluster = [...sim.fleet.clusters.values()].find((c) => c.name === 'prod-order')!;
    expect(simCluster.kubernetesVersion).toBe('1.36.3');
    expect(simCluster.pools.map((p) => p.orchestratorVersion)).toEqual(['1.35.8', '1.35.8']);
    const stored = await planOf(world.plans, plan.id);
    expect(stored.status).toBe('running');
    expect(stored.steps[0]?.operation?.pollUrl).toMatch(/operations\//);
    expect(stored.steps[0]?.operation?.startedAt).toBe(OPEN.toISOString());

    const done = await runToEnd(plan.id, 'prod-order');
    expect(done.status).toBe('succeeded');
    expect(done.steps.map((s) => s.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(writes('prod-order')).toEqual([
      { method: 'PUT', path: 'prod-order', status: 200 },
      { method: 'PUT', path: 'prod-order/agentPools/system', status: 200 },
      { method: 'PUT', path: 'prod-order/agentPools/apps', status: 200 },
    ]);
    expect(simCluster.currentKubernetesVersion).toBe('1.36.3');
    expect(simCluster.pools.map((p) => p.currentOrchestratorVersion)).toEqual(['1.36.3', '1.36.3']);
    // NodePoolRolling events were emitted for each pool, in order.
    const rolling = sim
      .deliveries()
      .filter((d) => d.subject === 'prod-order')
      .map((d) => `${d.eventType.split('.').pop()}:${String(d.data.nodePoolName)}`);
    expect(rolling).toEqual([
      'NodePoolRollingStarted:system',
      'NodePoolRollingSucceeded:system',
      'NodePoolRollingStarted:apps',
      'NodePoolRollingSucceeded:apps',
    ]);
    const kinds = (await notices('prod-order')).map((n) => n.kind);
    expect(kinds).toEqual(expect.arrayContaining(['plan-started', 'pool-succeeded', 'plan-succeeded']));
    // Promotion reads the success as soak evidence.
    const ring = await world.plans.ringPlans('production', '1.36.3');
    expect(ring.find((r) => r.planId === plan.id)?.succeededAt).toBeDefined();
  });

  test('once a plan succeeded, the cluster as ARM shows it replaces the swept snapshot: the fleet views show the new versions now', async () => {
    const store = new TableClusterStore(world.tables);
    const sweepDeps = { gateway, store, policy: world.policy, now: () => clock };
    const ref = parseClusterId(idOf('prod-record'))!;
    const swept = await sweepOneCluster(
      { ...sweepDeps, scope: { kind: 'subscriptions', subscriptionIds: [SUB] } },
      ref,
      (sub, location) => gateway.listKubernetesVersions(sub, location),
    );
    expect(swept?.snapshot.kubernetesVersion).toBe('1.35.8');

    const plan = await approvedPlan('prod-record');
    const recorded: string[] = [];
    const done = await runToEnd(plan.id, 'prod-record', () =>
      deps('runner-a', {
        recordCluster: async (c) => {
          recorded.push(c.kubernetesVersion);
          await storeClusterRow(sweepDeps, c, undefined, { readWindows: false });
        },
      }),
    );
    expect(done.status).toBe('succeeded');
    expect(recorded).toEqual(['1.36.3']);
    const stored = (await store.get(SUB, ref.key))!;
    expect(stored.snapshot.kubernetesVersion).toBe('1.36.3');
    expect(stored.snapshot.nodePools.map((p) => p.orchestratorVersion)).toEqual(['1.36.3', '1.36.3']);
    // The windows the sweep read are kept (not read again).
    expect(stored.snapshot.maintenanceConfigurations).toEqual(swept?.snapshot.maintenanceConfigurations);
    expect(stored.windowsReadAt).toBe(swept?.windowsReadAt);

    const other = await approvedPlan('prod-record-fails');
    const failing = await runToEnd(other.id, 'prod-record-fails', () =>
      deps('runner-a', { recordCluster: () => Promise.reject(new Error('storage is down')) }),
    );
    expect(failing.status).toBe('succeeded');
  });

  describe('one owner per cluster: the runner reads ARM right before each step', () => {
    const store = () => new TableClusterStore(world.tables);
    /** The runner's check as app.ts wires it, over this test's stores; the cluster swept first. */
    async function watched(name: string) {
      const clusters = store();
      const sweepDeps = { gateway, store: clusters, policy: world.policy, now: () => clock };
      const region = await gateway.listKubernetesVersions(SUB, 'westeurope');
      const ref = parseClusterId(idOf(name))!;
      await sweepOneCluster(
        { ...sweepDeps, scope: { kind: 'subscriptions', subscriptionIds: [SUB] } },
        ref,
        () => Promise.resolve(region),
      );
      const seeCluster = (c: ArmCluster) =>
        seeBeforeActing(
          {
            ...world.deps,
            clusters,
            outbox: world.outbox,
            now: () => clock,
            fleet: { regionVersions: () => Promise.resolve(region) },
            store: (arm) => storeClusterRow(sweepDeps, arm, region, { readWindows: false }),
          },
          c,
        );
      const outsideNotices = async () =>
        new Set(
          (await notices(name)).filter((n) => n.kind === 'upgraded-outside-warden').map((n) => n.noticeKey),
        );
      return { clusters, ref, make: () => deps('runner-a', { seeCluster }), outsideNotices };
    }

    test('a pool upgraded in the portal mid-plan: recorded once with the runner as witness, and its step done without a PUT', async () => {
      const name = 'prod-outside-step';
      const w = await watched(name);
      const plan = await approvedPlan(name);
      // Warden's own control-plane upgrade is never an outside one.
      await runUpgrades(w.make(), { clusterKey: keyOf(name) });
      await sim.idle();
      sim.upgradeOutside({ cluster: name, pool: 'apps', version: '1.36.3', events: false });

      const done = await runToEnd(plan.id, name, w.make);
      expect(done.status).toBe('succeeded');
      expect(writes(name)).toEqual([
        { method: 'PUT', path: name, status: 200 },
        { method: 'PUT', path: `${name}/agentPools/system`, status: 200 },
      ]);
      const stored = await w.clusters.get(SUB, w.ref.key);
      expect(stored?.timeline).toEqual([
        expect.objectContaining({
          kind: 'upgraded-outside-warden',
          seenBy: 'runner',
          changes: [{ what: 'pool', pool: 'apps', from: '1.35.8', to: '1.36.3' }],
        }),
      ]);
      expect(stored?.findings.map((f) => f.code)).toContain('upgraded-outside-warden');
      expect(await w.outsideNotices()).toHaveProperty('size', 1);
      expect(JSON.stringify(done.steps[2])).not.toContain('"attempt"');
    });

    test('the whole cluster upgraded behind its approved plan: the plan is re-planned away, nothing is sent, one notice', async () => {
      const name = 'prod-outside-moot';
      const w = await watched(name);
      const plan = await approvedPlan(name);
      sim.upgradeOutside({ cluster: name, version: '1.36.3', events: false });

      await runUpgrades(w.make(), { clusterKey: keyOf(name) });
      await runUpgrades(w.make(), { clusterKey: keyOf(name) });
      const after = await planOf(world.plans, plan.id);
      expect(after.status).toBe('cancelled');
      expect(writes(name)).toEqual([]);
      const stored = await w.clusters.get(SUB, w.ref.key);
      expect(stored?.snapshot.kubernetesVersion).toBe('1.36.3');
      expect(
        stored?.timeline?.map((e) => (e.kind === 'upgraded-outside-warden' ? e.changes.length : 0)),
      ).toEqual([3]);
      expect(await w.outsideNotices()).toHaveProperty('size', 1);
      const audit = await world.plans.audit(plan.id);
      expect(JSON.stringify(audit)).toContain('upgraded outside Warden');
    });
  });

  test('a closed window: the plan waits as scheduled with the next opening, and nothing is sent', async () => {
    clock = CLOSED;
    const plan = await approvedPlan('prod-closed');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-closed') });
    const stored = await planOf(world.plans, plan.id);
    expect(stored.status).toBe('scheduled');
    expect(stored.window?.start).toBe('2026-11-28T01:00:00.000Z');
    expect(stored.hold?.reason).toMatch(/next opening 28 Nov 2026 01:00 UTC/);
    // Until it opens the runner does not even read ARM for it.
    const reads = (): number =>
      sim.calls().filter((c) => /managedclusters\/prod-closed/i.test(c.path)).length;
    const before = reads();
    clock = new Date('2026-11-27T12:00:00Z');
    const quiet = await runUpgrades(deps(), { clusterKey: keyOf('prod-closed') });
    expect(quiet.results[0]).toMatchObject({
      outcome: 'scheduled',
      detail: 'until 2026-11-28T01:00:00.000Z',
    });
    expect(reads()).toBe(before);
    // Less than the minimum (1 h) left: still waits.
    clock = new Date('2026-11-28T06:01:00Z');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-closed') });
    expect((await planOf(world.plans, plan.id)).status).toBe('scheduled');
    expect(writes('prod-closed')).toEqual([]);
    // Inside the next window with 61 min left: it starts.
    clock = new Date('2026-12-05T05:59:00Z');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-closed') });
    expect((await planOf(world.plans, plan.id)).status).toBe('running');
    expect(writes('prod-closed')).toEqual([{ method: 'PUT', path: 'prod-closed', status: 200 }]);
    await sim.idle();
  });

  // One plan run through to the end per crash point (about 25 s alone): more than the default 30 s on a busy machine.
  test('crashes after every action resume from ARM state with exactly one PUT per step', async () => {
    // A run without crashes counts the actions (plan writes and ARM requests).
    const reference = await approvedPlan(`prod-crash-${CRASH_CASES}`);
    let actions = 0;
    const counting = (): RunnerDeps => {
      const d = deps('runner-ref');
      return { ...d, plans: counted(d.plans, () => actions++), aks: counted(d.aks, () => actions++) };
    };
    expect((await runToEnd(reference.id, `prod-crash-${CRASH_CASES}`, counting)).status).toBe('succeeded');
    expect(actions).toBeGreaterThan(6);
    expect(actions).toBeLessThanOrEqual(CRASH_CASES);

    for (let crashAfter = 1; crashAfter <= actions; crashAfter++) {
      const name = `prod-crash-${crashAfter - 1}`;
      const plan = await approvedPlan(name);
      let done = 0;
      let crashed = false;
      const crashing = (): RunnerDeps => {
        // A fresh runner instance each tick.
        const d = deps(`runner-${randomBytes(3).toString('hex')}`);
        const after = (): void => {
          if (!crashed && ++done === crashAfter) {
            crashed = true;
            throw new Crash(`crashed after action ${crashAfter}`);
          }
        };
        return { ...d, plans: counted(d.plans, after), aks: counted(d.aks, after) };
      };
      let leaseLeft = false;
      const end = await runToEnd(plan.id, name, () => {
        // A crashed runner may have left its lease: the next one comes after it expired.
        if (crashed && !leaseLeft) {
          leaseLeft = true;
          clock = new Date(clock.getTime() + 6 * 60_000);
        }
        return crashing();
      });
      expect({ crashAfter, status: end.status }).toEqual({ crashAfter, status: 'succeeded' });
      const puts = writes(name).filter((w) => w.method === 'PUT');
      expect({ crashAfter, puts: puts.map((p) => p.path) }).toEqual({
        crashAfter,
        puts: [name, `${name}/agentPools/system`, `${name}/agentPools/apps`],
      });
    }
  }, 120_000);

  test('two runners on one plan at once send one request', async () => {
    const plan = await approvedPlan('prod-twins');
    await Promise.all([
      runUpgrades(deps('runner-1'), { clusterKey: keyOf('prod-twins') }),
      runUpgrades(deps('runner-2'), { clusterKey: keyOf('prod-twins') }),
    ]);
    expect(writes('prod-twins')).toEqual([{ method: 'PUT', path: 'prod-twins', status: 200 }]);
    expect((await planOf(world.plans, plan.id)).steps[0]?.attempt).toBe(1);
    await sim.idle();
  });

  test('the deprecated-API block: blocked with the APIs on the plan and in the notice; a force upgrade only with its own approval', async () => {
    const plan = await approvedPlan('prod-deprecated');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-deprecated') });
    const blocked = await planOf(world.plans, plan.id);
    expect(blocked.status).toBe('blocked');
    expect(blocked.blocked?.deprecatedApis).toEqual([
      'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list',
    ]);
    expect(blocked.steps[0]?.status).toBe('pending');
    const sent = await notices('prod-deprecated');
    const block = sent.find((n) => n.kind === 'plan-blocked' && n.notice.recipient === undefined);
    expect(block?.notice.summary).toContain(
      'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list',
    );
    const link = sent.find((n) => n.kind === 'plan-blocked' && n.notice.recipient === 'oncall@contoso.com');
    expect(link?.notice.actions[0]?.url).toMatch(/\/api\/plan-actions\/.+\/force-upgrade\?token=/);

    // The runner does not retry a blocked plan by itself.
    await runUpgrades(deps(), { clusterKey: keyOf('prod-deprecated') });
    expect(writes('prod-deprecated')).toEqual([{ method: 'PUT', path: 'prod-deprecated', status: 400 }]);

    const token = new URL(link?.notice.actions[0]?.url ?? 'http://x').searchParams.get('token') ?? '';
    const approved = await approveForceUpgrade(deps(), plan.id, token, 'migrating next sprint', {});
    expect(approved.status).toBe('approved');
    expect(approved.forceUpgrade?.approver).toBe('oncall@contoso.com');
    // Single use: the plan is no longer blocked.
    await expect(approveForceUpgrade(deps(), plan.id, token, '', {})).rejects.toThrow(
      /nothing to force-upgrade/,
    );

    const end = await runToEnd(plan.id, 'prod-deprecated');
    expect(end.status).toBe('succeeded');
    expect(writes('prod-deprecated').map((w) => `${w.method} ${w.path} ${w.status}`)).toEqual([
      'PUT prod-deprecated 400',
      'PUT prod-deprecated 200',
      'PUT prod-deprecated/agentPools/system 200',
      'PUT prod-deprecated/agentPools/apps 200',
    ]);
  });

  test('a failed pool fails the plan at that step with the reason from ARM in the notice', async () => {
    sim.addFault({
      path: '/managedclusters/prod-failpool/agentpools/apps$',
      method: 'PUT',
      failOperation: {
        code: 'UpgradeFailed',
        message: 'Drain of node aks-apps-1 did not complete: PodDisruptionBudget payments-pdb',
      },
    });
    const plan = await approvedPlan('prod-failpool');
    const end = await runToEnd(plan.id, 'prod-failpool');
    expect(end.status).toBe('failed');
    expect(end.failure?.step).toBe(2);
    expect(end.failure?.reason).toContain('PodDisruptionBudget payments-pdb');
    const failed = (await notices('prod-failpool')).find((n) => n.kind === 'pool-failed');
    expect(failed?.notice.summary).toContain('PodDisruptionBudget payments-pdb');
  });

  test('a gated cluster with AKS auto-upgrade on: nothing runs, the plan says why, and a notice goes out', async () => {
    const plan = await approvedPlan('prod-auto');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-auto') });
    const stored = await planOf(world.plans, plan.id);
    expect(stored.status).toBe('approved');
    expect(stored.hold?.reason).toMatch(/auto-upgrade \(channel stable\) is on/);
    expect(writes('prod-auto')).toEqual([]);
    expect((await notices('prod-auto')).map((n) => n.kind)).toContain('auto-upgrade-conflict');
  });

  test('cancel only before a step started; abort a running step with a second approval', async () => {
    // Operations that last long enough to be aborted.
    const slow = await startTestSimulator({
      fleet: { ...FLEET, clusters: [cluster('prod-abort')] },
      throttle: false,
      durations: { controlPlaneMs: 60_000, poolMs: 60_000, nodeImageMs: 60_000 },
    });
    try {
      const slowAks = new ArmAksGateway(
        new ArmClients({
          endpoint: slow.armUrl,
          credential: new StaticTokenCredential(),
          ...(slow.caCertPem !== undefined && { caCertPem: slow.caCertPem }),
          maxRetries: 0,
        }),
      );
      const plan = await approvedPlan('prod-abort');
      await runUpgrades(deps('runner-a', { aks: slowAks }), { clusterKey: keyOf('prod-abort') });
      await expect(cancelPlan(deps(), plan.id, 'ops@contoso.com', 'changed my mind', {})).rejects.toThrow(
        /cannot be cancelled/,
      );
      // The operator asks; the approvers (not the requester) get a signed link each.
      const asked = await requestAbort(deps(), plan.id, 'oncall@contoso.com', 'wrong window');
      expect(asked.approvers).toEqual(['lead@contoso.com']);
      const link = (await notices('prod-abort')).find(
        (n) => n.kind === 'approval-requested' && n.notice.recipient === 'lead@contoso.com',
      );
      expect(link?.notice.title).toBe('prod-abort: approve abort of control plane 1.35.8 → 1.36.3');
      const token = new URL(link?.notice.actions[0]?.url ?? 'http://x').searchParams.get('token') ?? '';
      // The requester's own link would not do: none was sent, and one signed for them is refused.
      const own = signPlanAction(
        'abort',
        await planOf(world.plans, plan.id),
        'ops@contoso.com',
        world.keys,
        clock,
      );
      await expect(abortStep(deps('runner-a', { aks: slowAks }), plan.id, own, '', {})).rejects.toThrow(
        /may not approve/,
      );
      const aborted = await abortStep(deps('runner-a', { aks: slowAks }), plan.id, token, 'wrong window', {
        ip: '10.0.0.1',
      });
      expect(aborted.status).toBe('failed');
      expect(aborted.failure?.reason).toBe('aborted by lead@contoso.com: wrong window');
      expect(writes('prod-abort', slow).map((w) => `${w.method} ${w.path}`)).toEqual([
        'PUT prod-abort',
        'POST prod-abort/abort',
      ]);
      const audit = await world.plans.audit(plan.id);
      expect(audit.at(-1)).toMatchObject({ event: 'StepFailed', actor: 'lead@contoso.com' });
      // A link is bound to the running step: once aborted it is void.
      await expect(abortStep(deps('runner-a', { aks: slowAks }), plan.id, token, '', {})).rejects.toThrow(
        /nothing to abort/,
      );
    } finally {
      await slow.close();
    }

    const other = await approvedPlan('prod-not-started');
    expect((await cancelPlan(deps(), other.id, 'ops@contoso.com', 'not needed', {})).status).toBe(
      'cancelled',
    );
  });

  test('node-image plans: upgradeNodeImageVersion per pool, one at a time, done when ARM shows the image', async () => {
    const to = `${FAMILY}-202611.10.0`;
    const from = `${FAMILY}-202510.01.0`;
    const plan = await approvedPlan(
      'prod-image',
      [
        { kind: 'node-image', pool: 'system', mode: 'System', from, to },
        { kind: 'node-image', pool: 'apps', mode: 'User', from, to },
      ],
      'node-image',
    );
    const end = await runToEnd(plan.id, 'prod-image');
    expect(end.status).toBe('succeeded');
    expect(writes('prod-image').map((w) => `${w.method} ${w.path} ${w.status}`)).toEqual([
      'POST prod-image/agentPools/system/upgradeNodeImageVersion 202',
      'POST prod-image/agentPools/apps/upgradeNodeImageVersion 202',
    ]);
    const simCluster = [...sim.fleet.clusters.values()].find((c) => c.name === 'prod-image')!;
    expect(simCluster.pools.map((p) => p.nodeImageVersion)).toEqual([to, to]);
  });

  test('409 OperationNotAllowed retries later, 503 backs off; the request is sent again only then, and once', async () => {
    sim.addFault({
      path: '/managedclusters/prod-busy$',
      method: 'PUT',
      status: 409,
      code: 'OperationNotAllowed',
    });
    const plan = await approvedPlan('prod-busy');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-busy') });
    let stored = await planOf(world.plans, plan.id);
    expect(stored.steps[0]).toMatchObject({
      status: 'running',
      attempt: 1,
      nextAttemptAt: '2026-11-28T02:05:00.000Z',
    });
    expect(stored.hold?.reason).toMatch(/ARM refused for now/);
    // Before the retry time nothing is sent.
    clock = new Date('2026-11-28T02:04:00Z');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-busy') });
    expect(writes('prod-busy').map((w) => w.status)).toEqual([409]);

    // The SDK itself retries 429 / 503 with Retry-After; what is left over backs off (2^(n-1) × 30 s).
    sim.addFault({
      path: '/managedclusters/prod-busy$',
      method: 'PUT',
      status: 503,
      code: 'ServiceUnavailable',
    });
    clock = new Date('2026-11-28T02:05:00Z');
    await runUpgrades(deps(), { clusterKey: keyOf('prod-busy') });
    stored = await planOf(world.plans, plan.id);
    expect(stored.steps[0]).toMatchObject({ attempt: 2, nextAttemptAt: '2026-11-28T02:06:00.000Z' });
    expect(stored.hold?.reason).toMatch(/throttling or failing/);

    clock = new Date('2026-11-28T02:06:00Z');
    const end = await runToEnd(plan.id, 'prod-busy');
    expect(end.status).toBe('succeeded');
    expect(end.steps[0]?.attempt).toBe(3);
    expect(writes('prod-busy').map((w) => `${w.path} ${w.status}`)).toEqual([
      'prod-busy 409',
      'prod-busy 503',
      'prod-busy 200',
      'prod-busy/agentPools/system 200',
      'prod-busy/agentPools/apps 200',
    ]);
  });

  test('one plan per cluster at a time: the second waits, then finds its work already done in ARM and sends nothing', async () => {
    const version = await approvedPlan('prod-two');
    const to = `${FAMILY}-202611.10.0`;
    const from = `${FAMILY}-202510.01.0`;
    const image = await approvedPlan(
      'prod-two',
      [
        { kind: 'node-image', pool: 'system', mode: 'System', from, to },
        { kind: 'node-image', pool: 'apps', mode: 'User', from, to },
      ],
      'node-image',
    );
    await runUpgrades(deps(), { clusterKey: keyOf('prod-two') });
    const waiting = await planOf(world.plans, image.id);
    expect(waiting.status).toBe('approved');
    expect(waiting.hold?.reason).toBe(`waiting for plan ${version.id}, which runs on this cluster`);

    expect((await runToEnd(version.id, 'prod-two')).status).toBe('succeeded');
    // The version upgrade reimaged every node with the latest image: the node-image plan has nothing to send.
    expect((await runToEnd(image.id, 'prod-two')).status).toBe('succeeded');
    expect(writes('prod-two').map((w) => `${w.method} ${w.path}`)).toEqual([
      'PUT prod-two',
      'PUT prod-two/agentPools/system',
      'PUT prod-two/agentPools/apps',
    ]);
  });

  test('Defer: a Scheduled AKS upgrade on a gated cluster sends a signed link that blacks out the day, once', async () => {
    const ref = {
      id: idOf('prod-order'),
      subscriptionId: SUB,
      resourceGroup: RG,
      name: 'prod-order',
      key: keyOf('prod-order'),
    };
    const snapshot: ClusterSnapshot = {
      ...ref,
      location: 'westeurope',
      ring: 'production',
      tags: {},
      kubernetesVersion: '1.36.3',
      supportPlan: 'KubernetesOfficial',
      autoUpgradeChannel: 'none',
      nodePools: [],
      maintenanceConfigurations: await gateway.listMaintenanceConfigurations(ref),
      lastSeen: clock.toISOString(),
    };
    const d = { ...deps(), fleet: { cluster: () => Promise.resolve(snapshot) } };
    const event: AksEvent = {
      schema: 'eventgrid',
      id: 'ev-defer-1',
      type: 'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted',
      source: `/subscriptions/${SUB}`,
      subject: `${ref.id}/scheduledEvents/e-1`,
      time: clock.toISOString(),
      handled: true,
      data: {
        kind: 'ScheduledEventEmitted',
        scheduledEventId: 'e-1',
        eventStatus: 'Scheduled',
        eventSource: 'AutoUpgrader',
        eventDetails: 'Upgrade to 1.36.4',
        scheduledTime: '2026-12-05T02:00:00Z',
      },
      clusters: [ref],
    };
    await deferReaction(() => d)(event, silentLogger);
    const notice = (await notices('prod-order')).find(
      (n) => n.kind === 'aks-advance-notice' && n.notice.recipient === 'oncall@contoso.com',
    );
    const url = notice?.notice.actions[0]?.url ?? '';
    expect(url).toMatch(/\/api\/defer\/.+\?token=/);
    const token = new URL(url).searchParams.get('token') ?? '';
    const page = await checkDeferLink(d, keyOf('prod-order'), token);
    expect(page.claims).toMatchObject({ date: '2026-12-05', configName: 'aksManagedAutoUpgradeSchedule' });
    expect(writes('prod-order').filter((w) => w.path.includes('maintenanceConfigurations'))).toEqual([]);

    const out = await deferUpgrade(d, keyOf('prod-order'), token, { ip: '10.0.0.2' });
    expect(out).toMatchObject({ date: '2026-12-05', changed: true, approver: 'oncall@contoso.com' });
    const simCluster = [...sim.fleet.clusters.values()].find((c) => c.name === 'prod-order')!;
    const mw = simCluster.maintenance.get('aksManagedAutoUpgradeSchedule')?.maintenanceWindow as {
      notAllowedDates?: { start: string; end: string }[];
    };
    expect(mw.notAllowedDates?.map((x) => `${x.start.slice(0, 10)}..${x.end.slice(0, 10)}`)).toEqual([
      '2026-12-05..2026-12-05',
    ]);
    await expect(deferUpgrade(d, keyOf('prod-order'), token, {})).rejects.toThrow(/already used/);
    expect((await d.runs.defers(keyOf('prod-order')))[0]).toMatchObject({
      approver: 'oncall@contoso.com',
      ip: '10.0.0.2',
    });
    // A forged or foreign token changes nothing.
    await expect(deferUpgrade(d, keyOf('prod-closed'), token, {})).rejects.toThrow(/another cluster/);
  });
});

class Crash extends Error {}

/** Wraps a port so `after` runs after each write it performs (plan saves, ARM requests). */
function counted<T extends PlanStore | AksGateway>(target: T, after: () => void): T {
  const writesOf = new Set([
    'save',
    'create',
    'startControlPlaneUpgrade',
    'startPoolUpgrade',
    'startNodeImageUpgrade',
    'abortOperation',
  ]);
  return new Proxy(target, {
    get(t, p, r) {
      const v = Reflect.get(t, p, r) as unknown;
      if (typeof v !== 'function') return v;
      const f = v as (...a: unknown[]) => Promise<unknown>;
      if (!writesOf.has(String(p))) return f.bind(t);
      return async (...args: unknown[]) => {
        const out = await f.apply(t, args);
        after();
        return out;
      };
    },
  });
}

import { randomBytes } from 'node:crypto';

import type { CallRecord, FleetFile, RunningSimulator } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { clusterId, parseClusterId } from '../../shared/domain/armId';
import type { Plan, PlanGate, TransitionResult } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import type { StepTarget } from '../../shared/domain/targeting';
import { silentLogger } from '../../shared/logging';
import type { RunnerStore } from '../../shared/store/runnerStore';
import { TableRunnerStore } from '../../shared/store/runnerStore';
import { toCommit } from '../../shared/usecases/planCommands';
import type { RunnerDeps } from '../../shared/usecases/runUpgrades';
import { runUpgrades } from '../../shared/usecases/runUpgrades';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld } from '../helpers/planning';
import { startTestSimulator } from '../helpers/sim';

/**
 * The runner with many plans due at once, through the real SDK against the simulator (with ARM's
 * token buckets) and Azurite: clusters are worked on concurrently, within
 * the bounds in all and per subscription; one cluster's plans one after another; every 429 makes the
 * subscription wait for its Retry-After and each step is still sent once; two runner instances at
 * once send each step once; a tick past its time takes no new plan.
 */
const SUBS = [
  '5a1b2c3d-0000-4000-8000-0000000000b1',
  '5a1b2c3d-0000-4000-8000-0000000000b2',
  '5a1b2c3d-0000-4000-8000-0000000000b3',
];
const RG = 'rg-burst';
/** Saturday 02:00 UTC: inside every cluster's Saturday 01:00-07:00 window. */
const OPEN = new Date('2026-11-28T02:00:00Z');
/** A call answered this long after a 429 was sent before the client read the 429. */
const IN_FLIGHT_SLACK_MS = 250;

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

const names = (prefix: string, n: number): string[] => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
/** Per subscription, each test's own clusters. */
const GROUPS = { bound: 5, throttle: 2, twin: 3, late: 2, first: 6 };
const clustersOf = (sub: number): string[] =>
  Object.entries(GROUPS).flatMap(([group, n]) => names(`aks-${group}-${sub}`, n));

const FLEET: FleetFile = {
  versions: [
    { version: '1.35', patches: ['1.35.8'], isDefault: true },
    { version: '1.36', patches: ['1.36.3'] },
  ],
  nodeImages: { 'AKSUbuntu-2204gen2containerd': '202611.10.0' },
  regions: [{ name: 'westeurope' }],
  subscriptions: SUBS.map((id) => ({ id })),
  clusters: SUBS.flatMap((subscriptionId, s) =>
    clustersOf(s).map((name) => ({
      subscriptionId,
      resourceGroup: RG,
      name,
      location: 'westeurope',
      kubernetesVersion: '1.35.8',
      tags: { environment: 'production' },
      autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' },
      pools: [
        {
          name: 'system',
          mode: 'System' as const,
          orchestratorVersion: '1.35.8',
          count: 2,
          nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202510.01.0',
        },
      ],
      maintenanceConfigurations: window,
    })),
  ),
};

const GATE: PlanGate = {
  gated: true,
  required: 1,
  autoExecute: true,
  expiryMs: 24 * 3_600_000,
  reminderAt: 0.5,
  escalateAt: 0.75,
  approvers: ['oncall@contoso.com'],
  secondary: [],
};

let sim: RunningSimulator;
let gateway: ArmAksGateway;
let world: PlanningWorld;
let clock = OPEN;

beforeAll(async () => {
  // ARM's token buckets; the call log keeps the wall clock (when a call came, when a 429 was answered).
  sim = await startTestSimulator({ fleet: FLEET, throttle: true });
  gateway = new ArmAksGateway(
    new ArmClients({
      endpoint: sim.armUrl,
      credential: new StaticTokenCredential(),
      ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    }),
  );
  world = planningWorld();
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  clock = OPEN;
});

function deps(runs: RunnerStore, owner = 'runner-a'): RunnerDeps {
  return {
    plans: world.plans,
    links: world.deps.links,
    log: silentLogger,
    aks: gateway,
    policy: world.policy,
    runs,
    outbox: world.outbox,
    keys: world.keys,
    baseUrl: 'http://warden.test',
    newId: () => randomBytes(6).toString('hex'),
    now: () => clock,
    owner,
  };
}

/** An approved plan of the fleet's cluster `name` in subscription `sub`, as the approval flow leaves it. */
async function approvedPlan(
  sub: number,
  name: string,
  kind: 'minor' | 'node-image' = 'minor',
): Promise<Plan> {
  const at = new Date(clock.getTime() - 60_000 + (kind === 'node-image' ? 1 : 0));
  const ref = parseClusterId(clusterId(SUBS[sub] ?? '', RG, name))!;
  const steps: StepTarget[] =
    kind === 'node-image'
      ? [{ kind: 'node-image', pool: 'system', mode: 'System', from: '202510.01.0', to: '202611.10.0' }]
      : [
          { kind: 'control-plane', from: '1.35.8', to: '1.36.3' },
          { kind: 'node-pool', pool: 'system', mode: 'System', from: '1.35.8', to: '1.36.3' },
        ];
  const by = { actor: 'warden', source: { kind: 'sweep' as const } };
  const results: TransitionResult[] = [
    proposePlan(
      {
        id: `burst${randomBytes(5).toString('hex')}`,
        cluster: { ...ref, location: 'westeurope', ring: 'production', tags: { environment: 'production' } },
        kind,
        from: '1.35.8',
        to: kind === 'node-image' ? '1.35.8' : '1.36.3',
        ...(kind === 'node-image' && { nodeImage: 'AKSUbuntu-2204gen2containerd-202611.10.0' }),
        steps,
        gate: GATE,
        window: { source: 'aks', description: 'every week on Saturday at 01:00 UTC+00:00 for 6 h' },
        findings: [],
        urgency: 'normal',
        reason: 'test',
        initiator: 'warden',
        by,
      },
      at,
    ),
  ];
  const evidence = {
    ring: 'production' as const,
    version: '1.36.3',
    allowed: true,
    reason: 'soaked',
    soakMs: 0,
    plans: [],
    checkedAt: at.toISOString(),
  };
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

/** The lease store, counting the plans in hand (from taking the lease to giving it back). */
function counted(runs: RunnerStore) {
  const now = { total: 0, bySub: new Map<string, number>(), byCluster: new Map<string, number>() };
  const max = { total: 0, bySub: 0, byCluster: 0 };
  const order: string[] = [];
  const move = (clusterKey: string, by: number): void => {
    const sub = clusterKey.split(':')[0] ?? '';
    now.total += by;
    now.bySub.set(sub, (now.bySub.get(sub) ?? 0) + by);
    now.byCluster.set(clusterKey, (now.byCluster.get(clusterKey) ?? 0) + by);
    max.total = Math.max(max.total, now.total);
    max.bySub = Math.max(max.bySub, ...now.bySub.values());
    max.byCluster = Math.max(max.byCluster, ...now.byCluster.values());
  };
  const store: RunnerStore = {
    acquire: async (clusterKey, planId, ...rest) => {
      order.push(planId);
      move(clusterKey, 1);
      const got = await runs.acquire(clusterKey, planId, ...rest);
      if (!got.ok) move(clusterKey, -1);
      return got;
    },
    release: async (clusterKey, ...rest) => {
      try {
        await runs.release(clusterKey, ...rest);
      } finally {
        move(clusterKey, -1);
      }
    },
    recordDefer: (r) => runs.recordDefer(r),
    defers: (k) => runs.defers(k),
  };
  return { store, max, order };
}

/** Successful control-plane PUTs per cluster. */
function controlPlanePuts(calls: readonly CallRecord[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const c of calls) {
    const name = /\/managedclusters\/([^/?]+)$/i.exec(c.path)?.[1];
    if (c.method === 'PUT' && name !== undefined && c.status < 300) out.set(name, (out.get(name) ?? 0) + 1);
  }
  return out;
}

test("clusters run concurrently within the bounds in all and per subscription; one cluster's plans one after another, in order", async () => {
  world = planningWorld();
  const plans = await Promise.all(
    SUBS.flatMap((_, s) => names(`aks-bound-${s}`, GROUPS.bound).map((n) => approvedPlan(s, n))),
  );
  // A second open plan (node image) on one cluster: it waits for the first, never beside it.
  const second = await approvedPlan(0, 'aks-bound-0-0', 'node-image');
  const first = plans[0]!;
  const runs = counted(new TableRunnerStore(world.tables));
  sim.clearCalls();
  const out = await runUpgrades(deps(runs.store), undefined, { concurrency: 4, perSubscription: 2 });

  expect(runs.max).toEqual({ total: 4, bySub: 2, byCluster: 1 });
  expect(runs.order.indexOf(first.id)).toBeLessThan(runs.order.indexOf(second.id));
  expect(out.results.find((r) => r.planId === second.id)).toMatchObject({
    outcome: 'busy',
    detail: `waiting for plan ${first.id}`,
  });
  for (const p of plans) expect(out.results.find((r) => r.planId === p.id)?.outcome).toBe('started');
  const puts = controlPlanePuts(sim.calls());
  expect([...puts.keys()].sort()).toEqual(plans.map((p) => p.cluster.name).sort());
  expect([...puts.values()].every((n) => n === 1)).toBe(true);
});

test('a 429 with Retry-After is honoured: nothing more of that subscription until it has passed, and the step is still sent once', async () => {
  world = planningWorld();
  const plans = await Promise.all(
    SUBS.flatMap((_, s) => names(`aks-throttle-${s}`, GROUPS.throttle).map((n) => approvedPlan(s, n))),
  );
  sim.addFault({ path: '/managedclusters/aks-throttle-0-0$', method: 'PUT', status: 429, retryAfter: 2 });
  sim.clearCalls();
  await runUpgrades(deps(new TableRunnerStore(world.tables)), undefined, {
    concurrency: 4,
    perSubscription: 2,
  });
  const calls = sim.calls();
  const [refused, ...more] = calls.filter((c) => c.status === 429);
  expect(more).toEqual([]);
  expect(refused).toMatchObject({ subscription: SUBS[0], retryAfterSeconds: 2 });
  const answered = Date.parse(refused!.time);
  const early = calls.filter((c) => {
    const at = Date.parse(c.receivedAt ?? c.time);
    return c.subscription === SUBS[0] && at > answered + IN_FLIGHT_SLACK_MS && at < answered + 2000;
  });
  expect(early).toEqual([]);
  const puts = controlPlanePuts(calls);
  for (const p of plans) expect(puts.get(p.cluster.name)).toBe(1);
});

test('two runner instances at once send each step once', async () => {
  world = planningWorld();
  const plans = await Promise.all(
    SUBS.flatMap((_, s) => names(`aks-twin-${s}`, GROUPS.twin).map((n) => approvedPlan(s, n))),
  );
  sim.clearCalls();
  const runs = new TableRunnerStore(world.tables);
  const outs = await Promise.all([
    runUpgrades(deps(runs, 'runner-a'), undefined, { concurrency: 4, perSubscription: 2 }),
    runUpgrades(deps(runs, 'runner-b'), undefined, { concurrency: 4, perSubscription: 2 }),
  ]);
  const puts = controlPlanePuts(sim.calls());
  for (const p of plans) expect(puts.get(p.cluster.name)).toBe(1);
  // Whichever runner took a plan second found its control plane requested and went on from there.
  const writes = sim
    .calls()
    .filter((c) => c.method === 'PUT' && c.status < 300)
    .map((c) => c.path.toLowerCase());
  expect(new Set(writes).size).toBe(writes.length);
  expect(outs.flatMap((o) => o.results).filter((r) => r.outcome === 'started').length).toBeGreaterThanOrEqual(
    plans.length,
  );
});

test('a tick past its time takes no new plan: the others wait for the next tick, unread', async () => {
  world = planningWorld();
  const plans = await Promise.all(
    SUBS.flatMap((_, s) => names(`aks-late-${s}`, GROUPS.late).map((n) => approvedPlan(s, n))),
  );
  const stopTakingAt = new Date(OPEN.getTime() + 40_000);
  const inner = new TableRunnerStore(world.tables);
  // The clock passes the tick's limit while the first plan is in hand.
  const runs: RunnerStore = {
    acquire: (...args) => {
      clock = new Date(OPEN.getTime() + 41_000);
      return inner.acquire(...args);
    },
    release: (...args) => inner.release(...args),
    recordDefer: (r) => inner.recordDefer(r),
    defers: (k) => inner.defers(k),
  };
  sim.clearCalls();
  const out = await runUpgrades(deps(runs), undefined, { concurrency: 1, perSubscription: 1, stopTakingAt });
  expect(out.results.filter((r) => r.outcome === 'started')).toHaveLength(1);
  expect(out.results.filter((r) => r.outcome === 'next-tick')).toHaveLength(plans.length - 1);
  const touched = new Set(sim.calls().map((c) => /\/managedclusters\/([^/?]+)/i.exec(c.path)?.[1]));
  touched.delete(undefined);
  expect(touched.size).toBe(1);

  const next = await runUpgrades(deps(inner), undefined, { concurrency: 4, perSubscription: 2 });
  expect(next.results.filter((r) => r.outcome === 'next-tick')).toEqual([]);
  const puts = controlPlanePuts(sim.calls());
  for (const p of plans) expect(puts.get(p.cluster.name)).toBe(1);
});

test('plans not started yet are taken before running plans: a window that opened loses no time to next steps', async () => {
  world = planningWorld();
  const inner = new TableRunnerStore(world.tables);
  const running = await approvedPlan(0, 'aks-first-0-0');
  await runUpgrades(deps(inner), { clusterKey: running.cluster.key });
  expect((await world.plans.get(running.id))?.plan.status).toBe('running');
  const waiting = await Promise.all(
    names('aks-first-0', 6)
      .slice(1)
      .map((n) => approvedPlan(0, n)),
  );

  const runs = counted(inner);
  const out = await runUpgrades(deps(runs.store), undefined, { concurrency: 1, perSubscription: 1 });
  const order = runs.order.filter((id) => id === running.id || waiting.some((w) => w.id === id));
  expect(order).toHaveLength(waiting.length + 1);
  expect(order.at(-1)).toBe(running.id);
  for (const w of waiting) expect(out.results.find((r) => r.planId === w.id)?.outcome).toBe('started');
});

import { randomBytes } from 'node:crypto';

import { ApprovalLinks } from '../../shared/approvals/links';
import type { ApprovalKeys } from '../../shared/approvals/tokens';
import type { ClusterSnapshot } from '../../shared/domain/cluster';
import type { By } from '../../shared/domain/plan';
import type { Policy } from '../../shared/domain/policy';
import { parsePolicy } from '../../shared/domain/policy';
import type { RegionVersions } from '../../shared/domain/versions';
import { silentLogger } from '../../shared/logging';
import { routeNotice } from '../../shared/notify/routing';
import type { ClusterStore } from '../../shared/store/clusterStore';
import type { EventStore } from '../../shared/store/eventStore';
import { TableOutbox } from '../../shared/store/outboxStore';
import { TablePlanStore } from '../../shared/store/planStore';
import type { Tables } from '../../shared/store/tables';
import type { ApprovalDeps } from '../../shared/usecases/decideApproval';
import { applyPlanEvent } from '../../shared/usecases/planCommands';
import type { PlanningDeps } from '../../shared/usecases/proposePlans';
import { MemoryClusterStore } from './memoryClusterStore';
import { MemoryEventStore } from './memoryEventStore';
import { testTables } from './storage';

export const TEST_POLICY = `
soak: { dev: PT1H, staging: PT2H, production: P1D }
approvals: { expiry: PT24H }
routes:
  canary: { email: [platform@contoso.com] }
  production: { email: [oncall@contoso.com], secondary: { email: [lead@contoso.com] } }
platform: { email: [platform@contoso.com] }
`;

export interface PlanningWorld {
  readonly tables: Tables;
  readonly outbox: TableOutbox;
  readonly plans: TablePlanStore;
  readonly policy: Policy;
  readonly keys: ApprovalKeys;
  readonly deps: PlanningDeps & ApprovalDeps;
  now(): Date;
  advance(ms: number): void;
}

/** Plans, outbox and approval links on the shared test Azurite, with a clock the test moves. */
export function planningWorld(
  policyText = TEST_POLICY,
  start = new Date('2026-11-25T10:00:00Z'),
): PlanningWorld {
  const tables = testTables();
  const policy = parsePolicy(policyText);
  const outbox = new TableOutbox(
    tables,
    (n) => routeNotice(n, { routes: policy, teamsWorkflows: new Set(), webhook: false }).deliveries,
  );
  const plans = new TablePlanStore(tables, outbox);
  const keys = { current: randomBytes(32) };
  const links = new ApprovalLinks(keys, 'http://warden.test');
  let t = start.getTime();
  let n = 0;
  const deps = {
    plans,
    links,
    policy,
    keys,
    newId: () => `p${(++n).toString().padStart(4, '0')}${randomBytes(4).toString('hex')}`,
    log: silentLogger,
  };
  return { tables, outbox, plans, policy, keys, deps, now: () => new Date(t), advance: (ms) => (t += ms) };
}

/** What the page handlers read, over this world's plans and outbox (events and clusters in memory). */
export function pageServices(
  world: PlanningWorld,
  events: EventStore = new MemoryEventStore(),
  clusters: ClusterStore = new MemoryClusterStore(),
) {
  return {
    plans: world.plans,
    events,
    clusters,
    notifier: { outbox: world.outbox },
    approvalKeys: world.keys,
    config: { easyAuth: false, access: { viewerGroups: [], operatorGroups: [] } },
    now: () => world.now(),
  };
}

const runner: By = { actor: 'runner', source: { kind: 'runner' } };

/** Plays the runner: every step started and succeeded, then the plan. */
export async function runToSuccess(world: PlanningWorld, planId: string): Promise<void> {
  const stored = await world.plans.get(planId);
  if (!stored) throw new Error(`no plan ${planId}`);
  for (let i = 0; i < stored.plan.steps.length; i++) {
    await applyPlanEvent(world.deps, planId, () => ({ type: 'StepStarted', step: i, by: runner }), world.now);
    await applyPlanEvent(
      world.deps,
      planId,
      () => ({ type: 'StepSucceeded', step: i, by: runner }),
      world.now,
    );
  }
  await applyPlanEvent(world.deps, planId, () => ({ type: 'PlanSucceeded', by: runner }), world.now);
}

/** A fleet reader over fixed snapshots. */
export function fixedFleet(snapshots: readonly ClusterSnapshot[], region: RegionVersions) {
  return {
    cluster: (ref: { key: string }) => Promise.resolve(snapshots.find((s) => s.key === ref.key)),
    findings: (s: ClusterSnapshot) => [
      { severity: 'warning' as const, message: `${s.name}: node OS upgrade channel unset` },
    ],
    regionVersions: () => Promise.resolve(region),
  };
}

import { odata } from '@azure/data-tables';

import type { By, Plan, PlanEvent } from '../../shared/domain/plan';
import { planCluster } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import type { Ring } from '../../shared/domain/rings';
import type { StoredPlan } from '../../shared/store/planStore';
import { OpenPlanExistsError, StalePlanError, TablePlanStore } from '../../shared/store/planStore';
import type { RecentRow } from '../../shared/store/recentPlans';
import { ORPHAN_MS, RECENT_TABLE, recentKey, RecentPlanIndex } from '../../shared/store/recentPlans';
import { listAll } from '../../shared/store/tables';
import { applyPlanEvent, toCommit } from '../../shared/usecases/planCommands';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld } from '../helpers/planning';
import { newPlan, snapshot } from '../helpers/plans';

const BY: By = { actor: 'test', source: { kind: 'timer', name: 'test' } };
const MINUTE = 60_000;
const T0 = new Date('2026-11-25T10:00:00Z').getTime();
const at = (minutes: number): Date => new Date(T0 + minutes * MINUTE);

/** A proposed plan for its own cluster `aks-recent-{n}` in `ring`, created at `when`. */
async function create(w: PlanningWorld, n: number, ring: Ring, when: Date, id = `recent${n}`) {
  const s = snapshot(`aks-recent-${n}`, ring);
  const result = proposePlan(newPlan({ id, cluster: planCluster(s) }, ring), when);
  return w.plans.create(toCommit(w.deps.links, [result]).commit);
}

async function save(w: PlanningWorld, stored: StoredPlan, event: PlanEvent, when: Date): Promise<StoredPlan> {
  return w.plans.save(stored, toCommit(w.deps.links, [transition(stored.plan, event, when)]).commit);
}

const raise: PlanEvent = { type: 'UrgencyRaised', urgency: 'high', reason: 'test', by: BY };
const cancel: PlanEvent = { type: 'Cancelled', reason: 'test', by: BY };

async function rows(w: PlanningWorld, planId?: string): Promise<RecentRow[]> {
  const client = await w.tables.table(RECENT_TABLE);
  const all = await listAll<RecentRow>(client, odata`PartitionKey ne '~backfill'`);
  return all.filter((r) => planId === undefined || r.planId === planId);
}

/** What a scan of every plan would answer: newest change first. */
async function expected(w: PlanningWorld, ids: readonly string[], keep: (p: Plan) => boolean = () => true) {
  const plans = await Promise.all(ids.map(async (id) => (await w.plans.get(id))!.plan));
  return plans
    .filter(keep)
    .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt) || a.id.localeCompare(b.id))
    .map((p) => p.id);
}

const ids = (plans: readonly Plan[]): string[] => plans.map((p) => p.id);

describe('the recent-plans index (Azurite)', () => {
  test('lists the latest plans newest first, in a status and a ring, as a scan of every plan would', async () => {
    const w = planningWorld();
    const created: StoredPlan[] = [];
    for (let n = 0; n < 12; n++) created.push(await create(w, n, n % 3 === 0 ? 'dev' : 'production', at(n)));
    // Changes move plans up: two raised (still proposed), two cancelled, one of them twice changed.
    const raised = await save(w, created[2]!, raise, at(20));
    await save(w, created[7]!, raise, at(21));
    await save(w, created[0]!, cancel, at(22));
    await save(w, raised, cancel, at(23));
    const all = created.map((s) => s.plan.id);

    expect(ids(await w.plans.list({ limit: 5 }))).toEqual((await expected(w, all)).slice(0, 5));
    expect(ids(await w.plans.list({}))).toEqual(await expected(w, all));
    expect(ids(await w.plans.list({ status: 'cancelled' }))).toEqual(['recent2', 'recent0']);
    expect(ids(await w.plans.list({ ring: 'dev', limit: 3 }))).toEqual(
      (await expected(w, all, (p) => p.cluster.ring === 'dev')).slice(0, 3),
    );
    expect(ids(await w.plans.list({ status: 'proposed', ring: 'production', limit: 4 }))).toEqual(
      (await expected(w, all, (p) => p.status === 'proposed' && p.cluster.ring === 'production')).slice(0, 4),
    );
    // Each plan is listed once in `all` and once in its status, at the key of its last change.
    const stored = await rows(w);
    expect(stored).toHaveLength(2 * all.length);
    for (const id of all) {
      const plan = (await w.plans.get(id))!.plan;
      expect((await rows(w, id)).map((r) => `${r.partitionKey} ${r.rowKey}`).sort()).toEqual(
        ['all', `s:${plan.status}`].map((pk) => `${pk} ${recentKey(plan.updatedAt, id)}`).sort(),
      );
    }
  });

  test('concurrent saves of one plan: one wins each round, and only its newest change stays listed', async () => {
    const w = planningWorld();
    const first = await create(w, 1, 'production', at(0));
    await create(w, 2, 'production', at(1));
    const [a, b] = await Promise.allSettled([
      save(w, first, raise, at(5)),
      save(w, first, { type: 'UrgencyRaised', urgency: 'critical', reason: 'test', by: BY }, at(6)),
    ]);
    const outcomes = [a, b].map((r) => r.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const lost = [a, b].find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(lost.reason).toBeInstanceOf(StalePlanError);

    // Four writers at once, each retrying its lost races with its own clock: four more changes.
    await Promise.all(
      Array.from({ length: 4 }, (_, i) =>
        applyPlanEvent(
          w.deps,
          'recent1',
          () => raise,
          () => at(10 + i),
          { relay: false },
        ),
      ),
    );
    const final = (await w.plans.get('recent1'))!.plan;
    expect(final.seq).toBe(first.plan.seq + 5);
    expect((await rows(w, 'recent1')).map((r) => r.rowKey)).toEqual([
      recentKey(final.updatedAt, 'recent1'),
      recentKey(final.updatedAt, 'recent1'),
    ]);
    expect(ids(await w.plans.list({ limit: 1 }))).toEqual(['recent1']);
  });

  test('a save whose index update never ran (a crash after the commit) is listed where it belongs and repaired', async () => {
    const w = planningWorld();
    const one = await create(w, 1, 'production', at(1));
    await create(w, 2, 'production', at(2));
    await create(w, 3, 'production', at(3));
    const saved = await save(w, one, cancel, at(4));
    // This table's one-time backfill, done (it would list the plan's latest change itself).
    expect(ids(await w.plans.list({ limit: 1 }))).toEqual(['recent1']);
    // As if the process had died between the commit and the index: the rows of the version before.
    const client = await w.tables.table(RECENT_TABLE);
    for (const r of await rows(w, 'recent1')) await client.deleteEntity(r.partitionKey, r.rowKey);
    for (const pk of ['all', 's:proposed'])
      await client.createEntity({
        partitionKey: pk,
        rowKey: recentKey(one.plan.updatedAt, 'recent1'),
        planId: 'recent1',
        clusterKey: one.plan.cluster.key,
        status: 'proposed',
        ring: 'production',
      });

    // Until a reader reaches its row, the plan is listed at its change before.
    expect(ids(await w.plans.list({ limit: 2 }))).toEqual(['recent3', 'recent2']);
    // The reader that does lists it where it belongs now, and moves its rows.
    expect(ids(await w.plans.list({ limit: 3 }))).toEqual(['recent1', 'recent3', 'recent2']);
    expect(ids(await w.plans.list({ limit: 2 }))).toEqual(['recent1', 'recent3']);
    expect(ids(await w.plans.list({ status: 'proposed' }))).toEqual(['recent3', 'recent2']);
    expect((await rows(w, 'recent1')).map((r) => `${r.partitionKey} ${r.rowKey}`).sort()).toEqual([
      `all ${recentKey(saved.plan.updatedAt, 'recent1')}`,
      `s:cancelled ${recentKey(saved.plan.updatedAt, 'recent1')}`,
    ]);
    expect(ids(await w.plans.list({ status: 'cancelled' }))).toEqual(['recent1']);
  });

  test('a create refused (another plan open) leaves no row; a row of a create still under way is kept', async () => {
    const w = planningWorld();
    await create(w, 1, 'production', at(1));
    await expect(create(w, 1, 'production', at(2), 'recent1b')).rejects.toBeInstanceOf(OpenPlanExistsError);
    expect(await rows(w, 'recent1b')).toEqual([]);

    const client = await w.tables.table(RECENT_TABLE);
    const ghost = {
      partitionKey: 'all',
      rowKey: recentKey(at(3).toISOString(), 'ghost'),
      planId: 'ghost',
      clusterKey: 'sub:rg:ghost',
      status: 'proposed',
      ring: 'production',
    };
    await client.createEntity(ghost);
    expect(ids(await w.plans.list({}))).toEqual(['recent1']);
    const [kept] = await rows(w, 'ghost');
    expect(kept).toMatchObject({ rowKey: ghost.rowKey });
    // Removed by a reader once older than a create can take, by Table Storage's own clock.
    const written = Date.parse(kept!.timestamp!);
    expect(RecentPlanIndex.isOrphanAge(kept!, written + ORPHAN_MS - 1000)).toBe(false);
    expect(RecentPlanIndex.isOrphanAge(kept!, written + ORPHAN_MS + 1000)).toBe(true);
  });

  test('plans stored before the index existed are listed after the first read backfills them, once', async () => {
    const w = planningWorld();
    const created: StoredPlan[] = [];
    for (let n = 0; n < 7; n++) created.push(await create(w, n, n < 3 ? 'dev' : 'staging', at(n)));
    await save(w, created[1]!, cancel, at(10));
    // The deployment before: no index rows at all.
    const client = await w.tables.table(RECENT_TABLE);
    for (const r of await rows(w)) await client.deleteEntity(r.partitionKey, r.rowKey);
    // One plan saved by the new code before anyone read: it is listed already, the others are not.
    await save(w, created[4]!, raise, at(11));
    expect(await rows(w)).toHaveLength(2);

    const upgraded = new TablePlanStore(w.tables, w.outbox);
    const all = created.map((s) => s.plan.id);
    expect(ids(await upgraded.list({}))).toEqual(await expected(w, all));
    expect(await rows(w)).toHaveLength(2 * all.length);
    expect(ids(await upgraded.list({ status: 'cancelled' }))).toEqual(['recent1']);
    expect(ids(await upgraded.list({ ring: 'dev', limit: 2 }))).toEqual(['recent1', 'recent2']);
    const [marker] = await listAll<{ plans: number }>(client, odata`PartitionKey eq '~backfill'`);
    expect(marker).toMatchObject({ plans: all.length });

    // Another instance sees the marker and writes nothing more.
    await client.deleteEntity('all', recentKey(created[0]!.plan.updatedAt, 'recent0'));
    const later = new TablePlanStore(w.tables, w.outbox);
    expect(ids(await later.list({}))).not.toContain('recent0');
  });
});

import type { By, Plan, PlanEvent } from '../../shared/domain/plan';
import { planCluster } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import type { PromotionEvidence } from '../../shared/domain/promotion';
import type { StoredPlan } from '../../shared/store/planStore';
import { PLANS_TABLE } from '../../shared/store/planStore';
import { toCommit } from '../../shared/usecases/planCommands';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld } from '../helpers/planning';
import { newPlan, snapshot } from '../helpers/plans';

/**
 * A plan is stored whole however long its JSON grows: past what one Table Storage property holds it
 * spans several, and reads back equal (through the real SDK and Azurite).
 */
const BY: By = { actor: 'test', source: { kind: 'timer', name: 'test' } };
const T0 = new Date('2026-11-25T10:00:00Z');

function evidence(reason: string): PromotionEvidence {
  return {
    ring: 'production',
    lowerRing: 'staging',
    version: '1.29.9',
    allowed: false,
    reason,
    soakMs: 0,
    plans: [],
    checkedAt: T0.toISOString(),
  };
}

async function withEvidence(w: PlanningWorld, stored: StoredPlan, reason: string): Promise<StoredPlan> {
  const event: PlanEvent = { type: 'PromotionPending', evidence: evidence(reason), by: BY };
  return w.plans.save(stored, toCommit(w.deps.links, [transition(stored.plan, event, T0)]).commit);
}

/** The plan's row as stored: its body properties, in order. */
async function storedParts(w: PlanningWorld, plan: Plan): Promise<string[]> {
  const client = await w.tables.table(PLANS_TABLE);
  const row = await client.getEntity<Record<string, unknown>>(plan.cluster.key, `p:${plan.id}`);
  return Object.keys(row)
    .filter((k) => /^body\d*$/.test(k))
    .sort((a, b) => Number(a.slice(4) || 0) - Number(b.slice(4) || 0))
    .map((k) => row[k] as string);
}

const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

describe('a plan too long for one Table Storage property (Azurite)', () => {
  test.each([
    ['an even', ''],
    ['an odd', 'x'],
  ])(
    'spans several properties, cut between characters at %s offset, and reads back equal',
    async (_, pad) => {
      const w = planningWorld();
      const s = snapshot(`aks-long-${pad.length}`, 'production');
      const created = await w.plans.create(
        toCommit(w.deps.links, [
          proposePlan(newPlan({ id: `long${pad.length}`, cluster: planCluster(s) }), T0),
        ]).commit,
      );
      // 70,001 characters of reason, each emoji a surrogate pair: some cut falls inside one unless avoided.
      const long = await withEvidence(w, created, pad + '😀'.repeat(35_000));
      const read = await w.plans.get(long.plan.id);
      expect(read?.plan).toEqual(long.plan);
      expect(read?.plan.evidence?.reason).toHaveLength(70_000 + pad.length);

      const parts = await storedParts(w, long.plan);
      expect(parts.length).toBeGreaterThanOrEqual(3);
      for (const part of parts) {
        expect(part.length).toBeLessThanOrEqual(31_000);
        expect(loneSurrogate.test(part)).toBe(false);
      }
      expect(parts.join('')).toBe(JSON.stringify(long.plan));

      // Shorter again: the row is replaced, no part of the long one is left to be read after it.
      const short = await withEvidence(w, long, 'two clusters soaking');
      expect((await w.plans.get(short.plan.id))?.plan).toEqual(short.plan);
      expect(await storedParts(w, short.plan)).toEqual([JSON.stringify(short.plan)]);
    },
  );

  test('refuses, writing nothing, a plan past what one entity can hold', async () => {
    const w = planningWorld();
    const s = snapshot('aks-huge-1', 'production');
    const created = await w.plans.create(
      toCommit(w.deps.links, [proposePlan(newPlan({ id: 'huge1', cluster: planCluster(s) }), T0)]).commit,
    );
    await expect(withEvidence(w, created, 'y'.repeat(300_000))).rejects.toThrow(/the limit is 248000/);
    expect((await w.plans.get(created.plan.id))?.plan).toEqual(created.plan);
  });
});

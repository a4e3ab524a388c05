import { promotionEvidence } from '../../shared/domain/promotion';
import { evidenceFor, PROPOSAL_EVIDENCE_MAX_AGE_MS } from '../../shared/usecases/proposePlans';
import { planningWorld } from '../helpers/planning';
import { proposed } from '../helpers/plans';

/**
 * What a new plan's promotion check reads of the ring below, against Azurite: the lower ring's plans
 * to the version always; what the whole lower ring runs only when those plans leave the answer open;
 * and plans checked at the same moment (a release's burst of events) share the reads in flight. A new
 * plan's check may take reads up to PROPOSAL_EVIDENCE_MAX_AGE_MS old, only for an answer that holds it back.
 */
const now = new Date('2026-11-25T10:00:00Z');

function productionPlans(n: number) {
  return Array.from({ length: n }, (_, i) =>
    proposed({ id: `prod-${i}`, cluster: { ...proposed().cluster, name: `aks-production-${i}` } }),
  );
}

test('no plan to the version below: the lower ring is read once for plans checked together, and again afterwards', async () => {
  const world = planningWorld();
  await world.plans.observe('staging', '1.29.7', 'sub:rg:aks-staging-1', 'aks-staging-1', now);
  const ringPlans = jest.spyOn(world.plans, 'ringPlans');
  const ringClusters = jest.spyOn(world.plans, 'ringClusters');

  const together = await Promise.all(productionPlans(6).map((p) => evidenceFor(world.deps, p, now)));
  expect(ringPlans).toHaveBeenCalledTimes(1);
  expect(ringClusters).toHaveBeenCalledTimes(1);
  // Shared reads, the same answer as reading for one plan alone.
  const alone = promotionEvidence('production', '1.29.9', [], world.policy.soakMs.production, now, {
    lowerRingClusters: await world.plans.ringClusters('staging'),
  });
  for (const e of together) expect(e).toEqual(alone);
  expect(alone).toMatchObject({ allowed: false, lowerRing: 'staging' });

  // Nothing is kept once the reads are done: a later check reads the ring again.
  ringPlans.mockClear();
  ringClusters.mockClear();
  await evidenceFor(world.deps, proposed(), now);
  expect(ringPlans).toHaveBeenCalledTimes(1);
  expect(ringClusters).toHaveBeenCalledTimes(1);
});

test('a lower-ring success decides alone: what the whole ring runs is not read', async () => {
  const world = planningWorld();
  const seen = new Date(now.getTime() - 2 * 86_400_000);
  await world.plans.observe('staging', '1.29.9', 'sub:rg:aks-staging-1', 'aks-staging-1', seen);
  await world.plans.observe('staging', '1.29.7', 'sub:rg:aks-staging-2', 'aks-staging-2', seen);
  const ringClusters = jest.spyOn(world.plans, 'ringClusters');

  const evidence = await evidenceFor(world.deps, proposed(), now);
  expect(ringClusters).not.toHaveBeenCalled();
  const withClusters = promotionEvidence(
    'production',
    '1.29.9',
    await world.plans.ringPlans('staging', '1.29.9'),
    world.policy.soakMs.production,
    now,
    { lowerRingClusters: await world.plans.ringClusters('staging') },
  );
  expect(evidence).toEqual(withClusters);
  expect(evidence).toMatchObject({ allowed: true, firstSuccessAt: seen.toISOString() });
});

describe('a new plan may take a recent read, only to hold it back', () => {
  const recent = { maxAgeMs: PROPOSAL_EVIDENCE_MAX_AGE_MS };
  let clock = 1_000_000;
  beforeEach(() => {
    jest.spyOn(performance, 'now').mockImplementation(() => clock);
  });
  afterEach(() => jest.restoreAllMocks());

  test('held back: a read up to the age serves later plans, and the timer reads fresh', async () => {
    const world = planningWorld();
    await world.plans.observe('staging', '1.29.7', 'sub:rg:aks-staging-1', 'aks-staging-1', now);
    const ringPlans = jest.spyOn(world.plans, 'ringPlans');
    const ringClusters = jest.spyOn(world.plans, 'ringClusters');

    const first = await evidenceFor(world.deps, proposed(), now, recent);
    expect(first).toMatchObject({ allowed: false, reason: 'no plan to 1.29.9 has succeeded in staging yet' });
    clock += PROPOSAL_EVIDENCE_MAX_AGE_MS;
    expect(await evidenceFor(world.deps, proposed(), now, recent)).toEqual(first);
    expect(ringPlans).toHaveBeenCalledTimes(1);
    expect(ringClusters).toHaveBeenCalledTimes(1);

    // Staging ran the version meanwhile: the kept read still says "not yet" until it is too old.
    const seen = new Date(now.getTime() - 2 * 86_400_000);
    await world.plans.observe('staging', '1.29.9', 'sub:rg:aks-staging-1', 'aks-staging-1', seen);
    expect(await evidenceFor(world.deps, proposed(), now, recent)).toMatchObject({ allowed: false });
    expect(ringPlans).toHaveBeenCalledTimes(1);
    // The approval timer's check (no age) reads fresh and lets it through.
    expect(await evidenceFor(world.deps, proposed(), now)).toMatchObject({ allowed: true });
    expect(ringPlans).toHaveBeenCalledTimes(2);
  });

  test('held back by a read older than the age: read again', async () => {
    const world = planningWorld();
    await world.plans.observe('staging', '1.29.7', 'sub:rg:aks-staging-1', 'aks-staging-1', now);
    const ringPlans = jest.spyOn(world.plans, 'ringPlans');
    expect(await evidenceFor(world.deps, proposed(), now, recent)).toMatchObject({ allowed: false });
    const seen = new Date(now.getTime() - 2 * 86_400_000);
    await world.plans.observe('staging', '1.29.9', 'sub:rg:aks-staging-1', 'aks-staging-1', seen);
    clock += PROPOSAL_EVIDENCE_MAX_AGE_MS + 1;
    // Read again, and because it lets the plan through, read once more fresh.
    expect(await evidenceFor(world.deps, proposed(), now, recent)).toMatchObject({ allowed: true });
    expect(ringPlans).toHaveBeenCalledTimes(3);
  });

  test('let through: the answer is read fresh, and a failure recorded meanwhile holds the plan back', async () => {
    const world = planningWorld();
    const seen = new Date(now.getTime() - 2 * 86_400_000);
    await world.plans.observe('staging', '1.29.9', 'sub:rg:aks-staging-1', 'aks-staging-1', seen);
    const ringPlans = jest.spyOn(world.plans, 'ringPlans');

    expect(await evidenceFor(world.deps, proposed(), now, recent)).toMatchObject({ allowed: true });
    expect(ringPlans).toHaveBeenCalledTimes(2);

    // A staging plan to the version failed since: the fresh read says so, though a kept one would not.
    const records = await world.plans.ringPlans('staging', '1.29.9');
    ringPlans.mockClear();
    ringPlans.mockResolvedValueOnce([
      ...records,
      {
        planId: 'staging-2',
        clusterName: 'aks-staging-2',
        ring: 'staging',
        to: '1.29.9',
        status: 'failed',
        failedAt: now.toISOString(),
      },
    ]);
    expect(await evidenceFor(world.deps, proposed(), now, recent)).toMatchObject({
      allowed: false,
      reason: '1 plan(s) to 1.29.9 failed in staging (aks-staging-2)',
    });
    // The kept read served first (no call), then the one fresh read.
    expect(ringPlans).toHaveBeenCalledTimes(1);
  });
});

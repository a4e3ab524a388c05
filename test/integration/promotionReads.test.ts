import { promotionEvidence } from '../../shared/domain/promotion';
import { evidenceFor } from '../../shared/usecases/proposePlans';
import { planningWorld } from '../helpers/planning';
import { proposed } from '../helpers/plans';

/**
 * What a new plan's promotion check reads of the ring below, against Azurite: the lower ring's plans
 * to the version always; what the whole lower ring runs only when those plans leave the answer open;
 * and plans checked at the same moment (a release's burst of events) share the reads in flight.
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

import { PREFLIGHT_CHECK_IDS } from '../../shared/domain/preflight';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import { planningWorld } from '../helpers/planning';
import { REGION, snapshot } from '../helpers/plans';

/**
 * A pre-flight that throws (not one fact missing: the whole check) never stops a proposal, whether an
 * event or the sweep made it: the gated plan is written with a report whose every check is `unknown`
 * with the reason, and the failure is logged. Plans and outbox on Azurite.
 */
const bySweep = { actor: 'warden', source: { kind: 'sweep' as const } };

test('a pre-flight that throws: the swept plan is created, every check unknown with the reason, logged', async () => {
  const w = planningWorld();
  const warnings: string[] = [];
  const deps = {
    ...w.deps,
    log: {
      info: () => undefined,
      error: () => undefined,
      warn: (...a: unknown[]) => warnings.push(a.join(' ')),
    },
    preflight: { check: () => Promise.reject(new Error('socket hang up')) },
  };
  const [outcome] = await proposePlansForCluster(
    deps,
    snapshot('aks-prod-1', 'production'),
    REGION,
    w.now(),
    {
      by: bySweep,
      reason: 'fleet sweep s1',
    },
  );
  expect(outcome).toMatchObject({ outcome: 'created' });
  const report = (await w.plans.get(outcome!.planId!))?.plan.preflight;
  expect(report?.checks.map((c) => [c.id, c.status])).toEqual(
    PREFLIGHT_CHECK_IDS.map((id) => [id, 'unknown']),
  );
  expect(report?.checks[0]?.detail).toContain('pre-flight could not run: socket hang up');
  expect(report?.checkedAt).toBe(w.now().toISOString());
  // The test policy blocks nothing on unknown: the plan is told as warn, never as go.
  expect(report?.verdict).toBe('warn');
  expect(warnings).toEqual([
    expect.stringContaining('pre-flight for aks-prod-1 could not run: socket hang up'),
  ]);
});

test('a plan the policy approves itself is not checked at proposal (the runner checks before each step)', async () => {
  const w = planningWorld();
  let calls = 0;
  const deps = {
    ...w.deps,
    preflight: {
      check: () => {
        calls++;
        return Promise.reject(new Error('not expected'));
      },
    },
  };
  const [outcome] = await proposePlansForCluster(deps, snapshot('aks-canary-1', 'canary'), REGION, w.now(), {
    by: bySweep,
    reason: 'fleet sweep s1',
  });
  expect(outcome).toMatchObject({ outcome: 'created', status: 'approved' });
  expect((await w.plans.get(outcome!.planId!))?.plan.preflight).toBeUndefined();
  expect(calls).toBe(0);
});

import type { By, Plan, PlanEvent } from '../../shared/domain/plan';
import { planCluster } from '../../shared/domain/plan';
import { transition } from '../../shared/domain/planTransition';
import { parsePolicy, PolicyError } from '../../shared/domain/policy';
import type { PromotionEvidence } from '../../shared/domain/promotion';
import type { WavePolicy } from '../../shared/domain/wave';
import {
  assembleWaves,
  bindingProblem,
  waitsForWave,
  waveGroup,
  waveMember,
  waveTitle,
} from '../../shared/domain/wave';
import { GATE, proposed, snapshot } from '../helpers/plans';

const T0 = new Date('2026-11-25T10:00:00Z');
const timer: By = { actor: 'warden', source: { kind: 'timer', name: 'approvalTimer' } };
const evidence: PromotionEvidence = {
  ring: 'production',
  lowerRing: 'staging',
  version: '1.29.9',
  allowed: true,
  reason: 'soaked',
  soakMs: 0,
  plans: [],
  checkedAt: T0.toISOString(),
};
const satisfied: PlanEvent = { type: 'PromotionSatisfied', evidence, requestId: 'req-1', by: timer };
const DEFAULT: WavePolicy = { by: ['kind', 'fromMinor', 'target', 'window'], largest: 50 };

/** A production plan awaiting approval, gated in waves, on a cluster of this name. */
function awaiting(name: string, overrides: Parameters<typeof proposed>[0] = {}): Plan {
  const s = snapshot(name, 'production');
  const base = proposed({
    id: `plan-${name}`,
    cluster: { ...planCluster(s), tags: { ...s.tags, team: name.includes('pay') ? 'payments' : 'retail' } },
    gate: { ...GATE, waves: true },
    ...overrides,
  });
  return transition(base, satisfied, T0).plan;
}

const names = (waves: Plan[][]): string[][] => waves.map((w) => w.map((p) => p.cluster.name));

describe('waves: grouping', () => {
  test('a plan gated in waves waits for its wave: the request effect is not sent per plan', () => {
    const r = transition(proposed({ gate: { ...GATE, waves: true } }), satisfied, T0);
    expect(r.plan.status).toBe('awaiting-approval');
    expect(r.effects.find((e) => e.type === 'request-approval')).toMatchObject({ perWave: true });
    expect(waitsForWave(r.plan)).toBe(true);
    // Without waves the request is the plan's own.
    const own = transition(proposed(), satisfied, T0);
    expect(own.effects.find((e) => e.type === 'request-approval')).not.toHaveProperty('perWave');
    expect(waitsForWave(own.plan)).toBe(false);
  });

  test('same ring, kind, from-minor, target and window group together; each difference splits', () => {
    const plans = [
      awaiting('aks-a'),
      awaiting('aks-b'),
      awaiting('aks-minor', { kind: 'minor', to: '1.30.3' }),
      awaiting('aks-from', { from: '1.28.12' }),
      awaiting('aks-target', { to: '1.29.8' }),
      awaiting('aks-window', { window: { source: 'aks', description: 'every Sunday at 03:00 for 4 h' } }),
      awaiting('aks-c'),
    ];
    expect(names(assembleWaves(plans, DEFAULT)).sort()).toEqual(
      [['aks-a', 'aks-b', 'aks-c'], ['aks-from'], ['aks-minor'], ['aks-target'], ['aks-window']].sort(),
    );
  });

  test('the policy picks the fields: without window and target, those plans join; a tag splits by team', () => {
    const plans = [
      awaiting('aks-pay-1'),
      awaiting('aks-pay-2', { window: { source: 'aks', description: 'every Sunday at 03:00 for 4 h' } }),
      awaiting('aks-shop-1', { to: '1.29.8' }),
    ];
    expect(names(assembleWaves(plans, { by: ['kind', 'fromMinor'], largest: 50 }))).toEqual([
      ['aks-pay-1', 'aks-pay-2', 'aks-shop-1'],
    ]);
    const byTeam = assembleWaves(plans, { by: ['kind', 'fromMinor'], tag: 'team', largest: 50 });
    expect(names(byTeam).sort()).toEqual([['aks-pay-1', 'aks-pay-2'], ['aks-shop-1']]);
    expect(waveGroup(byTeam[0]![0]!, { by: ['kind', 'fromMinor'], tag: 'team', largest: 50 })).toEqual({
      ring: 'production',
      kind: 'patch',
      fromMinor: '1.29',
      tag: { name: 'team', value: 'payments' },
    });
  });

  test('a group larger than the largest wave splits into near-equal waves, in cluster-name order', () => {
    const plans = Array.from({ length: 120 }, (_, i) => awaiting(`aks-${String(i).padStart(3, '0')}`));
    const waves = assembleWaves(plans, { ...DEFAULT, largest: 50 });
    expect(waves.map((w) => w.length)).toEqual([40, 40, 40]);
    expect(waves[0]![0]!.cluster.name).toBe('aks-000');
    expect(waves[2]!.at(-1)!.cluster.name).toBe('aks-119');
    expect(assembleWaves(plans.slice(0, 50), DEFAULT).map((w) => w.length)).toEqual([50]);
  });

  test('plans already asked, not gated in waves, or Fleet gates wait for no wave', () => {
    const asked = transition(
      awaiting('aks-asked'),
      { type: 'ApprovalAsked', wave: { id: 'w1', size: 2 }, reason: 'x', by: timer },
      T0,
    ).plan;
    const own = transition(proposed({ id: 'plan-own' }), satisfied, T0).plan;
    const plans = [asked, own, awaiting('aks-gate', { kind: 'fleet-gate' }), awaiting('aks-one')];
    expect(names(assembleWaves(plans, DEFAULT))).toEqual([['aks-one']]);
  });

  test('the title says what the wave shares', () => {
    expect(waveTitle(waveGroup(awaiting('aks-pay-1'), { ...DEFAULT, tag: 'team' }), 3)).toBe(
      '3 production plans: patch 1.29 → 1.29.9 (team=payments)',
    );
  });
});

describe('waves: each plan stays bound to what was asked', () => {
  const ask = (p: Plan, wave = 'w1'): Plan =>
    transition(p, { type: 'ApprovalAsked', wave: { id: wave, size: 2 }, reason: 'wave', by: timer }, T0).plan;

  test('asked in a wave: an audit entry names it, no per-plan notice; reminders go per wave', () => {
    const r = transition(
      awaiting('aks-a'),
      { type: 'ApprovalAsked', wave: { id: 'w1', size: 2 }, reason: 'wave', by: timer },
      T0,
    );
    expect(r.plan.approval).toMatchObject({ wave: 'w1', askedAt: T0.toISOString() });
    expect(r.effects).toEqual([
      expect.objectContaining({ type: 'audit', entry: expect.objectContaining({ wave: 'w1' }) }),
    ]);
    const reminder = transition(r.plan, { type: 'ApprovalReminderDue', by: timer }, T0);
    expect(reminder.effects.find((e) => e.type === 'request-approval')).toMatchObject({ perWave: true });
  });

  test('asked on its own: the plan sends its own request, and its reminders are its own', () => {
    const inWave = ask(awaiting('aks-a'));
    const r = transition(inWave, { type: 'ApprovalAsked', reason: 'left out', by: timer }, T0);
    expect(r.plan.approval?.wave).toBeUndefined();
    const request = r.effects.find((e) => e.type === 'request-approval');
    expect(request).toMatchObject({ mode: 'request', approvers: ['oncall@contoso.com'] });
    expect(request).not.toHaveProperty('perWave');
    const reminder = transition(r.plan, { type: 'ApprovalReminderDue', by: timer }, T0);
    expect(reminder.effects.find((e) => e.type === 'request-approval')).not.toHaveProperty('perWave');
  });

  test('binding: unchanged holds; a new round, a new pre-flight verdict, another wave or a decision do not', () => {
    const plan = ask(awaiting('aks-a'));
    const member = waveMember(plan);
    expect(bindingProblem(member, plan, 'w1')).toBeUndefined();
    // A reminder moves the ETag, not what is approved.
    const reminded = transition(plan, { type: 'ApprovalReminderDue', by: timer }, T0).plan;
    expect(bindingProblem(member, reminded, 'w1')).toBeUndefined();
    expect(bindingProblem(member, plan, 'w2')).toBe('it was asked again on its own');
    const moved = transition(
      plan,
      {
        type: 'WindowChanged',
        window: { source: 'aks', description: 'Sunday' },
        requestId: 'req-2',
        by: timer,
      },
      T0,
    ).plan;
    expect(bindingProblem(member, moved, 'w1')).toMatch(/request was replaced/);
    const noGo = transition(
      plan,
      {
        type: 'PreflightChecked',
        report: { verdict: 'no-go', checkedAt: T0.toISOString(), checks: [] },
        by: timer,
      },
      T0,
    ).plan;
    expect(bindingProblem(member, noGo, 'w1')).toMatch(/changed since the wave was asked/);
    const approved = transition(
      plan,
      {
        type: 'ApprovalGranted',
        approver: 'oncall@contoso.com',
        comment: '',
        round: 1,
        wave: 'w1/oncall@contoso.com',
        by: timer,
      },
      T0,
    );
    expect(bindingProblem(member, approved.plan, 'w1')).toBe('it is approved');
    expect(approved.effects[0]).toMatchObject({
      type: 'audit',
      entry: {
        reason: 'approved by oncall@contoso.com (1 of 1) in wave w1/oncall@contoso.com',
        wave: 'w1/oncall@contoso.com',
      },
    });
  });
});

describe('waves: the policy', () => {
  test('unset: no waves; `waves: {}` turns them on with the defaults; bad fields are named', () => {
    expect(parsePolicy('{}').waves).toBeUndefined();
    expect(parsePolicy('waves: {}').waves).toEqual({
      by: ['kind', 'fromMinor', 'target', 'window'],
      largest: 50,
    });
    expect(parsePolicy('waves: { by: [kind, target], tag: team, largest: 10 }').waves).toEqual({
      by: ['kind', 'target'],
      tag: 'team',
      largest: 10,
    });
    expect(() => parsePolicy('waves: { largest: 1 }')).toThrow(PolicyError);
    expect(() => parsePolicy('waves: { by: [colour] }')).toThrow(/\/waves\/by\/0/);
  });
});

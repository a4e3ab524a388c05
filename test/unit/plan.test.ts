import type { By, Plan, PlanEffect, PlanEvent, PlanStatus } from '../../shared/domain/plan';
import { ACCEPTS, PLAN_STATUSES } from '../../shared/domain/plan';
import { approvalTimerEvent, transition } from '../../shared/domain/planTransition';
import type { PromotionEvidence } from '../../shared/domain/promotion';
import { ConflictError, ForbiddenError, IllegalTransitionError } from '../../shared/errors';
import { GATE, proposed } from '../helpers/plans';

const T0 = new Date('2026-11-25T10:00:00Z');
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);
const timer: By = { actor: 'warden', source: { kind: 'timer', name: 'approvalTimer' } };
const click = (who: string): By => ({
  actor: who,
  source: { kind: 'http', ip: '10.0.0.1', userAgent: 'test' },
});
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

/** given a plan and events already applied, when an event, then the result. */
function given(plan: Plan, ...events: PlanEvent[]): Plan {
  return events.reduce((p, e, i) => transition(p, e, at(i)).plan, plan);
}
const satisfied: PlanEvent = { type: 'PromotionSatisfied', evidence, requestId: 'req-1', by: timer };
const grant = (who: string, round = 1): PlanEvent => ({
  type: 'ApprovalGranted',
  approver: who,
  comment: 'ok',
  round,
  by: click(who),
});
const reject = (who: string): PlanEvent => ({
  type: 'ApprovalRejected',
  approver: who,
  comment: 'not now',
  round: 1,
  by: click(who),
});
const kinds = (effects: readonly PlanEffect[]): string[] =>
  effects.map((e) =>
    e.type === 'notify'
      ? `notify:${e.notice.kind}`
      : e.type === 'request-approval'
        ? `request:${e.mode}`
        : e.type,
  );

describe('plan state machine', () => {
  test('a gated plan whose promotion is satisfied asks for approval', () => {
    const { plan, effects } = transition(proposed(), satisfied, T0);
    expect(plan.status).toBe('awaiting-approval');
    expect(plan.approval).toMatchObject({
      round: 1,
      requestId: 'req-1',
      approvers: ['oncall@contoso.com'],
      expiresAt: '2026-11-26T10:00:00.000Z',
    });
    expect(kinds(effects)).toEqual(['audit', 'request:request']);
    expect(plan.seq).toBe(2);
  });

  test('a non-gated plan is approved by policy and the owners hear of it', () => {
    const { plan, effects } = transition(proposed({ gate: { ...GATE, gated: false } }, 'dev'), satisfied, T0);
    expect(plan.status).toBe('approved');
    expect(kinds(effects)).toEqual(['audit', 'notify:plan-approved']);
    expect(effects[0]).toMatchObject({ entry: { actor: 'policy', from: 'proposed', to: 'approved' } });
  });

  test('auto-execute off keeps a non-gated plan proposed with its evidence', () => {
    const { plan } = transition(
      proposed({ gate: { ...GATE, gated: false, autoExecute: false } }, 'dev'),
      satisfied,
      T0,
    );
    expect(plan.status).toBe('proposed');
    expect(plan.evidence?.allowed).toBe(true);
  });

  test('pending promotion records the evidence and stays proposed', () => {
    const { plan } = transition(
      proposed(),
      { type: 'PromotionPending', evidence: { ...evidence, allowed: false, reason: 'soaking' }, by: timer },
      T0,
    );
    expect(plan).toMatchObject({ status: 'proposed', evidence: { reason: 'soaking' } });
  });

  test('one approval of the required one approves, with an audit entry naming the approver and comment', () => {
    const { plan, effects } = transition(given(proposed(), satisfied), grant('oncall@contoso.com'), at(5));
    expect(plan.status).toBe('approved');
    expect(effects[0]).toMatchObject({
      type: 'audit',
      entry: { actor: 'oncall@contoso.com', comment: 'ok', source: { kind: 'http', ip: '10.0.0.1' } },
    });
    expect(kinds(effects)).toEqual(['audit', 'notify:plan-approved']);
  });

  test('a quorum of two needs two distinct approvers', () => {
    const plan = given(
      proposed({ gate: { ...GATE, required: 2, approvers: ['a@x.io', 'b@x.io'] } }),
      satisfied,
      grant('a@x.io'),
    );
    expect(plan.status).toBe('awaiting-approval');
    expect(() => transition(plan, grant('A@x.io'), at(3))).toThrow(ConflictError);
    expect(transition(plan, grant('b@x.io'), at(3)).plan.status).toBe('approved');
  });

  test('any reject vetoes, even after an approval', () => {
    const plan = given(
      proposed({ gate: { ...GATE, required: 2, approvers: ['a@x.io', 'b@x.io'] } }),
      satisfied,
      grant('a@x.io'),
    );
    const { plan: after, effects } = transition(plan, reject('b@x.io'), at(3));
    expect(after.status).toBe('rejected');
    expect(after.closedAt).toBeDefined();
    expect(kinds(effects)).toEqual(['audit', 'notify:plan-rejected']);
  });

  test('the initiator cannot approve', () => {
    const plan = given(proposed({ initiator: 'oncall@contoso.com' }), satisfied);
    expect(() => transition(plan, grant('oncall@contoso.com'), at(2))).toThrow(ForbiddenError);
  });

  test('a decision after expiry or from a replaced round is refused', () => {
    const plan = given(proposed(), satisfied);
    expect(() => transition(plan, grant('oncall@contoso.com'), at(24 * 60 + 1))).toThrow(ConflictError);
    expect(() => transition(plan, grant('oncall@contoso.com', 0), at(2))).toThrow(/replaced/);
  });

  test('a new window voids the approval and asks again', () => {
    const approved = given(proposed(), satisfied, grant('oncall@contoso.com'));
    const { plan, effects } = transition(
      approved,
      {
        type: 'WindowChanged',
        window: { source: 'policy', description: 'Sunday 03:00' },
        requestId: 'req-2',
        by: timer,
      },
      at(10),
    );
    expect(plan).toMatchObject({
      status: 'awaiting-approval',
      approval: { round: 2, requestId: 'req-2', decisions: [] },
    });
    expect(kinds(effects)).toEqual(['audit', 'request:request']);
  });

  test('the timer reminds at half-time, escalates to the secondary list, then expires', () => {
    const asked = given(proposed(), satisfied);
    expect(approvalTimerEvent(asked, at(60), timer)).toBeUndefined();
    const reminderEvent = approvalTimerEvent(asked, at(12 * 60), timer);
    expect(reminderEvent?.type).toBe('ApprovalReminderDue');
    const reminded = transition(asked, reminderEvent!, at(12 * 60));
    expect(kinds(reminded.effects)).toEqual(['audit', 'request:reminder']);
    const escalation = approvalTimerEvent(reminded.plan, at(18 * 60), timer);
    expect(escalation?.type).toBe('ApprovalEscalationDue');
    const escalated = transition(reminded.plan, escalation!, at(18 * 60));
    expect(escalated.plan.approval?.approvers).toEqual(['oncall@contoso.com', 'lead@contoso.com']);
    expect(escalated.effects[1]).toMatchObject({
      mode: 'escalation',
      approvers: ['oncall@contoso.com', 'lead@contoso.com'],
    });
    expect(approvalTimerEvent(escalated.plan, at(20 * 60), timer)).toBeUndefined();
    const expiry = approvalTimerEvent(escalated.plan, at(24 * 60), timer);
    expect(expiry?.type).toBe('ApprovalExpired');
    const expired = transition(escalated.plan, expiry!, at(24 * 60));
    expect(expired.plan.status).toBe('expired');
    expect(kinds(expired.effects)).toEqual(['audit', 'notify:approval-expired']);
  });

  test('the runner path: steps in order, ARM calls as effects, then success', () => {
    let plan = given(proposed(), satisfied, grant('oncall@contoso.com'), {
      type: 'Scheduled',
      window: { source: 'none', description: 'any time' },
      by: timer,
    });
    expect(plan.status).toBe('scheduled');
    const runner: By = { actor: 'runner', source: { kind: 'runner' } };
    expect(() => transition(plan, { type: 'StepStarted', step: 1, by: runner }, at(20))).toThrow(
      IllegalTransitionError,
    );
    const started = transition(
      plan,
      { type: 'StepStarted', step: 0, operationId: 'op-1', by: runner },
      at(20),
    );
    expect(started.effects.find((e) => e.type === 'arm')).toMatchObject({
      action: 'upgrade-control-plane',
      step: 0,
      version: '1.29.9',
    });
    plan = given(started.plan, { type: 'StepSucceeded', step: 0, by: runner });
    expect(() => transition(plan, { type: 'PlanSucceeded', by: runner }, at(30))).toThrow(
      IllegalTransitionError,
    );
    const pool = transition(plan, { type: 'StepStarted', step: 1, by: runner }, at(30));
    expect(pool.effects.find((e) => e.type === 'arm')).toMatchObject({
      action: 'upgrade-node-pool',
      pool: 'system',
    });
    plan = given(pool.plan, { type: 'StepSucceeded', step: 1, by: runner });
    const done = transition(plan, { type: 'PlanSucceeded', by: runner }, at(40));
    expect(done.plan.status).toBe('succeeded');
    expect(kinds(done.effects)).toEqual(['audit', 'notify:plan-succeeded']);
  });

  test('a failed step fails the plan with the step and reason', () => {
    const runner: By = { actor: 'runner', source: { kind: 'runner' } };
    const running = given(proposed({ gate: { ...GATE, gated: false } }), satisfied, {
      type: 'StepStarted',
      step: 0,
      by: runner,
    });
    const { plan, effects } = transition(
      running,
      { type: 'StepFailed', step: 0, reason: 'PDB blocks drain', by: runner },
      at(9),
    );
    expect(plan).toMatchObject({ status: 'failed', failure: { step: 0, reason: 'PDB blocks drain' } });
    expect(kinds(effects)).toEqual(['audit', 'notify:plan-failed']);
  });

  test('superseded, cancelled, urgency raised', () => {
    expect(
      transition(
        proposed(),
        { type: 'Superseded', supersededBy: 'plan-2', newTarget: '1.30.3', by: timer },
        T0,
      ).plan,
    ).toMatchObject({ status: 'superseded', supersededBy: 'plan-2' });
    expect(
      transition(proposed(), { type: 'Cancelled', reason: 'cluster deleted', by: timer }, T0).plan.status,
    ).toBe('cancelled');
    const urgent = transition(
      proposed(),
      {
        type: 'UrgencyRaised',
        urgency: 'critical',
        deadline: '2026-12-01T00:00:00Z',
        reason: 'support ended',
        by: timer,
      },
      T0,
    ).plan;
    expect(urgent).toMatchObject({
      urgency: 'critical',
      deadline: '2026-12-01T00:00:00Z',
      status: 'proposed',
    });
  });

  test('every status and event: accepted exactly where the table says, otherwise IllegalTransitionError and nothing changes', () => {
    const samples: Record<PlanStatus, Plan> = {} as Record<PlanStatus, Plan>;
    const base = proposed();
    for (const status of Object.keys(PLAN_STATUSES) as PlanStatus[])
      samples[status] = {
        ...base,
        status,
        approval: {
          round: 1,
          requestId: 'r',
          requestedAt: T0.toISOString(),
          expiresAt: at(600).toISOString(),
          approvers: ['oncall@contoso.com'],
          decisions: [],
        },
      };
    samples.running = {
      ...samples.running,
      steps: base.steps.map((s, i) => ({ ...s, status: i === 0 ? 'running' : 'pending' })),
    };
    const events: PlanEvent[] = [
      { type: 'PromotionPending', evidence, by: timer },
      satisfied,
      grant('oncall@contoso.com'),
      reject('oncall@contoso.com'),
      { type: 'ApprovalAsked', wave: { id: 'w1', size: 2 }, reason: 'x', by: timer },
      { type: 'ApprovalReminderDue', by: timer },
      { type: 'ApprovalEscalationDue', by: timer },
      { type: 'ApprovalExpired', by: timer },
      { type: 'WindowChanged', window: { source: 'none', description: 'x' }, requestId: 'r2', by: timer },
      { type: 'Superseded', supersededBy: 'p2', newTarget: '1.30.3', by: timer },
      { type: 'Scheduled', window: { source: 'none', description: 'x' }, by: timer },
      { type: 'StepStarted', step: 0, by: timer },
      { type: 'StepSucceeded', step: 0, by: timer },
      { type: 'StepFailed', step: 0, reason: 'x', by: timer },
      { type: 'PlanSucceeded', by: timer },
      {
        type: 'StepBlocked',
        step: 0,
        reason: 'x',
        deprecatedApis: ['a.b.v1.c.list'],
        requestId: 'r3',
        by: timer,
      },
      { type: 'ForceUpgradeApproved', approver: 'lead@contoso.com', comment: '', until: 'x', by: timer },
      { type: 'Cancelled', reason: 'x', by: timer },
      { type: 'FleetGateCompleted', by: timer },
      { type: 'UrgencyRaised', urgency: 'high', reason: 'x', by: timer },
      {
        type: 'PreflightChecked',
        report: { verdict: 'go', checkedAt: at(1).toISOString(), checks: [] },
        by: timer,
      },
    ];
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(Object.keys(ACCEPTS)));
    for (const [status, plan] of Object.entries(samples)) {
      for (const event of events) {
        const accepted = ACCEPTS[event.type].includes(status as PlanStatus);
        if (!accepted) {
          expect(() => transition(plan, event, at(1))).toThrow(IllegalTransitionError);
          continue;
        }
        try {
          const { plan: next, effects } = transition(plan, event, at(1));
          expect(next.seq).toBe(plan.seq + 1);
          expect(effects[0]?.type).toBe('audit');
        } catch (e) {
          // Accepted by status but refused by a finer rule (e.g. a step out of order); never silently.
          expect(e).toBeInstanceOf(IllegalTransitionError);
        }
      }
    }
  });
});

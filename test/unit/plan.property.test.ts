import fc from 'fast-check';

import type { By, Plan, PlanEvent } from '../../shared/domain/plan';
import { isOpen } from '../../shared/domain/plan';
import { transition } from '../../shared/domain/planTransition';
import type { PromotionEvidence } from '../../shared/domain/promotion';
import { IllegalTransitionError } from '../../shared/errors';
import { GATE, proposed } from '../helpers/plans';

const T0 = Date.parse('2026-11-25T10:00:00Z');
const by: By = { actor: 'warden', source: { kind: 'timer', name: 'prop' } };
const evidence: PromotionEvidence = {
  ring: 'production',
  version: '1.29.9',
  allowed: true,
  reason: 'ok',
  soakMs: 0,
  plans: [],
  checkedAt: '2026-11-25T10:00:00Z',
};
const people = ['a@x.io', 'b@x.io', 'c@x.io', 'warden'];

const eventArb: fc.Arbitrary<PlanEvent> = fc.oneof(
  fc.constant<PlanEvent>({ type: 'PromotionPending', evidence: { ...evidence, allowed: false }, by }),
  fc.constant<PlanEvent>({ type: 'PromotionSatisfied', evidence, requestId: 'r', by }),
  fc
    .record({ who: fc.constantFrom(...people), round: fc.integer({ min: 0, max: 3 }) })
    .map(({ who, round }): PlanEvent => ({ type: 'ApprovalGranted', approver: who, comment: '', round, by })),
  fc
    .record({ who: fc.constantFrom(...people), round: fc.integer({ min: 0, max: 3 }) })
    .map(({ who, round }): PlanEvent => ({
      type: 'ApprovalRejected',
      approver: who,
      comment: '',
      round,
      by,
    })),
  fc.constant<PlanEvent>({ type: 'ApprovalReminderDue', by }),
  fc.constant<PlanEvent>({ type: 'ApprovalEscalationDue', by }),
  fc.constant<PlanEvent>({ type: 'ApprovalExpired', by }),
  fc.constant<PlanEvent>({
    type: 'WindowChanged',
    window: { source: 'policy', description: 'Sunday' },
    requestId: 'r2',
    by,
  }),
  fc.constant<PlanEvent>({ type: 'Superseded', supersededBy: 'p2', newTarget: '1.30.3', by }),
  fc.constant<PlanEvent>({ type: 'Scheduled', window: { source: 'none', description: 'any' }, by }),
  fc.integer({ min: 0, max: 2 }).map((step): PlanEvent => ({ type: 'StepStarted', step, by })),
  fc.integer({ min: 0, max: 2 }).map((step): PlanEvent => ({ type: 'StepSucceeded', step, by })),
  fc.integer({ min: 0, max: 2 }).map((step): PlanEvent => ({ type: 'StepFailed', step, reason: 'x', by })),
  fc.constant<PlanEvent>({ type: 'PlanSucceeded', by }),
  fc.constant<PlanEvent>({ type: 'Cancelled', reason: 'x', by }),
  fc.constant<PlanEvent>({ type: 'UrgencyRaised', urgency: 'high', reason: 'x', by }),
);

describe('plan state machine: properties over random event sequences', () => {
  test('invariants hold after every accepted event; refused events change nothing', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.boolean(),
        fc.array(fc.tuple(eventArb, fc.integer({ min: 0, max: 30 * 3600 })), { maxLength: 40 }),
        (required, gated, events) => {
          let plan: Plan = proposed({
            gate: { ...GATE, gated, required, approvers: ['a@x.io', 'b@x.io', 'c@x.io'] },
          });
          let t = T0;
          for (const [event, dt] of events) {
            t += dt * 1000;
            const before = JSON.stringify(plan);
            let next: Plan;
            try {
              next = transition(plan, event, new Date(t)).plan;
            } catch (e) {
              expect(e).toBeInstanceOf(Error);
              expect(JSON.stringify(plan)).toBe(before);
              if (!isOpen(plan.status)) expect(e).toBeInstanceOf(IllegalTransitionError);
              continue;
            }
            expect(next.seq).toBe(plan.seq + 1);
            if (!isOpen(plan.status))
              throw new Error(`a closed plan (${plan.status}) accepted ${event.type}`);
            expect(isOpen(next.status) ? next.closedAt : 'closed').toBe(
              isOpen(next.status) ? undefined : 'closed',
            );
            const decisions = next.approval?.decisions ?? [];
            expect(new Set(decisions.map((d) => `${d.round}:${d.approver}`)).size).toBe(decisions.length);
            expect(decisions.some((d) => d.approver === 'warden')).toBe(false);
            if (next.status === 'rejected') expect(decisions.at(-1)?.decision).toBe('reject');
            if (gated && next.status === 'approved' && plan.status === 'awaiting-approval')
              expect(
                decisions.filter((d) => d.decision === 'approve' && d.round === next.approval?.round),
              ).toHaveLength(required);
            if (next.status === 'succeeded')
              expect(next.steps.every((s) => s.status === 'succeeded')).toBe(true);
            if (next.status === 'running') {
              const firstNotDone = next.steps.findIndex((s) => s.status !== 'succeeded');
              expect(next.steps.slice(firstNotDone + 1).every((s) => s.status === 'pending')).toBe(true);
            }
            plan = next;
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

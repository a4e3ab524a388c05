/**
 * The plan state machine: `transition(plan, event, now)` is the one pure function that moves
 * a plan (./plan.ts holds the plan, its events and effects); it returns the next plan and the effects as
 * data (audit entry, notices, approval requests, ARM calls for the runner). The adapter saves the plan
 * with its ETag (the audit entry in the same transaction), then runs the rest. Also here: creating a plan
 * (`proposePlan`) and the approval timer's next event. Separate from the model because most readers of a
 * plan (the store, the pages, the approval links) need its shape, not how it moves.
 */
import { ConflictError, ForbiddenError, IllegalTransitionError } from '../errors';
import type { FleetGatePlan } from './fleetGate';
import type { Audience, Notice, NoticeFact, NoticeKind } from './notice';
import type {
  ApprovalDecision,
  ApprovalRound,
  By,
  Finding,
  Plan,
  PlanBlock,
  PlanCluster,
  PlanEffect,
  PlanEvent,
  PlanGate,
  PlanStatus,
  PlanStep,
  PlanWindow,
  TransitionResult,
  Urgency,
} from './plan';
import { ACCEPTS, isOpen, noticeCluster, planTitle, stepLabel } from './plan';
import type { PlanKind, StepTarget } from './targeting';

export interface NewPlan {
  readonly id: string;
  readonly cluster: PlanCluster;
  readonly kind: PlanKind;
  readonly from: string;
  readonly to: string;
  readonly nodeImage?: string;
  readonly steps: readonly StepTarget[];
  readonly gate: PlanGate;
  readonly window?: PlanWindow;
  readonly findings: readonly Finding[];
  readonly urgency: Urgency;
  readonly deadline?: string;
  readonly reason: string;
  readonly initiator: string;
  readonly fleetGate?: FleetGatePlan;
  readonly by: By;
}

function audit(
  plan: Plan,
  from: PlanStatus | 'none',
  event: string,
  by: By,
  reason: string,
  comment?: string,
  wave?: string,
): PlanEffect {
  return {
    type: 'audit',
    entry: {
      planId: plan.id,
      clusterKey: plan.cluster.key,
      clusterName: plan.cluster.name,
      seq: plan.seq,
      at: plan.updatedAt,
      event,
      from,
      to: plan.status,
      actor: by.actor,
      source: by.source,
      reason,
      ...(comment !== undefined && comment !== '' && { comment }),
      ...(wave !== undefined && { wave }),
    },
  };
}

function facts(plan: Plan): NoticeFact[] {
  return [
    { label: 'Cluster', value: plan.cluster.name },
    { label: 'Ring', value: plan.cluster.ring },
    { label: 'Kind', value: plan.kind },
    {
      label: 'Version',
      value: plan.kind === 'node-image' ? (plan.nodeImage ?? '') : `${plan.from} → ${plan.to}`,
    },
    ...(plan.window !== undefined ? [{ label: 'Window', value: plan.window.description }] : []),
    ...(plan.deadline !== undefined ? [{ label: 'Deadline', value: plan.deadline }] : []),
  ];
}

/** The step an event names, if its status allows the event; otherwise the event is illegal here. */
function stepFor(
  plan: Plan,
  event: { readonly type: string; readonly step: number },
  allowed: (step: PlanStep) => boolean,
): PlanStep {
  const step = plan.steps[event.step];
  if (step === undefined || !allowed(step)) {
    throw new IllegalTransitionError(
      `${plan.status} (step ${event.step} ${step?.status ?? 'missing'})`,
      event.type,
    );
  }
  return step;
}

function notice(
  plan: Plan,
  kind: NoticeKind,
  severity: Notice['severity'],
  title: string,
  summary: string,
  audience: readonly Audience[],
  urgent = false,
): PlanEffect {
  return {
    type: 'notify',
    notice: {
      ...(urgent && { urgent }),
      kind,
      key: `plan:${plan.id}:${plan.seq}:${kind}`,
      severity,
      title,
      summary,
      facts: facts(plan),
      actions: [],
      audience,
      cluster: noticeCluster(plan),
      planId: plan.id,
      at: plan.updatedAt,
    },
  };
}

function approvalRound(plan: Plan, round: number, requestId: string, now: Date): ApprovalRound {
  return {
    round,
    requestId,
    requestedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + plan.gate.expiryMs).toISOString(),
    approvers: [...plan.gate.approvers],
    decisions: [],
  };
}

/**
 * Whether a request goes out per wave rather than per plan: a plan whose gate asks in waves waits for its
 * wave's assembly (the first request of a round), and a round asked in a wave is reminded and escalated
 * by its wave.
 */
function askedPerWave(plan: Plan, a: ApprovalRound, mode: 'request' | 'reminder' | 'escalation'): boolean {
  if (plan.gate.waves !== true || plan.kind === 'fleet-gate') return false;
  return mode === 'request' ? a.askedAt === undefined : a.wave !== undefined;
}

function requestEffect(
  plan: Plan,
  a: ApprovalRound,
  mode: 'request' | 'reminder' | 'escalation',
  approvers: readonly string[],
): PlanEffect {
  return {
    type: 'request-approval',
    mode,
    planId: plan.id,
    round: a.round,
    requestId: a.requestId,
    approvers,
    expiresAt: a.expiresAt,
    key: `plan:${plan.id}:${plan.seq}:approval-${mode}`,
    ...(askedPerWave(plan, a, mode) && { perWave: true as const }),
  };
}

/** Creates a plan in `proposed`. Promotion is checked next (`PromotionSatisfied` / `PromotionPending`). */
export function proposePlan(input: NewPlan, now: Date): TransitionResult {
  const at = now.toISOString();
  const plan: Plan = {
    id: input.id,
    cluster: input.cluster,
    kind: input.kind,
    from: input.from,
    to: input.to,
    ...(input.nodeImage !== undefined && { nodeImage: input.nodeImage }),
    steps: input.steps.map((s) => ({ ...s, status: 'pending' as const })),
    status: 'proposed',
    seq: 1,
    createdAt: at,
    updatedAt: at,
    initiator: input.initiator,
    reason: input.reason,
    urgency: input.urgency,
    ...(input.deadline !== undefined && { deadline: input.deadline }),
    gate: input.gate,
    ...(input.window !== undefined && { window: input.window }),
    findings: input.findings,
    ...(input.fleetGate !== undefined && { fleetGate: input.fleetGate }),
  };
  return { plan, effects: [audit(plan, 'none', 'PlanProposed', input.by, input.reason)] };
}

const armAction = (step: PlanStep): 'upgrade-control-plane' | 'upgrade-node-pool' | 'upgrade-node-image' =>
  step.kind === 'control-plane'
    ? 'upgrade-control-plane'
    : step.kind === 'node-pool'
      ? 'upgrade-node-pool'
      : 'upgrade-node-image';

const inWave = (wave: string | undefined): string => (wave === undefined ? '' : ` in wave ${wave}`);

/**
 * The state machine. Throws `IllegalTransitionError` for an event the plan's status does not accept,
 * `ConflictError` / `ForbiddenError` for a decision the approval rules refuse (the plan is unchanged).
 */
export function transition(plan: Plan, event: PlanEvent, now: Date): TransitionResult {
  if (!ACCEPTS[event.type].includes(plan.status)) throw new IllegalTransitionError(plan.status, event.type);
  const at = now.toISOString();
  const from = plan.status;
  const next = (changes: Partial<Plan>): Plan => {
    const status = changes.status ?? plan.status;
    return {
      ...plan,
      ...changes,
      seq: plan.seq + 1,
      updatedAt: at,
      ...(!isOpen(status) && { closedAt: at }),
    };
  };
  const by = event.by;

  switch (event.type) {
    case 'PromotionPending': {
      const p = next({ evidence: event.evidence });
      return { plan: p, effects: [audit(p, from, event.type, by, event.evidence.reason)] };
    }

    case 'PromotionSatisfied': {
      if (!plan.gate.autoExecute && !plan.gate.gated) {
        const p = next({ evidence: event.evidence });
        return {
          plan: p,
          effects: [
            audit(
              p,
              from,
              event.type,
              by,
              `${event.evidence.reason}; auto-execute is off for ${plan.cluster.ring}`,
            ),
          ],
        };
      }
      if (plan.gate.gated) {
        const round = approvalRound(plan, (plan.approval?.round ?? 0) + 1, event.requestId, now);
        const p = next({ status: 'awaiting-approval', evidence: event.evidence, approval: round });
        return {
          plan: p,
          effects: [
            audit(
              p,
              from,
              event.type,
              by,
              `${event.evidence.reason}; ${plan.gate.required} approval(s) needed`,
            ),
            requestEffect(p, round, 'request', round.approvers),
          ],
        };
      }
      const p = next({ status: 'approved', evidence: event.evidence });
      return {
        plan: p,
        effects: [
          audit(
            p,
            from,
            event.type,
            { ...by, actor: 'policy' },
            `approved by policy: ${event.evidence.reason}`,
          ),
          notice(
            p,
            'plan-approved',
            'info',
            `${planTitle(p)} approved by policy`,
            `Ring ${p.cluster.ring} is not gated; the upgrade runs in its window.`,
            ['owners'],
          ),
        ],
      };
    }

    case 'ApprovalGranted':
    case 'ApprovalRejected': {
      const a = plan.approval;
      if (a === undefined) throw new IllegalTransitionError(plan.status, event.type);
      const approver = event.approver.toLowerCase();
      if (event.round !== a.round)
        throw new ConflictError(
          'this approval link belongs to a request that was replaced; use the newest link',
        );
      if (now.getTime() >= Date.parse(a.expiresAt))
        throw new ConflictError('the approval request has expired');
      if (approver === plan.initiator.toLowerCase())
        throw new ForbiddenError('the initiator of a plan cannot approve it');
      if (a.decisions.some((d) => d.approver === approver))
        throw new ConflictError(`${approver} has already decided on this plan`);
      const decision: ApprovalDecision = {
        approver,
        decision: event.type === 'ApprovalGranted' ? 'approve' : 'reject',
        comment: event.comment,
        at,
        round: a.round,
      };
      const approval: ApprovalRound = { ...a, decisions: [...a.decisions, decision] };
      if (event.type === 'ApprovalRejected') {
        const p = next({ status: 'rejected', approval });
        return {
          plan: p,
          effects: [
            audit(
              p,
              from,
              event.type,
              by,
              `rejected by ${approver}${inWave(event.wave)}`,
              event.comment,
              event.wave,
            ),
            notice(
              p,
              'plan-rejected',
              'warning',
              `${planTitle(p)} rejected by ${approver}`,
              event.comment === '' ? 'No comment given.' : `Comment: ${event.comment}`,
              ['oncall', 'owners'],
            ),
          ],
        };
      }
      const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
      if (approvals < plan.gate.required) {
        const p = next({ approval });
        return {
          plan: p,
          effects: [
            audit(
              p,
              from,
              event.type,
              by,
              `approved by ${approver} (${approvals} of ${plan.gate.required})${inWave(event.wave)}`,
              event.comment,
              event.wave,
            ),
          ],
        };
      }
      const p = next({ status: 'approved', approval });
      return {
        plan: p,
        effects: [
          audit(
            p,
            from,
            event.type,
            by,
            `approved by ${approver} (${approvals} of ${plan.gate.required})${inWave(event.wave)}`,
            event.comment,
            event.wave,
          ),
          notice(
            p,
            'plan-approved',
            'info',
            `${planTitle(p)} approved by ${approval.decisions
              .filter((d) => d.decision === 'approve')
              .map((d) => d.approver)
              .join(', ')}`,
            `The upgrade runs in its window: ${p.window?.description ?? 'any time'}.`,
            ['oncall', 'owners'],
            true,
          ),
        ],
      };
    }

    case 'ApprovalAsked': {
      const a = plan.approval;
      if (a === undefined) throw new IllegalTransitionError(plan.status, event.type);
      const { wave: previousWave, ...rest } = a;
      const approval: ApprovalRound = {
        ...rest,
        askedAt: at,
        ...(event.wave !== undefined && { wave: event.wave.id }),
      };
      const p = next({ approval });
      if (event.wave !== undefined)
        return {
          plan: p,
          effects: [
            audit(
              p,
              from,
              event.type,
              by,
              `asked in wave ${event.wave.id} (${event.wave.size} plans)`,
              undefined,
              event.wave.id,
            ),
          ],
        };
      const pending = a.approvers.filter((x) => !a.decisions.some((d) => d.approver === x));
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `asked on its own: ${event.reason}`, undefined, previousWave),
          requestEffect(p, approval, 'request', pending),
        ],
      };
    }

    case 'ApprovalReminderDue': {
      const a = plan.approval;
      if (a === undefined || a.remindedAt !== undefined)
        throw new IllegalTransitionError(plan.status, event.type);
      const p = next({ approval: { ...a, remindedAt: at } });
      const pending = a.approvers.filter((x) => !a.decisions.some((d) => d.approver === x));
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `reminder to ${pending.length} approver(s)`),
          requestEffect(p, a, 'reminder', pending),
        ],
      };
    }

    case 'ApprovalEscalationDue': {
      const a = plan.approval;
      if (a === undefined || a.escalatedAt !== undefined)
        throw new IllegalTransitionError(plan.status, event.type);
      const added = plan.gate.secondary.filter((x) => !a.approvers.includes(x));
      const p = next({ approval: { ...a, escalatedAt: at, approvers: [...a.approvers, ...added] } });
      const pending = [...a.approvers, ...added].filter((x) => !a.decisions.some((d) => d.approver === x));
      return {
        plan: p,
        effects: [
          audit(
            p,
            from,
            event.type,
            by,
            `escalated to ${added.length > 0 ? added.join(', ') : 'no secondary approvers'}`,
          ),
          requestEffect(p, p.approval ?? a, 'escalation', pending),
        ],
      };
    }

    case 'ApprovalExpired': {
      const p = next({ status: 'expired' });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, 'no decision before the request expired'),
          notice(
            p,
            'approval-expired',
            'warning',
            `${planTitle(p)}: approval expired`,
            'Nobody decided in time; the plan is closed. Warden proposes it again on the next sweep or event.',
            ['oncall', 'oncall-secondary', 'owners'],
          ),
        ],
      };
    }

    case 'WindowChanged': {
      if (plan.status === 'proposed' || !plan.gate.gated) {
        const p = next({
          window: event.window,
          ...(plan.status === 'scheduled' && { status: 'approved' as const }),
        });
        return {
          plan: p,
          effects: [audit(p, from, event.type, by, `window is now ${event.window.description}`)],
        };
      }
      // An approval is bound to the window: a new window voids it and asks again.
      const round = approvalRound(plan, (plan.approval?.round ?? 0) + 1, event.requestId, now);
      const p = next({ status: 'awaiting-approval', window: event.window, approval: round });
      return {
        plan: p,
        effects: [
          audit(
            p,
            from,
            event.type,
            by,
            `window is now ${event.window.description}; earlier approvals are void`,
          ),
          requestEffect(p, round, 'request', round.approvers),
        ],
      };
    }

    case 'Superseded': {
      const p = next({ status: 'superseded', supersededBy: event.supersededBy });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `superseded by plan ${event.supersededBy} to ${event.newTarget}`),
        ],
      };
    }

    case 'Scheduled': {
      if (!plan.gate.autoExecute)
        throw new IllegalTransitionError(`${plan.status} (auto-execute off)`, event.type);
      const p = next({ status: 'scheduled', window: event.window });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `scheduled for ${event.window.description}`),
          notice(
            p,
            'plan-scheduled',
            'info',
            `${planTitle(p)} scheduled`,
            `Runs in ${event.window.description}.`,
            ['owners'],
          ),
        ],
      };
    }

    case 'StepStarted': {
      const step = stepFor(plan, event, (st) => st.status === 'pending');
      if (plan.steps.some((s, i) => i < event.step && s.status !== 'succeeded'))
        throw new IllegalTransitionError(`${plan.status} (an earlier step has not succeeded)`, event.type);
      const steps = plan.steps.map((s, i) =>
        i === event.step
          ? {
              ...s,
              status: 'running' as const,
              startedAt: at,
              ...(event.operationId !== undefined && { operationId: event.operationId }),
            }
          : s,
      );
      const p = next({ status: 'running', steps });
      const effects: PlanEffect[] = [
        audit(p, from, event.type, by, `step ${event.step + 1}/${plan.steps.length}: ${stepLabel(step)}`),
        {
          type: 'arm',
          action: armAction(step),
          planId: p.id,
          clusterId: p.cluster.id,
          step: event.step,
          ...(step.kind !== 'control-plane' && { pool: step.pool }),
          version: step.to,
        },
      ];
      if (from !== 'running')
        effects.push(
          notice(
            p,
            'plan-started',
            'info',
            `${planTitle(p)} started`,
            `${plan.steps.length} step(s), first: ${stepLabel(step)}.`,
            ['owners'],
          ),
        );
      return { plan: p, effects };
    }

    case 'StepSucceeded': {
      const step = stepFor(plan, event, (st) => st.status === 'running');
      const steps = plan.steps.map((s, i) =>
        i === event.step ? { ...s, status: 'succeeded' as const, finishedAt: at } : s,
      );
      const p = next({ steps });
      const effects: PlanEffect[] = [
        audit(
          p,
          from,
          event.type,
          by,
          `step ${event.step + 1}/${plan.steps.length} succeeded: ${stepLabel(step)}`,
        ),
      ];
      if (step.kind !== 'control-plane')
        effects.push(
          notice(
            p,
            'pool-succeeded',
            'info',
            `${plan.cluster.name}: pool ${step.pool} upgraded`,
            `${stepLabel(step)} succeeded.`,
            ['owners'],
          ),
        );
      return { plan: p, effects };
    }

    case 'StepFailed': {
      const step = stepFor(plan, event, (st) => st.status === 'running');
      const steps = plan.steps.map((s, i) =>
        i === event.step ? { ...s, status: 'failed' as const, finishedAt: at, error: event.reason } : s,
      );
      const p = next({ status: 'failed', steps, failure: { step: event.step, reason: event.reason } });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `step ${event.step + 1} failed: ${event.reason}`),
          notice(
            p,
            step.kind === 'control-plane' ? 'plan-failed' : 'pool-failed',
            'critical',
            `${planTitle(p)} failed at ${stepLabel(step)}`,
            event.reason,
            ['oncall', 'owners', 'platform'],
          ),
        ],
      };
    }

    case 'PlanSucceeded': {
      const left = plan.steps.filter((s) => s.status !== 'succeeded');
      if (left.length > 0)
        throw new IllegalTransitionError(`${plan.status} (${left.length} step(s) not succeeded)`, event.type);
      const p = next({ status: 'succeeded' });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `all ${plan.steps.length} step(s) succeeded`),
          notice(
            p,
            'plan-succeeded',
            'info',
            `${planTitle(p)} succeeded`,
            `All ${plan.steps.length} step(s) succeeded.`,
            ['owners', 'oncall'],
          ),
        ],
      };
    }

    case 'StepBlocked': {
      const step = stepFor(plan, event, (st) => st.status !== 'succeeded' && st.status !== 'failed');
      // Nothing started: the step goes back to pending, to be sent again only after a force approval.
      const steps = plan.steps.map((s, i) =>
        i === event.step ? { ...s, status: 'pending' as const, error: event.reason } : s,
      );
      const blocked: PlanBlock = {
        step: event.step,
        reason: event.reason,
        deprecatedApis: event.deprecatedApis,
        at,
        requestId: event.requestId,
      };
      const p = next({ status: 'blocked', steps, blocked });
      const apis = event.deprecatedApis.length > 0 ? ` APIs: ${event.deprecatedApis.join(', ')}.` : '';
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, `${stepLabel(step)} blocked: ${event.reason}`),
          notice(
            p,
            'plan-blocked',
            'critical',
            `${planTitle(p)} blocked by deprecated API usage`,
            `${event.reason}.${apis} Migrate the callers (AKS looks back 12 h), or approve a force upgrade.`,
            ['oncall', 'owners', 'platform'],
          ),
        ],
      };
    }

    case 'ForceUpgradeApproved': {
      const approver = event.approver.toLowerCase();
      if (approver === plan.initiator.toLowerCase())
        throw new ForbiddenError('the initiator of a plan cannot approve it');
      const p = next({ status: 'approved', forceUpgrade: { approver, at, until: event.until } });
      return {
        plan: p,
        effects: [
          audit(
            p,
            from,
            event.type,
            by,
            `force upgrade approved by ${approver} until ${event.until}`,
            event.comment,
          ),
          notice(
            p,
            'plan-approved',
            'warning',
            `${planTitle(p)}: force upgrade approved by ${approver}`,
            `The control plane is upgraded despite the deprecated API usage (${(plan.blocked?.deprecatedApis ?? []).join(', ') || 'see the plan'}).`,
            ['oncall', 'owners', 'platform'],
          ),
        ],
      };
    }

    case 'Cancelled': {
      if (plan.steps.some((s) => s.status !== 'pending'))
        throw new IllegalTransitionError(`${plan.status} (a step has started)`, event.type);
      const p = next({ status: 'cancelled' });
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, event.reason),
          notice(p, 'plan-cancelled', 'info', `${planTitle(p)} cancelled`, event.reason, [
            'owners',
            'oncall',
          ]),
        ],
      };
    }

    case 'FleetGateCompleted': {
      if (plan.kind !== 'fleet-gate')
        throw new IllegalTransitionError(`${plan.status} (not a Fleet gate)`, event.type);
      const p = next({ status: 'succeeded' });
      const place = p.fleetGate ? ` ${p.fleetGate.target.runName} may go on` : '';
      return {
        plan: p,
        effects: [
          audit(p, from, event.type, by, 'Fleet gate set to Completed'),
          notice(
            p,
            'plan-succeeded',
            'info',
            `${planTitle(p)}: Fleet gate completed`,
            `Warden set the Fleet gate to Completed after the approval;${place}.`,
            ['owners', 'oncall'],
          ),
        ],
      };
    }

    case 'UrgencyRaised': {
      const order: Record<Urgency, number> = { normal: 0, high: 1, critical: 2 };
      const urgency = order[event.urgency] > order[plan.urgency] ? event.urgency : plan.urgency;
      const deadline =
        event.deadline !== undefined && (plan.deadline === undefined || event.deadline < plan.deadline)
          ? event.deadline
          : plan.deadline;
      const p = next({ urgency, ...(deadline !== undefined && { deadline }) });
      return { plan: p, effects: [audit(p, from, event.type, by, event.reason)] };
    }

    case 'PreflightChecked': {
      const p = next({ preflight: event.report });
      const failing = event.report.checks.filter((c) => c.status === 'fail' || c.status === 'unknown');
      const reason = `pre-flight ${event.report.verdict}${failing.length > 0 ? `: ${[...new Set(failing.map((c) => `${c.id} ${c.status}`))].join(', ')}` : ''}`;
      return { plan: p, effects: [audit(p, from, event.type, by, reason)] };
    }

    default: {
      const unknown: never = event;
      throw new IllegalTransitionError(plan.status, (unknown as { type: string }).type);
    }
  }
}

/** What the approval timer should send now, if anything (reminder, escalation, expiry). */
export function approvalTimerEvent(plan: Plan, now: Date, by: By): PlanEvent | undefined {
  const a = plan.approval;
  if (plan.status !== 'awaiting-approval' || a === undefined) return undefined;
  const start = Date.parse(a.requestedAt);
  const end = Date.parse(a.expiresAt);
  const t = now.getTime();
  if (t >= end) return { type: 'ApprovalExpired', by };
  if (a.escalatedAt === undefined && t >= start + (end - start) * plan.gate.escalateAt)
    return { type: 'ApprovalEscalationDue', by };
  if (
    a.remindedAt === undefined &&
    a.escalatedAt === undefined &&
    t >= start + (end - start) * plan.gate.reminderAt
  )
    return { type: 'ApprovalReminderDue', by };
  return undefined;
}

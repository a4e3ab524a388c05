import type { PlanAction } from '../approvals/actionTokens';
import { checkPlanAction, signPlanAction } from '../approvals/actionTokens';
import type { AuditSource, HttpOrigin, Plan } from '../domain/plan';
import { noticeCluster } from '../domain/plan';
import { planTitle, stepLabel } from '../domain/plan';
import {
  ConflictError,
  ForbiddenError,
  IllegalTransitionError,
  NotFoundError,
  UnauthorizedError,
  ValidationError,
} from '../errors';
import { applyPlanEvent } from './planCommands';
import type { RunnerDeps } from './runUpgrades';
import { actionApprovers, clusterRefOf, FORCE_UPGRADE_FOR_MS, runUpgrades } from './runUpgrades';

/**
 * Operator actions on a plan the runner owns: cancel before any step started; abort a
 * running step (ARM `abortLatestOperation`) with a second person's approval; approve the force upgrade
 * of a blocked plan. Approvals use signed links (actionTokens.ts) checked like plan approvals, and every
 * change is a plan transition, so it is audited with who, when and from where.
 */
export type ActionDeps = RunnerDeps;

/** Where a request came from, for the audit trail. */
export type ActionSource = HttpOrigin;

function httpSource(source: ActionSource): AuditSource {
  return {
    kind: 'http',
    ...(source.ip !== undefined && { ip: source.ip }),
    ...(source.claimedForwardedFor !== undefined && { claimedForwardedFor: source.claimedForwardedFor }),
    ...(source.userAgent !== undefined && { userAgent: source.userAgent.slice(0, 300) }),
  };
}

const EMAIL = /^[^\s@<>"']+@[^\s@<>"']+\.[^\s@<>"']+$/;

/** The acting person's email from the request field `field` (`actor` to cancel, `requestedBy` to abort). */
function requireActor(actor: string | undefined, field: 'actor' | 'requestedBy'): string {
  const a = actor?.trim().toLowerCase() ?? '';
  if (!EMAIL.test(a))
    throw new ValidationError(`bad ${field}`, `${field} must be the email address of the person acting`);
  return a;
}

/**
 * Cancels a plan that has not started a step (`approved`, `scheduled`, `blocked`, or earlier).
 * 409 once a step started: abort it instead.
 */
export async function cancelPlan(
  deps: ActionDeps,
  planId: string,
  actorText: string | undefined,
  reasonText: string | undefined,
  source: ActionSource,
): Promise<Plan> {
  const actor = requireActor(actorText, 'actor');
  const reason = (reasonText ?? '').trim().slice(0, 1000) || 'cancelled by an operator';
  try {
    const applied = await applyPlanEvent(
      deps,
      planId,
      () => ({
        type: 'Cancelled',
        reason: `${reason} (${actor})`,
        by: { actor, source: httpSource(source) },
      }),
      deps.now,
    );
    if (!applied) throw new ConflictError('nothing to cancel');
    return applied.plan;
  } catch (e) {
    if (e instanceof IllegalTransitionError)
      throw new ConflictError(
        `plan ${planId} cannot be cancelled: ${e.from}. A started step can only be aborted (POST /api/plans/${planId}/abort).`,
      );
    throw e;
  }
}

export interface AbortRequest {
  readonly plan: Plan;
  /** Who the approval links went to. */
  readonly approvers: readonly string[];
}

/**
 * Asks for a second person's approval to abort the running step: one signed link per approver (not the
 * requester), sent as notices. The link opens a confirmation page; approving there aborts.
 */
export async function requestAbort(
  deps: ActionDeps,
  planId: string,
  requestedByText: string | undefined,
  reasonText: string | undefined,
): Promise<AbortRequest> {
  const requestedBy = requireActor(requestedByText, 'requestedBy');
  const stored = await deps.plans.get(planId);
  if (!stored) throw new NotFoundError(`no plan ${planId}`);
  const plan = stored.plan;
  const index = plan.steps.findIndex((s) => s.status === 'running');
  const step = plan.steps[index];
  if (plan.status !== 'running' || step === undefined)
    throw new ConflictError(`plan ${planId} has no running step to abort (it is ${plan.status})`);
  const now = deps.now();
  const approvers = actionApprovers(deps.policy, plan).filter((a) => a !== requestedBy);
  if (approvers.length === 0)
    throw new ConflictError(
      'no approver other than the requester can approve this abort; add one to the policy',
    );
  const reason = (reasonText ?? '').trim().slice(0, 500);
  const notices = approvers.flatMap((approver) => {
    const token = signPlanAction('abort', plan, approver, deps.keys, now);
    if (token === undefined) return [];
    return [
      {
        kind: 'approval-requested' as const,
        key: `plan:${plan.id}:abort:${index}:${step.startedAt ?? ''}:${requestedBy}`,
        severity: 'critical' as const,
        title: `${plan.cluster.name}: approve abort of ${stepLabel(step)}`,
        summary: `${requestedBy} asks to abort ${stepLabel(step)} of ${planTitle(plan)}${reason !== '' ? `: ${reason}` : ''}. The operation is cancelled in ARM (abortLatestOperation) and the plan fails at this step.`,
        facts: [
          { label: 'Cluster', value: plan.cluster.name },
          { label: 'Step', value: stepLabel(step) },
          { label: 'Requested by', value: requestedBy },
        ],
        actions: [
          {
            label: 'Review abort',
            url: `${deps.baseUrl}/api/plan-actions/${encodeURIComponent(plan.id)}/abort?token=${token}`,
            style: 'destructive' as const,
          },
        ],
        audience: ['oncall' as const],
        cluster: noticeCluster(plan),
        planId: plan.id,
        recipient: approver,
        at: now.toISOString(),
      },
    ];
  });
  await deps.outbox.enqueue(notices, now);
  return { plan, approvers };
}

function problem(status: 400 | 401 | 403 | 409, detail: string): Error {
  switch (status) {
    case 400:
      return new ValidationError('bad token', detail);
    case 401:
      return new UnauthorizedError(detail);
    case 403:
      return new ForbiddenError(detail);
    case 409:
      return new ConflictError(detail);
  }
}

/** Checks a plan-action link against the plan as it is now (the page, and again before acting). */
export async function checkActionLink(
  deps: ActionDeps,
  action: PlanAction,
  planId: string,
  token: string | undefined,
): Promise<{ plan: Plan; approver: string }> {
  const stored = await deps.plans.get(planId);
  if (!stored) throw new NotFoundError(`no plan ${planId}`);
  const check = checkPlanAction(action, stored.plan, token, deps.keys, deps.now());
  if (!check.ok) throw problem(check.status, check.detail);
  const approver = check.claims.approver;
  if (!actionApprovers(deps.policy, stored.plan).includes(approver))
    throw new ForbiddenError(`${approver} may not approve actions on plans in ${stored.plan.cluster.ring}`);
  return { plan: stored.plan, approver };
}

/**
 * Aborts the running step with an approved link: `abortLatestOperation` on the cluster (control-plane
 * step) or the pool, then the step fails "aborted by …". ARM's 409 means the operation had already
 * ended: the runner reconciles instead and the caller hears 409.
 */
export async function abortStep(
  deps: ActionDeps,
  planId: string,
  token: string | undefined,
  comment: string | undefined,
  source: ActionSource,
): Promise<Plan> {
  const { plan, approver } = await checkActionLink(deps, 'abort', planId, token);
  const index = plan.steps.findIndex((s) => s.status === 'running');
  const step = plan.steps[index];
  if (step === undefined) throw new ConflictError('no running step');
  try {
    await deps.aks.abortOperation(clusterRefOf(plan), step.kind === 'control-plane' ? undefined : step.pool);
  } catch (e) {
    if (e instanceof ConflictError) {
      await runUpgrades(deps, { clusterKey: plan.cluster.key });
      throw new ConflictError(`nothing to abort: the operation of ${stepLabel(step)} has already ended`, {
        cause: e,
      });
    }
    throw e;
  }
  const note = (comment ?? '').trim().slice(0, 500);
  const applied = await applyPlanEvent(
    deps,
    planId,
    (p) =>
      p.steps[index]?.status === 'running'
        ? {
            type: 'StepFailed',
            step: index,
            reason: `aborted by ${approver}${note !== '' ? `: ${note}` : ''}`,
            by: { actor: approver, source: httpSource(source) },
          }
        : undefined,
    deps.now,
  );
  return applied?.plan ?? plan;
}

/** Approves the force upgrade of a blocked plan: the control-plane request is sent again with `forceUpgrade`. */
export async function approveForceUpgrade(
  deps: ActionDeps,
  planId: string,
  token: string | undefined,
  comment: string | undefined,
  source: ActionSource,
): Promise<Plan> {
  const { approver } = await checkActionLink(deps, 'force-upgrade', planId, token);
  const until = new Date(deps.now().getTime() + FORCE_UPGRADE_FOR_MS).toISOString();
  const applied = await applyPlanEvent(
    deps,
    planId,
    (p) => {
      const again = checkPlanAction('force-upgrade', p, token, deps.keys, deps.now());
      if (!again.ok) throw problem(again.status, again.detail);
      return {
        type: 'ForceUpgradeApproved',
        approver,
        comment: (comment ?? '').trim().slice(0, 2000),
        until,
        by: { actor: approver, source: httpSource(source) },
      };
    },
    deps.now,
  );
  if (!applied) throw new ConflictError('nothing to approve');
  return applied.plan;
}

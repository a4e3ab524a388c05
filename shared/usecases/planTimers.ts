import type { By, Plan, PlanEvent } from '../domain/plan';
import { approvalTimerEvent } from '../domain/planTransition';
import type { PromotionEvidence } from '../domain/promotion';
import { ConflictError, IllegalTransitionError } from '../errors';
import { applyPlanEvent } from './planCommands';
import type { PlanningDeps } from './proposePlans';
import { evidenceFor, promotionEvent } from './proposePlans';

export interface TickOutcome {
  readonly checked: number;
  readonly changed: {
    readonly planId: string;
    readonly cluster: string;
    readonly from: string;
    readonly to: string;
  }[];
  readonly failed: number;
}

/**
 * The approval timer's work (functions/approvalTimer.ts), every minute:
 *
 * 1. Proposed plans: check promotion again; once the lower ring's evidence holds, approve by policy or
 *    ask for approval.
 * 2. Plans awaiting approval: remind at half-time, escalate to the secondary list, expire at the end.
 *
 * Each change is one ETag-conditional transition; a plan a person decided on meanwhile is skipped.
 */
export async function tickPlans(deps: PlanningDeps, now: () => Date): Promise<TickOutcome> {
  const by: By = { actor: 'warden', source: { kind: 'timer', name: 'approvalTimer' } };
  const open = await deps.plans.openPlans(['proposed', 'awaiting-approval']);
  const evidenceCache = new Map<string, PromotionEvidence>();
  const changed: TickOutcome['changed'] = [];
  let failed = 0;
  for (const stored of open) {
    const plan = stored.plan;
    try {
      let evidence: PromotionEvidence | undefined;
      if (plan.status === 'proposed') {
        const key = `${plan.cluster.ring}|${plan.kind}|${plan.to}|${plan.nodeImage ?? ''}`;
        evidence = evidenceCache.get(key) ?? (await evidenceFor(deps, plan, now()));
        evidenceCache.set(key, evidence);
      }
      const decide = (current: Plan): PlanEvent | undefined =>
        current.status === 'proposed' && evidence !== undefined
          ? promotionEvent(current, evidence, deps.newId(), by)
          : approvalTimerEvent(current, now(), by);
      // Most ticks change nothing: decide on the plan as listed, and only then write.
      const event = decide(plan);
      if (event === undefined) continue;
      if (event.type === 'PromotionSatisfied' && plan.gate.gated && plan.kind !== 'fleet-gate')
        await refreshPreflight(deps, plan, now());
      const applied = await applyPlanEvent(deps, plan.id, decide, now, {
        ...(event.type !== 'PromotionSatisfied' && { read: stored }),
      });
      if (applied && applied.plan.status !== applied.previous.status) {
        changed.push({
          planId: plan.id,
          cluster: plan.cluster.name,
          from: applied.previous.status,
          to: applied.plan.status,
        });
      }
    } catch (e) {
      if (e instanceof IllegalTransitionError || e instanceof ConflictError) continue;
      failed++;
      deps.log.error(`approval timer: plan ${plan.id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return { checked: open.length, changed, failed };
}

/**
 * Before an approval request goes out: a pre-flight report older than the policy's `preflight.maxAge`
 * (or none) is run again and recorded, so the approver sees a current verdict.
 */
async function refreshPreflight(deps: PlanningDeps, plan: Plan, now: Date): Promise<void> {
  const at = plan.preflight === undefined ? Number.NaN : Date.parse(plan.preflight.checkedAt);
  if (deps.preflight === undefined || now.getTime() - at < deps.policy.preflight.maxAgeMs) return;
  const report = await deps.preflight.check(plan);
  await applyPlanEvent(
    deps,
    plan.id,
    (p) => (p.status === 'proposed' ? { type: 'PreflightChecked', report, by: PREFLIGHT_BY } : undefined),
    () => now,
  );
}

const PREFLIGHT_BY: By = { actor: 'warden', source: { kind: 'timer', name: 'approvalTimer' } };

import type { ApprovalLinks } from '../approvals/links';
import type { ApprovalKeys } from '../approvals/tokens';
import type { Plan } from '../domain/plan';
import type { Policy } from '../domain/policy';
import type { Logger } from '../logging';
import type { PlanStore } from '../store/planStore';
import type { ApprovalDeps } from './decideApproval';
import type { FleetGateDeps } from './fleetGates';
import { settleGatePlan } from './fleetGates';

/**
 * The approval use case's ports: the plans, links, keys and policy, and, where Fleet gates are wired,
 * the step that carries a closed decision to Fleet at once.
 */
export function approvalDeps(
  s: {
    readonly plans: PlanStore;
    readonly links: ApprovalLinks;
    readonly approvalKeys: ApprovalKeys;
    readonly policy: Policy;
    readonly fleetGates?: () => Omit<FleetGateDeps, 'log'>;
  },
  log: Logger,
): ApprovalDeps {
  const gates = s.fleetGates;
  return {
    plans: s.plans,
    links: s.links,
    keys: s.approvalKeys,
    policy: s.policy,
    log,
    ...(gates !== undefined && {
      afterDecision: (plan: Plan) => settleGatePlan({ ...gates(), log }, plan),
    }),
  };
}

import type { Notice } from '../domain/notice';
import type { Plan, PlanEffect } from '../domain/plan';
import { noticeCluster } from '../domain/plan';
import { planTitle, windowKey } from '../domain/plan';
import { preflightNoticeFacts } from '../domain/preflight';
import { formatAt } from '../notify/templates/common';
import type { ApprovalClaims, ApprovalKeys } from './tokens';
import { signToken, windowDigest } from './tokens';

type RequestEffect = Extract<PlanEffect, { type: 'request-approval' }>;

/**
 * Approval links: one signed link per approver per round. The HMAC is deterministic, so the same
 * link can be shown again to an operator (`GET /api/plans/{id}/approval-links`) without storing it.
 */
export class ApprovalLinks {
  constructor(
    private readonly keys: ApprovalKeys,
    private readonly baseUrl: string,
  ) {}

  claimsFor(plan: Plan, approver: string): ApprovalClaims | undefined {
    const a = plan.approval;
    if (a === undefined) return undefined;
    return {
      planId: plan.id,
      approver: approver.toLowerCase(),
      target: plan.to,
      nodeImage: plan.nodeImage ?? '',
      window: windowDigest(windowKey(plan.window)),
      round: a.round,
      requestId: a.requestId,
      exp: Math.floor(Date.parse(a.expiresAt) / 1000),
    };
  }

  linkFor(plan: Plan, approver: string): string | undefined {
    const claims = this.claimsFor(plan, approver);
    if (claims === undefined) return undefined;
    return `${this.baseUrl}/api/approvals/${encodeURIComponent(plan.id)}?token=${signToken(claims, this.keys)}`;
  }

  /** The personal notices of an approval request, reminder or escalation: one per approver, with its link. */
  noticesFor(plan: Plan, effect: RequestEffect): Notice[] {
    const kind =
      effect.mode === 'request'
        ? 'approval-requested'
        : effect.mode === 'reminder'
          ? 'approval-reminder'
          : 'approval-escalated';
    const verb =
      effect.mode === 'reminder'
        ? 'reminder: approve'
        : effect.mode === 'escalation'
          ? 'escalated: approve'
          : 'approve';
    const what =
      plan.kind === 'node-image' ? `node image ${plan.nodeImage ?? ''}` : `${plan.from} → ${plan.to}`;
    if (effect.approvers.length === 0 && effect.mode === 'request') return [this.nobodyToAsk(plan, effect)];
    return effect.approvers.flatMap((approver): Notice[] => {
      const url = this.linkFor(plan, approver);
      if (url === undefined) return [];
      return [
        {
          kind,
          key: effect.key,
          severity: plan.urgency === 'critical' || effect.mode === 'escalation' ? 'critical' : 'warning',
          title: `${plan.cluster.name}: ${verb} ${what}`,
          summary:
            `${planTitle(plan)} in ring ${plan.cluster.ring} is awaiting your approval until ${formatAt(effect.expiresAt)}. ` +
            `Open the link to see the plan, the pre-flight checks, the evidence from lower rings and the findings, then approve or reject.` +
            (plan.preflight?.verdict === 'no-go'
              ? ' Pre-flight is no-go: you may approve, and Warden waits for the failing checks before it starts.'
              : ''),
          facts: [
            { label: 'Cluster', value: plan.cluster.name },
            { label: 'Ring', value: plan.cluster.ring },
            { label: 'Kind', value: plan.kind },
            { label: 'Upgrade', value: what },
            { label: 'Window', value: plan.window?.description ?? 'any time' },
            { label: 'Evidence', value: plan.evidence?.reason ?? 'none' },
            { label: 'Expires', value: formatAt(effect.expiresAt) },
            { label: 'Asked', value: `${effect.approvers.join(', ')}, each by email with a personal link` },
            ...preflightNoticeFacts(plan.preflight),
          ],
          actions: [{ label: 'Review and decide', url, style: 'positive' }],
          audience: ['oncall'],
          cluster: noticeCluster(plan),
          planId: plan.id,
          recipient: approver,
          at: plan.updatedAt,
        },
      ];
    });
  }

  /** A gated plan with nobody to ask would wait silently until it expires: tell the platform team. */
  private nobodyToAsk(plan: Plan, effect: RequestEffect): Notice {
    return {
      kind: 'plan-blocked',
      key: `${effect.key}:no-approver`,
      severity: 'warning',
      title: `${planTitle(plan)}: nobody to ask for approval`,
      summary:
        `The plan needs approval in ring ${plan.cluster.ring}, but the policy names no approver for it. ` +
        `Set routes.${plan.cluster.ring}.email (or approvals.allow) in WARDEN_POLICY; the request expires at ${formatAt(effect.expiresAt)}.`,
      facts: [
        { label: 'Cluster', value: plan.cluster.name },
        { label: 'Ring', value: plan.cluster.ring },
        { label: 'Plan', value: plan.id },
      ],
      actions: [],
      audience: ['platform', 'oncall'],
      cluster: noticeCluster(plan),
      planId: plan.id,
      at: plan.updatedAt,
    };
  }
}

import type { Notice } from '../domain/notice';
import type { Plan } from '../domain/plan';
import { noticeCluster } from '../domain/plan';
import type { Wave } from '../domain/wave';
import { waveTitle } from '../domain/wave';
import { formatAt } from '../notify/templates/common';
import type { ApprovalClaims, ApprovalKeys } from './tokens';
import { signToken, windowDigest } from './tokens';

/** The node-image claim of a wave's token: a wave link is never mistaken for a plan's. */
export const WAVE_CLAIM = 'wave';

/**
 * A wave's personal links and requests: the same signed tokens as a plan's (shared/approvals/tokens.ts),
 * their plan id the wave's id, bound to the wave's group and its random request id; one link per
 * approver, signed again on demand (nothing stored).
 */
export class WaveLinks {
  constructor(
    private readonly keys: ApprovalKeys,
    private readonly baseUrl: string,
  ) {}

  claimsFor(wave: Wave, approver: string): ApprovalClaims {
    return {
      planId: wave.id,
      approver: approver.toLowerCase(),
      target: wave.group.target ?? '',
      nodeImage: WAVE_CLAIM,
      window: windowDigest(JSON.stringify(wave.group)),
      round: 1,
      requestId: wave.requestId,
      exp: Math.floor(Date.parse(wave.expiresAt) / 1000),
    };
  }

  linkFor(wave: Wave, approver: string): string {
    return `${this.baseUrl}/api/waves/${encodeURIComponent(wave.id)}?token=${signToken(this.claimsFor(wave, approver), this.keys)}`;
  }

  /** One personal notice per approver: the wave's request, reminder or escalation, with its link. */
  noticesFor(
    wave: Wave,
    plans: readonly Plan[],
    mode: 'request' | 'reminder' | 'escalation',
    approvers: readonly string[],
  ): Notice[] {
    const first = plans[0];
    if (first === undefined) return [];
    const kind =
      mode === 'request'
        ? 'approval-requested'
        : mode === 'reminder'
          ? 'approval-reminder'
          : 'approval-escalated';
    const verb =
      mode === 'reminder' ? 'reminder: approve' : mode === 'escalation' ? 'escalated: approve' : 'approve';
    const title = waveTitle(wave.group, plans.length);
    const verdicts = { go: 0, warn: 0, 'no-go': 0, none: 0 };
    for (const p of plans) verdicts[p.preflight?.verdict ?? 'none']++;
    const names = plans.map((p) => p.cluster.name);
    return approvers.map((approver): Notice => ({
      kind,
      key: `wave:${wave.id}:${mode}`,
      severity: mode === 'escalation' || plans.some((p) => p.urgency === 'critical') ? 'critical' : 'warning',
      title: `Wave: ${verb} ${title}`,
      summary:
        `${plans.length} plans in ring ${wave.group.ring} await your approval until ${formatAt(wave.expiresAt)}, as one decision. ` +
        'Open the link to see every cluster with its evidence and pre-flight verdict, leave out any you do not want to approve, then approve or reject the rest. ' +
        'Each plan keeps its own window; one that changes before you decide is asked again on its own.',
      facts: [
        { label: 'Ring', value: wave.group.ring },
        { label: 'Plans', value: String(plans.length) },
        {
          label: 'Clusters',
          value:
            names.length > 10
              ? `${names.slice(0, 10).join(', ')} and ${names.length - 10} more`
              : names.join(', '),
        },
        ...(wave.group.kind !== undefined ? [{ label: 'Kind', value: wave.group.kind }] : []),
        ...(wave.group.target !== undefined ? [{ label: 'Target', value: wave.group.target }] : []),
        ...(wave.group.window !== undefined ? [{ label: 'Window', value: wave.group.window }] : []),
        {
          label: 'Pre-flight',
          value: `${verdicts.go} go, ${verdicts.warn} warn, ${verdicts['no-go']} no-go${verdicts.none > 0 ? `, ${verdicts.none} not checked` : ''}`,
        },
        { label: 'Expires', value: formatAt(wave.expiresAt) },
        { label: 'Asked', value: `${approvers.join(', ')}, each by email with a personal link` },
      ],
      actions: [{ label: 'Review and decide', url: this.linkFor(wave, approver), style: 'positive' }],
      audience: ['oncall'],
      cluster: noticeCluster(first),
      recipient: approver,
      at: wave.askedAt ?? wave.createdAt,
    }));
  }
}

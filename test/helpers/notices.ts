import type { Notice, NoticeKind } from '../../shared/domain/notice';

export const ALL_NOTICE_KINDS: readonly NoticeKind[] = [
  'approval-requested',
  'approval-reminder',
  'approval-escalated',
  'plan-approved',
  'plan-rejected',
  'approval-expired',
  'plan-scheduled',
  'plan-started',
  'pool-succeeded',
  'pool-failed',
  'plan-succeeded',
  'plan-failed',
  'plan-blocked',
  'plan-cancelled',
  'support-ending',
  'support-ended',
  'aks-advance-notice',
  'auto-upgrade-conflict',
  'daily-digest',
  'notice-batch',
];

export const PROD_CLUSTER = {
  id: '/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-prod/providers/Microsoft.ContainerService/managedClusters/prod-weu-1',
  name: 'prod-weu-1',
  ring: 'production' as const,
  tags: { environment: 'prod', 'owner-email': 'payments@contoso.example', 'teams-channel': 'payments' },
};

/** A realistic notice of any kind, as the plan engine would build it. */
export function sampleNotice(kind: NoticeKind, overrides: Partial<Notice> = {}): Notice {
  const approval = kind.startsWith('approval-') && kind !== 'approval-expired';
  return {
    kind,
    key: `plan:p-123:${kind}`,
    severity:
      kind.endsWith('failed') || kind === 'support-ended' ? 'critical' : approval ? 'warning' : 'info',
    title: `prod-weu-1: ${approval ? 'approve' : kind.replace(/-/g, ' ')} 1.29.7 → 1.30.3`,
    summary:
      'Kubernetes 1.30.3 has soaked 7 days in staging with 3 successful upgrades and no failure. ' +
      'The upgrade runs in the Saturday 02:00–06:00 UTC window.',
    facts: [
      { label: 'Cluster', value: 'prod-weu-1 (West Europe)' },
      { label: 'From → to', value: '1.29.7 → 1.30.3' },
      { label: 'Window', value: 'Sat 29 Nov 02:00–06:00 UTC' },
      { label: 'Findings', value: '1 warning: max surge 10% (recommended 33%)' },
    ],
    actions: approval
      ? [
          {
            label: 'Review and approve',
            url: 'http://127.0.0.1:7071/api/approvals/p-123?token=abc',
            style: 'positive',
          },
          {
            label: 'Reject',
            url: 'http://127.0.0.1:7071/api/approvals/p-123?token=abc&d=reject',
            style: 'destructive',
          },
        ]
      : [{ label: 'Open the plan', url: 'http://127.0.0.1:7071/api/plans/p-123' }],
    audience: approval ? ['oncall'] : ['oncall', 'owners'],
    cluster: PROD_CLUSTER,
    planId: 'p-123',
    at: '2026-11-25T09:00:00.000Z',
    ...overrides,
  };
}

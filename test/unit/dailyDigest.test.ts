import type { Notice } from '../../shared/domain/notice';
import type { DigestCluster, DigestPlan } from '../../shared/notify/digest';
import { buildDigests } from '../../shared/notify/digest';
import { renderEmail } from '../../shared/notify/templates/email';
import { sendDailyDigest } from '../../shared/usecases/sendDailyDigest';

const cluster = (name: string, owner: string, overrides: Partial<DigestCluster> = {}): DigestCluster => ({
  id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
  name,
  ring: 'production',
  tags: { 'owner-email': owner },
  version: '1.30.3',
  support: 'supported',
  findings: [],
  ...overrides,
});

const clusters: DigestCluster[] = [
  cluster('prod-weu-1', 'payments@contoso.example', {
    support: 'unsupported',
    version: '1.27.9',
    findings: [{ severity: 'critical', title: 'Kubernetes 1.27 is out of support' }],
  }),
  cluster('prod-neu-1', 'payments@contoso.example; retail@contoso.example', {
    findings: [
      { severity: 'warning', title: 'Max surge 10% (recommended 33%)' },
      { severity: 'info', title: 'Node image is 12 days old' },
    ],
  }),
  cluster('dev-weu-1', 'retail@contoso.example', { ring: 'dev' }),
];
const plans: DigestPlan[] = [
  {
    planId: 'p-1',
    clusterId: clusters[0]?.id.toUpperCase() ?? '',
    clusterName: 'prod-weu-1',
    from: '1.27.9',
    to: '1.28.15',
    status: 'awaiting-approval',
  },
];
const NOW = new Date('2026-11-25T07:00:00Z');

describe('the daily digest', () => {
  it('gives the platform team the whole fleet and each owner their own clusters', () => {
    const digests = buildDigests(clusters, plans, NOW, 'https://warden.example');
    expect(digests.map((d) => [d.key, d.recipient ?? d.audience.join(',')])).toEqual([
      ['digest:platform:2026-11-25', 'platform'],
      ['digest:owner:payments@contoso.example:2026-11-25', 'payments@contoso.example'],
      ['digest:owner:retail@contoso.example:2026-11-25', 'retail@contoso.example'],
    ]);
    const [fleet, payments, retail] = digests;
    expect(fleet?.title).toBe('Fleet digest 2026-11-25: 3 clusters, 1 needs attention');
    expect(fleet?.summary).toContain('3 clusters: 2 supported, 0 on platform support, 1 unsupported.');
    expect(fleet?.summary).toContain('1 open plan (1 awaiting approval).');
    expect(fleet?.facts).toEqual([
      { label: 'prod-weu-1: 1.27.9 → 1.28.15', value: 'awaiting approval' },
      { label: 'prod-weu-1 (critical)', value: 'Kubernetes 1.27 is out of support' },
      { label: 'prod-neu-1 (warning)', value: 'Max surge 10% (recommended 33%)' },
    ]);
    expect(payments?.summary).toContain('2 clusters');
    expect(payments?.facts.map((f) => f.label)).toContain('prod-weu-1: 1.27.9 → 1.28.15');
    expect(retail?.facts.map((f) => f.label)).toEqual(['prod-neu-1 (warning)']);
    expect(fleet?.actions[0]).toEqual({
      label: 'Open the dashboard',
      url: 'https://warden.example/api/dashboard',
    });
  });

  it("gives each team's Teams channel (the teams-channel tag) its own clusters", () => {
    const tagged = [
      cluster('prod-a', 'payments@contoso.example', {
        tags: { 'owner-email': 'payments@contoso.example', 'Teams-Channel': 'payments; platform' },
      }),
      cluster('prod-b', 'retail@contoso.example', {
        tags: { 'owner-email': 'retail@contoso.example', 'teams-channel': 'retail' },
      }),
      cluster('prod-c', 'retail@contoso.example', {
        tags: { 'owner-email': 'retail@contoso.example', 'teams-channel': 'retail, retail' },
      }),
    ];
    const channels = buildDigests(tagged, [], NOW, 'https://warden.example').filter(
      (d) => d.teamsChannel !== undefined,
    );
    expect(
      channels.map((d) => [d.key, d.teamsChannel, d.recipient, d.summary.match(/^\d+ clusters?/)?.[0]]),
    ).toEqual([
      ['digest:teams:payments:2026-11-25', 'payments', undefined, '1 cluster'],
      ['digest:teams:platform:2026-11-25', 'platform', undefined, '1 cluster'],
      ['digest:teams:retail:2026-11-25', 'retail', undefined, '2 clusters'],
    ]);
  });

  it('stays short on a phone for a big fleet', () => {
    const many = Array.from({ length: 300 }, (_, i) =>
      cluster(`c-${i}`, 'ops@contoso.example', {
        findings: [{ severity: 'warning', title: 'No maintenance window' }],
      }),
    );
    const [fleet] = buildDigests(many, [], NOW, 'https://warden.example');
    expect(fleet?.facts).toHaveLength(21);
    expect(fleet?.facts.at(-1)).toEqual({ label: 'More', value: '280 more: open the dashboard' });
    expect(renderEmail(fleet as Notice).plainText.split('\n').length).toBeLessThan(60);
  });

  it('enqueues the digests with day keys, so a second run the same day repeats nothing', async () => {
    const enqueued: Notice[] = [];
    const ports = {
      sources: { clusters: () => Promise.resolve(clusters), openPlans: () => Promise.resolve(plans) },
      outbox: {
        enqueue: (notices: readonly Notice[]) => {
          enqueued.push(...notices);
          return Promise.resolve();
        },
      },
      baseUrl: 'https://warden.example',
    };
    await sendDailyDigest(ports, NOW);
    await sendDailyDigest(ports, new Date('2026-11-25T19:00:00Z'));
    expect(new Set(enqueued.map((n) => n.key)).size).toBe(3);
  });
});

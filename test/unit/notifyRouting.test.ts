import type { NotificationRoutes } from '../../shared/notify/routing';
import { routeNotice } from '../../shared/notify/routing';
import { PROD_CLUSTER, sampleNotice } from '../helpers/notices';

const routes: NotificationRoutes = {
  routes: {
    production: {
      email: ['oncall-prod@contoso.example'],
      teams: ['prod-oncall'],
      secondary: { email: ['lead@contoso.example'], teams: ['leads'] },
    },
    staging: { email: ['oncall-stg@contoso.example'], teams: [], secondary: { email: [], teams: [] } },
  },
  platform: { email: ['platform@contoso.example'], teams: ['platform'] },
};
const workflows = new Set(['prod-oncall', 'leads', 'platform', 'payments']);
const route = (notice: Parameters<typeof routeNotice>[0], webhook = false) =>
  routeNotice(notice, { routes, teamsWorkflows: workflows, webhook });
const targets = (notice: Parameters<typeof routeNotice>[0], webhook = false) =>
  route(notice, webhook)
    .deliveries.map((d) => `${d.channel}:${d.to}`)
    .sort();

describe('routing notices', () => {
  it('sends on-call notices to the route of the cluster’s ring', () => {
    expect(targets(sampleNotice('plan-started', { audience: ['oncall'] }))).toEqual([
      'email:oncall-prod@contoso.example',
      'teams:prod-oncall',
    ]);
    const staging = { ...PROD_CLUSTER, name: 'stg-weu-1', ring: 'staging' as const, tags: {} };
    expect(targets(sampleNotice('plan-started', { audience: ['oncall'], cluster: staging }))).toEqual([
      'email:oncall-stg@contoso.example',
    ]);
  });

  it('escalates to the ring’s secondary route', () => {
    expect(targets(sampleNotice('approval-escalated', { audience: ['oncall-secondary'] }))).toEqual([
      'email:lead@contoso.example',
      'teams:leads',
    ]);
  });

  it('reaches owners through their owner-email and teams-channel tags', () => {
    expect(targets(sampleNotice('pool-failed', { audience: ['owners'] }))).toEqual([
      'email:payments@contoso.example',
      'teams:payments',
    ]);
    const cluster = {
      ...PROD_CLUSTER,
      tags: {
        'Owner-Email': 'a@contoso.example; b@contoso.example, not-an-address',
        'TEAMS-CHANNEL': 'payments',
      },
    };
    const result = route(sampleNotice('pool-failed', { audience: ['owners'], cluster }));
    expect(result.deliveries.map((d) => d.to).sort()).toEqual([
      'a@contoso.example',
      'b@contoso.example',
      'payments',
    ]);
    expect(result.skipped).toEqual([
      { value: 'not-an-address', reason: 'tag owner-email: not an email address' },
    ]);
  });

  it('never takes a URL from a tag, and ignores workflow names that are not configured', () => {
    const cluster = {
      ...PROD_CLUSTER,
      tags: { 'teams-channel': 'https://evil.example/hook, unknown-team' },
    };
    const result = route(sampleNotice('pool-failed', { audience: ['owners'], cluster }));
    expect(result.deliveries).toEqual([]);
    expect(result.skipped.map((s) => s.reason)).toEqual([
      'tag teams-channel: a URL is never taken from a tag or route, only a configured workflow name',
      'tag teams-channel: no Teams workflow named "unknown-team" in WARDEN_TEAMS_WORKFLOWS',
    ]);
  });

  it('announces the same address once, whichever audiences lead to it', () => {
    const cluster = {
      ...PROD_CLUSTER,
      tags: { 'owner-email': 'ONCALL-prod@contoso.example', 'teams-channel': 'prod-oncall' },
    };
    expect(
      targets(sampleNotice('plan-failed', { audience: ['oncall', 'owners', 'oncall'], cluster })),
    ).toEqual(['email:oncall-prod@contoso.example', 'teams:prod-oncall']);
  });

  it('emails a personal notice (approval link) only to its recipient; the channel and webhook get one copy', () => {
    const personal = (recipient: string) =>
      targets(sampleNotice('approval-requested', { recipient, audience: ['oncall'] }), true);
    expect(personal('approver@contoso.example')).toEqual([
      'email:approver@contoso.example',
      'teams:prod-oncall',
      'webhook:webhook',
    ]);
    expect(personal('other@contoso.example')).toEqual([
      'email:other@contoso.example',
      'teams:prod-oncall',
      'webhook:webhook',
    ]);
    expect(
      targets(
        sampleNotice('approval-escalated', {
          recipient: 'lead@contoso.example',
          audience: ['oncall-secondary'],
        }),
      ),
    ).toEqual(['email:lead@contoso.example', 'teams:leads']);
  });

  it("sends a team's digest only to its Teams channel, and nowhere when no workflow has that name", () => {
    const { cluster: _c, ...digest } = sampleNotice('daily-digest', { audience: ['owners'] });
    expect(targets({ ...digest, teamsChannel: 'prod-oncall' }, true)).toEqual([
      'teams:prod-oncall',
      'webhook:webhook',
    ]);
    expect(targets({ ...digest, teamsChannel: 'no-such-workflow' })).toEqual([]);
  });

  it('sends fleet-wide notices and the digest to the platform route', () => {
    const { cluster: _c, ...fleetWide } = sampleNotice('daily-digest', { audience: ['platform'] });
    expect(targets(fleetWide)).toEqual(['email:platform@contoso.example', 'teams:platform']);
    expect(targets({ ...fleetWide, audience: ['oncall'] })).toEqual([
      'email:platform@contoso.example',
      'teams:platform',
    ]);
  });

  it('uses the policy’s owner tag name', () => {
    const cluster = { ...PROD_CLUSTER, tags: { 'team-mail': 'team@contoso.example' } };
    const result = routeNotice(sampleNotice('plan-started', { audience: ['owners'], cluster }), {
      routes: { ...routes, ownerTag: 'team-mail' },
      teamsWorkflows: workflows,
      webhook: false,
    });
    expect(result.deliveries).toEqual([{ channel: 'email', to: 'team@contoso.example' }]);
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import { connectionStringFor } from '../../local/azurite';
import type { OutboxMessage } from '../../local/outbox';
import { startLocalNotifications } from '../../local/outbox';
import { sharedCopy } from '../../shared/notify/notifier';
import { routeNotice } from '../../shared/notify/routing';
import { TableOutbox } from '../../shared/store/outboxStore';
import { Tables } from '../../shared/store/tables';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { PROD_CLUSTER, sampleNotice } from '../helpers/notices';
import { waitFor } from '../helpers/waitFor';

let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
});
afterAll(async () => {
  await warden.stop();
});

describe('npm start: what was sent, at /_local/outbox', () => {
  it('shows the approval email and the Teams card with clickable links after the dispatcher runs', async () => {
    expect(await (await fetch(`${warden.url}/_local/outbox.json`)).json()).toEqual([]);

    // A producer in the app writes to the same outbox table (default prefix) in the runtime's Azurite.
    const tables = new Tables(
      { kind: 'connectionString', connectionString: connectionStringFor(warden.storageUrl) },
      'warden',
    );
    const outbox = new TableOutbox(
      tables,
      (notice) =>
        routeNotice(notice, {
          routes: {
            routes: { production: { email: [], teams: ['production'], secondary: { email: [], teams: [] } } },
            platform: { email: [], teams: [] },
          },
          teamsWorkflows: new Set(['production']),
          webhook: false,
        }).deliveries,
      undefined,
      (notice) => sharedCopy(notice, warden.url),
    );
    const link = `${warden.url}/api/approvals/p-123?token=abc`;
    const now = new Date();
    await outbox.enqueue(
      [
        sampleNotice('approval-requested', {
          key: 'plan:p-123:1:approval-requested',
          recipient: 'approver@contoso.example',
          actions: [{ label: 'Review and approve', url: link, style: 'positive' }],
          at: now.toISOString(),
        }),
      ],
      now,
    );

    const run = await fetch(`${warden.url}/admin/functions/notificationDispatcher`, { method: 'POST' });
    expect(run.status).toBe(202);

    const sent = (await (await fetch(`${warden.url}/_local/outbox.json`)).json()) as OutboxMessage[];
    const email = sent.find((m) => m.channel === 'email');
    const card = sent.find((m) => m.channel === 'teams');
    expect(email).toMatchObject({
      to: 'approver@contoso.example',
      subject: '[Warden] prod-weu-1: approve 1.29.7 → 1.30.3',
    });
    // The personal link first, then the pages that say what happens next.
    expect(email?.links).toEqual([
      link,
      `${warden.url}/api/plans/p-123`,
      `${warden.url}/api/clusters${PROD_CLUSTER.id}`,
    ]);
    expect(email?.html).toContain('<a href=');
    expect(email?.text).toContain(link);
    // The channel's card leads to the plan and its cluster; deciding takes the approver's personal link.
    expect(card).toMatchObject({
      to: 'production',
      subject: 'prod-weu-1: approve 1.29.7 → 1.30.3',
      links: [`${warden.url}/api/plans/p-123`, `${warden.url}/api/clusters${PROD_CLUSTER.id}`],
    });
    expect(card?.text).toContain('with the personal link each approver got by email');
    expect(card?.card).toMatchObject({ type: 'AdaptiveCard', version: '1.5' });

    const page = await (await fetch(`${warden.url}/_local/outbox`)).text();
    expect(page).toContain(`<a href="${link.replace(/&/g, '&#38;')}">`);

    const rows = (await (await fetch(`${warden.url}/api/notifications?status=sent`)).json()) as {
      notifications: unknown[];
    };
    expect(rows.notifications).toHaveLength(2);
  });

  it('sends the daily digest to the platform team, each owner and each team channel, from the swept fleet', async () => {
    // One team also reads Warden in Teams: its cluster names a configured workflow in teams-channel.
    const prod = (await (await fetch(`${warden.url}/_sim/clusters/aks-prod-weu-1`)).json()) as {
      tags: Record<string, string>;
    };
    const patched = await fetch(`${warden.url}/_sim/clusters/aks-prod-weu-1`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tags: { ...prod.tags, 'teams-channel': 'production' } }),
    });
    expect(patched.status).toBe(200);
    const sweep = (await (await fetch(`${warden.url}/api/sweep`, { method: 'POST' })).json()) as {
      clusters: number;
    };
    await waitFor(
      async () =>
        ((await (await fetch(`${warden.url}/api/clusters`)).json()) as { clusters: unknown[] }).clusters,
      (list) => list.length === sweep.clusters,
      { what: 'the sweep to store every cluster' },
    );
    expect((await fetch(`${warden.url}/admin/functions/dailyDigest`, { method: 'POST' })).status).toBe(202);
    const digests = await waitFor(
      async () =>
        ((await (await fetch(`${warden.url}/_local/outbox.json`)).json()) as OutboxMessage[]).filter((m) =>
          /digest/.test(m.subject),
        ),
      (list) =>
        list.some((m) => m.to === 'platform-team@contoso.example' && /Fleet digest/.test(m.subject)) &&
        list.some((m) => m.to === 'payments-oncall@contoso.example') &&
        list.some((m) => m.channel === 'teams' && m.to === 'production'),
      { what: 'the digests to be sent' },
    );
    const fleet = digests.find((m) => m.channel === 'email' && /Fleet digest/.test(m.subject));
    expect(fleet?.subject).toMatch(
      new RegExp(`^\\[Warden\\] Fleet digest \\d{4}-\\d{2}-\\d{2}: ${sweep.clusters} clusters`),
    );
    expect(fleet?.text).toMatch(/supported/);
    expect(
      digests.some(
        (m) => m.to === 'payments-oncall@contoso.example' && /Your clusters digest/.test(m.subject),
      ),
    ).toBe(true);
    // The channel's card: that team's one cluster, posted as an Adaptive Card to its workflow.
    const card = digests.find((m) => m.channel === 'teams' && m.to === 'production');
    expect(card?.subject).toMatch(/Your clusters digest .*: 1 cluster/);
    expect(card?.card).toBeDefined();
  });
});

describe('npm start: the Teams workflow simulator', () => {
  it('prints the trigger path its workflow URLs really have', async () => {
    const env: NodeJS.ProcessEnv = {};
    const local = await startLocalNotifications(env);
    try {
      const urls = JSON.parse(env.WARDEN_TEAMS_WORKFLOWS ?? '{}') as Record<string, string>;
      const line = local.lines.find((l) => l.includes('Teams workflows')) ?? '';
      const printed = /(http:\/\/\S+)\/workflows\/\{([^}]+)\}(\S*)\?/.exec(line);
      expect(printed).not.toBeNull();
      const [, base, names, path] = printed!;
      expect(names!.split(',').sort()).toEqual(Object.keys(urls).sort());
      for (const [name, url] of Object.entries(urls))
        expect(url.startsWith(`${base}/workflows/${name}${path}?`)).toBe(true);
    } finally {
      await local.close();
    }
  });
});

describe('npm start: the outbound webhook, received at /_local/webhook', () => {
  it('shows signed CloudEvents in the outbox when WARDEN_WEBHOOK_URL points at the local receiver', async () => {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const local = await startLocalWarden({
      env: {
        PORT: String(port),
        WARDEN_WEBHOOK_URL: `http://127.0.0.1:${port}/_local/webhook`,
        WARDEN_WEBHOOK_SECRET: 'local-webhook-secret-123',
      },
    });
    try {
      const unsigned = await fetch(`${local.url}/_local/webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      expect(unsigned.status).toBe(401);

      const tables = new Tables(
        { kind: 'connectionString', connectionString: connectionStringFor(local.storageUrl) },
        'warden',
      );
      const outbox = new TableOutbox(
        tables,
        (notice) =>
          routeNotice(notice, {
            routes: { routes: {}, platform: { email: [], teams: [] } },
            teamsWorkflows: new Set(),
            webhook: true,
          }).deliveries,
      );
      const now = new Date();
      await outbox.enqueue([sampleNotice('plan-succeeded', { at: now.toISOString() })], now);
      expect(
        (await fetch(`${local.url}/admin/functions/notificationDispatcher`, { method: 'POST' })).status,
      ).toBe(202);
      const sent = (await (await fetch(`${local.url}/_local/outbox.json`)).json()) as OutboxMessage[];
      expect(sent.filter((m) => m.channel === 'webhook')).toEqual([
        expect.objectContaining({
          channel: 'webhook',
          to: '/_local/webhook',
          subject: 'warden.plan-succeeded: prod-weu-1: plan succeeded 1.29.7 → 1.30.3',
          links: [
            'http://127.0.0.1:7071/api/plans/p-123',
            `${local.url}/api/plans/p-123`,
            `${local.url}/api/clusters${PROD_CLUSTER.id}`,
          ],
        }),
      ]);
    } finally {
      await local.stop();
    }
  });
});

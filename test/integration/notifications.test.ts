import { createHash, createHmac, randomBytes } from 'node:crypto';

import { EmailClient } from '@azure/communication-email';
import type { TokenCredential } from '@azure/core-auth';

import { AcsEmailSim, verifyAcsSignature } from '../../local/sim/acs/email';
import { TeamsWorkflowSim } from '../../local/sim/teams/workflow';
import { loadConfig } from '../../shared/config';
import type { Notifier } from '../../shared/notify/notifier';
import { buildNotifier } from '../../shared/notify/notifier';
import type { NotificationRoutes } from '../../shared/notify/routing';
import type { OutboxRow, TableOutbox } from '../../shared/store/outboxStore';
import type { Tables } from '../../shared/store/tables';
import type { DispatchOptions, DispatchOutbox } from '../../shared/usecases/dispatchNotifications';
import { DEFAULT_DISPATCH, dispatchNotifications } from '../../shared/usecases/dispatchNotifications';
import { sampleNotice } from '../helpers/notices';
import { testTables } from '../helpers/storage';

/** Delivery, not batching, is under test here: every notice is sent at once (tested in noticeBatching). */
const EACH_AT_ONCE = JSON.stringify({ batchWindow: 0 });

const T0 = new Date('2026-11-25T09:00:00.000Z');
let clock = T0;
const at = (minutes: number): Date => new Date(T0.getTime() + minutes * 60_000);

const acs = new AcsEmailSim({ clock: () => clock, quota: { perMinute: 1000, perHour: 10_000 } });
const teams = new TeamsWorkflowSim(() => clock);

const routes: NotificationRoutes = {
  routes: {
    production: {
      email: ['oncall-prod@contoso.example'],
      teams: ['prod-oncall'],
      secondary: { email: ['lead@contoso.example'], teams: [] },
    },
  },
  platform: { email: ['platform@contoso.example'], teams: [] },
};

const noCredential = (): TokenCredential => {
  throw new Error('no identity in tests');
};

function notifierFor(tables: Tables, accessKey = acs.accessKey): Notifier {
  const config = loadConfig({
    AzureWebJobsStorage: process.env.WARDEN_TEST_STORAGE,
    WARDEN_POLICY: EACH_AT_ONCE,
    WARDEN_ACS_CONNECTION_STRING: `endpoint=${acs.url}/;accesskey=${accessKey}`,
    WARDEN_ACS_SENDER: 'warden@contoso.example',
    WARDEN_TEAMS_WORKFLOWS: JSON.stringify({
      'prod-oncall': teams.workflowUrl('prod-oncall'),
      payments: teams.workflowUrl('payments'),
    }),
  });
  return buildNotifier(config, tables, () => routes, noCredential);
}

const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const fixedJitter = (): number => 0.5;

async function dispatch(
  n: Notifier,
  now: Date,
  options: DispatchOptions = DEFAULT_DISPATCH,
  outbox?: DispatchOutbox,
) {
  clock = now;
  return dispatchNotifications(
    { outbox: outbox ?? n.outbox, channels: n.channels, log: quiet, random: fixedJitter },
    now,
    options,
  );
}

async function rows(outbox: TableOutbox): Promise<OutboxRow[]> {
  return outbox.list({ limit: 1000 });
}

beforeAll(async () => {
  await acs.start();
  await teams.start();
});
afterAll(async () => {
  await acs.close();
  await teams.close();
});
beforeEach(() => {
  clock = T0;
  acs.clear();
  acs.faults.fail5xx = 0;
  acs.faults.throttle429 = 0;
  acs.faults.outageUntil = undefined;
  teams.posts.length = 0;
  teams.faults.fail5xx = 0;
  teams.faults.throttle429 = 0;
});

describe('ACS Email simulator and the real SDK', () => {
  it('accepts a send signed with the access key and refuses a wrong key with 401', async () => {
    const good = new EmailClient(acs.connectionString, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const poller = await good.beginSend(
      {
        senderAddress: 'warden@contoso.example',
        content: { subject: '[Warden] hello', plainText: 'hello' },
        recipients: { to: [{ address: 'someone@contoso.example' }] },
      },
      { operationId: '6f1c1d1e-0000-4000-8000-000000000001' },
    );
    const result = await poller.pollUntilDone();
    expect(result.status).toBe('Succeeded');
    expect(acs.sent.map((m) => m.to)).toEqual([['someone@contoso.example']]);

    const wrongKey = randomBytes(32).toString('base64');
    const bad = new EmailClient(`endpoint=${acs.url}/;accesskey=${wrongKey}`, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    await expect(
      bad.beginSend({
        senderAddress: 'warden@contoso.example',
        content: { subject: 'x', plainText: 'x' },
        recipients: { to: [{ address: 'someone@contoso.example' }] },
      }),
    ).rejects.toMatchObject({ statusCode: 401 });
    expect(acs.sent).toHaveLength(1);
  });

  it('delivers a repeated Operation-Id once, like the service', async () => {
    const client = new EmailClient(acs.connectionString, {
      allowInsecureConnection: true,
      retryOptions: { maxRetries: 0 },
    });
    const message = {
      senderAddress: 'warden@contoso.example',
      content: { subject: 'once', plainText: 'once' },
      recipients: { to: [{ address: 'someone@contoso.example' }] },
    };
    const id = '6f1c1d1e-0000-4000-8000-000000000002';
    await client.beginSend(message, { operationId: id });
    const again = await client.beginSend(message, { operationId: id });
    expect((await again.pollUntilDone()).id).toBe(id);
    expect(acs.sent.filter((m) => m.operationId === id)).toHaveLength(1);
  });
});

describe('Teams workflow simulator', () => {
  const post = (body: string, name = 'prod-oncall') =>
    fetch(teams.workflowUrl(name), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  const card = (text: string) =>
    JSON.stringify({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text }] },
        },
      ],
    });

  it('accepts an Adaptive Card message with 202', async () => {
    expect((await post(card('hello'))).status).toBe(202);
    expect(teams.posts.map((p) => p.workflow)).toEqual(['prod-oncall']);
  });

  it('refuses legacy MessageCards and other payloads with 400, and over 28 KB with 413', async () => {
    const messageCard = JSON.stringify({ '@type': 'MessageCard', text: 'legacy connector payload' });
    expect((await post(messageCard)).status).toBe(400);
    expect((await post('{"type":"message","attachments":[]}')).status).toBe(400);
    expect((await post('not json')).status).toBe(400);
    expect((await post(card('x'.repeat(29 * 1024)))).status).toBe(413);
    expect(teams.posts).toHaveLength(0);
  });

  it('refuses a URL without the workflow signature', async () => {
    const url = teams.workflowUrl('prod-oncall').replace(/sig=[^&]+/, 'sig=forged');
    expect((await fetch(url, { method: 'POST', body: card('x') })).status).toBe(401);
  });
});

describe('ACS Email simulator quota', () => {
  it('answers 429 with Retry-After over the per-minute quota, and the outbox waits for it', async () => {
    const limited = new AcsEmailSim({ clock: () => clock, quota: { perMinute: 2, perHour: 100 } });
    await limited.start();
    try {
      const tables = testTables();
      const config = loadConfig({
        AzureWebJobsStorage: process.env.WARDEN_TEST_STORAGE,
        WARDEN_POLICY: EACH_AT_ONCE,
        WARDEN_ACS_CONNECTION_STRING: limited.connectionString,
        WARDEN_ACS_SENDER: 'warden@contoso.example',
      });
      const n = buildNotifier(config, tables, () => routes, noCredential);
      const notices = [1, 2, 3].map((i) =>
        sampleNotice('support-ending', { key: `support-ending:q${i}`, audience: ['platform'] }),
      );
      await n.outbox.enqueue(notices, T0);
      const options = { ...DEFAULT_DISPATCH, concurrency: 1 };
      expect(await dispatch(n, T0, options)).toMatchObject({ sent: 2, retrying: 1 });
      expect(limited.requests.map((r) => r.status)).toEqual([202, 202, 429]);
      const waiting = (await n.outbox.list({ status: 'pending' }))[0];
      expect(new Date(waiting?.dueAt ?? 0).getTime()).toBeGreaterThanOrEqual(at(1).getTime());
      expect(await dispatch(n, at(1), options)).toMatchObject({ sent: 1 });
      expect(limited.sent).toHaveLength(3);
    } finally {
      await limited.close();
    }
  });

  it('delivers a burst far over the quota without letting throttling kill a notice', async () => {
    const limited = new AcsEmailSim({ clock: () => clock, quota: { perMinute: 2, perHour: 1000 } });
    await limited.start();
    try {
      const config = loadConfig({
        AzureWebJobsStorage: process.env.WARDEN_TEST_STORAGE,
        WARDEN_POLICY: EACH_AT_ONCE,
        WARDEN_ACS_CONNECTION_STRING: limited.connectionString,
        WARDEN_ACS_SENDER: 'warden@contoso.example',
      });
      const n = buildNotifier(config, testTables(), () => routes, noCredential);
      const burst = Array.from({ length: 12 }, (_, i) =>
        sampleNotice('support-ending', { key: `burst:${i}`, audience: ['platform'] }),
      );
      await n.outbox.enqueue(burst, T0);
      const options = { ...DEFAULT_DISPATCH, maxAttempts: 3 };
      for (let minute = 0; minute <= 30; minute++) await dispatch(n, at(minute), options);
      expect(await n.outbox.list({ status: 'dead' })).toEqual([]);
      expect(limited.sent).toHaveLength(12);
      // One 429 per run at most: the channel is left alone for the rest of the run.
      const throttledPerRun = new Map<string, number>();
      for (const r of limited.requests.filter((x) => x.status === 429))
        throttledPerRun.set(r.at, (throttledPerRun.get(r.at) ?? 0) + 1);
      expect(Math.max(...throttledPerRun.values())).toBeLessThanOrEqual(DEFAULT_DISPATCH.concurrency);
    } finally {
      await limited.close();
    }
  });

  it('refuses a request whose body or path changed after signing', () => {
    const body = Buffer.from('{"a":1}');
    const date = new Date().toUTCString();
    const hash = createHash('sha256').update(body).digest('base64');
    const host = '127.0.0.1:1234';
    const sign = (path: string) =>
      createHmac('sha256', Buffer.from(acs.accessKey, 'base64'))
        .update(`POST\n${path}\n${date};${host};${hash}`)
        .digest('base64');
    const headers = (signature: string) => ({
      host,
      'x-ms-date': date,
      'x-ms-content-sha256': hash,
      authorization: `HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=${signature}`,
    });
    const good = sign('/emails:send?api-version=2025-09-01');
    const check = (url: string, b: Buffer, signature = good) =>
      verifyAcsSignature({
        method: 'POST',
        url,
        headers: headers(signature),
        body: b,
        accessKey: acs.accessKey,
        now: new Date(),
      });
    expect(check('/emails:send?api-version=2025-09-01', body)).toBeUndefined();
    expect(check('/emails:send?api-version=2025-09-01', Buffer.from('{"a":2}'))).toBe(
      'x-ms-content-sha256 does not match the body',
    );
    expect(check('/emails:send?api-version=2023-03-31', body)).toBe('signature mismatch');
    expect(check('/emails:send?api-version=2025-09-01', body, sign('/other'))).toBe('signature mismatch');
  });
});

describe('the outbox and its dispatcher', () => {
  it('writes each notice once per channel and recipient, however often it is enqueued', async () => {
    const n = notifierFor(testTables());
    const notice = sampleNotice('plan-started');
    await n.outbox.enqueue([notice], T0);
    await n.outbox.enqueue([notice, notice], at(1));
    const all = await rows(n.outbox);
    expect(all.map((r) => `${r.channel}:${r.to}`).sort()).toEqual([
      'email:oncall-prod@contoso.example',
      'email:payments@contoso.example',
      'teams:payments',
      'teams:prod-oncall',
    ]);
    expect(all.every((r) => r.status === 'pending')).toBe(true);
  });

  it('emails each approver their own link and posts one card, without personal links, to the on-call channel', async () => {
    const n = notifierFor(testTables());
    const personal = (approver: string) =>
      sampleNotice('approval-requested', {
        key: 'plan:p-1:approval',
        recipient: approver,
        actions: [
          {
            label: 'Review and decide',
            url: `https://warden.example/api/approvals/p-1?token=${approver}`,
            style: 'positive',
          },
        ],
      });
    await n.outbox.enqueue([personal('alice@contoso.example'), personal('bob@contoso.example')], T0);
    const report = await dispatch(n, T0);
    expect(report).toMatchObject({ sent: 3, dead: 0, retrying: 0 });
    const alice = acs.sent.find((m) => m.to.includes('alice@contoso.example'));
    expect(alice?.subject).toBe('[Warden] prod-weu-1: approve 1.29.7 → 1.30.3');
    expect(alice?.html).toContain(
      'href="https://warden.example/api/approvals/p-1?token=alice@contoso.example"',
    );
    expect(alice?.plainText).toContain(
      'https://warden.example/api/approvals/p-1?token=alice@contoso.example',
    );
    expect(alice?.html).not.toContain('token=bob');
    expect(teams.posts.map((p) => p.workflow)).toEqual(['prod-oncall']);
    const card = JSON.stringify(teams.posts[0]?.cards);
    expect(card).not.toContain('token=');
    expect(card).toContain('personal link each approver got by email');
    expect((await rows(n.outbox)).every((r) => r.status === 'sent')).toBe(true);
    expect((await dispatch(n, at(5))).due).toBe(0);
  });

  it('retries a 429 after its Retry-After and a 5xx with backoff, then delivers once', async () => {
    const n = notifierFor(testTables());
    await n.outbox.enqueue([sampleNotice('plan-succeeded', { audience: ['platform'] })], T0);
    acs.faults.throttle429 = 1;
    acs.faults.retryAfterS = 300;
    expect(await dispatch(n, T0)).toMatchObject({ sent: 0, retrying: 1 });
    let [row] = await rows(n.outbox);
    expect(row?.lastError).toMatch(/429/);
    expect(new Date(row?.dueAt ?? 0).getTime()).toBeGreaterThanOrEqual(at(5).getTime());

    expect((await dispatch(n, at(2))).due).toBe(0);
    acs.faults.fail5xx = 1;
    expect(await dispatch(n, at(5))).toMatchObject({ sent: 0, retrying: 1 });
    [row] = await rows(n.outbox);
    expect(row?.lastError).toMatch(/500/);
    // Being throttled does not use up an attempt; the 5xx does.
    expect(row?.attempts).toBe(1);

    expect(await dispatch(n, at(10))).toMatchObject({ sent: 1 });
    expect(acs.sent).toHaveLength(1);
    expect(acs.requests.map((r) => r.status)).toEqual([429, 500, 202]);
  });

  it('delivers every notice exactly once after an ACS outage of 45 minutes', async () => {
    const n = notifierFor(testTables());
    const notices = Array.from({ length: 8 }, (_, i) =>
      sampleNotice('support-ending', { key: `support-ending:c${i}:1.29`, audience: ['platform'] }),
    );
    acs.outage(45 * 60);
    await n.outbox.enqueue(notices, T0);
    for (let minute = 0; minute <= 180; minute++) await dispatch(n, at(minute));
    const all = await rows(n.outbox);
    expect(all).toHaveLength(8);
    expect(all.every((r) => r.status === 'sent')).toBe(true);
    expect(acs.sent).toHaveLength(8);
    expect(new Set(acs.sent.map((m) => m.operationId)).size).toBe(8);
    expect(acs.sent.every((m) => new Date(m.at) >= at(45))).toBe(true);
    expect(acs.requests.filter((r) => r.status === 202)).toHaveLength(8);
  });

  it('does not send twice when the dispatcher dies between send and mark', async () => {
    const n = notifierFor(testTables());
    await n.outbox.enqueue([sampleNotice('plan-failed', { audience: ['platform'] })], T0);
    let died = false;
    const dying: DispatchOutbox = {
      relay: (s) => n.outbox.relay(s),
      due: (now, limit) => n.outbox.due(now, limit),
      claim: (row, now, lease) => n.outbox.claim(row, now, lease),
      markFailed: (row, error, next, options) => n.outbox.markFailed(row, error, next, options),
      markSent: (row, now) => {
        if (!died) {
          died = true;
          return Promise.reject(new Error('process killed'));
        }
        return n.outbox.markSent(row, now);
      },
    };
    const first = await dispatch(n, T0, DEFAULT_DISPATCH, dying);
    expect(first.errors).toEqual([expect.stringMatching(/process killed/)]);
    expect(acs.sent).toHaveLength(1);
    expect((await rows(n.outbox))[0]?.status).toBe('sending');

    expect((await dispatch(n, at(1), DEFAULT_DISPATCH, dying)).due).toBe(0);
    expect(await dispatch(n, at(3), DEFAULT_DISPATCH, dying)).toMatchObject({ sent: 1 });
    expect(acs.sent).toHaveLength(1);
    const accepted = acs.requests.filter((r) => r.status === 202);
    expect(accepted).toHaveLength(2);
    expect(accepted[0]?.operationId).toBe(accepted[1]?.operationId);
    expect((await rows(n.outbox))[0]?.status).toBe('sent');
  });

  it('marks a row dead after the last attempt, with its error, and sends it after an operator retry', async () => {
    const n = notifierFor(testTables());
    const options = { ...DEFAULT_DISPATCH, maxAttempts: 3 };
    await n.outbox.enqueue([sampleNotice('pool-failed', { audience: ['platform'] })], T0);
    acs.outage(24 * 3600);
    for (let minute = 0; minute <= 30; minute++) await dispatch(n, at(minute), options);
    const dead = await n.outbox.list({ status: 'dead' });
    expect(dead).toHaveLength(1);
    expect(dead[0]?.lastError).toMatch(/gave up after 3 attempts: ACS Email: HTTP 503/);

    acs.faults.outageUntil = undefined;
    const retried = await n.outbox.retry(dead[0]?.id ?? '', at(40));
    expect(retried).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await dispatch(n, at(40), options)).toMatchObject({ sent: 1 });
    expect(acs.sent).toHaveLength(1);
  });

  it('keeps an oversized notice within the Table Storage and Teams limits', async () => {
    const n = notifierFor(testTables());
    const huge = sampleNotice('daily-digest', {
      audience: ['owners'],
      summary: 'x'.repeat(40_000),
      facts: [],
    });
    await n.outbox.enqueue([huge], T0);
    const report = await dispatch(n, T0);
    expect(report).toMatchObject({ sent: 2, dead: 0 });
    expect(teams.posts).toHaveLength(1);
    expect(JSON.stringify(teams.posts[0]).length).toBeLessThan(28 * 1024);
  });

  it('deletes sent rows after the retention period, keeping newer ones', async () => {
    const n = notifierFor(testTables());
    await n.outbox.enqueue([sampleNotice('plan-succeeded', { audience: ['platform'] })], T0);
    await dispatch(n, T0);
    await n.outbox.enqueue([sampleNotice('plan-started', { audience: ['platform'] })], at(29 * 24 * 60));
    await dispatch(n, at(29 * 24 * 60));
    const report = await dispatch(n, at(31 * 24 * 60));
    expect(report.purged).toBe(1);
    expect((await rows(n.outbox)).map((r) => r.kind)).toEqual(['plan-started']);
  });

  it('relays notices written inside the caller’s own transaction', async () => {
    const tables = testTables();
    const n = notifierFor(tables);
    const plans = await tables.table('plans');
    const source = { table: 'plans', partitionKey: 'cluster-a' };
    const notice = sampleNotice('plan-approved', { audience: ['platform'] });
    const actions = await n.outbox.transactionActions(source, [notice, notice], T0);
    expect(actions).toHaveLength(1);
    await plans.submitTransaction([
      ['create', { partitionKey: 'cluster-a', rowKey: 'plan-1', status: 'approved' }],
      ...actions,
    ]);
    expect(await n.outbox.relay()).toBe(1);
    expect(await n.outbox.relay()).toBe(0);
    expect(await dispatch(n, T0)).toMatchObject({ sent: 1 });
    expect(acs.sent.map((m) => m.subject)).toEqual(['[Warden] prod-weu-1: plan approved 1.29.7 → 1.30.3']);
    const left = [];
    for await (const e of plans.listEntities()) left.push(e.rowKey);
    expect(left).toEqual(['plan-1']);
  });

  it('reads only marked partitions each run, and every source table in the hourly backstop', async () => {
    const tables = testTables();
    const n = notifierFor(tables);
    const plans = await tables.table('plans');
    const source = { table: 'plans', partitionKey: 'cluster-b' };
    const first = sampleNotice('plan-approved', { key: 'k-1', audience: ['platform'] });
    await plans.submitTransaction(await n.outbox.transactionActions(source, [first], T0));
    expect(await n.outbox.relay(undefined, { now: at(1) })).toBe(1);
    // Past the grace period an emptied partition loses its marker.
    expect(await n.outbox.relay(undefined, { now: at(20) })).toBe(0);
    // An intent without a marker (its writer died between marker and commit, then retried elsewhere):
    // only the backstop finds it.
    const [orphan] = await n.outbox.transactionActions(
      { table: 'plans', partitionKey: 'cluster-c' },
      [sampleNotice('plan-started', { key: 'k-2', audience: ['platform'] })],
      T0,
    );
    expect(await n.outbox.relay(undefined, { now: at(40) })).toBe(0);
    if (orphan) await plans.submitTransaction([orphan]);
    expect(await n.outbox.relay(undefined, { now: at(41) })).toBe(0);
    expect(await n.outbox.relay(undefined, { now: at(42), full: true })).toBe(1);
    expect((await rows(n.outbox)).map((r) => r.noticeKey).sort()).toEqual(['k-1', 'k-2']);
  });
});

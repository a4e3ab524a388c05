import '../helpers/quietFunctions';

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';

import { notificationDispatcherHandler } from '../../functions/notificationDispatcher';
import { notificationRetryHandler, notificationsHandler } from '../../functions/notifications';
import { AcsEmailSim } from '../../local/sim/acs/email';
import { loadConfig } from '../../shared/config';
import type { Notifier } from '../../shared/notify/notifier';
import { buildNotifier } from '../../shared/notify/notifier';
import type { NoticeCloudEvent } from '../../shared/notify/templates/cloudEvent';
import { SIGNATURE_HEADER, verifyWebhook } from '../../shared/notify/templates/cloudEvent';
import { sampleNotice } from '../helpers/notices';
import { testTables } from '../helpers/storage';

/** Delivery, not batching, is under test here: every notice is sent at once (tested in noticeBatching). */
const EACH_AT_ONCE = JSON.stringify({ batchWindow: 0 });

const T0 = new Date('2026-11-25T09:00:00.000Z');
let clock = T0;
const acs = new AcsEmailSim({ clock: () => clock });

const SECRET = 'webhook-secret-for-tests';
const received: { body: string; signature: string; contentType: string }[] = [];
let webhookStatus = 202;
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push({
      body: Buffer.concat(chunks).toString('utf8'),
      signature: String(req.headers[SIGNATURE_HEADER] ?? ''),
      contentType: String(req.headers['content-type'] ?? ''),
    });
    res.writeHead(webhookStatus).end();
  });
});
let webhookUrl = '';

beforeAll(async () => {
  await acs.start();
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks/warden`;
});
afterAll(async () => {
  await acs.close();
  receiver.closeAllConnections();
  await new Promise((r) => receiver.close(r));
});

function setup(): { notifier: Notifier; services: () => { notifier: Notifier; now: () => Date } } {
  const config = loadConfig({
    AzureWebJobsStorage: process.env.WARDEN_TEST_STORAGE,
    WARDEN_POLICY: EACH_AT_ONCE,
    WARDEN_PUBLIC_BASE_URL: 'https://warden.example',
    WARDEN_ACS_CONNECTION_STRING: acs.connectionString,
    WARDEN_ACS_SENDER: 'warden@contoso.example',
    WARDEN_WEBHOOK_URL: webhookUrl,
    WARDEN_WEBHOOK_SECRET: SECRET,
  });
  const notifier = buildNotifier(
    config,
    testTables(),
    () => ({ routes: {}, platform: { email: ['platform@contoso.example'], teams: [] } }),
    () => {
      throw new Error('no identity');
    },
  );
  return { notifier, services: () => ({ notifier, now: () => clock }) };
}

const context = (): InvocationContext =>
  new InvocationContext({ functionName: 'test', logHandler: () => {} });

async function call(
  handler: (request: HttpRequest, context: InvocationContext) => Promise<HttpResponseInit>,
  url: string,
  method = 'GET',
  params: Record<string, string> = {},
) {
  const u = new URL(url);
  const response = await handler(
    new HttpRequest({ method, url, params, query: Object.fromEntries(u.searchParams) }),
    context(),
  );
  return { status: response.status ?? 200, body: response.jsonBody as Record<string, unknown> };
}

const timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

beforeEach(() => {
  clock = T0;
  received.length = 0;
  webhookStatus = 202;
  acs.clear();
  acs.faults.outageUntil = undefined;
});

describe('notification functions', () => {
  it('lists the outbox with delivery state, filtered by status and cluster, without links', async () => {
    const { notifier, services } = setup();
    await notifier.outbox.enqueue([sampleNotice('plan-started', { audience: ['platform'] })], T0);
    const list = notificationsHandler(services);
    const all = await call(list, 'http://x/api/notifications');
    expect(all.status).toBe(200);
    const rows = all.body.notifications as Record<string, unknown>[];
    expect(rows.map((r) => [r.channel, r.to, r.status])).toEqual(
      expect.arrayContaining([
        ['email', 'platform@contoso.example', 'pending'],
        ['webhook', 'webhook', 'pending'],
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain('/api/plans/p-123');
    expect(
      (await call(list, 'http://x/api/notifications?cluster=PROD-WEU-1')).body.notifications,
    ).toHaveLength(2);
    expect((await call(list, 'http://x/api/notifications?cluster=other')).body.notifications).toHaveLength(0);
    expect((await call(list, 'http://x/api/notifications?status=dead')).body.notifications).toHaveLength(0);
    const bad = await call(list, 'http://x/api/notifications?status=lost');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'bad status' });
  });

  it('delivers to the webhook as a signed CloudEvent with a stable id', async () => {
    const { notifier, services } = setup();
    await notifier.outbox.enqueue([sampleNotice('plan-succeeded', { audience: ['platform'] })], T0);
    webhookStatus = 503;
    await notificationDispatcherHandler(services)(timer, context());
    webhookStatus = 202;
    clock = new Date(T0.getTime() + 10 * 60_000);
    await notificationDispatcherHandler(services)(timer, context());
    expect(received).toHaveLength(2);
    const [first, second] = received;
    expect(second?.contentType).toBe('application/cloudevents+json; charset=utf-8');
    expect(verifyWebhook(SECRET, second?.body ?? '', second?.signature ?? '', clock)).toBe(true);
    const event = JSON.parse(second?.body ?? '{}') as NoticeCloudEvent;
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'warden.plan-succeeded',
      source: 'https://warden.example/api/notifications',
    });
    expect((JSON.parse(first?.body ?? '{}') as NoticeCloudEvent).id).toBe(event.id);
    expect(acs.sent).toHaveLength(1);
  });

  it('lets an operator retry a dead notification, which is sent at once', async () => {
    const { notifier, services } = setup();
    await notifier.outbox.enqueue([sampleNotice('pool-failed', { audience: ['platform'] })], T0);
    acs.outage(365 * 24 * 3600);
    for (let minute = 0; minute < 400; minute += 10) {
      clock = new Date(T0.getTime() + minute * 60_000);
      await notificationDispatcherHandler(services)(timer, context());
    }
    const dead = (await call(notificationsHandler(services), 'http://x/api/notifications?status=dead')).body
      .notifications as { id: string; lastError: string; channel: string }[];
    expect(dead.map((d) => d.channel)).toEqual(['email']);
    expect(dead[0]?.lastError).toMatch(/gave up after 10 attempts/);

    acs.faults.outageUntil = undefined;
    const retry = notificationRetryHandler(services);
    const id = dead[0]?.id ?? '';
    const res = await call(retry, `http://x/api/notifications/${id}/retry`, 'POST', { id });
    expect(res.status).toBe(202);
    expect(res.body.notification).toMatchObject({ id, status: 'sent' });
    expect(acs.sent).toHaveLength(1);
    expect((await call(retry, `http://x/api/notifications/${id}/retry`, 'POST', { id })).status).toBe(409);
    expect((await call(retry, 'http://x/api/notifications/nope/retry', 'POST', { id: 'nope' })).status).toBe(
      404,
    );
  });
});

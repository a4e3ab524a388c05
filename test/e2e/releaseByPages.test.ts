import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { resolve } from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { LOOPBACK_CERT_PEM } from '../../local/sim/certs/loopbackCert';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * A new user on `npm start`: from the dashboard, through a release, to the production upgrade
 * `succeeded`, using only pages (dashboard → local outbox → approval page → plan page), following links
 * (only the first address is typed), never landing on JSON, and with the plan page saying at every step
 * what Warden waits for. The test plays the clock: it runs the timers (`/admin/functions/…`) instead of
 * waiting for them, and the simulator's operations take a second (`WARDEN_SIM_OPERATION_SECONDS`).
 */
const POLICY = readFileSync(resolve(__dirname, '../../local/policy.demo.yaml'), 'utf8')
  .replace(/PT30S/g, 'PT2S')
  .replace('minimumWindowRemaining: PT10M', 'minimumWindowRemaining: PT1S');
const PATH = ['aks-canary-weu-1', 'aks-dev-weu-1', 'aks-staging-weu-1', 'aks-prod-weu-1'];
const PROD = 'aks-prod-weu-1';

let warden: LocalWarden;
let browser: Browser;

beforeAll(async () => {
  warden = await startLocalWarden({
    env: { WARDEN_POLICY: POLICY, WARDEN_SIM_OPERATION_SECONDS: '1' },
    timeoutMs: 90_000,
  });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await warden?.stop();
});

interface PlanJson {
  id: string;
  status: string;
  kind: string;
  to: string;
}

const get = async <T>(path: string): Promise<T> => (await fetch(`${warden.url}${path}`)).json() as Promise<T>;
const post = (path: string, body?: unknown) =>
  fetch(`${warden.url}${path}`, {
    method: 'POST',
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  });

/** The timers of a minute, at once: promotion and approvals, the runner, the notification dispatcher. */
async function tick(): Promise<void> {
  for (const fn of ['approvalTimer', 'upgradeRunner', 'notificationDispatcher'])
    expect((await post(`/admin/functions/${fn}`, {})).status).toBe(202);
}

async function versionPlan(cluster: string): Promise<PlanJson | undefined> {
  const { plans } = await get<{ plans: PlanJson[] }>(`/api/plans?cluster=${cluster}`);
  return plans.find((p) => p.kind !== 'node-image' && p.to === '1.36.4');
}

/** The demo's daily windows skip the year's end: open them every day through ARM, so no date matters. */
async function alwaysOpen(cluster: string): Promise<void> {
  const { armUrl } = await get<{ armUrl: string }>('/_sim');
  const state = await get<{ id: string }>(`/_sim/clusters/${cluster}`);
  const body = JSON.stringify({
    properties: {
      maintenanceWindow: {
        schedule: { daily: { intervalDays: 1 } },
        durationHours: 24,
        startDate: '2020-01-01',
        startTime: '00:00',
        utcOffset: '+00:00',
      },
    },
  });
  const status = await new Promise<number>((ok, fail) => {
    const req = request(
      `${armUrl}${state.id}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule?api-version=2026-06-01`,
      {
        method: 'PUT',
        ca: LOOPBACK_CERT_PEM,
        headers: { 'content-type': 'application/json', authorization: 'Bearer t' },
      },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
  expect(status).toBe(200);
}

/** Follows a link (or presses a button) as a person does: where it lands is a page, never JSON. */
async function follow(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
  await expectPage(page);
}

async function expectPage(page: Page): Promise<void> {
  const type = await page.evaluate(
    () => (globalThis as unknown as { document: { contentType: string } }).document.contentType,
  );
  expect([page.url(), type]).toEqual([page.url(), 'text/html']);
}

/** What the plan page says Warden waits for, as a person reads it. */
const next = async (page: Page): Promise<string> =>
  (await page.locator('#next').innerText()).replace(/\s+/g, ' ');

test('a release reaches production succeeded through pages alone, each saying what Warden waits for', async () => {
  for (const c of PATH) await alwaysOpen(c);
  const page = await browser.newPage();
  // The only typed address: the dashboard.
  const first = await page.goto(`${warden.url}/`);
  expect(first?.headers()['content-type']).toMatch(/text\/html/);

  // AKS announces 1.36.4 in westeurope; the sweep and the events plan every ring.
  expect((await post('/_sim/release', { location: 'westeurope', version: '1.36.4' })).status).toBe(200);
  expect((await post('/api/sweep')).status).toBe(202);
  const prod = await waitFor(
    () => versionPlan(PROD),
    (p) => p !== undefined,
    { what: `a plan for ${PROD}`, timeoutMs: 60_000 },
  );

  // Dashboard → the production plan's page, by its link.
  await page.reload();
  await follow(page, `a[href="/api/plans/${prod!.id}"]`);
  expect(await page.locator('h1').innerText()).toContain(`${PROD}: `);
  const seen = new Set<string>();
  const waits = [
    /^What happens next: Waits for its promotion check/,
    /^What happens next: Waits for the ring below: /,
    /^What happens next: Soaking in staging: .* of 2 s, done .*\. Then on-call is asked to approve\./,
    /^What happens next: Waits for 1 more approval from oncall@contoso\.example/,
  ];
  const says = async (allowed: readonly RegExp[]): Promise<void> => {
    const text = await next(page);
    expect([text, allowed.some((r) => r.test(text))]).toEqual([text, true]);
    seen.add(text.replace(/[\d.]+ (s|min)\b.*/, ''));
  };
  await says(waits);

  // The lower rings upgrade and soak while the page says what production waits for.
  await waitFor(
    async () => {
      await tick();
      await page.reload();
      await expectPage(page);
      await says(waits);
      return (await get<PlanJson>(`/api/plans/${prod!.id}`)).status;
    },
    (status) => status === 'awaiting-approval',
    { what: `${PROD} awaiting approval`, timeoutMs: 240_000, intervalMs: 1_000 },
  );
  await page.reload();
  await says([waits[3]!]);

  // Plan page → dashboard → the local outbox → the approval email's link.
  await follow(page, 'nav a[href="/api/dashboard"]');
  await follow(page, '#local-outbox');
  await waitFor(
    async () => {
      await tick();
      await page.reload();
      return page.locator(`article.approval a.decide[href*="/api/approvals/${prod!.id}?"]`).count();
    },
    (n) => n > 0,
    { what: 'the approval email in the outbox', timeoutMs: 60_000, intervalMs: 1_000 },
  );
  await follow(page, `article.approval a.decide[href*="/api/approvals/${prod!.id}?"] >> nth=0`);
  expect(await page.locator('#verdict').innerText()).not.toBe('');
  await page.fill('#comment', 'staging soaked; go');
  await follow(page, 'button.approve');
  expect(await page.locator('#result').innerText()).toBe(`Approved: ${PROD}`);

  // The decision page → the plan page, which follows the upgrade to its end.
  await follow(page, '#plan-link');
  const moving = [
    /^What happens next: Approved; .*The first step starts at the runner's next run/,
    /^What happens next: Scheduled: /,
    /^What happens next: Running step \d of \d, .*The runner polls ARM at its next run/,
    /^What happens next: Running: the next step starts at /,
    /^What happens next: Done: the upgrade succeeded /,
  ];
  await says(moving);
  await waitFor(
    async () => {
      await tick();
      await page.reload();
      await expectPage(page);
      await says(moving);
      return (await get<PlanJson>(`/api/plans/${prod!.id}`)).status;
    },
    (status) => status === 'succeeded',
    { what: `${PROD} succeeded`, timeoutMs: 180_000, intervalMs: 1_000 },
  );
  await page.reload();
  await says([moving[4]!]);
  expect(await page.locator('.badge[data-status]').first().innerText()).toBe('succeeded');
  expect([...seen].some((s) => s.includes('Waits for 1 more approval'))).toBe(true);
  expect([...seen].some((s) => s.includes('Running step'))).toBe(true);
  await page.close();
}, 600_000);

import { randomBytes } from 'node:crypto';

import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

import { DEV_ACCOUNT, DEV_KEY } from '../../local/azurite';
import { ApprovalLinks } from '../../shared/approvals/links';
import { parsePolicy } from '../../shared/domain/policy';
import { silentLogger } from '../../shared/logging';
import { routeNotice } from '../../shared/notify/routing';
import { TableOutbox } from '../../shared/store/outboxStore';
import { TablePlanStore } from '../../shared/store/planStore';
import { Tables } from '../../shared/store/tables';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import { axeViolations } from '../helpers/axe';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { REGION, snapshot } from '../helpers/plans';

/**
 * A wave's page in headless Chromium, served by the local runtime: axe-core clean, hostile tag values
 * shown as text, the verdict and the buttons on the first screen of a laptop and a phone, and a
 * decision that leaves one cluster out.
 */
const HOSTILE = '<img src=x onerror="globalThis.pwned=1">';
const POLICY = JSON.stringify({
  gatedRings: ['canary'],
  routes: { canary: { email: ['oncall@contoso.com'] } },
  waves: { tag: 'team' },
});
const KEY = randomBytes(32);
let warden: LocalWarden;
let browser: Browser;
let plans: TablePlanStore;
let outbox: TableOutbox;

beforeAll(async () => {
  warden = await startLocalWarden({
    env: {
      WARDEN_APPROVAL_KEYS: KEY.toString('base64'),
      WARDEN_POLICY: POLICY,
      WARDEN_TABLE_PREFIX: 'warden',
    },
  });
  const tables = new Tables(
    {
      kind: 'connectionString',
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${warden.storageUrl};`,
    },
    'warden',
  );
  const policy = parsePolicy(POLICY);
  outbox = new TableOutbox(
    tables,
    (n) => routeNotice(n, { routes: policy, teamsWorkflows: new Set(), webhook: false }).deliveries,
  );
  plans = new TablePlanStore(tables, outbox);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await warden?.stop();
});

/** Three canary plans of one team (a hostile tag value), asked for as a wave by the approval timer. */
async function waveLink(team: string): Promise<{ url: string; planIds: string[] }> {
  const policy = parsePolicy(POLICY);
  const deps = {
    plans,
    links: new ApprovalLinks({ current: KEY }, warden.url),
    policy,
    newId: () => `e2ew${randomBytes(6).toString('hex')}`,
    log: silentLogger,
  };
  const planIds: string[] = [];
  for (const i of [1, 2, 3]) {
    const s = snapshot(`aks-wave-${team.length}-${i}`, 'canary');
    const [o] = await proposePlansForCluster(deps, { ...s, tags: { ...s.tags, team } }, REGION, new Date(), {
      by: { actor: 'warden', source: { kind: 'sweep' } },
      reason: 'e2e',
    });
    planIds.push(o!.planId!);
  }
  expect((await fetch(`${warden.url}/admin/functions/approvalTimer`, { method: 'POST' })).status).toBe(202);
  for (let i = 0; i < 100; i++) {
    const row = (await outbox.list({})).find(
      (r) => r.kind === 'approval-requested' && r.channel === 'email' && r.notice.title.includes(team),
    );
    if (row !== undefined) return { url: row.notice.actions[0]?.url ?? '', planIds };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no wave request in the outbox');
}

test('the wave page lists every cluster, passes axe-core, shows hostile values as text, and leaves one out', async () => {
  const { url, planIds } = await waveLink(HOSTILE);
  expect(url).toMatch(/\/api\/waves\/wave-[\w-]+\?token=/);
  const context = await browser.newContext({ bypassCSP: true });
  const page = await context.newPage();
  expect((await page.goto(url))?.status()).toBe(200);
  await expect(page.locator('h1').textContent()).resolves.toContain(`(team=${HOSTILE})`);
  expect(await page.locator('img').count()).toBe(0);
  expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
  await expect(page.locator('#members tr[data-bound="yes"]').count()).resolves.toBe(3);
  await expect(page.locator('#verdict').textContent()).resolves.toContain('3 plan(s) to decide');
  expect(await axeViolations(page)).toEqual([]);

  await page.fill('#comment', 'one at a time for the second');
  await page.locator(`input[name="keep.${planIds[1]}"]`).uncheck();
  await Promise.all([page.waitForURL('**/api/waves/**'), page.click('button.approve')]);
  await expect(page.locator('#result').textContent()).resolves.toBe('Approved: 2 of 3 plans');
  await expect(page.locator('#left-out li').count()).resolves.toBe(1);
  expect(await axeViolations(page)).toEqual([]);
  const status = async (id: string) =>
    ((await (await fetch(`${warden.url}/api/plans/${id}`)).json()) as { status: string }).status;
  expect([await status(planIds[0]!), await status(planIds[1]!), await status(planIds[2]!)]).toEqual([
    'approved',
    'awaiting-approval',
    'approved',
  ]);
  await context.close();
}, 120_000);

test.each([
  [1366, 768],
  [390, 844],
])(
  'at %i×%i the verdict and both buttons are on the first screen',
  async (width, height) => {
    const { url } = await waveLink(`team-${width}`);
    const sized = await browser.newContext({ viewport: { width, height } });
    const page = await sized.newPage();
    await page.goto(url);
    for (const selector of ['#verdict', 'button.approve', 'button.reject']) {
      const box = await page.locator(selector).boundingBox();
      expect([
        selector,
        box !== null && box.y >= 0 && box.y + box.height <= height && box.x + box.width <= width,
      ]).toEqual([selector, true]);
    }
    await sized.close();
  },
  120_000,
);

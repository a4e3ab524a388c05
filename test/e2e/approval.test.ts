import { randomBytes } from 'node:crypto';

import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

import { DEV_ACCOUNT, DEV_KEY } from '../../local/azurite';
import { ApprovalLinks } from '../../shared/approvals/links';
import { signToken, windowDigest } from '../../shared/approvals/tokens';
import { windowKey } from '../../shared/domain/plan';
import { parsePolicy } from '../../shared/domain/policy';
import { silentLogger } from '../../shared/logging';
import { routeNotice } from '../../shared/notify/routing';
import { TableOutbox } from '../../shared/store/outboxStore';
import { TablePlanStore } from '../../shared/store/planStore';
import { Tables } from '../../shared/store/tables';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { REGION, snapshot } from '../helpers/plans';

const POLICY = `{"gatedRings":["canary"],"routes":{"canary":{"email":["oncall@contoso.com"]}}}`;
const KEY = randomBytes(32);

let warden: LocalWarden;
let browser: Browser;
let links: ApprovalLinks;
let plans: TablePlanStore;

beforeAll(async () => {
  warden = await startLocalWarden({
    env: {
      WARDEN_APPROVAL_KEYS: KEY.toString('base64'),
      WARDEN_POLICY: POLICY,
      WARDEN_TABLE_PREFIX: 'warden',
    },
  });
  // The test writes the plan into the running Warden's own storage, as the intake or the sweep would.
  const tables = new Tables(
    {
      kind: 'connectionString',
      connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${warden.storageUrl};`,
    },
    'warden',
  );
  const policy = parsePolicy(POLICY);
  plans = new TablePlanStore(
    tables,
    new TableOutbox(
      tables,
      (n) => routeNotice(n, { routes: policy, teamsWorkflows: new Set(), webhook: false }).deliveries,
    ),
  );
  links = new ApprovalLinks({ current: KEY }, warden.url);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await warden?.stop();
});

async function planAwaitingApproval(name: string): Promise<string> {
  const policy = parsePolicy(POLICY);
  let n = 0;
  const [o] = await proposePlansForCluster(
    {
      plans,
      links,
      policy,
      newId: () => `e2e${name}${++n}${randomBytes(3).toString('hex')}`,
      log: silentLogger,
    },
    snapshot(name, 'canary'),
    REGION,
    new Date(),
    { by: { actor: 'warden', source: { kind: 'sweep' } }, reason: 'e2e' },
  );
  if (o?.status !== 'awaiting-approval') throw new Error(`plan not awaiting approval: ${JSON.stringify(o)}`);
  return o.planId!;
}

test('on-call opens the link, sees the plan, approves, and sees the result', async () => {
  const planId = await planAwaitingApproval('aks-e2e-approve');
  const plan = (await plans.get(planId))!.plan;
  const page = await browser.newPage();
  await page.goto(links.linkFor(plan, 'oncall@contoso.com')!);
  await expect(page.locator('h1').textContent()).resolves.toContain(
    'aks-e2e-approve: approve 1.29.7 → 1.29.9?',
  );
  await expect(page.locator('#ring').textContent()).resolves.toBe('canary');
  await expect(page.locator('#evidence').textContent()).resolves.toContain('first ring');
  await page.fill('#comment', 'checked the release notes');
  await Promise.all([page.waitForURL(`**/api/approvals/${planId}`), page.click('button.approve')]);
  await expect(page.locator('#result').textContent()).resolves.toBe('Approved: aks-e2e-approve');
  await expect(page.locator('body').textContent()).resolves.toContain('oncall@contoso.com approved');
  const after = await fetch(`${warden.url}/api/plans/${planId}`).then(
    (r) => r.json() as Promise<{ status: string; audit: { event: string; comment?: string }[] }>,
  );
  expect(after.status).toBe('approved');
  expect(after.audit.at(-1)).toMatchObject({
    event: 'ApprovalGranted',
    comment: 'checked the release notes',
  });
  await page.close();
});

test('an expired link shows why it cannot be used, and offers no buttons', async () => {
  const planId = await planAwaitingApproval('aks-e2e-expired');
  const plan = (await plans.get(planId))!.plan;
  const token = signToken(
    {
      planId,
      approver: 'oncall@contoso.com',
      target: plan.to,
      nodeImage: '',
      window: windowDigest(windowKey(plan.window)),
      round: plan.approval!.round,
      requestId: plan.approval!.requestId,
      exp: Math.floor(Date.now() / 1000) - 60,
    },
    { current: KEY },
  );
  const page = await browser.newPage();
  const response = await page.goto(`${warden.url}/api/approvals/${planId}?token=${token}`);
  expect(response?.status()).toBe(401);
  await expect(page.locator('#problem').textContent()).resolves.toBe('This link has expired');
  await expect(page.locator('#detail').textContent()).resolves.toMatch(
    /could be used until .*The plan is awaiting-approval/,
  );
  expect(await page.locator('button').count()).toBe(0);
  await page.close();
});

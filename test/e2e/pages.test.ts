import { randomBytes } from 'node:crypto';

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { chromium } from 'playwright-core';

import { DEV_ACCOUNT, DEV_KEY } from '../../local/azurite';
import { ApprovalLinks } from '../../shared/approvals/links';
import type { FleetGatePlan } from '../../shared/domain/fleetGate';
import { gateFindings } from '../../shared/domain/fleetGate';
import type { Plan } from '../../shared/domain/plan';
import { proposePlan, transition } from '../../shared/domain/planTransition';
import { parsePolicy } from '../../shared/domain/policy';
import { silentLogger } from '../../shared/logging';
import { routeNotice } from '../../shared/notify/routing';
import { TableClusterStore } from '../../shared/store/clusterStore';
import { TableOutbox } from '../../shared/store/outboxStore';
import { TablePlanStore } from '../../shared/store/planStore';
import { Tables } from '../../shared/store/tables';
import { toCommit } from '../../shared/usecases/planCommands';
import { planGate, proposePlansForCluster } from '../../shared/usecases/proposePlans';
import { axeViolations } from '../helpers/axe';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { proposed, REGION, snapshot } from '../helpers/plans';

/**
 * The pages as a person uses them, in headless Chromium: every page passes axe-core, the approval
 * buttons are on the first screen of a laptop and a phone, links lead from the dashboard to a plan, its
 * cluster and back (never to raw JSON), and hostile values in names, tags, comments and event fields
 * stay text.
 */

const POLICY = `{"gatedRings":["canary"],"routes":{"canary":{"email":["oncall@contoso.com"],"teams":["canary"]}}}`;
const KEY = randomBytes(32);
/** Runs only if it becomes markup: the flag it sets is checked on every page. */
const EVIL = `<img src=x onerror="window.pwned=1">`;
const NAME = `aks-e2e-${randomBytes(2).toString('hex')}`;
let warden: LocalWarden;
let browser: Browser;
let context: BrowserContext;
let links: ApprovalLinks;
let plans: TablePlanStore;
let planId = '';
let clusterId = '';

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
  plans = new TablePlanStore(
    tables,
    new TableOutbox(
      tables,
      (n) =>
        routeNotice(n, { routes: policy, teamsWorkflows: new Set(['canary']), webhook: false }).deliveries,
    ),
  );
  links = new ApprovalLinks({ current: KEY }, warden.url);
  // The cluster as a sweep stores it, with markup in its tags, a finding and a maintenance window.
  const snap = snapshot(NAME, 'canary', '1.29.7', {
    tags: { environment: 'canary', team: EVIL },
    lastSeen: new Date().toISOString(),
    maintenanceConfigurations: [
      {
        name: 'aksManagedAutoUpgradeSchedule',
        properties: {
          maintenanceWindow: {
            schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
            durationHours: 4,
            utcOffset: '+00:00',
            startTime: '02:00',
          },
        },
      },
    ],
  });
  clusterId = snap.id;
  await new TableClusterStore(tables).write(
    snap.subscriptionId,
    [
      {
        snapshot: snap,
        support: { status: 'supported', minorsBehind: 1, newestMinor: '1.30' },
        findings: [
          {
            code: 'max-surge-low',
            severity: 'warning',
            message: `pool ${EVIL} surges one node`,
            guidance: {
              text: 'Use 33% in production.',
              source: 'https://learn.microsoft.com/azure/aks/upgrade-cluster',
            },
          },
        ],
        sweepId: 'e2e',
      },
    ],
    new Map(),
  );
  const [o] = await proposePlansForCluster(
    { plans, links, policy, newId: () => `e2epage${randomBytes(4).toString('hex')}`, log: silentLogger },
    snap,
    REGION,
    new Date(),
    { by: { actor: 'warden', source: { kind: 'sweep' } }, reason: `sweep ${EVIL}` },
  );
  if (o?.status !== 'awaiting-approval') throw new Error(`plan not awaiting approval: ${JSON.stringify(o)}`);
  planId = o.planId!;
  // An AKS event about the cluster, with markup in a data field.
  const event = {
    topic: clusterId,
    subject: NAME,
    eventType: 'Microsoft.ContainerService.NodePoolRollingStarted',
    id: randomBytes(8).toString('hex'),
    data: { nodePoolName: 'nodepool1', note: EVIL },
    dataVersion: '1',
    metadataVersion: '1',
    eventTime: new Date().toISOString(),
  };
  const intake = await fetch(`${warden.url}/api/aks-events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify([event]),
  });
  if (intake.status !== 200) throw new Error(`event not recorded: ${intake.status} ${await intake.text()}`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
  // The pages send CSP default-src 'none'; axe is injected as a script, so the test context bypasses it.
  context = await browser.newContext({ bypassCSP: true });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await warden?.stop();
});

async function expectSafe(page: Page): Promise<void> {
  expect(await page.evaluate(() => (globalThis as unknown as { pwned?: number }).pwned)).toBeUndefined();
  expect(await page.locator('img').count()).toBe(0);
}

async function open(page: Page, url: string): Promise<void> {
  const response = await page.goto(url);
  expect(response?.status()).toBe(200);
  expect(response?.headers()['content-type']).toMatch(/text\/html/);
}

/** Every same-origin link a person can follow answers a page, not JSON. */
async function expectLinksArePages(page: Page): Promise<void> {
  const hrefs = await page.$$eval('a[href]', (as) => as.map((a) => (a as unknown as { href: string }).href));
  const own = [...new Set(hrefs.filter((h) => h.startsWith(warden.url)).map((h) => h.split('#')[0] ?? h))];
  expect(own.length).toBeGreaterThan(0);
  for (const href of own) {
    const r = await fetch(href, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect([href, r.status, r.headers.get('content-type')]).toEqual([
      href,
      200,
      expect.stringMatching(/text\/html/),
    ]);
  }
}

test('a person goes from the dashboard to a plan, to its cluster and back, by links alone', async () => {
  const page = await context.newPage();
  await open(page, `${warden.url}/`);
  await expectLinksArePages(page);
  await Promise.all([
    page.waitForURL(`**/api/plans/${planId}`),
    page.click(`a[href="/api/plans/${planId}"]`),
  ]);
  await expect(page.locator('h1').textContent()).resolves.toContain(`${NAME}: 1.29.7 → 1.29.9`);
  await expect(page.locator('#next').innerText()).resolves.toMatch(
    /Waits for 1 more approval from oncall@contoso\.com .*expires \w{3} \d+ \w{3} \d\d:\d\d UTC, in \d+ h/,
  );
  await expect(page.locator('#timeline').textContent()).resolves.toContain('NodePoolRollingStarted');
  await expect(page.locator('#timeline').textContent()).resolves.toContain(EVIL);
  await expectLinksArePages(page);
  await Promise.all([page.waitForURL(`**/api/clusters/subscriptions/**`), page.click('#cluster')]);
  await expect(page.locator('h1').textContent()).resolves.toBe(NAME);
  await expect(page.locator('#windows').textContent()).resolves.toMatch(/every week on Saturday at 02:00/);
  await expect(page.locator('#windows').textContent()).resolves.toMatch(/Sat \d+ \w{3}.* 02:00 UTC, in /);
  await expect(page.locator('#findings').textContent()).resolves.toContain(EVIL);
  await expect(page.locator('#support-left').innerText()).resolves.toMatch(/^1 minor left, no date known/);
  await expectLinksArePages(page);
  await Promise.all([page.waitForURL('**/api/dashboard'), page.click('nav a[href="/api/dashboard"]')]);
  await expect(page.locator('h1').textContent()).resolves.toBe('AKS Upgrade Warden');
  await page.close();
});

test('every page passes axe-core with no serious or critical violation, and shows hostile values as text', async () => {
  const plan = (await plans.get(planId))!.plan;
  // A past plan of the cluster whose pre-flight read its nodes: the cluster page shows them.
  const checked: Plan = {
    ...plan,
    id: `e2enodes${randomBytes(4).toString('hex')}`,
    status: 'succeeded',
    closedAt: new Date().toISOString(),
    preflight: {
      verdict: 'go',
      checkedAt: new Date().toISOString(),
      checks: [],
      nodes: [
        {
          name: `aks-nodepool1-${EVIL}`,
          pool: 'nodepool1',
          ready: true,
          cordoned: false,
          kernel: '5.15.0-1075-azure',
          osImage: 'Ubuntu 22.04.5 LTS',
          kubelet: 'v1.29.7',
          nodeImage: 'AKSUbuntu-2204gen2containerd-202511.10.0',
        },
      ],
    },
  };
  await plans.create(toCommit(links, [{ plan: checked, effects: [] }]).commit);
  const page = await context.newPage();
  const pages = [
    `${warden.url}/api/dashboard`,
    `${warden.url}/api/dashboard?plans=awaiting-approval`,
    `${warden.url}/api/plans/${planId}`,
    `${warden.url}/api/clusters${clusterId}`,
    links.linkFor(plan, 'oncall@contoso.com')!,
  ];
  await open(page, `${warden.url}/api/clusters${clusterId}`);
  await expect(page.locator('#nodes').textContent()).resolves.toContain(`aks-nodepool1-${EVIL}`);
  await expect(page.locator('#nodes-read').textContent()).resolves.toMatch(
    /1 node, read \w{3} \d+ \w{3} \d\d:\d\d UTC/,
  );
  for (const url of pages) {
    await open(page, url);
    await expectSafe(page);
    expect([url, await axeViolations(page)]).toEqual([url, []]);
  }
  // The decision page, after a comment with markup in it.
  await page.fill('#comment', EVIL);
  await Promise.all([page.waitForURL(`**/api/approvals/${planId}`), page.click('button.approve')]);
  await expect(page.locator('#result').textContent()).resolves.toBe(`Approved: ${NAME}`);
  await expect(page.locator('#next').textContent()).resolves.toMatch(/window opens|runner's next run/);
  await expectSafe(page);
  expect(await axeViolations(page)).toEqual([]);
  await Promise.all([page.waitForURL(`**/api/plans/${planId}`), page.click('#plan-link')]);
  await expect(page.locator('#timeline').textContent()).resolves.toContain(EVIL);
  await expectSafe(page);
  expect(await axeViolations(page)).toEqual([]);
  await page.close();
}, 90_000);

test("a Fleet gate's approval page shows the members behind it, the target, node images, each member's pre-flight and region; axe-clean, hostile values as text", async () => {
  const policy = parsePolicy(POLICY);
  const fleetId = `/subscriptions/${'0'.repeat(8)}-0000-4000-8000-000000000001/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/fleets/fleet-e2e`;
  const member = (name: string, extra: Partial<FleetGatePlan['members'][number]>) => ({
    name,
    clusterId: `/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/${name}`,
    ring: 'canary' as const,
    location: 'westeurope',
    kubernetesVersion: '1.29.7',
    ...extra,
  });
  const fleetGate: FleetGatePlan = {
    gateId: `${fleetId}/gates/6f1c9e1a-0000-4000-8000-00000000000a`,
    gateName: '6f1c9e1a-0000-4000-8000-00000000000a',
    fleetId,
    fleetName: 'fleet-e2e',
    displayName: `before canary ${EVIL}`,
    target: { runId: `${fleetId}/updateRuns/run-e2e`, runName: 'run-e2e', stage: 'canary', timing: 'Before' },
    upgradeType: 'Full',
    kubernetesVersion: '1.29.9',
    nodeImageSelection: 'Consistent',
    members: [
      member('aks-gate-ok', {
        versionInRegion: true,
        preflight: { verdict: 'go', checkedAt: new Date().toISOString(), notPassed: [] },
      }),
      member(`aks-gate-${EVIL}`, {
        location: 'eastus',
        versionInRegion: false,
        preflight: {
          verdict: 'no-go',
          checkedAt: new Date().toISOString(),
          notPassed: ['pdb', 'vcpu-quota'],
        },
      }),
      {
        name: 'aks-gate-unknown',
        clusterId:
          '/subscriptions/x/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-gate-unknown',
      },
    ],
    onReject: 'stop',
  };
  const now = new Date();
  const by = {
    actor: 'warden',
    source: { kind: 'event' as const, eventId: 'e2e', eventType: 'FleetGateCreated' },
  };
  const created = proposePlan(
    {
      id: `e2egate${randomBytes(4).toString('hex')}`,
      cluster: {
        id: fleetGate.gateId,
        key: `fleet:e2e:${fleetGate.gateName}`,
        name: 'fleet-e2e/canary',
        subscriptionId: '00000000-0000-4000-8000-000000000001',
        resourceGroup: 'rg-fleet',
        location: 'westeurope',
        ring: 'canary',
        tags: { fleet: 'fleet-e2e' },
      },
      kind: 'fleet-gate',
      from: '1.29.7',
      to: '1.29.9',
      steps: [],
      gate: { ...planGate(policy, { ring: 'canary' }), autoExecute: true },
      findings: gateFindings(fleetGate),
      urgency: 'normal',
      reason: 'Fleet gate e2e',
      initiator: 'platform-lead@contoso.example',
      fleetGate,
      by,
    },
    now,
  );
  const evidence = {
    ring: 'canary' as const,
    version: '1.29.9',
    allowed: true,
    reason: 'first ring',
    soakMs: 0,
    plans: [],
    checkedAt: now.toISOString(),
  };
  const asked = transition(created.plan, { type: 'PromotionSatisfied', evidence, requestId: 'e2e', by }, now);
  await plans.create(toCommit(links, [created, asked]).commit);

  const page = await context.newPage();
  await open(page, links.linkFor(asked.plan, 'oncall@contoso.com')!);
  const gate = await page.locator('#fleet-gate').innerText();
  expect(gate).toContain('Fleet fleet-e2e, update run run-e2e');
  expect(gate).toContain(`before canary ${EVIL}`);
  expect(gate).toMatch(/Full to 1\.29\.9, node images Consistent/);
  expect(gate).toContain('rejecting stops the run');
  const rows: string[][] = [];
  for (const tr of await page.locator('#fleet-members tr').all())
    rows.push((await tr.locator('th, td').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim()));
  expect(rows).toEqual([
    ['Member', 'Ring', 'Version', 'Offered in region', 'Pre-flight'],
    ['aks-gate-ok', 'canary', '1.29.7', 'yes (westeurope)', 'go'],
    [`aks-gate-${EVIL}`, 'canary', '1.29.7', 'NO (eastus)', 'no-go (pdb, vcpu-quota)'],
    ['aks-gate-unknown', 'unknown', '?', 'unknown', 'none yet'],
  ]);
  // The member Fleet would fail and the no-go pre-flight stand among the findings, before the buttons.
  const body = await page.locator('body').innerText();
  expect(body).toContain(`aks-gate-${EVIL}: Kubernetes 1.29.9 is not offered in eastus yet`);
  expect(body).toContain(`aks-gate-${EVIL}: pre-flight says no-go (pdb, vcpu-quota)`);
  await expect(page.locator('button.approve').isVisible()).resolves.toBe(true);
  await expectSafe(page);
  expect(await axeViolations(page)).toEqual([]);
  await page.close();
});

test('an API client still gets JSON at the same routes', async () => {
  const plan = (await (await fetch(`${warden.url}/api/plans/${planId}`)).json()) as { id: string };
  expect(plan.id).toBe(planId);
  const cluster = (await (await fetch(`${warden.url}/api/clusters${clusterId}`)).json()) as { name: string };
  expect(cluster.name).toBe(NAME);
});

test.each([
  [1366, 768],
  [390, 844],
])('at %ix%i the verdict and the Approve / Reject buttons are on the first screen', async (width, height) => {
  const [o] = await proposePlansForCluster(
    {
      plans,
      links,
      policy: parsePolicy(POLICY),
      newId: () => `e2eview${randomBytes(4).toString('hex')}`,
      log: silentLogger,
    },
    snapshot(`aks-view-${width}`, 'canary'),
    REGION,
    new Date(),
    { by: { actor: 'warden', source: { kind: 'sweep' } }, reason: 'e2e' },
  );
  const plan = (await plans.get(o!.planId!))!.plan;
  const sized = await browser.newContext({ viewport: { width, height } });
  const page = await sized.newPage();
  await open(page, links.linkFor(plan, 'oncall@contoso.com')!);
  await page.screenshot({ path: `/tmp/pages-approval-${width}.png` });
  for (const selector of ['#verdict', 'button.approve', 'button.reject']) {
    const box = await page.locator(selector).boundingBox();
    expect([
      selector,
      box !== null && box.y >= 0 && box.y + box.height <= height && box.x + box.width <= width,
    ]).toEqual([selector, true]);
  }
  await sized.close();
});

test('the local outbox filters by channel, recipient and kind, and draws a Teams card as Teams would', async () => {
  const dispatched = await fetch(`${warden.url}/admin/functions/notificationDispatcher`, { method: 'POST' });
  expect(dispatched.status).toBe(202);
  const page = await context.newPage();
  await open(page, `${warden.url}/_local/outbox`);
  expect(await page.locator('article.approval').count()).toBeGreaterThan(0);
  await expect(page.locator('article.approval a.decide').first().getAttribute('href')).resolves.toContain(
    '/api/approvals/',
  );
  // The official renderer drew the card (it is served by the local host: no network).
  await page.waitForSelector('.card-render .ac-adaptiveCard');
  await expect(page.locator('article.approval .card-render').first().textContent()).resolves.toContain(
    'Approval needed',
  );
  expect(await axeViolations(page)).toEqual([]);
  await page.selectOption('select[name=channel]', 'teams');
  await Promise.all([page.waitForURL('**/_local/outbox?**'), page.click('form button[type=submit]')]);
  const channels = await page.locator('article .meta .badge:first-child').allTextContents();
  expect(channels.length).toBeGreaterThan(0);
  expect(new Set(channels)).toEqual(new Set(['teams']));
  await open(page, `${warden.url}/_local/outbox?kind=approval-requested&to=oncall%40contoso.com`);
  const kinds = await page.locator('article .kind').allTextContents();
  expect(kinds.length).toBeGreaterThan(0);
  expect(new Set(kinds)).toEqual(new Set(['approval-requested']));
  await open(page, `${warden.url}/_local/outbox?kind=no-such-kind`);
  expect(await page.locator('article').count()).toBe(0);
  await page.close();
});

test('an operator cancels a plan and asks for an abort from the plan page, by forms alone', async () => {
  const [o] = await proposePlansForCluster(
    {
      plans,
      links,
      policy: parsePolicy(POLICY),
      newId: () => `e2ecancel${randomBytes(4).toString('hex')}`,
      log: silentLogger,
    },
    snapshot(`aks-cancel-${randomBytes(2).toString('hex')}`, 'canary'),
    REGION,
    new Date(),
    { by: { actor: 'warden', source: { kind: 'sweep' } }, reason: 'e2e' },
  );
  // Over HTTP, a form without the page's token is refused and changes nothing.
  const forged = await fetch(`${warden.url}/api/plans/${o!.planId!}/cancel`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'actor=ops%40contoso.com',
  });
  expect([forged.status, ((await forged.json()) as { error: string }).error]).toEqual([400, 'bad form']);
  expect((await plans.get(o!.planId!))!.plan.status).toBe('awaiting-approval');
  const page = await context.newPage();
  await open(page, `${warden.url}/api/plans/${o!.planId!}`);
  await Promise.all([page.waitForURL('**?act=cancel'), page.click('#cancel-link')]);
  expect(await axeViolations(page)).toEqual([]);
  await page.fill('#actor', 'ops@contoso.com');
  await page.fill('#reason', EVIL);
  await Promise.all([page.waitForURL('**?done=cancelled'), page.click('#do-cancel')]);
  await expect(page.locator('#outcome').innerText()).resolves.toMatch(
    /^Done: the plan was cancelled by ops@contoso\.com \w{3} \d+ \w{3} \d\d:\d\d UTC/,
  );
  await expect(page.locator('.badge[data-status]').first().textContent()).resolves.toBe('cancelled');
  await expect(page.locator('#timeline').textContent()).resolves.toContain(EVIL);
  await expectSafe(page);
  expect(await axeViolations(page)).toEqual([]);

  // A running plan: the abort form asks for a ticked confirmation before it sends anything.
  const base = proposed({ id: `e2eabort${randomBytes(4).toString('hex')}` }, 'canary');
  const running: Plan = {
    ...base,
    cluster: { ...base.cluster, key: `${base.cluster.key}-${base.id}`.toLowerCase() },
    status: 'running',
    steps: base.steps.map((s, i) =>
      i === 0 ? { ...s, status: 'running', startedAt: new Date().toISOString() } : s,
    ),
  };
  await plans.create(toCommit(links, [{ plan: running, effects: [] }]).commit);
  await open(page, `${warden.url}/api/plans/${running.id}`);
  await Promise.all([page.waitForURL('**?act=abort'), page.click('#abort-link')]);
  expect(await axeViolations(page)).toEqual([]);
  await page.fill('#requestedBy', 'ops@contoso.com');
  await page.click('#do-abort');
  // Unticked, the browser keeps the form (nothing was posted).
  expect(page.url()).toMatch(/\?act=abort$/);
  await page.check('#confirm');
  await Promise.all([page.waitForURL('**?done=abort-requested'), page.click('#do-abort')]);
  const outcome = await page.locator('#outcome').innerText();
  expect(outcome).toMatch(/^Abort requested: (\S+@contoso\.com, )*oncall@contoso\.com.* got a personal link/);
  expect(outcome).not.toContain('canary');
  expect((await plans.get(running.id))!.plan.status).toBe('running');
  expect(await axeViolations(page)).toEqual([]);
  await page.close();
}, 90_000);

import { Agent, request as httpRequest } from 'node:http';

import type { RunningHost } from '../local/host';
import { ApprovalLinks } from '../shared/approvals/links';
import { parseApprovalKeys } from '../shared/approvals/tokens';
import { decodeAksEvent } from '../shared/domain/aksEvents';
import type { ClusterSnapshot } from '../shared/domain/cluster';
import { parsePolicy } from '../shared/domain/policy';
import type { RegionVersions } from '../shared/domain/versions';
import { silentLogger } from '../shared/logging';
import { TableClusterStore } from '../shared/store/clusterStore';
import { TableEventStore } from '../shared/store/eventStore';
import { TableOutbox } from '../shared/store/outboxStore';
import { TablePlanStore } from '../shared/store/planStore';
import { Tables } from '../shared/store/tables';
import { proposePlansForCluster } from '../shared/usecases/proposePlans';
import { BENCH_POLICY } from './approval';
import type { Figure } from './report';
import { atMost, figure, noGoal, percentile, pool } from './report';
import type { BenchStorage } from './storageProcess';

/**
 * The plan page (10 steps, 200 timeline entries) and the cluster page as a browser asks for them
 * (`Accept: text/html`), one request at a time through the local host against Azurite, beside
 * `GET /api/health` from the same run. Goal p99 <= 50 ms.
 */

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function get(url: string, accept: string): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(url, { method: 'GET', agent, headers: { accept } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
    });
    req.on('error', reject);
    req.end();
  });
}

const REGION: RegionVersions = {
  location: 'westeurope',
  minors: [
    { minor: '1.35', isPreview: false, patches: ['1.35.6', '1.35.8'], supportPlans: ['KubernetesOfficial'] },
  ],
};

/** A canary cluster with nine pools: its plan has ten steps (the control plane, then each pool). */
function cluster(): ClusterSnapshot {
  const sub = '00000000-0000-0000-0000-0000000000bf';
  const name = 'aks-bench-pages';
  return {
    id: `/subscriptions/${sub}/resourceGroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/${name}`,
    key: `${sub}:rg-bench:${name}`,
    subscriptionId: sub,
    resourceGroup: 'rg-bench',
    name,
    location: 'westeurope',
    ring: 'canary',
    tags: { environment: 'canary', 'owner-email': 'team@bench.example' },
    kubernetesVersion: '1.35.6',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodePools: Array.from({ length: 9 }, (_, i) => ({
      name: i === 0 ? 'system' : `user${i}`,
      mode: i === 0 ? 'System' : 'User',
      osType: 'Linux',
      orchestratorVersion: '1.35.6',
      nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.10.0',
      maxSurge: '33%',
      count: 3,
    })),
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
    lastSeen: new Date().toISOString(),
  };
}

export async function benchPages(
  azurite: BenchStorage,
  startApp: () => Promise<RunningHost>,
): Promise<Figure[]> {
  const keys = parseApprovalKeys(process.env.WARDEN_APPROVAL_KEYS ?? '');
  if (typeof keys === 'string') throw new Error(`WARDEN_APPROVAL_KEYS: ${keys}`);
  const app = await startApp();
  const tables = new Tables(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    process.env.WARDEN_TABLE_PREFIX ?? 'warden',
  );
  const outbox = new TableOutbox(tables, () => [{ channel: 'email', to: 'oncall@bench.example' }]);
  const plans = new TablePlanStore(tables, outbox);
  const snap = cluster();
  await new TableClusterStore(tables).write(
    snap.subscriptionId,
    [
      {
        snapshot: snap,
        support: { status: 'supported', minorsBehind: 0, newestMinor: '1.35' },
        findings: [],
        sweepId: 'bench',
      },
    ],
    new Map(),
  );
  const [o] = await proposePlansForCluster(
    {
      plans,
      links: new ApprovalLinks(keys, app.url),
      policy: parsePolicy(BENCH_POLICY),
      newId: () => `benchpage${Date.now().toString(36)}`,
      log: silentLogger,
    },
    snap,
    REGION,
    new Date(),
    { by: { actor: 'warden', source: { kind: 'sweep' } }, reason: 'bench' },
  );
  const planId = o?.planId;
  const stored = planId !== undefined ? await plans.get(planId) : undefined;
  if (planId === undefined || stored?.plan.steps.length !== 10)
    throw new Error(`bench plan has not 10 steps: ${JSON.stringify(o)}`);
  // The timeline: AKS events about the cluster and notices about the plan, 200 entries with the audit trail.
  const audit = (await plans.audit(planId)).length;
  const events = new TableEventStore(tables);
  const eventCount = 150;
  await pool(eventCount, 8, async (i) => {
    const decoded = decodeAksEvent(
      {
        schema: 'eventgrid',
        id: `bench-page-${i}`,
        type: 'Microsoft.ContainerService.NodePoolRollingSucceeded',
        source: snap.id,
        subject: snap.name,
        time: new Date(Date.now() + i).toISOString(),
      },
      { nodePoolName: `user${(i % 8) + 1}` },
    );
    if (!decoded.ok) throw new Error(`bench event: ${JSON.stringify(decoded.problem)}`);
    await events.record(decoded.value, new Date(Date.now() + i));
  });
  const notices = 200 - eventCount - audit;
  await outbox.enqueue(
    Array.from({ length: notices }, (_, i) => ({
      kind: 'plan-scheduled' as const,
      key: `bench-page:${planId}:${i}`,
      severity: 'info' as const,
      title: `${snap.name}: notice ${i}`,
      summary: 'bench',
      facts: [],
      actions: [],
      audience: ['oncall' as const],
      cluster: { id: snap.id, name: snap.name, ring: snap.ring, tags: snap.tags },
      planId,
      at: new Date().toISOString(),
    })),
    new Date(),
  );

  const html = 'text/html,application/xhtml+xml';
  const planUrl = `${app.url}/api/plans/${encodeURIComponent(planId)}`;
  const clusterUrl = `${app.url}/api/clusters${snap.id}`;
  const page = await (await fetch(planUrl, { headers: { accept: html } })).text();
  const entries = page.match(/<tr data-source=/g)?.length ?? 0;
  if (entries < 200) throw new Error(`the plan page's timeline has ${entries} entries, not 200`);
  const health: number[] = [];
  const planMs: number[] = [];
  const clusterMs: number[] = [];
  for (let i = 0; i < 20; i++) await Promise.all([get(planUrl, html), get(clusterUrl, html)]);
  for (let i = 0; i < 300; i++) {
    health.push((await get(`${app.url}/api/health`, 'application/json')).ms);
    const p = await get(planUrl, html);
    if (p.status !== 200) throw new Error(`plan page answered ${p.status}`);
    planMs.push(p.ms);
    const c = await get(clusterUrl, html);
    if (c.status !== 200) throw new Error(`cluster page answered ${c.status}`);
    clusterMs.push(c.ms);
  }
  await app.close();
  const pageFigure = (name: string, values: number[], p: number): Figure =>
    figure({
      name,
      value: percentile(values, p),
      unit: 'ms',
      baseline: { name: `GET /api/health p${p}`, value: percentile(health, p) },
      goal: p === 99 ? atMost(50, 'ms') : noGoal(),
      kind: 'absolute',
    });
  return [
    pageFigure('plan page (10 steps, 200 entries) p50', planMs, 50),
    pageFigure('plan page (10 steps, 200 entries) p99', planMs, 99),
    pageFigure('cluster page p50', clusterMs, 50),
    pageFigure('cluster page p99', clusterMs, 99),
  ];
}

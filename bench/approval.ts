import { Agent, request as httpRequest } from 'node:http';

import type { RunningHost } from '../local/host';
import { ApprovalLinks } from '../shared/approvals/links';
import { parseApprovalKeys } from '../shared/approvals/tokens';
import type { ClusterSnapshot } from '../shared/domain/cluster';
import { parsePolicy } from '../shared/domain/policy';
import type { RegionVersions } from '../shared/domain/versions';
import { silentLogger } from '../shared/logging';
import { TableOutbox } from '../shared/store/outboxStore';
import { TablePlanStore } from '../shared/store/planStore';
import { Tables } from '../shared/store/tables';
import { proposePlansForCluster } from '../shared/usecases/proposePlans';
import type { Figure } from './report';
import { atMost, figure, noGoal, percentile, pool } from './report';
import type { BenchStorage } from './storageProcess';

/**
 * The policy the bench's app runs with (set before the app builds its services): the first ring gated,
 * so a plan asks for approval at once (no lower-ring evidence to build up first).
 */
export const BENCH_POLICY =
  '{"gatedRings":["canary"],"routes":{"canary":{"email":["oncall@bench.example"]}}}';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function call(
  url: string,
  method: 'GET' | 'POST',
  body?: string,
  type?: string,
): Promise<{ status: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(
      url,
      {
        method,
        agent,
        headers:
          body === undefined
            ? {}
            : {
                'content-type': type ?? 'application/x-www-form-urlencoded',
                'content-length': Buffer.byteLength(body),
              },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The region the approval and wave benches plan in: 1.35.6 → 1.35.8 is the patch they ask about. */
export const BENCH_REGION: RegionVersions = {
  location: 'westeurope',
  minors: [
    { minor: '1.35', isPreview: false, patches: ['1.35.6', '1.35.8'], supportPlans: ['KubernetesOfficial'] },
  ],
};

/** A canary cluster on 1.35.6 with one system pool, in its own bench subscription. */
export function benchCluster(name: string, sub: string): ClusterSnapshot {
  return {
    id: `/subscriptions/${sub}/resourceGroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/${name}`,
    key: `${sub}:rg-bench:${name}`,
    subscriptionId: sub,
    resourceGroup: 'rg-bench',
    name,
    location: 'westeurope',
    ring: 'canary',
    tags: { environment: 'canary' },
    kubernetesVersion: '1.35.6',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodePools: [{ name: 'system', mode: 'System', osType: 'Linux', orchestratorVersion: '1.35.6', count: 3 }],
    maintenanceConfigurations: [],
    lastSeen: new Date().toISOString(),
  };
}

/**
 * The approval page locally: p50 / p99 of `GET /api/approvals/{id}?token=…` and of the decision POST,
 * one request at a time through the local host against Azurite, beside `GET /api/health` (a storage
 * round trip through the same host) as the baseline. Goal p99 <= 50 ms.
 */
export async function benchApproval(
  azurite: BenchStorage,
  startApp: () => Promise<RunningHost>,
): Promise<Figure[]> {
  const keys = parseApprovalKeys(process.env.WARDEN_APPROVAL_KEYS ?? '');
  if (typeof keys === 'string') throw new Error(`WARDEN_APPROVAL_KEYS: ${keys}`);
  const app = await startApp();
  const policy = parsePolicy(BENCH_POLICY);
  const tables = new Tables(
    { kind: 'connectionString', connectionString: azurite.connectionString },
    process.env.WARDEN_TABLE_PREFIX ?? 'warden',
  );
  const plans = new TablePlanStore(tables, new TableOutbox(tables, () => []));
  const links = new ApprovalLinks(keys, app.url);
  let n = 0;
  const deps = {
    plans,
    links,
    policy,
    newId: () => `bench${Date.now().toString(36)}${++n}`,
    log: silentLogger,
  };
  const posts = 200;
  const urls: string[] = [];
  await pool(posts + 1, 8, async (i) => {
    const [o] = await proposePlansForCluster(
      deps,
      benchCluster(`aks-bench-canary-${i}`, '00000000-0000-0000-0000-0000000000be'),
      BENCH_REGION,
      new Date(),
      {
        by: { actor: 'warden', source: { kind: 'sweep' } },
        reason: 'bench',
      },
    );
    const stored = o?.planId !== undefined ? await plans.get(o.planId) : undefined;
    const link = stored && links.linkFor(stored.plan, 'oncall@bench.example');
    if (link === undefined || stored?.plan.status !== 'awaiting-approval')
      throw new Error(`bench plan not awaiting approval: ${JSON.stringify(o)}`);
    urls[i] = link;
  });

  const health: number[] = [];
  const gets: number[] = [];
  const postMs: number[] = [];
  for (let i = 0; i < 30; i++) await call(urls[0]!, 'GET');
  for (let i = 0; i < 500; i++) {
    health.push((await call(`${app.url}/api/health`, 'GET')).ms);
    const r = await call(urls[0]!, 'GET');
    if (r.status !== 200) throw new Error(`approval page answered ${r.status}`);
    gets.push(r.ms);
  }
  for (let i = 1; i <= posts; i++) {
    const u = new URL(urls[i]!);
    const body = new URLSearchParams({
      token: u.searchParams.get('token') ?? '',
      decision: 'approve',
      comment: 'bench',
    }).toString();
    const r = await call(`${u.origin}${u.pathname}`, 'POST', body);
    if (r.status !== 200) throw new Error(`decision answered ${r.status}`);
    postMs.push(r.ms);
  }
  await app.close();
  const base = (name: string, value: number, baselineValue: number, p: string): Figure =>
    figure({
      name,
      value,
      unit: 'ms',
      baseline: { name: `GET /api/health ${p}`, value: baselineValue },
      goal: p === 'p99' ? atMost(50, 'ms') : noGoal(),
      kind: 'absolute',
    });
  return [
    base('approval page GET p50', percentile(gets, 50), percentile(health, 50), 'p50'),
    base('approval page GET p99', percentile(gets, 99), percentile(health, 99), 'p99'),
    base('approval decision POST p50', percentile(postMs, 50), percentile(health, 50), 'p50'),
    base('approval decision POST p99', percentile(postMs, 99), percentile(health, 99), 'p99'),
  ];
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { CallRecord, FleetFile } from '../local/sim';
import { generateFleet } from '../local/sim';
import { AcsEmailSim } from '../local/sim/acs/email';
import { ApprovalLinks } from '../shared/approvals/links';
import { parseApprovalKeys } from '../shared/approvals/tokens';
import { clusterId, parseClusterId } from '../shared/domain/armId';
import type { PlanGate, TransitionResult } from '../shared/domain/plan';
import { proposePlan, transition } from '../shared/domain/planTransition';
import { nextRunnerRun } from '../shared/domain/runner';
import type { StepTarget } from '../shared/domain/targeting';
import { TableOutbox } from '../shared/store/outboxStore';
import { TablePlanStore } from '../shared/store/planStore';
import { Tables } from '../shared/store/tables';
import { toCommit } from '../shared/usecases/planCommands';
import type { Figure } from './report';
import { atMost, figure, pool } from './report';
import type { SimChild } from './scale';
import { appEnv, invoke, memoryFigure, startSimProcess } from './scale';
import type { InvocationReport } from './scaleInvocation';
import type { BenchStorage } from './storageProcess';

/**
 * The runner burst (`npm run bench -- scale`): 1,000 approved plans in 50 subscriptions whose AKS
 * maintenance window opens at the same minute, the simulator in its own process at 20 ms per call with
 * ARM's token buckets, every runner tick an invocation of its own process at the timer's schedule.
 * Measured from the simulator's call log: when each cluster's first step reached ARM, the writes per
 * subscription, the 429s and whether the next call of that subscription waited for the Retry-After,
 * and the operation polls per minute; from the invocations, their peak RSS.
 */
const BURST = { plans: 1000, subscriptions: 50, regions: 5, pools: 2 };
const FROM = '1.35.8';
const TO = '1.36.3';
/** Every first step starts within this long of the opening. */
const START_WITHIN_S = 120;
/** ARM's write bucket per subscription (docs/design/azure-arm.md §f). */
const WRITE_BUCKET = 200;
/** Time for the set-up (1,000 plans into Azurite) before the opening. */
const SETUP_MS = 45_000;
/** The tick before the opening (every plan still waits) needs this long before it. */
const PRE_TICK_MS = 10_000;
/** A call of a throttled subscription later than this after the 429 was sent before the client read it. */
const IN_FLIGHT_SLACK_MS = 300;

const GATE: PlanGate = {
  gated: true,
  required: 1,
  autoExecute: true,
  expiryMs: 24 * 3_600_000,
  reminderAt: 0.5,
  escalateAt: 0.75,
  approvers: ['oncall@bench.example'],
  secondary: [],
};

/** The policy of the burst's app: production routes to on-call, so the burst's notices fill the outbox. */
const BURST_POLICY = JSON.stringify({ routes: { production: { email: ['oncall@bench.example'] } } });

/** The generated fleet, every cluster on `FROM` in production with AKS's window opening at `opening`. */
function burstFleet(opening: Date): FleetFile {
  const fleet = generateFleet({
    clusters: BURST.plans,
    subscriptions: BURST.subscriptions,
    regions: BURST.regions,
    pools: BURST.pools,
  });
  const day = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][
    opening.getUTCDay()
  ];
  const window = {
    aksManagedAutoUpgradeSchedule: {
      maintenanceWindow: {
        schedule: { weekly: { intervalWeeks: 1, dayOfWeek: day } },
        durationHours: 4,
        startDate: new Date(opening.getTime() - 7 * 86_400_000).toISOString().slice(0, 10),
        startTime: opening.toISOString().slice(11, 16),
        utcOffset: '+00:00',
      },
    },
  };
  return {
    ...fleet,
    clusters: fleet.clusters.map((c) => ({
      ...c,
      kubernetesVersion: FROM,
      tags: { ...c.tags, environment: 'production' },
      supportPlan: 'KubernetesOfficial',
      autoUpgradeProfile: { upgradeChannel: 'none', nodeOSUpgradeChannel: 'NodeImage' },
      pools: (c.pools ?? []).map((p) => ({ ...p, orchestratorVersion: FROM })),
      maintenanceConfigurations: window,
    })),
  };
}

/** Stores one `scheduled` plan per cluster, as approval and the runner leave it before its window. */
async function storePlans(fleet: FleetFile, env: NodeJS.ProcessEnv, opening: Date): Promise<void> {
  const keys = parseApprovalKeys(process.env.WARDEN_APPROVAL_KEYS ?? '');
  if (typeof keys === 'string') throw new Error(`WARDEN_APPROVAL_KEYS: ${keys}`);
  const tables = new Tables(
    { kind: 'connectionString', connectionString: env.AzureWebJobsStorage ?? '' },
    env.WARDEN_TABLE_PREFIX ?? 'warden',
  );
  const plans = new TablePlanStore(tables, new TableOutbox(tables, () => []));
  const links = new ApprovalLinks(keys, 'http://127.0.0.1:7071');
  const at = new Date();
  const by = { actor: 'warden', source: { kind: 'sweep' as const } };
  const window = {
    source: 'aks' as const,
    description: `weekly at ${opening.toISOString().slice(11, 16)} UTC for 4 h`,
    start: opening.toISOString(),
    end: new Date(opening.getTime() + 4 * 3_600_000).toISOString(),
  };
  await pool(fleet.clusters.length, 16, async (i) => {
    const c = fleet.clusters[i];
    if (c === undefined) return;
    const ref = parseClusterId(clusterId(c.subscriptionId, c.resourceGroup, c.name));
    if (ref === undefined) throw new Error(`bad cluster ${c.name}`);
    const steps: StepTarget[] = [
      { kind: 'control-plane', from: FROM, to: TO },
      ...(c.pools ?? []).map((p): StepTarget => ({
        kind: 'node-pool',
        pool: p.name,
        mode: p.mode ?? 'User',
        from: FROM,
        to: TO,
      })),
    ];
    const results: TransitionResult[] = [
      proposePlan(
        {
          id: `burst${i.toString().padStart(4, '0')}${at.getTime().toString(36)}`,
          cluster: { ...ref, location: c.location, ring: 'production', tags: c.tags ?? {} },
          kind: 'minor',
          from: FROM,
          to: TO,
          steps,
          gate: GATE,
          window,
          findings: [],
          urgency: 'normal',
          reason: 'bench: runner burst',
          initiator: 'warden',
          by,
        },
        at,
      ),
    ];
    const evidence = {
      ring: 'production' as const,
      version: TO,
      allowed: true,
      reason: 'soaked',
      soakMs: 0,
      plans: [],
      checkedAt: at.toISOString(),
    };
    const next = (event: Parameters<typeof transition>[1]): void => {
      const last = results[results.length - 1] as TransitionResult;
      results.push(transition(last.plan, event, at));
    };
    next({ type: 'PromotionSatisfied', evidence, requestId: 'bench', by });
    next({ type: 'ApprovalGranted', approver: 'oncall@bench.example', comment: '', round: 1, by });
    next({ type: 'Scheduled', window, by: { actor: 'runner', source: { kind: 'runner' } } });
    const { commit } = toCommit(links, results);
    // The notices of the approval went out before the burst: the outbox holds the burst's own.
    await plans.create({ ...commit, notices: [] });
  });
}

const isWrite = (c: CallRecord): boolean => c.api === 'arm' && c.method !== 'GET';
const isPoll = (c: CallRecord): boolean =>
  c.api === 'arm' && c.method === 'GET' && /\/operations\/|\/operationresults\//i.test(c.path);

/** The 429s after which another call of the same subscription came before the Retry-After had passed. */
function notHonoured(calls: readonly CallRecord[]): number {
  const came = (c: CallRecord): number => Date.parse(c.receivedAt ?? c.time);
  return calls.filter((refused) => {
    if (refused.status !== 429 || refused.subscription === undefined) return false;
    const from = Date.parse(refused.time) + IN_FLIGHT_SLACK_MS;
    const until = Date.parse(refused.time) + (refused.retryAfterSeconds ?? 0) * 1000;
    return calls.some((c) => c.subscription === refused.subscription && came(c) > from && came(c) < until);
  }).length;
}

/** `benchScale`'s runner figures: the burst at its window's opening, and the memory of its invocations. */
export async function benchRunnerBurst(azurite: BenchStorage): Promise<Figure[]> {
  const opening = new Date(Math.ceil((Date.now() + SETUP_MS) / 60_000) * 60_000);
  const fleet = burstFleet(opening);
  const dir = mkdtempSync(join(tmpdir(), 'warden-burst-'));
  const fleetPath = join(dir, 'fleet.json');
  writeFileSync(fleetPath, JSON.stringify(fleet));
  const acs = new AcsEmailSim();
  await acs.start();
  let sim: SimChild | undefined;
  try {
    sim = await startSimProcess(fleetPath);
    const env: NodeJS.ProcessEnv = {
      ...appEnv(sim, `burst${Date.now().toString(36)}`, azurite),
      WARDEN_POLICY: BURST_POLICY,
      WARDEN_ACS_CONNECTION_STRING: acs.connectionString,
      WARDEN_ACS_SENDER: 'DoNotReply@bench.example',
    };
    await storePlans(fleet, env, opening);
    if (Date.now() > opening.getTime() - PRE_TICK_MS) throw new Error('the set-up took past the opening');
    const waiting = await invoke('runner', env);
    await sim.clear();
    const ticks: InvocationReport[] = [];
    // The timer's first two runs after the opening: the starts, then the polls and the next steps.
    for (let at = nextRunnerRun(new Date(opening.getTime() - 1)); ticks.length < 2; at = nextRunnerRun(at)) {
      const wait = at.getTime() - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      ticks.push(await invoke('runner', env));
    }
    const calls = await sim.calls();
    const dispatcher = await invoke('dispatcher', env);

    const firstWrite = new Map<string, number>();
    for (const c of calls) {
      const name = /\/managedclusters\/([^/?]+)$/i.exec(c.path)?.[1]?.toLowerCase();
      if (isWrite(c) && name !== undefined && c.status < 300 && !firstWrite.has(name))
        firstWrite.set(name, Date.parse(c.time));
    }
    const starts = [...firstWrite.values()].map((t) => (t - opening.getTime()) / 1000);
    const started = starts.length;
    const latest = started === fleet.clusters.length ? Math.max(...starts) : Infinity;
    const writes = new Map<string, number>();
    for (const c of calls)
      if (isWrite(c) && c.subscription !== undefined)
        writes.set(c.subscription, (writes.get(c.subscription) ?? 0) + 1);
    const pollsPerMinute = new Map<number, number>();
    for (const c of calls)
      if (isPoll(c)) {
        const minute = Math.floor((Date.parse(c.time) - opening.getTime()) / 60_000);
        pollsPerMinute.set(minute, (pollsPerMinute.get(minute) ?? 0) + 1);
      }
    const throttled = calls.filter((c) => c.status === 429).length;
    const tickPeak = Math.max(...ticks.map((t) => t.peakRssMb));
    console.log(
      `  runner burst: ${started} of ${fleet.clusters.length} first steps sent; ticks ${ticks
        .map((t) => `${(t.ms / 1000).toFixed(1)} s ${JSON.stringify(t.detail.outcomes)}`)
        .join(
          ', ',
        )}; ${calls.length} ARM calls, ${throttled} 429s; dispatcher ${JSON.stringify(dispatcher.detail)}`,
    );
    return [
      figure({
        name: 'runner burst: latest first step after the opening',
        value: Number.isFinite(latest)
          ? Math.round(latest * 10) / 10
          : (Date.now() - opening.getTime()) / 1000,
        unit: 's',
        baseline: { name: 'earliest', value: Math.round(Math.min(...starts) * 10) / 10 },
        goal: Number.isFinite(latest) ? atMost(START_WITHIN_S, 's') : atMost(-1, 's (every plan started)'),
        kind: 'absolute',
      }),
      figure({
        name: 'runner burst: most writes of one subscription',
        value: Math.max(0, ...writes.values()),
        unit: 'writes',
        baseline: { name: 'ARM write bucket', value: WRITE_BUCKET },
        goal: atMost(WRITE_BUCKET),
        kind: 'count',
      }),
      figure({
        name: 'runner burst: 429s not honoured',
        value: notHonoured(calls),
        unit: '429s',
        baseline: { name: '429s received', value: throttled },
        goal: atMost(0),
        kind: 'count',
      }),
      figure({
        name: 'runner burst: operation polls, busiest minute',
        value: Math.max(0, ...pollsPerMinute.values()),
        unit: 'polls/min',
        baseline: { name: 'plans running', value: started },
        goal: atMost(fleet.clusters.length),
        kind: 'count',
      }),
      memoryFigure(`runner tick invocation, ${fleet.clusters.length} plans due: peak RSS`, tickPeak, {
        name: 'tick before the opening',
        value: waiting.peakRssMb,
      }),
      memoryFigure("dispatcher invocation, the burst's outbox: peak RSS", dispatcher.peakRssMb, {
        name: 'runner tick',
        value: tickPeak,
      }),
    ];
  } finally {
    await sim?.close();
    await acs.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

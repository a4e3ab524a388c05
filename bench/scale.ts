import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { QueueClient } from '@azure/storage-queue';

import type { CallRecord, SimStats } from '../local/sim';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import { FLEET_ROWS } from '../shared/web/dashboard';
import { INSTANCE_MB, INSTANCE_NODE_FLAGS } from './instance';
import type { Figure } from './report';
import { atLeast, atMost, figure, noGoal, percentile, ratioAtMost } from './report';
import type { InvocationReport } from './scaleInvocation';
import type { BurstDetail } from './scaleRelease';
import { burstFigures, RELEASE } from './scaleRelease';
import { benchRunnerBurst } from './scaleRunner';
import type { BenchStorage } from './storageProcess';
import { forkTracked } from './storageProcess';

/**
 * `npm run bench -- scale`: Warden at 5,000 and 50,000 clusters. The simulator runs in a process of
 * its own (scaleSim.ts) at 20 ms per call with ARM's token buckets and Resource Graph's quota, Azurite
 * in another; every invocation measured runs in a fresh process (scaleInvocation.ts), so its peak RSS
 * is what a Functions instance of its own would need. Figures are compared within this run only: on
 * a shared machine absolute times are pessimistic, ratios are not.
 */
const SMALL = { clusters: 5_000, subscriptions: 20, regions: 10, pools: 3 };
const LARGE = { clusters: 50_000, subscriptions: 500, regions: 12, pools: 3 };
const LATENCY_MS = 20;
/** Time per cluster at 50,000 may be at most this times the time per cluster at 5,000. */
export const LINEAR_RATIO = 1.5;
export const MAX_SWEEP_CALLS = 150;

interface Fleet {
  readonly clusters: number;
  readonly subscriptions: number;
  readonly regions: number;
  readonly pools: number;
}

export interface SimChild {
  readonly armUrl: string;
  readonly caCertPem?: string;
  readonly subscriptionIds: readonly string[];
  stats(): Promise<SimStats>;
  /** The calls since the last `clear`. */
  calls(): Promise<CallRecord[]>;
  clear(): Promise<void>;
  /** Offers `version` in every region; answers how many regions got it. */
  release(version: string): Promise<number>;
  close(): Promise<void>;
}

function ask<T>(child: ReturnType<typeof forkTracked>, message: string | object, key: string): Promise<T> {
  return new Promise((resolveAnswer) => {
    const listener = (m: unknown): void => {
      if (typeof m === 'object' && m !== null && key in m) {
        child.off('message', listener);
        resolveAnswer((m as Record<string, T>)[key] as T);
      }
    };
    child.on('message', listener);
    child.send(message);
  });
}

function startSimChild(fleet: Fleet): Promise<SimChild> {
  return startSimProcess(`generate:${fleet.clusters},${fleet.subscriptions},${fleet.regions},${fleet.pools}`);
}

/**
 * The simulator in a process of its own, for a fleet file path or a `generate:` spec. Tracked like
 * every bench child: run.ts stops it on every way out, a section that failed included.
 */
export async function startSimProcess(spec: string): Promise<SimChild> {
  const child = forkTracked(resolve(__dirname, 'scaleSim.js'), [spec, String(LATENCY_MS)]);
  type Ready = Omit<SimChild, 'stats' | 'calls' | 'clear' | 'release' | 'close'>;
  const ready = await new Promise<Ready>((ok, fail) => {
    child.once('message', (m) => ok(m as Ready));
    child.once('exit', (code) => fail(new Error(`simulator process exited (${code ?? 'signal'})`)));
  });
  return {
    ...ready,
    stats: () => ask<SimStats>(child, 'stats', 'stats'),
    calls: () => ask<CallRecord[]>(child, 'calls', 'calls'),
    clear: async () => void (await ask<boolean>(child, 'clear', 'cleared')),
    release: (version) => ask<number>(child, { release: version }, 'released'),
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null || child.signalCode !== null) return done();
        child.once('exit', () => done());
        child.send('close');
      }),
  };
}

/**
 * The kinds that are one invocation of a Functions instance. They run with the node flags of the
 * smallest instance; the others are the bench's baselines and clients (the whole sweep in one
 * process, the dashboard reading every row, the release burst's client) and run with node's defaults.
 */
const INSTANCE_KINDS = new Set(['coordinator', 'shard', 'dashboard', 'runner', 'dispatcher']);

/**
 * Runs one invocation in a fresh process with the app's settings for `env` (and, for the kinds
 * that are invocations of an instance, {@link INSTANCE_NODE_FLAGS}). With
 * WARDEN_BENCH_CPU_PROF=DIR (and WARDEN_BENCH_CPU_PROF_KINDS=kind,… to profile only some kinds), the
 * process writes a V8 CPU profile into DIR (`--cpu-prof`, which NODE_OPTIONS cannot carry).
 */
export function invoke(kind: string, env: NodeJS.ProcessEnv): Promise<InvocationReport> {
  const profileDir = process.env.WARDEN_BENCH_CPU_PROF;
  const kinds = process.env.WARDEN_BENCH_CPU_PROF_KINDS?.split(',');
  const profile =
    profileDir !== undefined && profileDir !== '' && (kinds === undefined || kinds.includes(kind));
  const flags = [
    ...(INSTANCE_KINDS.has(kind) ? INSTANCE_NODE_FLAGS : []),
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
  ];
  return new Promise((ok, fail) => {
    const child = forkTracked(
      resolve(__dirname, 'scaleInvocation.js'),
      [kind],
      { ...process.env, ...env },
      flags.length > 0 ? flags : undefined,
    );
    let report: InvocationReport | undefined;
    child.on('message', (m) => (report = m as InvocationReport));
    child.once('exit', (code) =>
      report !== undefined && code === 0
        ? ok(report)
        : fail(new Error(`${kind} invocation exited (${code ?? 'signal'})`)),
    );
  });
}

/** The app's settings for a fleet behind `sim`, its tables under their own prefix. */
export function appEnv(sim: SimChild, prefix: string, azurite: BenchStorage): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    AzureWebJobsStorage: azurite.connectionString,
    WARDEN_TABLE_PREFIX: prefix,
    WARDEN_ARM_ENDPOINT: sim.armUrl,
    WARDEN_SCOPE_SUBSCRIPTIONS: sim.subscriptionIds.join(','),
    WARDEN_LOG: 'quiet',
  };
  if (sim.caCertPem !== undefined) {
    const path = join(mkdtempSync(join(tmpdir(), 'warden-scale-')), 'sim-ca.pem');
    writeFileSync(path, sim.caCertPem);
    env.WARDEN_ARM_CA_CERT = path;
  }
  return env;
}

interface SweepRun {
  readonly clusters: number;
  readonly msPerCluster: number;
  readonly seconds: number;
  readonly calls: number;
  readonly throttled: number;
  readonly peakRssMb: number;
}

interface SweepSummaryShape {
  readonly clusters: number;
  readonly problems: readonly string[];
}

async function sweepRun(sim: SimChild, fleet: Fleet, env: NodeJS.ProcessEnv): Promise<SweepRun> {
  await sim.clear();
  const report = await invoke('sweep', env);
  const stats = await sim.stats();
  const summary = report.detail.summary as SweepSummaryShape;
  if (summary.clusters !== fleet.clusters || summary.problems.length > 0)
    throw new Error(`sweep of ${fleet.clusters} incomplete: ${JSON.stringify(summary).slice(0, 400)}`);
  return {
    clusters: summary.clusters,
    msPerCluster: report.ms / summary.clusters,
    seconds: report.ms / 1000,
    calls: stats.calls,
    throttled: stats.throttled,
    peakRssMb: report.peakRssMb,
  };
}

/**
 * `npm run bench -- scale`: every scale figure, each goal with its verdict. The release burst runs on a
 * fleet of its own ({@link BURST_FLEET}; WARDEN_BENCH_RELEASE_FLEET overrides it), swept and partly
 * planned first, as `scale-release` runs it: the same path measured alone, and the burst's plans and
 * notices are not mixed with the dashboard's and the timers'.
 */
export async function benchScale(azurite: BenchStorage): Promise<Figure[]> {
  const sweeps = await benchScaleSweeps(azurite, async (env) => {
    const dashboard = await benchScaleDashboard(env);
    const host = {
      name: 'the host serving the dashboard',
      value: dashboard.find((f) => f.unit === 'MB')?.value ?? 0,
    };
    // The fleet with the plans its sweep proposed, and the outbox with their notices.
    return [...dashboard, ...(await benchFleetTimers(env, host))];
  });
  const burst = await benchScaleRelease(azurite, process.env.WARDEN_BENCH_RELEASE_FLEET ?? BURST_FLEET);
  return [...sweeps, ...burst, ...(await benchRunnerBurst(azurite))];
}

/** The release burst's fleet in the scale section: the 50,000 sweep's shape (500 subscriptions, 12 regions, 3 pools). */
const BURST_FLEET = '50000,500,12,3';

/** The sweeps' figures; `after50k` runs more against the swept 50,000 (same simulator, same tables). */
export async function benchScaleSweeps(
  azurite: BenchStorage,
  after50k: (env: NodeJS.ProcessEnv, sim: SimChild) => Promise<Figure[]> = () => Promise.resolve([]),
): Promise<Figure[]> {
  const stamp = Date.now().toString(36);
  const smallSim = await startSimChild(SMALL);
  let small: SweepRun;
  try {
    small = await sweepRun(smallSim, SMALL, appEnv(smallSim, `scale5k${stamp}`, azurite));
  } finally {
    await smallSim.close();
  }

  const largeSim = await startSimChild(LARGE);
  try {
    return await sweptLarge(azurite, largeSim, small, stamp, after50k);
  } finally {
    await largeSim.close();
  }
}

async function sweptLarge(
  azurite: BenchStorage,
  largeSim: SimChild,
  small: SweepRun,
  stamp: string,
  after50k: (env: NodeJS.ProcessEnv, sim: SimChild) => Promise<Figure[]>,
): Promise<Figure[]> {
  const env = appEnv(largeSim, `scale50k${stamp}`, azurite);
  const large = await sweepRun(largeSim, LARGE, env);
  console.log(
    `  sweeps: 5,000 in ${small.seconds.toFixed(1)} s, 50,000 in ${large.seconds.toFixed(1)} s ` +
      `(in one process each: coordinator + shards, 8 at a time; peak ${small.peakRssMb} / ${large.peakRssMb} MB)`,
  );

  // The Functions shape at 50,000: the timer's coordinator queues the shards, each shard its own invocation.
  const queue = new QueueClient(azurite.connectionString, SWEEP_QUEUE);
  await queue.createIfNotExists();
  await queue.clearMessages();
  const coordinator = await invoke('coordinator', env);
  const queued = (await queue.getProperties()).approximateMessagesCount ?? 0;
  const shardPeaks: number[] = [];
  for (let i = 0; i < 3; i++) shardPeaks.push((await invoke('shard', env)).peakRssMb);
  await queue.clearMessages();
  const more = await after50k(env, largeSim);

  const whole = { name: 'whole sweep in one process', value: large.peakRssMb };
  return [
    figure({
      name: 'sweep, 50,000 clusters: time per cluster',
      value: large.msPerCluster,
      unit: 'ms/cluster',
      baseline: { name: '5,000 clusters, same run', value: small.msPerCluster },
      goal: ratioAtMost(LINEAR_RATIO),
      kind: 'ratio',
    }),
    figure({
      name: 'sweep, 50,000 clusters: ARM + Resource Graph calls',
      value: large.calls,
      unit: 'calls',
      baseline: { name: '5,000 clusters', value: small.calls },
      goal: atMost(MAX_SWEEP_CALLS),
      kind: 'count',
    }),
    figure({
      name: 'sweep, 50,000 clusters: 429s received',
      value: large.throttled,
      unit: '429s',
      baseline: { name: '5,000 clusters', value: small.throttled },
      goal: noGoal('each is retried after its Retry-After; the calls figure counts the retries'),
      kind: 'count',
    }),
    memoryFigure('coordinator invocation, 50,000: peak RSS', coordinator.peakRssMb, whole),
    memoryFigure(`shard invocation (1 of ${queued}), 50,000: peak RSS`, Math.max(...shardPeaks), whole),
    ...more,
  ];
}

/**
 * One runner tick and one dispatcher run over the swept 50,000 with the plans its shards proposed: the
 * timers' invocations at the fleet's size, beside the host serving the dashboard.
 */
async function benchFleetTimers(
  env: NodeJS.ProcessEnv,
  host: { readonly name: string; readonly value: number },
): Promise<Figure[]> {
  const runner = await invoke('runner', env);
  const dispatcher = await invoke('dispatcher', env);
  // The lines the timers logged, by their first words; those logged once (one plan's, one notice's) as a count.
  const tally = (lines: unknown): string => {
    const counts = Object.entries((lines ?? {}) as Record<string, number>);
    const once = counts.filter(([, n]) => n === 1).length;
    return JSON.stringify({ ...Object.fromEntries(counts.filter(([, n]) => n > 1)), 'logged once': once });
  };
  console.log(
    `  timers over the fleet: runner tick ${(runner.ms / 1000).toFixed(1)} s ${tally(runner.detail.outcomes)}; ` +
      `dispatcher ${(dispatcher.ms / 1000).toFixed(1)} s ${tally(dispatcher.detail.lines)}`,
  );
  return [
    memoryFigure('runner tick invocation, 50,000 clusters with plans: peak RSS', runner.peakRssMb, host),
    memoryFigure('dispatcher invocation, 50,000 clusters with plans: peak RSS', dispatcher.peakRssMb, host),
  ];
}

/** The memory ceiling of one invocation: the smallest Flex Consumption instance. */
export function memoryFigure(
  name: string,
  mb: number,
  baseline: { readonly name: string; readonly value: number },
): Figure {
  return figure({ name, value: mb, unit: 'MB', baseline, goal: atMost(INSTANCE_MB, 'MB'), kind: 'ceiling' });
}

const DASHBOARD_P99_MS = 300;
const DASHBOARD_MAX_KB = 250;

/** The dashboard over the swept 50,000, from the fleet summary, beside the page that read every row. */
async function benchScaleDashboard(env: NodeJS.ProcessEnv): Promise<Figure[]> {
  const served = await invoke('dashboard', env);
  const everyRow = await invoke('dashboard-rows', env);
  const times = served.detail.times as number[];
  const first = Math.round(served.detail.firstMs as number);
  const kb = (bytes: unknown): number => Math.round((bytes as number) / 1024);
  const sameOrder = JSON.stringify(served.detail.rows) === JSON.stringify(everyRow.detail.rows);
  const rows = (served.detail.rows as string[]).length;
  return [
    figure({
      name: 'dashboard, 50,000 clusters: p99',
      value: Math.round(percentile(times, 99)),
      unit: `ms (${times.length} GETs)`,
      baseline: { name: 'reading every row, once', value: Math.round(everyRow.detail.ms as number) },
      goal: atMost(DASHBOARD_P99_MS, 'ms'),
      kind: 'absolute',
    }),
    figure({
      name: 'dashboard, 50,000 clusters: page size',
      value: kb(served.detail.bytes),
      unit: 'KB',
      baseline: { name: 'reading every row', value: kb(everyRow.detail.bytes) },
      goal: atMost(DASHBOARD_MAX_KB, 'KB'),
      kind: 'count',
    }),
    figure({
      name: `dashboard, 50,000: the same ${rows} rows in the same order`,
      value: sameOrder && rows === FLEET_ROWS ? 1 : 0,
      unit: sameOrder ? 'yes' : 'no',
      baseline: { name: 'reading every row', value: 1 },
      goal: atLeast(1),
      kind: 'count',
    }),
    figure({
      name: 'dashboard, 50,000 clusters: first GET of the deployment (plans index backfill check)',
      value: first,
      unit: 'ms',
      baseline: { name: 'p99 of the GETs after it', value: Math.round(percentile(times, 99)) },
      goal: noGoal('once per deployment: the plans listed already are found, none written again'),
      kind: 'absolute',
    }),
    memoryFigure('dashboard invocation, 50,000: peak RSS', served.peakRssMb, {
      name: 'reading every row',
      value: everyRow.peakRssMb,
    }),
  ];
}

/**
 * `npm run bench -- scale-release`: the release burst alone, over a generated fleet of its own, swept
 * first so its clusters are stored. WARDEN_BENCH_RELEASE_FLEET is `N` or `N,S,R,P` (clusters,
 * subscriptions, regions, pools; 2,000 clusters of 50 subscriptions, 12 regions, 3 pools by default).
 * The scale section runs it the same way on 10,000.
 */
export async function benchScaleRelease(
  azurite: BenchStorage,
  spec = process.env.WARDEN_BENCH_RELEASE_FLEET ?? '2000',
): Promise<Figure[]> {
  const fleet = releaseFleet(spec);
  const sim = await startSimChild(fleet);
  try {
    const env = appEnv(sim, `release${Date.now().toString(36)}`, azurite);
    const swept = await sweepRun(sim, fleet, env);
    // As in the scale section: the timer's coordinator queues the shards, and a few shards run, planning
    // their clusters before the release (so some clusters already have an open plan to an older patch).
    const queue = new QueueClient(azurite.connectionString, SWEEP_QUEUE);
    await queue.createIfNotExists();
    await queue.clearMessages();
    await invoke('coordinator', env);
    for (let i = 0; i < SHARDS_BEFORE_RELEASE; i++) await invoke('shard', env);
    await queue.clearMessages();
    console.log(`  sweep: ${fleet.clusters} clusters in ${swept.seconds.toFixed(1)} s`);
    return await benchReleaseBurst(azurite, env, sim, {
      name: 'the sweep in one process',
      value: swept.peakRssMb,
    });
  } finally {
    await sim.close();
  }
}

/** Shards run (and planned) before the release, as the scale section runs them at 50,000. */
const SHARDS_BEFORE_RELEASE = 3;

function releaseFleet(spec: string): Fleet {
  const [clusters, subscriptions = Math.min(50, clusters ?? 1), regions = 12, pools = 3] = spec
    .split(',')
    .map((part) => Number(part.trim()));
  const fleet = { clusters: clusters ?? NaN, subscriptions, regions, pools };
  if (!Object.values(fleet).every((n) => Number.isInteger(n) && n > 0))
    throw new Error(`WARDEN_BENCH_RELEASE_FLEET must be N or N,S,R,P (positive integers), not "${spec}"`);
  return fleet;
}

/** The release burst over a swept fleet (scaleRelease.ts), with the demo's policy and notices. */
async function benchReleaseBurst(
  storage: BenchStorage,
  env: NodeJS.ProcessEnv,
  sim: SimChild,
  idleHost: { readonly name: string; readonly value: number },
): Promise<Figure[]> {
  const regions = await sim.release(RELEASE);
  if (regions === 0) throw new Error(`the simulator did not offer ${RELEASE} anywhere`);
  await sim.clear();
  const requestsBefore = await storage.tableRequests();
  const burst = await invoke('release-burst', {
    ...env,
    WARDEN_POLICY: resolve(__dirname, '../../local/policy.demo.yaml'),
  });
  const detail = burst.detail as BurstDetail;
  const stats = await sim.stats();
  const requests = (await storage.tableRequests()) - requestsBefore;
  console.log(
    `  release burst: ${detail.events} deliveries in ${detail.seconds.toFixed(1)} s; ${stats.calls} ARM calls, ${stats.throttled} answered 429; ` +
      `${requests} table requests in the invocation (burst, ${detail.redelivered} redelivered, the counts)`,
  );
  console.log(`  release burst: the client (its deliveries and counts) peaked at ${burst.peakRssMb} MB RSS`);
  for (const error of detail.errors) console.log(`    ${error}`);
  return burstFigures(detail, detail.hostPeakRssMb, (mb) =>
    memoryFigure('release burst host, peak RSS', mb, idleHost),
  );
}

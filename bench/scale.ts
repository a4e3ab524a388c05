import { fork } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { QueueClient } from '@azure/storage-queue';

import type { SimStats } from '../local/sim';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import type { Figure } from './report';
import type { InvocationReport } from './scaleInvocation';
import type { BenchStorage } from './storageProcess';

/**
 * `npm run bench -- scale`: Warden at 5,000 and 50,000 clusters. The simulator runs in a process of
 * its own (scaleSim.ts) at 20 ms per call with ARM's token buckets and Resource Graph's quota, Azurite
 * in another; every invocation measured runs in a fresh process (scaleInvocation.ts), so its peak RSS
 * is what a Functions instance of its own would need. Figures are compared within this run only: on
 * a shared machine absolute times are pessimistic, ratios are not.
 */
/**
 * A figure with its verdict; `decides` marks those whose failure fails the run (the linear-cost ratio
 * and the memory ceilings).
 */
export interface ScaleFigure extends Figure {
  readonly pass: boolean;
  readonly decides: boolean;
}

const SMALL = { clusters: 5_000, subscriptions: 20, regions: 10, pools: 3 };
const LARGE = { clusters: 50_000, subscriptions: 500, regions: 12, pools: 3 };
const LATENCY_MS = 20;
/** The smallest Flex Consumption instance. */
export const INSTANCE_MB = 512;
/** Time per cluster at 50,000 may be at most this times the time per cluster at 5,000. */
export const LINEAR_RATIO = 1.5;
export const MAX_SWEEP_CALLS = 150;

interface Fleet {
  readonly clusters: number;
  readonly subscriptions: number;
  readonly regions: number;
  readonly pools: number;
}

interface SimChild {
  readonly armUrl: string;
  readonly caCertPem?: string;
  readonly subscriptionIds: readonly string[];
  stats(): Promise<SimStats>;
  clear(): Promise<void>;
  close(): Promise<void>;
}

function ask<T>(child: ReturnType<typeof fork>, message: string, key: string): Promise<T> {
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

async function startSimChild(fleet: Fleet): Promise<SimChild> {
  const spec = `generate:${fleet.clusters},${fleet.subscriptions},${fleet.regions},${fleet.pools}`;
  const child = fork(resolve(__dirname, 'scaleSim.js'), [spec, String(LATENCY_MS)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Omit<SimChild, 'stats' | 'clear' | 'close'>>((ok, fail) => {
    child.once('message', (m) => ok(m as Omit<SimChild, 'stats' | 'clear' | 'close'>));
    child.once('exit', (code) => fail(new Error(`simulator process exited (${code ?? 'signal'})`)));
  });
  return {
    ...ready,
    stats: () => ask<SimStats>(child, 'stats', 'stats'),
    clear: async () => void (await ask<boolean>(child, 'clear', 'cleared')),
    close: () =>
      new Promise<void>((done) => {
        child.once('exit', () => done());
        child.send('close');
      }),
  };
}

/** Runs one invocation in a fresh process with the app's settings for `env`. */
export function invoke(kind: string, env: NodeJS.ProcessEnv): Promise<InvocationReport> {
  return new Promise((ok, fail) => {
    const child = fork(resolve(__dirname, 'scaleInvocation.js'), [kind], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
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
function appEnv(sim: SimChild, prefix: string, azurite: BenchStorage): NodeJS.ProcessEnv {
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

/** `npm run bench -- scale`: every scale figure, each goal with its verdict. */
export async function benchScale(azurite: BenchStorage): Promise<ScaleFigure[]> {
  const figures = await benchScaleSweeps(azurite);
  return figures.map((f) => ({ ...f, goal: `${f.goal ?? ''} → ${f.pass ? 'pass' : 'FAIL'}` }));
}

/** The sweeps' figures; `after50k` runs more against the swept 50,000 (same simulator, same tables). */
export async function benchScaleSweeps(
  azurite: BenchStorage,
  after50k: (env: NodeJS.ProcessEnv) => Promise<ScaleFigure[]> = () => Promise.resolve([]),
): Promise<ScaleFigure[]> {
  const stamp = Date.now().toString(36);
  const smallSim = await startSimChild(SMALL);
  const small = await sweepRun(smallSim, SMALL, appEnv(smallSim, `scale5k${stamp}`, azurite));
  await smallSim.close();

  const largeSim = await startSimChild(LARGE);
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
  const more = await after50k(env);
  await largeSim.close();

  const ratio = large.msPerCluster / small.msPerCluster;
  return [
    {
      name: 'sweep, 50,000 clusters: time per cluster',
      value: large.msPerCluster,
      unit: 'ms/cluster',
      baseline: '5,000 clusters, same run',
      baselineValue: small.msPerCluster,
      goal: `<= ${LINEAR_RATIO} x baseline (${ratio.toFixed(2)} x)`,
      pass: ratio <= LINEAR_RATIO,
      decides: true,
    },
    {
      name: 'sweep, 50,000 clusters: ARM + Resource Graph calls',
      value: large.calls,
      unit: 'calls',
      baseline: '5,000 clusters',
      baselineValue: small.calls,
      goal: `<= ${MAX_SWEEP_CALLS}`,
      pass: large.calls <= MAX_SWEEP_CALLS,
      decides: false,
    },
    {
      name: 'sweep, 50,000 clusters: 429s received',
      value: large.throttled,
      unit: '429s',
      baseline: '5,000 clusters',
      baselineValue: small.throttled,
      goal: 'each honoured (every cluster stored, no problem)',
      pass: true,
      decides: false,
    },
    {
      name: 'coordinator invocation, 50,000: peak RSS',
      value: coordinator.peakRssMb,
      unit: 'MB',
      baseline: 'whole sweep in one process',
      baselineValue: large.peakRssMb,
      ...memoryGoal(coordinator.peakRssMb),
    },
    {
      name: `shard invocation (1 of ${queued}), 50,000: peak RSS`,
      value: Math.max(...shardPeaks),
      unit: 'MB',
      baseline: 'whole sweep in one process',
      baselineValue: large.peakRssMb,
      ...memoryGoal(Math.max(...shardPeaks)),
    },
    ...more,
  ];
}

/** The memory ceiling of one invocation: the smallest instance. */
export function memoryGoal(mb: number): Pick<ScaleFigure, 'goal' | 'pass' | 'decides'> {
  return { goal: `<= ${INSTANCE_MB} MB`, pass: mb <= INSTANCE_MB, decides: true };
}

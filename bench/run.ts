import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { loadRegistrations } from '../local/functionsCore';
import type { RunningHost } from '../local/host';
import { startHost } from '../local/host';
import type { RunningSimulator } from '../local/sim';
import { generateFleet, startSimulator } from '../local/sim';
import { clusterId } from '../shared/domain/armId';
import { BENCH_POLICY, benchApproval } from './approval';
import { benchColdStart } from './coldStart';
import { benchDashboard } from './dashboard';
import { benchIntake, benchIntakeDurability } from './intake';
import { benchPages } from './pages';
import { benchPreflight } from './preflight';
import type { Figure } from './report';
import { formatFigure, summarize, writeResults } from './report';
import { benchScale, benchScaleRelease } from './scale';
import { benchRunnerBurst } from './scaleRunner';
import type { BenchStorage } from './storageProcess';
import { startStorageProcess, stopChildren } from './storageProcess';
import { benchSweep } from './sweep';
import { benchWaves } from './waves';

/** What every section gets: the shared Azurite, a small simulated fleet, and a way to start the app. */
export interface BenchContext {
  readonly storage: BenchStorage;
  readonly sim: RunningSimulator;
  /** The ARM ids of the simulated fleet's clusters (intake's events name them). */
  readonly knownClusters: readonly string[];
  /** A fresh local host over the app's registrations (the caller closes it). */
  startApp(): Promise<RunningHost>;
}

/**
 * The sections, in the order they run: `npm run bench -- NAME…` runs only the named ones. To add one,
 * write `bench/NAME.ts` returning `figure({ name, value, unit, baseline, goal, kind })` values
 * (report.ts) and list it here; its figures are printed with their goal and verdict and counted in
 * the exit code. A section `onlyWhenNamed` (minutes long) stays out of a plain `npm run bench`.
 */
const SECTIONS: readonly {
  readonly name: string;
  readonly onlyWhenNamed?: boolean;
  run(ctx: BenchContext): Promise<Figure[]> | Figure[];
}[] = [
  { name: 'intake', run: (ctx) => benchIntake(ctx.storage, () => ctx.startApp(), ctx.knownClusters) },
  { name: 'durability', run: () => benchIntakeDurability(resolve(__dirname, 'run.js')) },
  { name: 'approval', run: (ctx) => benchApproval(ctx.storage, () => ctx.startApp()) },
  { name: 'pages', run: (ctx) => benchPages(ctx.storage, () => ctx.startApp()) },
  { name: 'waves', run: (ctx) => benchWaves(ctx.storage) },
  { name: 'sweep', run: (ctx) => benchSweep(ctx.storage) },
  { name: 'dashboard', run: (ctx) => benchDashboard(ctx.storage) },
  { name: 'preflight', run: () => benchPreflight() },
  {
    name: 'coldstart',
    run: () => benchColdStart(resolve(__dirname, '../deploy'), resolve(__dirname, '../local/functions.js')),
  },
  { name: 'scale', onlyWhenNamed: true, run: (ctx) => benchScale(ctx.storage) },
  { name: 'scale-release', onlyWhenNamed: true, run: (ctx) => benchScaleRelease(ctx.storage) },
  { name: 'scale-runner', onlyWhenNamed: true, run: (ctx) => benchRunnerBurst(ctx.storage) },
];

const USAGE = `usage: npm run bench [-- [--record] [section…]] (--record rewrites the rows of the sections run)  sections: ${SECTIONS.map((s) => s.name).join(', ')}`;

/** Points the app's settings at `storage` and a 200-cluster simulated fleet, swept by intake first. */
async function benchContext(storage: BenchStorage): Promise<BenchContext & { close(): Promise<void> }> {
  process.env.WARDEN_LOG = 'quiet';
  process.env.AzureWebJobsStorage = storage.connectionString;
  process.env.WARDEN_APPROVAL_KEYS ??= randomBytes(32).toString('base64');
  process.env.WARDEN_POLICY ??= BENCH_POLICY;
  const sim = await startSimulator({
    fleet: generateFleet({ clusters: 200, subscriptions: 2, regions: 2, pools: 2 }),
  });
  const caDir = mkdtempSync(join(tmpdir(), 'warden-bench-'));
  if (sim.caCertPem !== undefined) {
    writeFileSync(join(caDir, 'sim-ca.pem'), sim.caCertPem);
    process.env.WARDEN_ARM_CA_CERT = join(caDir, 'sim-ca.pem');
  }
  process.env.WARDEN_ARM_ENDPOINT = sim.armUrl;
  process.env.WARDEN_SCOPE_SUBSCRIPTIONS = [...sim.fleet.subscriptions.keys()].join(',');
  const knownClusters = [...sim.fleet.clusters.values()].map((c) =>
    clusterId(c.subscriptionId, c.resourceGroup, c.name),
  );
  const registrations = loadRegistrations(resolve(__dirname, '../local/functions.js'));
  return {
    storage,
    sim,
    knownClusters,
    startApp: () => startHost({ registrations, port: 0, logHandler: () => {}, log: () => {} }),
    async close() {
      await sim.close();
      rmSync(caDir, { recursive: true, force: true });
    },
  };
}

/**
 * `run.js --intake-child autosave|durable`: the intake section alone against an Azurite on disk, in a
 * process of its own (the app's services are built once per process), reporting its rate over IPC.
 * 1,000 events per run: the figure compares two runs of the same load, it does not need the long one.
 */
async function intakeChild(mode: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `warden-bench-${mode}-`));
  const storage = await startStorageProcess({ location: dir, durableTables: mode === 'durable' });
  try {
    const ctx = await benchContext(storage);
    try {
      const [rate] = await benchIntake(storage, () => ctx.startApp(), ctx.knownClusters, 1000);
      process.send?.({ rate: rate?.value });
    } finally {
      await ctx.close();
    }
  } finally {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run bench`: the figures of docs/design/performance.md, each beside its baseline from the same run. */
async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args[0] === '--intake-child') {
    await intakeChild(args[1] ?? 'durable');
    return 0;
  }
  const record = args.includes('--record');
  const only = args.filter((a) => a !== '--record');
  const unknown = only.filter((a) => !SECTIONS.some((s) => s.name === a));
  if (unknown.length > 0) {
    console.error(`bench: unknown ${unknown.map((a) => `"${a}"`).join(', ')}\n${USAGE}`);
    return 2;
  }
  const figures: Figure[] = [];
  const failed: string[] = [];
  const storage = await startStorageProcess();
  try {
    const ctx = await benchContext(storage);
    try {
      console.log(
        'Warden bench (2 cores; every figure beside its baseline from this run, with its goal and verdict)',
      );
      for (const section of SECTIONS) {
        const named = only.includes(section.name);
        if ((only.length > 0 || section.onlyWhenNamed === true) && !named) continue;
        try {
          for (const f of await section.run(ctx)) {
            console.log(formatFigure(f));
            figures.push({ ...f, section: section.name });
          }
        } catch (e) {
          failed.push(section.name);
          console.error(
            `  section ${section.name} failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
          );
        }
      }
    } finally {
      await ctx.close();
    }
  } finally {
    await storage.close();
  }
  const { lines, exitCode } = summarize(figures, failed);
  console.log(lines.join('\n'));
  if (record) {
    if (failed.length > 0) console.log('not recorded: a section did not finish');
    else {
      const ran = SECTIONS.map((x) => x.name).filter((n) => figures.some((f) => f.section === n));
      writeResults(resolve(process.cwd(), 'bench/results.json'), figures, ran);
      console.log(`written bench/results.json (sections ${ran.join(', ')}; the others' rows kept)`);
    }
  }
  return exitCode;
}

process.on('exit', stopChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    stopChildren();
    process.exit(130);
  });

main().then(
  (code) => {
    stopChildren();
    process.exit(code);
  },
  (e: unknown) => {
    console.error(e);
    stopChildren();
    process.exit(1);
  },
);

import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { loadRegistrations } from '../local/functionsCore';
import { startHost } from '../local/host';
import { generateFleet, startSimulator } from '../local/sim';
import { clusterId } from '../shared/domain/armId';
import { BENCH_POLICY, benchApproval } from './approval';
import { benchColdStart } from './coldStart';
import { benchDashboard } from './dashboard';
import { benchIntake } from './intake';
import { benchPages } from './pages';
import type { Figure } from './report';
import { printFigure, writeResults } from './report';
import type { ScaleFigure } from './scale';
import { benchScale } from './scale';
import { startStorageProcess } from './storageProcess';
import { benchSweep } from './sweep';

/** `npm run bench`: the figures of docs/design/performance.md, each beside its baseline from the same run. */
async function main(): Promise<void> {
  process.env.WARDEN_LOG = 'quiet';
  const azurite = await startStorageProcess();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.WARDEN_APPROVAL_KEYS ??= randomBytes(32).toString('base64');
  process.env.WARDEN_POLICY ??= BENCH_POLICY;
  // A small simulated fleet for intake: its clusters are swept first, so events name known clusters.
  const sim = await startSimulator({
    fleet: generateFleet({ clusters: 200, subscriptions: 2, regions: 2, pools: 2 }),
  });
  const caPath = join(mkdtempSync(join(tmpdir(), 'warden-bench-')), 'sim-ca.pem');
  if (sim.caCertPem !== undefined) {
    writeFileSync(caPath, sim.caCertPem);
    process.env.WARDEN_ARM_CA_CERT = caPath;
  }
  process.env.WARDEN_ARM_ENDPOINT = sim.armUrl;
  process.env.WARDEN_SCOPE_SUBSCRIPTIONS = [...sim.fleet.subscriptions.keys()].join(',');
  const knownClusters = [...sim.fleet.clusters.values()].map((c) =>
    clusterId(c.subscriptionId, c.resourceGroup, c.name),
  );
  const registrations = loadRegistrations(resolve(__dirname, '../local/functions.js'));
  const startApp = () => startHost({ registrations, port: 0, logHandler: () => {}, log: () => {} });
  // `npm run bench -- intake sweep` runs only the named sections; results.json is written only for a full run.
  // `scale` (minutes: 50,000 clusters) runs only when named.
  const only = process.argv.slice(2);
  const sections: [string, () => Promise<Figure[]> | Figure[]][] = [
    ['intake', () => benchIntake(azurite, startApp, knownClusters)],
    ['approval', () => benchApproval(azurite, startApp)],
    ['pages', () => benchPages(azurite, startApp)],
    ['sweep', () => benchSweep(azurite)],
    ['dashboard', () => benchDashboard(azurite)],
    [
      'coldstart',
      () => benchColdStart(resolve(__dirname, '../deploy'), resolve(__dirname, '../local/functions.js')),
    ],
    ['scale', () => benchScale(azurite)],
  ];
  const figures: Figure[] = [];
  console.log('Warden bench (2 cores; every figure beside its baseline from this run)');
  for (const [name, run] of sections) {
    if ((only.length > 0 || name === 'scale') && !only.includes(name)) continue;
    for (const f of await run()) {
      printFigure(f);
      figures.push(f);
    }
  }
  await sim.close();
  await azurite.close();
  const failed = figures.filter(
    (f) => (f as Partial<ScaleFigure>).decides === true && !(f as ScaleFigure).pass,
  );
  if (failed.length > 0) {
    console.log(`goals missed: ${failed.map((f) => f.name).join('; ')}`);
    process.exitCode = 1;
  }
  if (only.length === 0) {
    writeResults(resolve(process.cwd(), 'bench/results.json'), figures);
    console.log('written bench/results.json');
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import { startAzurite } from '../local/azurite';
import { loadRegistrations } from '../local/functionsCore';
import { startHost } from '../local/host';
import { BENCH_POLICY, benchApproval } from './approval';
import { benchColdStart } from './coldStart';
import { benchIntake } from './intake';
import type { Figure } from './report';
import { printFigure, writeResults } from './report';
import { benchSweep } from './sweep';

/** `npm run bench`: the figures of DESIGN §8, each beside its baseline from the same run. */
async function main(): Promise<void> {
  process.env.WARDEN_LOG = 'quiet';
  const azurite = await startAzurite();
  process.env.AzureWebJobsStorage = azurite.connectionString;
  process.env.WARDEN_APPROVAL_KEYS ??= randomBytes(32).toString('base64');
  process.env.WARDEN_POLICY ??= BENCH_POLICY;
  const registrations = loadRegistrations(resolve(__dirname, '../local/functions.js'));
  const startApp = () => startHost({ registrations, port: 0, logHandler: () => {}, log: () => {} });
  const figures: Figure[] = [];
  console.log('Warden bench (2 cores; every figure beside its baseline from this run)');
  for (const f of await benchIntake(azurite, startApp)) {
    printFigure(f);
    figures.push(f);
  }
  for (const f of await benchApproval(azurite, startApp)) {
    printFigure(f);
    figures.push(f);
  }
  for (const f of await benchSweep(azurite)) {
    printFigure(f);
    figures.push(f);
  }
  for (const f of benchColdStart(
    resolve(__dirname, '../deploy/index.js'),
    resolve(__dirname, '../local/functions.js'),
  )) {
    printFigure(f);
    figures.push(f);
  }
  await azurite.close();
  writeResults(resolve(process.cwd(), 'bench/results.json'), figures);
  console.log('written bench/results.json');
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

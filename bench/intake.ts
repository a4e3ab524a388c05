import { Agent, request as httpRequest } from 'node:http';

import { TableClient } from '@azure/data-tables';

import type { RunningHost } from '../local/host';
import type { Figure } from './report';
import { atLeast, atMost, figure, median, pool, ratioAtLeast } from './report';
import type { BenchStorage } from './storageProcess';
import { forkTracked } from './storageProcess';

const CONCURRENCY = 16;

function post(url: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        agent: keepAlive,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Runs the fleet sweep and waits until every cluster is stored, so the events name known clusters. */
async function sweepFirst(appUrl: string, expected: number): Promise<void> {
  const started = await fetch(`${appUrl}/api/sweep`, { method: 'POST' });
  if (started.status >= 300) throw new Error(`sweep answered ${started.status}`);
  const deadline = Date.now() + 60_000;
  for (;;) {
    const answer = (await (await fetch(`${appUrl}/api/clusters`)).json()) as { count: number };
    if (answer.count >= expected) return;
    if (Date.now() > deadline) throw new Error(`the sweep stored ${answer.count} of ${expected} clusters`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

/** A NewKubernetesVersionAvailable delivery (Event Grid schema) for one cluster, with a fresh id. */
export function newVersionEvent(clusterId: string): string {
  return JSON.stringify([
    {
      topic: clusterId,
      subject: clusterId.split('/').pop(),
      eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
      id: `bench-${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`,
      data: {
        latestSupportedKubernetesVersion: '1.36.5',
        latestStableKubernetesVersion: '1.35.9',
        lowestMinorKubernetesVersion: '1.34.12',
      },
      dataVersion: '1',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    },
  ]);
}

/**
 * Event intake against Azurite: events/s through the webhook of the local host, and the table
 * requests Azurite served per event; beside Azurite's raw single-entity write rate at the same
 * concurrency. The events are for clusters the sweep has stored ("for a known cluster"),
 * so each one is recorded and then planned: cluster read, open-plan query, plan writes when due.
 */
export async function benchIntake(
  azurite: BenchStorage,
  startApp: () => Promise<RunningHost>,
  knownClusterIds: readonly string[],
  events = 3000,
): Promise<Figure[]> {
  const raw = TableClient.fromConnectionString(azurite.connectionString, 'benchraw', {
    allowInsecureConnection: true,
  });
  await raw.createTable();
  const rawCount = 3000;
  let t0 = performance.now();
  await pool(rawCount, CONCURRENCY, async (i) => {
    await raw.createEntity({ partitionKey: `p${i % 50}`, rowKey: `r${i}`, value: i, text: 'x'.repeat(200) });
  });
  const rawRate = rawCount / ((performance.now() - t0) / 1000);

  const app = await startApp();
  await sweepFirst(app.url, knownClusterIds.length);
  const cluster = (i: number): string => knownClusterIds[i % knownClusterIds.length] ?? '';
  const warm = 100;
  await pool(
    warm,
    CONCURRENCY,
    async (i) => void (await post(`${app.url}/api/aks-events`, newVersionEvent(cluster(i)))),
  );
  const n = events;
  const before = await azurite.tableRequests();
  t0 = performance.now();
  await pool(n, CONCURRENCY, async (i) => {
    const status = await post(`${app.url}/api/aks-events`, newVersionEvent(cluster(i)));
    if (status !== 200) throw new Error(`intake answered ${status}`);
  });
  const rate = n / ((performance.now() - t0) / 1000);
  const txPerEvent = ((await azurite.tableRequests()) - before) / n;
  await app.close();

  return [
    figure({
      name: 'event intake (NewKubernetesVersionAvailable)',
      value: Math.round(rate),
      unit: 'events/s',
      baseline: { name: 'Azurite raw single-entity writes', value: Math.round(rawRate) },
      goal: atLeast(500, 'events/s'),
      kind: 'absolute',
    }),
    figure({
      name: 'event intake storage transactions',
      value: txPerEvent,
      unit: 'per event',
      baseline: { name: 'one write per event', value: 1 },
      goal: atMost(4),
      kind: 'count',
    }),
  ];
}

/** The intake section run in a child process against an on-disk Azurite (see run.ts `--intake-child`). */
function intakeInChild(runJs: string, mode: 'autosave' | 'durable'): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = forkTracked(runJs, ['--intake-child', mode]);
    let rate: number | undefined;
    child.on('message', (m) => (rate = (m as { rate?: number }).rate));
    child.once('exit', (code) =>
      rate !== undefined && code === 0
        ? resolve(rate)
        : reject(new Error(`intake against ${mode} tables exited ${code ?? 'by signal'}`)),
    );
  });
}

/**
 * What durable tables cost (local/azurite.ts: each table write saved before it is answered, as
 * `npm start` runs): the intake load against an Azurite on disk with durable tables, beside the same
 * load against Azurite's own 5 s autosave. Two runs of each, alternating, medians reported.
 */
export async function benchIntakeDurability(runJs: string): Promise<Figure[]> {
  const rates: Record<'autosave' | 'durable', number[]> = { autosave: [], durable: [] };
  for (const mode of ['autosave', 'durable', 'autosave', 'durable'] as const)
    rates[mode].push(await intakeInChild(runJs, mode));
  return [
    figure({
      name: 'event intake, tables durable on disk',
      value: Math.round(median(rates.durable)),
      unit: 'events/s',
      baseline: { name: 'same load, Azurite 5 s autosave', value: Math.round(median(rates.autosave)) },
      goal: ratioAtLeast(0.5),
      kind: 'ratio',
    }),
  ];
}

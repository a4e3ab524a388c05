import { Agent, request as httpRequest } from 'node:http';

import { TableClient } from '@azure/data-tables';

import type { RunningAzurite } from '../local/azurite';
import type { RunningHost } from '../local/host';
import type { Figure } from './report';
import { pool } from './report';

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

const keepAlive = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

export function newVersionEvent(i: number, subscription = '00000000-0000-0000-0000-000000000001'): string {
  const cluster = `/subscriptions/${subscription}/resourceGroups/rg-bench/providers/Microsoft.ContainerService/managedClusters/aks-${i % 200}`;
  return JSON.stringify([
    {
      topic: cluster,
      subject: `aks-${i % 200}`,
      eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
      id: `bench-${i}-${Math.random().toString(36).slice(2)}`,
      data: {
        latestSupportedKubernetesVersion: '1.31.2',
        latestStableKubernetesVersion: '1.30.6',
        lowestMinorKubernetesVersion: '1.29.10',
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
 * concurrency.
 */
export async function benchIntake(
  azurite: RunningAzurite,
  startApp: () => Promise<RunningHost>,
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
  const warm = 100;
  await pool(
    warm,
    CONCURRENCY,
    async (i) => void (await post(`${app.url}/api/aks-events`, newVersionEvent(i))),
  );
  const n = 3000;
  const before = azurite.tableRequests();
  t0 = performance.now();
  await pool(n, CONCURRENCY, async (i) => {
    const status = await post(`${app.url}/api/aks-events`, newVersionEvent(i));
    if (status !== 200) throw new Error(`intake answered ${status}`);
  });
  const rate = n / ((performance.now() - t0) / 1000);
  const txPerEvent = (azurite.tableRequests() - before) / n;
  await app.close();

  return [
    {
      name: 'event intake (NewKubernetesVersionAvailable)',
      value: Math.round(rate),
      unit: 'events/s',
      baseline: 'Azurite raw single-entity writes',
      baselineValue: Math.round(rawRate),
      goal: '>= 500 events/s',
    },
    {
      name: 'event intake storage transactions',
      value: txPerEvent,
      unit: 'per event',
      baseline: 'one write per event',
      baselineValue: 1,
      goal: '<= 4',
    },
  ];
}

import { resolve } from 'node:path';

import { QueueClient } from '@azure/storage-queue';

import { loadRegistrations } from '../local/functionsCore';
import { startHost } from '../local/host';
import { services } from '../shared/app';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import { listClusters } from '../shared/usecases/fleetStatus';
import { planSweptClusters } from '../shared/usecases/planSwept';
import type { SweepDeps } from '../shared/usecases/sweepFleet';
import { inProcessQueue, parseShardMessage, runShard, sweepFleet } from '../shared/usecases/sweepFleet';
import { renderDashboard } from '../shared/web/dashboard';

/**
 * One invocation of one kind, in a process of its own, as a Functions instance would run it: the
 * app's services from the environment the scale bench sets (storage, ARM endpoint, scope, policy).
 * Reports over IPC how long it took, what it did, and the process's peak RSS (`maxRSS`), which is
 * the figure an instance's memory limit is about. Kinds:
 *  - `sweep`: the whole sweep in one process (coordinator and shards, 8 at a time);
 *  - `coordinator`: the timer's part: summaries, Resource Graph pages, the shard messages queued;
 *  - `shard`: one queued shard message, as `sweepShard` runs it;
 *  - `dashboard`: `GET /api/dashboard` through the local host, {@link DASHBOARD_REQUESTS} times.
 */
export const DASHBOARD_REQUESTS = 100;

export interface InvocationReport {
  readonly kind: string;
  readonly ms: number;
  readonly peakRssMb: number;
  readonly detail: Record<string, unknown>;
}

/** The clusters of the fleet table, in the order drawn (the latest events, when any, link clusters too). */
function rowIds(page: string): string[] {
  const fleet = page.slice(page.indexOf('id="fleet"'));
  return [...fleet.matchAll(/<a href="\/api\/clusters\/([^"]+)">/g)].map((m) =>
    decodeURIComponent(m[1] ?? ''),
  );
}

async function run(kind: string): Promise<Record<string, unknown>> {
  const s = services();
  const sweep = (queue: SweepDeps['queue']): Promise<unknown> =>
    sweepFleet({
      gateway: s.aks,
      store: s.clusters,
      summary: s.fleetSummary,
      queue,
      policy: s.sweepPolicy,
      scope: s.config.fleet.scope,
      now: s.now,
    });
  switch (kind) {
    case 'sweep': {
      const shardDeps = { gateway: s.aks, store: s.clusters, policy: s.sweepPolicy, summary: s.fleetSummary };
      return { summary: await sweep(inProcessQueue(shardDeps, 8)), throttled: s.armClients.stats.throttled };
    }
    case 'coordinator':
      return { summary: await sweep(s.sweepQueue), throttled: s.armClients.stats.throttled };
    case 'shard': {
      if (s.config.storage.kind !== 'connectionString') throw new Error('the bench runs on Azurite');
      const queue = new QueueClient(s.config.storage.connectionString, SWEEP_QUEUE);
      const { receivedMessageItems: [item] = [] } = await queue.receiveMessages({ numberOfMessages: 1 });
      if (!item) throw new Error('no shard message queued');
      const message = parseShardMessage(Buffer.from(item.messageText, 'base64').toString('utf8'));
      // As functions/sweepShard.ts runs it: the shard, then planning of what it wrote.
      const afterWrite = planSweptClusters(() => ({ ...s, log: console }));
      const result = await runShard(
        { gateway: s.aks, store: s.clusters, policy: s.sweepPolicy, summary: s.fleetSummary, afterWrite },
        message,
      );
      await queue.deleteMessage(item.messageId, item.popReceipt);
      return { ...result };
    }
    case 'dashboard': {
      const host = await startHost({
        registrations: loadRegistrations(resolve(__dirname, '../local/functions.js')),
        port: 0,
        runQueues: false,
        logHandler: () => {},
        log: () => {},
      });
      const times: number[] = [];
      let bytes = 0;
      let page = '';
      for (let i = 0; i < DASHBOARD_REQUESTS; i++) {
        const t0 = performance.now();
        const answer = await fetch(`${host.url}/api/dashboard`);
        page = await answer.text();
        times.push(performance.now() - t0);
        if (answer.status !== 200) throw new Error(`dashboard answered ${answer.status}`);
        bytes = Buffer.byteLength(page);
      }
      await host.close();
      return { times, bytes, rows: rowIds(page), total: /(\d+) clusters<\/span>/.exec(page)?.[1] };
    }
    case 'dashboard-rows': {
      // The page as it was built before the summary: every stored cluster read, then drawn.
      const t0 = performance.now();
      const page = renderDashboard({
        clusters: await listClusters(s.clusters),
        plans: [],
        events: [],
        now: s.now(),
      });
      return { ms: performance.now() - t0, bytes: Buffer.byteLength(page), rows: rowIds(page) };
    }
    default:
      throw new Error(`unknown invocation kind ${kind}`);
  }
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? '';
  const t0 = performance.now();
  const detail = await run(kind);
  const report: InvocationReport = {
    kind,
    ms: performance.now() - t0,
    peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
    detail,
  };
  process.send?.(report);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});

import { resolve } from 'node:path';

import type { LogLevel, Timer } from '@azure/functions';
import { InvocationContext } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';

import { loadRegistrations } from '../local/functionsCore';
import { startHost } from '../local/host';
import { startLocalNotifications } from '../local/outbox';
import { services } from '../shared/app';
import type { PlanStatus } from '../shared/domain/plan';
import { NOT_STARTED, PLAN_STATUSES } from '../shared/domain/plan';
import { compareVersions, parseVersion } from '../shared/domain/versions';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import { listClusters } from '../shared/usecases/fleetStatus';
import { planSweptClusters } from '../shared/usecases/planSwept';
import type { SweepDeps } from '../shared/usecases/sweepFleet';
import { inProcessQueue, parseShardMessage, runShard, sweepFleet } from '../shared/usecases/sweepFleet';
import { renderDashboard } from '../shared/web/dashboard';
import { INSTANCE_NODE_FLAGS } from './instance';
import { median, pool } from './report';
import type { BurstDetail } from './scaleRelease';
import { BURST_IN_FLIGHT, REDELIVERED, RELEASE } from './scaleRelease';
import { forkTracked } from './storageProcess';

/**
 * One invocation of one kind, in a process of its own, as a Functions instance would run it: the
 * app's services from the environment the scale bench sets (storage, ARM endpoint, scope, policy).
 * Reports over IPC how long it took, what it did, and the process's peak RSS (`maxRSS`), which is
 * the figure an instance's memory limit is about. Kinds:
 *  - `sweep`: the whole sweep in one process (coordinator and shards, 8 at a time);
 *  - `coordinator`: the timer's part: summaries, Resource Graph pages, the shard messages queued;
 *  - `shard`: one queued shard message, as `sweepShard` runs it;
 *  - `dashboard`: `GET /api/dashboard` through the local host once (the deployment's first), then
 *    {@link DASHBOARD_REQUESTS} times;
 *  - `release-burst`: every stored cluster announced a release through the webhook of a host that runs
 *    in a process of its own (`release-host`, as an instance serves it; scaleRelease.ts);
 *  - `runner`: one tick of the `upgradeRunner` timer, its handler as the host calls it;
 *  - `dispatcher`: one run of the `notificationDispatcher` timer.
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

/** A timer invocation's context; counts the lines it logs by their first words after the plan. */
function timerContext(functionName: string): { context: InvocationContext; lines: Record<string, number> } {
  const lines: Record<string, number> = {};
  const logHandler = (_level: LogLevel, ...args: unknown[]): void => {
    const text = args.map(String).join(' ');
    const key =
      /^runner: plan \S+ \(\S+\) (\S+?):?(?: |$)/.exec(text)?.[1] ??
      text.replace(/[\d,]+/g, 'N').slice(0, 80);
    lines[key] = (lines[key] ?? 0) + 1;
  };
  return { context: new InvocationContext({ functionName, logHandler }), lines };
}

const TIMER: Timer = {
  isPastDue: false,
  schedule: { adjustForDST: false },
  scheduleStatus: { last: '', next: '', lastUpdated: '' },
};

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
      // Warnings and errors printed; the line per plan proposed (thousands here) is not.
      const log = { info: () => {}, warn: console.warn, error: console.error };
      const afterWrite = planSweptClusters(() => ({ ...s, log }));
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
      // The first GET of a deployment backfills the recent-plans index once (shared/store/recentPlans.ts):
      // timed on its own, the GETs after it are the figure.
      const t = performance.now();
      const opened = await fetch(`${host.url}/api/dashboard`);
      await opened.text();
      const firstMs = performance.now() - t;
      if (opened.status !== 200) throw new Error(`dashboard answered ${opened.status}`);
      for (let i = 0; i < DASHBOARD_REQUESTS; i++) {
        const t0 = performance.now();
        const answer = await fetch(`${host.url}/api/dashboard`);
        page = await answer.text();
        times.push(performance.now() - t0);
        if (answer.status !== 200) throw new Error(`dashboard answered ${answer.status}`);
        bytes = Buffer.byteLength(page);
      }
      await host.close();
      return {
        times,
        firstMs,
        bytes,
        rows: rowIds(page),
        total: /(\d+) clusters<\/span>/.exec(page)?.[1],
      };
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
    case 'release-burst':
      return releaseBurst(s);
    case 'runner': {
      const { context, lines } = timerContext('upgradeRunner');
      // Imported here: a functions/ module registers its trigger on load, and a registration outside the
      // local host switches @azure/functions to test mode for the whole process (no routes for the host).
      const { upgradeRunnerHandler } = await import('../functions/upgradeRunner');
      await upgradeRunnerHandler(services)(TIMER, context);
      return { outcomes: lines, calls: s.armClients.stats.calls, throttled: s.armClients.stats.throttled };
    }
    case 'dispatcher': {
      const { context, lines } = timerContext('notificationDispatcher');
      const { notificationDispatcherHandler } = await import('../functions/notificationDispatcher');
      await notificationDispatcherHandler(services)(TIMER, context);
      return { lines };
    }
    default:
      throw new Error(`unknown invocation kind ${kind}`);
  }
}

/** One NewKubernetesVersionAvailable delivery (Event Grid schema), as AKS sends it after a release. */
function releaseEvent(clusterId: string, n: number): string {
  return JSON.stringify([
    {
      topic: clusterId,
      subject: clusterId.split('/').pop(),
      eventType: 'Microsoft.ContainerService.NewKubernetesVersionAvailable',
      id: `release-${RELEASE}-${n}`,
      data: {
        latestSupportedKubernetesVersion: '1.36.3',
        latestStableKubernetesVersion: RELEASE,
        lowestMinorKubernetesVersion: '1.34.4',
        latestPreviewKubernetesVersion: '1.37.0',
      },
      dataVersion: '1',
      metadataVersion: '1',
      eventTime: new Date().toISOString(),
    },
  ]);
}

/** The release burst (bench/scaleRelease.ts): the webhook of a host, every stored cluster announced once. */
async function releaseBurst(s: ReturnType<typeof services>): Promise<BurstDetail> {
  const release = parseVersion(RELEASE);
  if (release === undefined) throw new Error(`bad release ${RELEASE}`);
  const clusters = (await listClusters(s.clusters)).map((c) => ({
    id: c.id,
    version: c.controlPlaneVersion,
  }));
  const open = Object.entries(PLAN_STATUSES)
    .filter(([, state]) => state === 'open')
    .map(([status]) => status as PlanStatus);
  // Who should move to the release: a cluster on its minor below it, and one whose open plan aims at an
  // older patch of that minor (a minor upgrade from the minor below lands on its newest patch). Not due:
  // a cluster whose open version plan Warden keeps (docs/design/plans.md, "Where plans come from"): one
  // aiming past the release (a cluster on the newest patch of its minor before the release was planned
  // to the next minor; the release's patch is an older target, which never replaces a newer one, and the
  // minor plan takes the cluster past the release anyway), or one already started (left alone, `busy`).
  const belowOnMinor = (text: string): boolean => {
    const v = parseVersion(text);
    return v !== undefined && v.minor === release.minor && (v.patch ?? 0) < (release.patch ?? 0);
  };
  const due = new Set(clusters.filter((c) => belowOnMinor(c.version)).map((c) => c.id.toLowerCase()));
  const kept = new Set<string>();
  // The open plans a page at a time, keeping a few fields: the count must not weigh on the host's memory.
  for await (const page of s.plans.openPlanPages(open))
    for (const { plan } of page) {
      if (plan.kind === 'node-image') continue;
      const id = plan.cluster.id.toLowerCase();
      if (compareVersions(plan.to, RELEASE) > 0 || !NOT_STARTED.includes(plan.status)) kept.add(id);
      else if (belowOnMinor(plan.to)) due.add(id);
    }
  for (const id of kept) due.delete(id);
  const errors = new ErrorKinds();
  const host = await startHostProcess();
  const url = `${host.url}/api/aks-events`;
  const tally = { recorded: 0, duplicates: 0, serverErrors: 0, otherStatuses: 0 };
  const deliver = async (body: string): Promise<void> => {
    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    });
    const text = await answer.text();
    if (answer.status >= 500) {
      tally.serverErrors++;
      errors.add(`${answer.status}: ${text}`);
    } else if (answer.status !== 200) tally.otherStatuses++;
    else {
      const summary = JSON.parse(text) as { recorded: number; duplicates: number };
      tally.recorded += summary.recorded;
      tally.duplicates += summary.duplicates;
    }
  };
  const t0 = performance.now();
  await pool(clusters.length, BURST_IN_FLIGHT, (i) => deliver(releaseEvent(clusters[i]?.id ?? '', i)));
  const seconds = (performance.now() - t0) / 1000;
  const burst = { ...tally };
  // Counted before the redelivery, which runs the reactions again and could make up for a lost plan.
  let plansToRelease = 0;
  const moved = new Set<string>();
  const stillKept = new Set<string>();
  for await (const page of s.plans.openPlanPages(open))
    for (const { plan } of page) {
      const id = plan.cluster.id.toLowerCase();
      if (plan.to === RELEASE) {
        plansToRelease++;
        moved.add(id);
      }
      if (plan.kind !== 'node-image') stillKept.add(id);
    }
  const redelivered = Math.min(REDELIVERED, clusters.length);
  tally.duplicates = 0;
  await pool(redelivered, BURST_IN_FLIGHT, (i) => deliver(releaseEvent(clusters[i]?.id ?? '', i)));
  const redeliveredDuplicates = tally.duplicates;
  const hostReport = await host.close();

  const rows = await s.notifier.outbox.list({ limit: Number.MAX_SAFE_INTEGER });
  const batches = await s.notifier.outbox.dueBatches(new Date('9999-12-31T23:59:59Z'));
  const perRecipient = new Map<string, number>();
  const add = (to: string): void => void perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
  for (const r of rows) if (r.status !== 'batched' && r.batchedIn === undefined) add(r.to);
  for (const b of batches) add(b.to);
  const owners = [...perRecipient].filter(([to]) => /^team\d+@/.test(to)).map(([, n]) => n);
  return {
    events: clusters.length,
    seconds,
    recorded: burst.recorded,
    duplicates: burst.duplicates,
    serverErrors: tally.serverErrors,
    otherStatuses: tally.otherStatuses,
    expectedPlans: due.size,
    expectedWithPlan: [...due].filter((id) => moved.has(id)).length,
    plansToRelease,
    keptPastRelease: kept.size,
    keptStillOpen: [...kept].filter((id) => stillKept.has(id)).length,
    redelivered,
    redeliveredDuplicates,
    rows: rows.length,
    messages: [...perRecipient.values()].reduce((a, b) => a + b, 0),
    recipients: perRecipient.size,
    ownerMessagesMax: Math.max(0, ...owners),
    ownerMessagesMedian: owners.length === 0 ? 0 : median(owners),
    oncallMessages: perRecipient.get('oncall@contoso.example') ?? 0,
    errors: [...errors.top(), ...hostReport.errors],
    hostPeakRssMb: hostReport.peakRssMb,
  };
}

/** What went wrong, each kind once (its digits left out) with how often it came, the most frequent first. */
class ErrorKinds {
  private readonly kinds = new Map<string, { text: string; times: number }>();

  add(text: string): void {
    const kind = text.replace(/\d+/g, '#');
    const seen = this.kinds.get(kind);
    if (seen !== undefined) seen.times++;
    else if (this.kinds.size < 50) this.kinds.set(kind, { text: text.slice(0, 500), times: 1 });
  }

  top(n = 5): string[] {
    return [...this.kinds.values()]
      .sort((a, b) => b.times - a.times)
      .slice(0, n)
      .map((e) => `${e.times} × ${e.text}`);
  }
}

interface HostReport {
  readonly peakRssMb: number;
  /** Its warnings and errors, by kind. */
  readonly errors: readonly string[];
}

/**
 * The burst's host in a child process (this module as `release-host`), with the environment of this
 * one and the node flags of the smallest instance.
 */
async function startHostProcess(): Promise<{ url: string; close(): Promise<HostReport> }> {
  const child = forkTracked(__filename, ['release-host'], process.env, INSTANCE_NODE_FLAGS);
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.once('message', (m) => resolveUrl((m as { url: string }).url));
    child.once('exit', (code) => reject(new Error(`the burst's host exited (${code ?? 'signal'})`)));
  });
  return {
    url,
    close: () =>
      new Promise<HostReport>((resolveReport) => {
        child.once('message', (m) => resolveReport(m as HostReport));
        child.send('close');
      }),
  };
}

/**
 * `release-host`: the local host over the app's registrations, as an instance runs them, with email
 * and Teams going to the local simulators as `npm start` sends them. Sends its URL once listening; on
 * `close`, stops and sends its peak RSS and the kinds of warnings and errors it logged.
 */
async function releaseHost(): Promise<void> {
  const notifications = await startLocalNotifications(process.env);
  const errors = new ErrorKinds();
  const host = await startHost({
    registrations: loadRegistrations(resolve(__dirname, '../local/functions.js')),
    port: 0,
    runQueues: false,
    logHandler: (level, ...args) => {
      if (level === 'warning' || level === 'error' || level === 'critical')
        errors.add(`host ${level}: ${args.map(String).join(' ')}`);
    },
    log: () => {},
  });
  process.on('message', (m) => {
    if (m !== 'close') return;
    void (async () => {
      await host.close();
      await notifications.close();
      const report: HostReport = {
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        errors: errors.top(),
      };
      process.send?.(report, () => process.exit(0));
    })();
  });
  process.send?.({ url: host.url });
}

async function main(): Promise<void> {
  const kind = process.argv[2] ?? '';
  if (kind === 'release-host') return releaseHost();
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

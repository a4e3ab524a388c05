import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { ConfigError, loadConfig } from '../shared/config';
import { accessOf } from '../shared/web/access';
import { ensureLocalApprovalSettings } from './approvalKeys';
import type { RunningAzurite } from './azurite';
import { startAzurite } from './azurite';
import type { DataLock } from './dataLock';
import { DataFolderLocked, lockDataFolder } from './dataLock';
import { loadRegistrations } from './functionsCore';
import type { Mount, RunningHost } from './host';
import { startHost } from './host';
import type { StartOptions } from './options';
import { parseStartOptions, START_HELP, StartOptionsError } from './options';
import { startLocalNotifications } from './outbox';
import { openSimState, resumeLine, ResumeRefused } from './resume';
import type { RunningSimulator } from './sim';
import { startSimulator } from './sim';
import type { SimSnapshot } from './sim/persistence/snapshot';

/**
 * `npm start`: Warden on this machine with no Azure account. Azurite in-process (data under
 * `.warden/`), the functions hosted over HTTP from the same registrations Azure sees, timers on
 * their schedules. Flags and settings: local/options.ts (`npm start -- --help`).
 */
const DEFAULT_FLEET = resolve(__dirname, '../../local/fleets/demo.json');

/**
 * The Azure simulator (ARM, Resource Graph, Event Grid deliveries) unless real Azure is configured
 * (`WARDEN_ARM_ENDPOINT` set to something else). Sets the settings the AKS gateway reads.
 */
function simulated(env: NodeJS.ProcessEnv): boolean {
  return env.WARDEN_ARM_ENDPOINT === undefined || env.WARDEN_ARM_ENDPOINT.trim() === '';
}

async function startAzureSimulator(
  options: StartOptions,
  env: NodeJS.ProcessEnv,
  snapshot: SimSnapshot | undefined,
): Promise<RunningSimulator | undefined> {
  if (!simulated(env)) return undefined;
  let sim: RunningSimulator;
  try {
    // `--cloudevents`: deliver AKS events as CloudEvents 1.0 instead of the Event Grid schema.
    sim = await startSimulator({
      fleet: options.fleet,
      eventHandshake: true,
      // `--auto-upgrade`: clusters on an auto-upgrade channel get AKS's advance notice after a release, then the upgrade a minute later.
      ...(options.autoUpgrade && { autoUpgrade: { noticeMs: 60_000 } }),
      ...(options.cloudEvents && { eventSchema: 'cloudevents' as const }),
      ...(options.simOperationSeconds !== undefined && {
        durations: {
          controlPlaneMs: options.simOperationSeconds * 1000,
          poolMs: options.simOperationSeconds * 1000,
          nodeImageMs: options.simOperationSeconds * 1000,
        },
      }),
      ...(snapshot && { snapshot }),
    });
  } catch (e) {
    fail(`could not start the Azure simulator with fleet ${options.fleet}: ${(e as Error).message}`);
  }
  env.WARDEN_ARM_ENDPOINT = sim.armUrl;
  if (sim.caCertPem !== undefined) {
    const dir = options.memory ? mkdtempSync(join(tmpdir(), 'warden-sim-')) : options.dataDir;
    const caPath = join(dir, 'simulator-ca.pem');
    writeFileSync(caPath, sim.caCertPem);
    env.WARDEN_ARM_CA_CERT = caPath;
  }
  if (
    (env.WARDEN_SCOPE_SUBSCRIPTIONS ?? '').trim() === '' &&
    (env.WARDEN_SCOPE_MANAGEMENT_GROUP ?? '').trim() === ''
  )
    env.WARDEN_SCOPE_SUBSCRIPTIONS = [...sim.fleet.subscriptions.values()].map((s) => s.id).join(',');
  return sim;
}

function fail(message: string): never {
  console.error(`warden: ${message}`);
  process.exit(1);
}

function ensureWritable(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
    const probe = join(dir, '.write-test');
    writeFileSync(probe, 'ok');
    rmSync(probe);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    fail(`cannot write to the data folder ${dir} (${code}); set WARDEN_DATA_DIR to a writable folder`);
  }
}

async function main(): Promise<void> {
  let options: StartOptions;
  try {
    options = parseStartOptions(process.argv.slice(2), process.env, DEFAULT_FLEET);
  } catch (e) {
    if (e instanceof StartOptionsError) fail(e.message);
    throw e;
  }
  if (options.help) {
    console.log(START_HELP);
    return;
  }
  let lock: DataLock | undefined;
  if (!options.memory) {
    ensureWritable(options.dataDir);
    try {
      lock = lockDataFolder(options.dataDir);
    } catch (e) {
      if (e instanceof DataFolderLocked) fail(e.message);
      throw e;
    }
    process.on('exit', () => lock?.release());
  }

  let snapshot: SimSnapshot | undefined;
  if (!options.memory && simulated(process.env))
    try {
      snapshot = openSimState(options.dataDir, options.fleet);
    } catch (e) {
      if (e instanceof ResumeRefused) fail(e.message);
      throw e;
    }

  let azurite: RunningAzurite;
  try {
    azurite = await startAzurite(options.memory ? {} : { location: join(options.dataDir, 'azurite') });
  } catch (e) {
    fail(`could not start Azurite: ${(e as Error).message}`);
  }

  process.env.AzureWebJobsStorage ??= azurite.connectionString;
  process.env.WARDEN_PUBLIC_BASE_URL ??= `http://127.0.0.1:${options.port === 0 ? 7071 : options.port}`;
  process.env.WARDEN_LOCAL_OUTBOX ??= '/_local/outbox';
  ensureLocalApprovalSettings(process.env, options.dataDir, options.memory);

  const mounts: Mount[] = [];
  const sim = await startAzureSimulator(options, process.env, snapshot);
  if (sim) mounts.push(sim.mount);
  const notifications = await startLocalNotifications(process.env, snapshot);
  // Both sides exist on disk from now on (the tables since Azurite started).
  snapshot?.flush();
  mounts.push(...notifications.mounts);
  // Locally the dashboard is also the front page.
  mounts.push({
    prefix: '/',
    handle: (_req, res) => {
      res.writeHead(302, { location: '/api/dashboard' }).end();
      return Promise.resolve();
    },
  });
  // Every setting is known now: a bad one stops the start naming it, as in docs/policy.md, instead of a
  // host whose every function fails with it.
  let easyAuth = false;
  try {
    easyAuth = loadConfig(process.env).easyAuth;
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await Promise.allSettled([notifications.close(), sim?.close()]);
    await azurite.close();
    fail(e.message);
  }
  const registrations = loadRegistrations(resolve(__dirname, 'functions.js'));

  let host: RunningHost;
  try {
    host = await startHost({
      registrations,
      port: options.port,
      mounts,
      runTimers: options.timers,
      log: (line) => console.log(line),
      ...(options.quiet && { logHandler: () => {} }),
    });
  } catch (e) {
    await azurite.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE')
      fail(`port ${options.port} is already in use; stop what uses it or set PORT to another port`);
    if (code === 'EACCES')
      fail(`not allowed to listen on port ${options.port}; set PORT to a port above 1024`);
    fail(`could not start the host: ${(e as Error).message}`);
  }
  if (options.port === 0) process.env.WARDEN_PUBLIC_BASE_URL = host.url;
  sim?.setWebhookUrl(`${host.url}/api/aks-events`);
  const handshake = sim ? await sim.validateWebhook() : undefined;

  const dataLine = options.memory
    ? '  data      in memory (--memory): nothing is kept after Ctrl-C'
    : await resumeLine(
        host.url,
        options.dataDir,
        sim?.resumed === true
          ? { clusters: sim.fleet.clusters.size, outbox: notifications.count() }
          : undefined,
      );
  const lines = [
    `Warden is running at ${host.url}`,
    dataLine,
    `  storage   Azurite tables ${azurite.tableUrl} (${options.memory ? 'in memory' : `data in ${join(options.dataDir, 'azurite')}; every table write is on disk before it is answered, so a hard kill loses no acknowledged write (queued sweep shards of the last 5 s are redone by the next sweep)`})`,
    accessLine(easyAuth),
    ...registrations.map((r) => {
      const t = r.trigger;
      if (t.type === 'httpTrigger')
        return `  http      ${(t.methods ?? ['GET', 'POST']).join(',').padEnd(12)} ${host.url}/api/${t.route ?? r.name}  (${r.name}, ${accessOf(r.handler) ?? 'no access declared'})`;
      if (t.type === 'timerTrigger')
        return `  timer     ${(t.schedule ?? '').padEnd(16)} ${r.name}${options.timers ? '' : ' (off)'}; run now: POST ${host.url}/admin/functions/${r.name}`;
      if (t.type === 'eventGridTrigger')
        return `  eventGrid ${host.url}/runtime/webhooks/eventgrid?functionName=${r.name}`;
      return `  ${t.type.padEnd(9)} ${r.name}`;
    }),
    ...(sim
      ? [
          `  azure     simulator ARM + Resource Graph ${sim.armUrl} (fleet ${options.fleet}: ${sim.fleet.clusters.size} clusters, ${sim.fleet.subscriptions.size} subscriptions, ${sim.fleet.regions.size} regions); events to ${host.url}/api/aks-events (${handshake === undefined ? 'endpoint validated' : `endpoint validation failed: ${handshake}`}); control ${host.url}/_sim`,
        ]
      : [`  azure     ${process.env.WARDEN_ARM_ENDPOINT ?? ''}`]),
    ...notifications.lines,
    ...mounts.map((m) => `  local     ${host.url}${m.prefix}`),
    'Press Ctrl-C to stop.',
  ];
  // Before the banner: whoever waits for it may send Ctrl-C the moment it appears.
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nwarden: ${signal}, stopping`);
    // The host first: invocations in flight (a sweep's shards planning with pre-flight) finish against
    // the simulator and the outbox they started with, rather than retrying against closed ports.
    void host
      .close()
      .catch(() => undefined)
      .then(() => Promise.allSettled([notifications.close(), sim?.close()]))
      .then(() => snapshot?.close())
      .then(() => azurite.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  console.log(lines.join('\n'));
  // Locally the first sweep runs at start, so /api/clusters shows the fleet without waiting for the hour
  // (in Azure the timer alone runs it: runOnStartup would sweep again on every instance start).
  if (options.timers && registrations.some((r) => r.name === 'fleetSweep'))
    void host
      .run('fleetSweep')
      .catch((e: unknown) => console.log(`warden: first sweep failed: ${(e as Error).message}`));
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));

/** The one start line that says whether routes ask who you are. */
function accessLine(easyAuth: boolean): string {
  return easyAuth
    ? '  access    signed-in only (WEBSITE_AUTH_ENABLED=True): reads need a Warden viewer, actions an operator'
    : '  access    open: App Service Authentication is off here, so no route asks who you are (in Azure reads need a Warden viewer, actions an operator)';
}

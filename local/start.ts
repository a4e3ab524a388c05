import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import type { RunningAzurite } from './azurite';
import { startAzurite } from './azurite';
import { loadRegistrations } from './functionsCore';
import type { Mount, RunningHost } from './host';
import { startHost } from './host';
import { startLocalNotifications } from './outbox';

/**
 * `npm start`: Warden on this machine with no Azure account. Azurite in-process (data under
 * `.warden/`), the functions hosted over HTTP from the same registrations Azure sees, timers on
 * their schedules. Options: `--memory` keeps storage in memory; `PORT` picks the port (0: any free).
 */
interface Options {
  readonly port: number;
  readonly dataDir: string;
  readonly memory: boolean;
  readonly timers: boolean;
  readonly quiet: boolean;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): Options {
  const portText = env.PORT ?? '7071';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    fail(`PORT must be a port number, got "${portText}"`);
  return {
    port,
    dataDir: resolve(env.WARDEN_DATA_DIR ?? '.warden'),
    memory: argv.includes('--memory'),
    timers: env.WARDEN_TIMERS !== 'off',
    quiet: argv.includes('--quiet') || env.WARDEN_LOG === 'quiet',
  };
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
  const options = parseOptions(process.argv.slice(2), process.env);
  if (!options.memory) ensureWritable(options.dataDir);

  let azurite: RunningAzurite;
  try {
    azurite = await startAzurite(options.memory ? {} : { location: join(options.dataDir, 'azurite') });
  } catch (e) {
    fail(`could not start Azurite: ${(e as Error).message}`);
  }

  process.env.AzureWebJobsStorage ??= azurite.connectionString;
  process.env.WARDEN_PUBLIC_BASE_URL ??= `http://127.0.0.1:${options.port === 0 ? 7071 : options.port}`;

  const mounts: Mount[] = [];
  const notifications = await startLocalNotifications(process.env);
  mounts.push(...notifications.mounts);
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

  const lines = [
    `Warden is running at ${host.url}`,
    `  storage   Azurite tables ${azurite.tableUrl} (${options.memory ? 'in memory' : `data in ${join(options.dataDir, 'azurite')}`})`,
    ...registrations.map((r) => {
      const t = r.trigger;
      if (t.type === 'httpTrigger')
        return `  http      ${(t.methods ?? ['GET', 'POST']).join(',').padEnd(12)} ${host.url}/api/${t.route ?? r.name}  (${r.name})`;
      if (t.type === 'timerTrigger')
        return `  timer     ${(t.schedule ?? '').padEnd(16)} ${r.name}${options.timers ? '' : ' (off)'}; run now: POST ${host.url}/admin/functions/${r.name}`;
      if (t.type === 'eventGridTrigger')
        return `  eventGrid ${host.url}/runtime/webhooks/eventgrid?functionName=${r.name}`;
      return `  ${t.type.padEnd(9)} ${r.name}`;
    }),
    ...notifications.lines,
    ...mounts.map((m) => `  local     ${host.url}${m.prefix}`),
    'Press Ctrl-C to stop.',
  ];
  console.log(lines.join('\n'));

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    console.log(`\nwarden: ${signal}, stopping`);
    void Promise.allSettled([host.close(), notifications.close()])
      .then(() => azurite.close())
      .then(() => process.exit(0));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((e: unknown) => fail(e instanceof Error ? e.message : String(e)));

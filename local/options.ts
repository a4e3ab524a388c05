import { resolve } from 'node:path';

/** What `npm start` was asked for, from its flags and the local settings. */
export interface StartOptions {
  readonly port: number;
  /** Absolute path of the data folder (`WARDEN_DATA_DIR`, default `.warden`). */
  readonly dataDir: string;
  readonly memory: boolean;
  readonly timers: boolean;
  readonly quiet: boolean;
  /** A fleet file path, or `generate:N,S,R,P` for a generated fleet (kept as is). */
  readonly fleet: string;
  readonly autoUpgrade: boolean;
  readonly cloudEvents: boolean;
  /** `WARDEN_SIM_OPERATION_SECONDS`: how long every simulated ARM operation takes; undefined: the simulator's own. */
  readonly simOperationSeconds?: number;
  readonly help: boolean;
}

/** A flag or local setting `npm start` cannot use; the message is the one line the start prints. */
export class StartOptionsError extends Error {
  override readonly name = 'StartOptionsError';
}

const FLAGS = ['--memory', '--fleet', '--auto-upgrade', '--cloudevents', '--quiet', '--help'] as const;

/** The text of `npm start -- --help`: every flag and every setting the local runtime itself reads. */
export const START_HELP = `Usage: npm start [-- flags]

Runs Warden locally: Azurite, the functions over HTTP, timers, and the loopback Azure simulator.

Flags
  --memory          keep everything (tables, queues, simulator, outbox) in memory; nothing is written
  --fleet FILE      the simulator's fleet file (or generate:N,S,R,P); default local/fleets/demo.json
  --auto-upgrade    the simulator runs AKS auto-upgrade (advance notice, then the upgrade) after a release
  --cloudevents     the simulator delivers AKS events as CloudEvents 1.0 instead of the Event Grid schema
  --quiet           no function logs on the console
  --help, -h        this text

Settings (environment)
  PORT              port to listen on, 0-65535 (0: any free port); default 7071
  WARDEN_DATA_DIR   data folder for tables, queues, simulator and outbox; default .warden
  WARDEN_FLEET      the fleet file when --fleet is not given
  WARDEN_TIMERS     on | off; off runs no timer (not even the first sweep) until POST /admin/functions/{name}
  WARDEN_LOG        normal | quiet (as --quiet)
  WARDEN_SIM_OPERATION_SECONDS  how long each simulated upgrade operation takes, 1-600 s (default: control
                    plane 20 s, pool and node image 15 s each)

Warden's own settings (WARDEN_POLICY, WARDEN_APPROVAL_KEYS, ...) are checked at start as in Azure;
see docs/policy.md and docs/design/notifications.md. The data folder keeps Warden's tables, the simulator's state
and the outbox together; a second start resumes them. To start clean: stop Warden and remove the folder.`;

function choice(env: NodeJS.ProcessEnv, name: string, allowed: readonly string[], fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const v = value.trim().toLowerCase();
  if (!allowed.includes(v))
    throw new StartOptionsError(`setting ${name}: "${value}" is not one of ${allowed.join(', ')}`);
  return v;
}

/**
 * Reads the flags and local settings. An unknown flag, a missing flag value or an invalid setting
 * throws {@link StartOptionsError} naming it, so a typo (`--memroy`, `WARDEN_TIMERS=maybe`) stops the
 * start instead of running with a default the user did not choose.
 */
export function parseStartOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  defaultFleet: string,
): StartOptions {
  const seen = new Set<string>();
  let fleetFlag: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h') {
      seen.add('--help');
      continue;
    }
    if (arg.startsWith('--fleet=')) {
      fleetFlag = arg.slice('--fleet='.length);
      if (fleetFlag === '') throw new StartOptionsError('flag --fleet needs a file path');
      continue;
    }
    if (arg === '--fleet') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('-'))
        throw new StartOptionsError('flag --fleet needs a file path');
      fleetFlag = value;
      i++;
      continue;
    }
    if (!(FLAGS as readonly string[]).includes(arg))
      throw new StartOptionsError(
        `unknown flag "${arg}" (flags: ${FLAGS.join(', ')}; npm start -- --help lists them)`,
      );
    seen.add(arg);
  }

  const portText = env.PORT === undefined || env.PORT === '' ? '7071' : env.PORT;
  const port = Number(portText);
  if (!/^\d+$/.test(portText.trim()) || !Number.isInteger(port) || port < 0 || port > 65535)
    throw new StartOptionsError(`setting PORT: "${portText}" is not a port number (0-65535)`);
  const dataDirText = env.WARDEN_DATA_DIR;
  if (dataDirText !== undefined && dataDirText.trim() === '')
    throw new StartOptionsError('setting WARDEN_DATA_DIR: is empty; unset it for .warden or name a folder');
  const fleetEnv = env.WARDEN_FLEET;
  if (fleetFlag === undefined && fleetEnv !== undefined && fleetEnv.trim() === '')
    throw new StartOptionsError('setting WARDEN_FLEET: is empty; unset it for the demo fleet or name a file');
  const fleet = fleetFlag ?? fleetEnv ?? defaultFleet;
  const timers = choice(env, 'WARDEN_TIMERS', ['on', 'off'], 'on') === 'on';
  const log = choice(env, 'WARDEN_LOG', ['normal', 'quiet'], 'normal');
  const opText = env.WARDEN_SIM_OPERATION_SECONDS?.trim();
  const opSeconds = opText === undefined || opText === '' ? undefined : Number(opText);
  if (opSeconds !== undefined && (!/^\d+$/.test(opText ?? '') || opSeconds < 1 || opSeconds > 600))
    throw new StartOptionsError(
      `setting WARDEN_SIM_OPERATION_SECONDS: "${opText ?? ''}" is not a whole number of seconds from 1 to 600`,
    );

  return {
    port,
    dataDir: resolve(dataDirText ?? '.warden'),
    memory: seen.has('--memory'),
    timers,
    quiet: seen.has('--quiet') || log === 'quiet',
    fleet: fleet.startsWith('generate:') ? fleet : resolve(fleet),
    autoUpgrade: seen.has('--auto-upgrade'),
    cloudEvents: seen.has('--cloudevents'),
    ...(opSeconds !== undefined && { simOperationSeconds: opSeconds }),
    help: seen.has('--help'),
  };
}

import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { resolve } from 'node:path';

/** Storage as the bench sees it: Azurite's endpoints and its table request count. */
export interface BenchStorage {
  readonly tableUrl: string;
  readonly queueUrl: string;
  readonly connectionString: string;
  tableRequests(): Promise<number>;
  close(): Promise<void>;
}

const children = new Set<ChildProcess>();

/**
 * Kills every child process the bench started that is still running. `run.ts` calls it on every way
 * out (the end, a section that threw, Ctrl-C), so no Azurite is left holding the terminal's pipe.
 */
export function stopChildren(): void {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children.clear();
}

/** Forks a bench child process (with `env` when given) and tracks it for {@link stopChildren}. */
export function forkTracked(
  module: string,
  args: readonly string[],
  env?: NodeJS.ProcessEnv,
  execArgv?: readonly string[],
): ChildProcess {
  const child = fork(module, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    ...(env !== undefined && { env }),
    ...(execArgv !== undefined && { execArgv: [...execArgv] }),
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * Starts Azurite in a child process (see azuriteChild.ts): in memory, or on disk at `location` with
 * durable tables (as `npm start`) or Azurite's own 5 s autosave (`durableTables: false`).
 */
export async function startStorageProcess(
  options: { location?: string; durableTables?: boolean } = {},
): Promise<BenchStorage> {
  const child = forkTracked(
    resolve(__dirname, 'azuriteChild.js'),
    options.location === undefined ? [] : [JSON.stringify(options)],
  );
  const ready = await new Promise<{ tableUrl: string; queueUrl: string; connectionString: string }>(
    (resolveReady, reject) => {
      child.once('message', (m) =>
        resolveReady(m as { tableUrl: string; queueUrl: string; connectionString: string }),
      );
      child.once('exit', (code) => reject(new Error(`Azurite process exited (${code ?? 'signal'})`)));
    },
  );
  return {
    ...ready,
    tableRequests: () =>
      new Promise<number>((r) => {
        child.once('message', (m) => r((m as { count: number }).count));
        child.send('count');
      }),
    close: () =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.send('close');
      }),
  };
}

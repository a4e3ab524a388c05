import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface LocalWarden {
  readonly url: string;
  readonly storageUrl: string;
  readonly output: () => string;
  readonly process: ChildProcessWithoutNullStreams;
  /** Sends SIGINT and resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts the local runtime exactly as `npm start` runs it (the build from globalSetup), on a free
 * port with in-memory storage and timers off unless asked. With `dataDir`, storage persists there
 * (no `--memory`), as a plain `npm start` keeps it under `.warden/`.
 */
export async function startLocalWarden(
  options: { args?: string[]; env?: Record<string, string>; timeoutMs?: number; dataDir?: string } = {},
): Promise<LocalWarden> {
  const root = resolve(__dirname, '../..');
  const storage = options.dataDir === undefined ? ['--memory'] : [];
  const child = spawn(
    process.execPath,
    [resolve(root, 'dist/local/start.js'), ...storage, ...(options.args ?? [])],
    {
      cwd: root,
      env: {
        ...process.env,
        PORT: '0',
        WARDEN_TIMERS: 'off',
        WARDEN_LOG: 'quiet',
        ...(options.dataDir !== undefined && { WARDEN_DATA_DIR: options.dataDir }),
        ...options.env,
      },
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + (options.timeoutMs ?? 45_000);
  while (!/Press Ctrl-C to stop/.test(out)) {
    if (child.exitCode !== null) throw new Error(`local Warden exited early (${child.exitCode}):\n${out}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`local Warden did not start:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const url = /Warden is running at (\S+)/.exec(out)?.[1] ?? '';
  const storageUrl = /Azurite tables (\S+)/.exec(out)?.[1] ?? '';
  return {
    url,
    storageUrl,
    output: () => out,
    process: child,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

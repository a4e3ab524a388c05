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

/** Starts Azurite in a child process (see azuriteChild.ts). */
export async function startStorageProcess(): Promise<BenchStorage> {
  const child = fork(resolve(__dirname, 'azuriteChild.js'), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
        child.once('exit', () => r());
        child.send('close');
      }),
  };
}

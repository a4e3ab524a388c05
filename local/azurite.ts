import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { useTableIndexes } from './tableIndexes';
import type { LokiDatabase } from './tableJournal';
import { TableJournal } from './tableJournal';

/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */

/** Azurite's well-known development account (public, documented; not a secret). */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface RunningAzurite {
  readonly tableUrl: string;
  readonly queueUrl: string;
  readonly connectionString: string;
  /** Table requests served so far (the bench divides it by events for transactions per event). */
  tableRequests(): number;
  close(): Promise<void>;
}

interface TableStore {
  readonly db: LokiDatabase;
  [method: string]: unknown;
}

/**
 * The table store's writes and where each takes its batch id: a write outside a batch (no id) is
 * saved before it answers; a batch is saved once, when it ends. `insertOrUpdate`/`insertOrMerge`
 * are not listed: they call these.
 */
const TABLE_WRITES: Record<string, number | undefined> = {
  createTable: undefined,
  deleteTable: undefined,
  setTableACL: undefined,
  setServiceProperties: undefined,
  insertTableEntity: 4,
  updateTableEntity: 5,
  mergeTableEntity: 5,
  deleteTableEntity: 6,
  endBatchTransaction: undefined,
};

/**
 * Saves one at a time, each covering every request made before it began (group commit): a request
 * made while a save runs waits for the next one, which starts when it ends and covers all of them. A save
 * starts from `setImmediate`, after the microtasks of a batch in progress, so it never holds half a batch.
 */
function groupCommit(saveOnce: () => Promise<void>): () => Promise<void> {
  let running = false;
  let next: { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } | undefined;
  const run = (): void => {
    const batch = next;
    next = undefined;
    if (batch === undefined) return;
    running = true;
    saveOnce()
      .then(batch.resolve, batch.reject)
      .finally(() => {
        running = false;
        if (next !== undefined) setImmediate(run);
      });
  };
  return () => {
    if (next === undefined) {
      let resolve!: () => void;
      let reject!: (e: unknown) => void;
      const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
      next = { promise, resolve, reject };
      if (!running) setImmediate(run);
    }
    return next.promise;
  };
}

/**
 * Makes every acknowledged table write durable: Azurite's LokiJS store only autosaves every 5 s, so a
 * `kill -9` lost what had been answered in the last seconds (an approval answered 200 came back
 * pending). Each write now resolves, and so is answered, only after a save that started after it;
 * concurrent writes share one save ({@link groupCommit}). A save appends what changed since the last one
 * to a journal beside Loki's file, and now and then rewrites the file whole ({@link TableJournal}); Loki's
 * own saves (its 5 s autosave, Azurite's at start and close) go the same way. Not fsynced: it survives
 * the process dying, not the machine losing power.
 */
function saveBeforeAnswering(store: TableStore, journal: TableJournal): void {
  const save = groupCommit(() => journal.save());
  store.db.saveDatabase = (callback) => {
    save().then(
      () => callback?.(),
      (e: unknown) => callback?.(e),
    );
  };
  for (const [name, batchIdAt] of Object.entries(TABLE_WRITES)) {
    const original = store[name] as (...args: unknown[]) => Promise<unknown>;
    store[name] = async (...args: unknown[]): Promise<unknown> => {
      const result = await original.apply(store, args);
      const batchId = batchIdAt === undefined ? undefined : args[batchIdAt];
      if (batchId === undefined || batchId === '') await save();
      return result;
    };
  }
}

/** Loads the table database through the journal (Azurite loads it only when its file exists). */
function loadThroughJournal(store: TableStore, journal: TableJournal): void {
  store.db.loadDatabase = (_options, callback) => {
    journal.load().then(
      () => callback(),
      (e: unknown) => callback(e),
    );
  };
}

interface AzuriteServer {
  readonly httpServer: { on(event: 'request', listener: () => void): void };
  start(): Promise<void>;
  close(): Promise<void>;
  getHttpServerAddress(): string;
}

/**
 * Starts Azurite's table and queue services in this process (its CLI hides a random port and costs
 * ~1 s to spawn). `location` persists data across restarts; without it everything is in memory.
 * With a location, every table write is on disk before it is answered (`durableTables`, default on;
 * off is Azurite's own 5 s autosave of the whole file, for the bench's comparison; either way a journal
 * left by a durable start is loaded). Queue messages keep Azurite's 5 s
 * autosave. A query of one partition and a lookup of one entity read only what they name
 * (`useTableIndexes`), as Table Storage does. The `azurite` package's `main` is its VS Code extension,
 * so the servers are deep-required.
 */
export async function startAzurite(
  options: { location?: string; tablePort?: number; queuePort?: number; durableTables?: boolean } = {},
): Promise<RunningAzurite> {
  const TableServer = require('azurite/dist/src/table/TableServer').default;
  const TableConfiguration = require('azurite/dist/src/table/TableConfiguration').default;
  const QueueServer = require('azurite/dist/src/queue/QueueServer').default;
  const QueueConfiguration = require('azurite/dist/src/queue/QueueConfiguration').default;
  const memory = options.location === undefined;
  if (options.location !== undefined)
    mkdirSync(join(options.location, '__queuestorage__'), { recursive: true });
  const at = (file: string): string | undefined => (memory ? undefined : join(options.location ?? '', file));

  const table: AzuriteServer = new TableServer(
    new TableConfiguration(
      '127.0.0.1',
      options.tablePort ?? 0,
      undefined,
      at('__azurite_db_table__.json'),
      false,
      false,
      undefined,
      undefined,
      true,
      true, // skipApiVersionCheck: the SDKs send newer x-ms-version values than Azurite 3.35 knows
      '',
      '',
      '',
      undefined,
      false,
      memory,
    ),
  );
  const queue: AzuriteServer = new QueueServer(
    new QueueConfiguration(
      '127.0.0.1',
      options.queuePort ?? 0,
      undefined,
      at('__azurite_db_queue__.json'),
      at('__azurite_db_queue_extent__.json'),
      [
        {
          locationId: 'Default',
          locationPath: memory ? '__queuestorage__' : join(options.location ?? '', '__queuestorage__'),
          maxConcurrency: 1,
        },
      ],
      false,
      undefined,
      false,
      undefined,
      true,
      true, // skipApiVersionCheck: the SDKs send newer x-ms-version values than Azurite 3.35 knows
      '',
      '',
      '',
      undefined,
      false,
      memory,
    ),
  );
  const store = (table as unknown as { metadataStore: TableStore }).metadataStore;
  useTableIndexes(store);
  const journal = memory ? undefined : new TableJournal(store.db, at('__azurite_db_table__.json') ?? '');
  if (journal !== undefined) {
    loadThroughJournal(store, journal);
    if (options.durableTables !== false) saveBeforeAnswering(store, journal);
  }
  await table.start();
  try {
    await queue.start();
  } catch (e) {
    await table.close();
    throw e;
  }
  let tableRequests = 0;
  table.httpServer.on('request', () => tableRequests++);
  const tableUrl = `${table.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  const queueUrl = `${queue.getHttpServerAddress()}/${DEV_ACCOUNT}`;
  return {
    tableUrl,
    queueUrl,
    connectionString: connectionStringFor(tableUrl, queueUrl),
    tableRequests: () => tableRequests,
    async close() {
      await Promise.allSettled([table.close(), queue.close()]);
      await journal?.close();
    },
  };
}

export function connectionStringFor(tableUrl: string, queueUrl?: string): string {
  return (
    `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=${tableUrl};` +
    (queueUrl !== undefined ? `QueueEndpoint=${queueUrl};` : '')
  );
}

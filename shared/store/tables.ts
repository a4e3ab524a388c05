import type { TokenCredential } from '@azure/core-auth';
import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import type { TableEntity, TableEntityResult } from '@azure/data-tables';
import { TableClient, TableServiceClient } from '@azure/data-tables';

/** Where Warden's tables live: a connection string (Azurite, keys) or an account URL with an identity. */
export type StorageTarget =
  | { readonly kind: 'connectionString'; readonly connectionString: string }
  | { readonly kind: 'identity'; readonly tableServiceUrl: string; readonly credential: TokenCredential };

/** Counts storage requests, so the bench can report transactions per event. */
export class RequestCounter {
  count = 0;
  readonly policy: PipelinePolicy = {
    name: 'wardenRequestCounter',
    sendRequest: (request, next) => {
      this.count++;
      return next(request);
    },
  };
}

/**
 * Hands out one `TableClient` per table, each table created once on first use.
 * Table names are `prefix + name` so several Warden instances (or tests) can share an account.
 */
export class Tables {
  private readonly clients = new Map<string, Promise<TableClient>>();

  constructor(
    private readonly target: StorageTarget,
    private readonly prefix: string,
    readonly counter = new RequestCounter(),
  ) {}

  table(name: string): Promise<TableClient> {
    let client = this.clients.get(name);
    if (!client) {
      client = this.create(`${this.prefix}${name}`);
      this.clients.set(name, client);
      client.catch(() => this.clients.delete(name));
    }
    return client;
  }

  private async create(tableName: string): Promise<TableClient> {
    const options = {
      allowInsecureConnection: this.isLoopback(),
      additionalPolicies: [{ policy: this.counter.policy, position: 'perCall' as const }],
    };
    const client =
      this.target.kind === 'connectionString'
        ? TableClient.fromConnectionString(this.target.connectionString, tableName, options)
        : new TableClient(this.target.tableServiceUrl, tableName, this.target.credential, options);
    await client.createTable();
    return client;
  }

  /** Answers whether storage is reachable (the health route). */
  async ping(): Promise<void> {
    const service =
      this.target.kind === 'connectionString'
        ? TableServiceClient.fromConnectionString(this.target.connectionString, {
            allowInsecureConnection: this.isLoopback(),
          })
        : new TableServiceClient(this.target.tableServiceUrl, this.target.credential);
    const pages = service.listTables().byPage({ maxPageSize: 1 });
    await pages.next();
  }

  private isLoopback(): boolean {
    const text =
      this.target.kind === 'connectionString' ? this.target.connectionString : this.target.tableServiceUrl;
    return /UseDevelopmentStorage=true|https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])/i.test(text);
  }
}

/** Status of a failed storage call; the SDK leaves `code` undefined on single-entity calls, so branch on this. */
export function statusOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'statusCode' in error) {
    const s = (error as { statusCode?: unknown }).statusCode;
    return typeof s === 'number' ? s : undefined;
  }
  return undefined;
}

export const isConflict = (e: unknown): boolean => statusOf(e) === 409;
export const isPreconditionFailed = (e: unknown): boolean => statusOf(e) === 412;
export const isNotFound = (e: unknown): boolean => statusOf(e) === 404;

/** Reads all entities matching a filter (use `odata` from the SDK to build it). */
export async function listAll<T extends object>(
  client: TableClient,
  filter?: string,
  select?: string[],
): Promise<TableEntityResult<T>[]> {
  const out: TableEntityResult<T>[] = [];
  const queryOptions = { ...(filter !== undefined && { filter }), ...(select !== undefined && { select }) };
  for await (const entity of client.listEntities<T>({ queryOptions })) out.push(entity);
  return out;
}

/** Reads one entity, or undefined when it does not exist. */
export async function getOrUndefined<T extends object>(
  client: TableClient,
  partitionKey: string,
  rowKey: string,
): Promise<TableEntityResult<T> | undefined> {
  try {
    return await client.getEntity<T>(partitionKey, rowKey);
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

/** Table Storage strings are limited to 32K UTF-16 characters (64 KiB). */
export const MAX_STRING_CHARS = 32_000;

export function clip(text: string, max = MAX_STRING_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max - 20)}…[clipped ${text.length - max + 20}]`;
}

export type { TableEntity };

/** Table Storage string properties hold 32K UTF-16 characters; longer JSON is split across columns. */
const JSON_CHUNK = 30_000;

/** Writes `value` as JSON in `column`, `column1`, … (`columnParts` says how many). */
export function putJson(target: Record<string, unknown>, column: string, value: unknown): void {
  const text = JSON.stringify(value);
  const parts = Math.max(1, Math.ceil(text.length / JSON_CHUNK));
  target[`${column}Parts`] = parts;
  for (let i = 0; i < parts; i++)
    target[i === 0 ? column : `${column}${i}`] = text.slice(i * JSON_CHUNK, (i + 1) * JSON_CHUNK);
}

/** Reads what {@link putJson} wrote; undefined when a part is missing or the JSON is broken. */
export function getJson<T>(source: Record<string, unknown>, column: string): T | undefined {
  const parts = typeof source[`${column}Parts`] === 'number' ? (source[`${column}Parts`] as number) : 1;
  let text = '';
  for (let i = 0; i < parts; i++) {
    const v = source[i === 0 ? column : `${column}${i}`];
    if (typeof v !== 'string') return undefined;
    text += v;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

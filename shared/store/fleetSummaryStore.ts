import type { TableClient, TransactionAction } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import type { FleetOverview } from '../domain/fleetOverview';
import type { Tables } from './tables';
import { getJson, getOrUndefined, isConflict, isNotFound, isPreconditionFailed, putJson } from './tables';

/**
 * The fleet summary the dashboard reads (one entity, whatever the fleet's size) and the pieces a
 * sweep builds it from. Table `fleetsummary`:
 *  - `parts-{sweepId}` / `{subscription}-{part}`: one shard's overview, written once (a redelivered
 *    shard finds it and does not count again);
 *  - `sweeps` / `{sweepId}`: how many shards the sweep sent (the coordinator writes it when it is
 *    done); no writer contends for it (a shared counter made 2,000 shards queue behind one entity);
 *  - `fleet` / `latest`: the merged overview and the sweep time it stands for; replaced only by a
 *    newer sweep, patched in place when one cluster changes between sweeps.
 * A sweep's parts are deleted once merged.
 */
export interface StoredOverview {
  readonly overview: FleetOverview;
  /** The sweep time the overview stands for (ISO). */
  readonly at: string;
  readonly etag: string;
}

export interface FleetSummaryStore {
  /** Saves one shard's part; false when it was saved already (a redelivery). */
  savePart(sweepId: string, partId: string, overview: FleetOverview): Promise<boolean>;
  /** Records how many parts the sweep sent (the coordinator, once it sent the last shard). */
  expect(sweepId: string, parts: number): Promise<void>;
  /** How many parts the sweep sent; undefined while its coordinator is still sending. */
  expected(sweepId: string): Promise<number | undefined>;
  /** How many parts are saved (row keys only). */
  countParts(sweepId: string): Promise<number>;
  /** A sweep's parts, a page at a time. */
  parts(sweepId: string): AsyncIterable<FleetOverview>;
  dropParts(sweepId: string): Promise<void>;
  load(): Promise<StoredOverview | undefined>;
  /**
   * Replaces the fleet summary if it is still as read (`expected`: its ETag; undefined: none stored).
   * False when another writer changed it meanwhile: re-read and retry.
   */
  save(overview: FleetOverview, at: string, expected: string | undefined): Promise<boolean>;
}

const FLEET = 'fleet';
const LATEST = 'latest';
const SWEEPS = 'sweeps';

export class TableFleetSummaryStore implements FleetSummaryStore {
  constructor(private readonly tables: Tables) {}

  private table(): Promise<TableClient> {
    return this.tables.table('fleetsummary');
  }

  async savePart(sweepId: string, partId: string, overview: FleetOverview): Promise<boolean> {
    const client = await this.table();
    const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
      partitionKey: `parts-${sweepId}`,
      rowKey: partId,
    };
    putJson(entity, 'overview', overview);
    try {
      await client.createEntity(entity);
      return true;
    } catch (e) {
      if (isConflict(e)) return false;
      throw e;
    }
  }

  async expect(sweepId: string, parts: number): Promise<void> {
    const client = await this.table();
    await client.upsertEntity({ partitionKey: SWEEPS, rowKey: sweepId, expected: parts }, 'Replace');
  }

  async expected(sweepId: string): Promise<number | undefined> {
    const client = await this.table();
    const row = await getOrUndefined<{ expected?: unknown }>(client, SWEEPS, sweepId);
    return typeof row?.expected === 'number' ? row.expected : undefined;
  }

  async countParts(sweepId: string): Promise<number> {
    const client = await this.table();
    let n = 0;
    for await (const _row of client.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${`parts-${sweepId}`}`, select: ['RowKey'] },
    }))
      n++;
    return n;
  }

  async *parts(sweepId: string): AsyncIterable<FleetOverview> {
    const client = await this.table();
    const rows = client.listEntities<Record<string, unknown>>({
      queryOptions: { filter: odata`PartitionKey eq ${`parts-${sweepId}`}` },
    });
    for await (const row of rows) {
      const overview = getJson<FleetOverview>(row, 'overview');
      if (overview) yield overview;
    }
  }

  async dropParts(sweepId: string): Promise<void> {
    const client = await this.table();
    const partition = `parts-${sweepId}`;
    const keys: string[] = [];
    for await (const row of client.listEntities({
      queryOptions: { filter: odata`PartitionKey eq ${partition}`, select: ['RowKey'] },
    }))
      keys.push(row.rowKey ?? '');
    for (let i = 0; i < keys.length; i += 100) {
      const actions: TransactionAction[] = keys
        .slice(i, i + 100)
        .map((rowKey) => ['delete', { partitionKey: partition, rowKey }]);
      await client.submitTransaction(actions);
    }
    try {
      await client.deleteEntity(SWEEPS, sweepId);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async load(): Promise<StoredOverview | undefined> {
    const client = await this.table();
    const row = await getOrUndefined<Record<string, unknown>>(client, FLEET, LATEST);
    const overview = row ? getJson<FleetOverview>(row, 'overview') : undefined;
    if (!row || !overview || typeof row.at !== 'string') return undefined;
    return { overview, at: row.at, etag: row.etag };
  }

  async save(overview: FleetOverview, at: string, etag: string | undefined): Promise<boolean> {
    const client = await this.table();
    const entity: Record<string, unknown> & { partitionKey: string; rowKey: string } = {
      partitionKey: FLEET,
      rowKey: LATEST,
      at,
    };
    putJson(entity, 'overview', overview);
    try {
      if (etag === undefined) await client.createEntity(entity);
      else await client.updateEntity(entity, 'Replace', { etag });
      return true;
    } catch (e) {
      if (isConflict(e) || isPreconditionFailed(e)) return false;
      throw e;
    }
  }
}

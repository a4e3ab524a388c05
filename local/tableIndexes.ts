/* eslint-disable @typescript-eslint/no-unsafe-assignment */

/**
 * The one partition a table query's filter confines it to, or undefined when it may reach others. Only
 * a conjunction qualifies (no `or`, no `not` outside string literals): then a `PartitionKey eq '…'`
 * anywhere in it is a condition every result meets. `''` in a literal is one quote, as in OData.
 */
export function partitionOfFilter(filter: string | undefined): string | undefined {
  if (filter === undefined) return undefined;
  let partition: string | undefined;
  for (const m of filter.matchAll(/'(?:[^']|'')*'|\b(or|not)\b|\bPartitionKey\s+eq\s+'((?:[^']|'')*)'/gi)) {
    if (m[1] !== undefined) return undefined;
    if (m[2] !== undefined) partition ??= m[2].replace(/''/g, "'");
  }
  return partition;
}

interface LokiResultset {
  find(query: Record<string, unknown>): LokiResultset;
}

/** The parts of a LokiJS collection the lookups use: its data, its binary indices and their ranges. */
interface LokiEntityCollection {
  readonly data: { readonly PartitionKey?: unknown; readonly RowKey?: unknown }[];
  readonly cloneObjects: boolean;
  readonly binaryIndices: Record<string, { readonly dirty: boolean; readonly values: number[] } | undefined>;
  chain(): LokiResultset;
  findOne(query: Record<string, unknown>): unknown;
  calculateRange(op: '$eq', prop: string, value: unknown): [number, number];
  ensureIndex(prop: string): void;
}

interface TableStore {
  [method: string]: unknown;
}

const KEYS = ['PartitionKey', 'RowKey'] as const;
const withKeyLookup = new WeakSet<object>();

/**
 * Azurite's point lookup (`findOne({ PartitionKey, RowKey })`, behind every read, insert, update,
 * merge and delete of one entity) narrows by the PartitionKey index, then tests every entity of that
 * partition: a write to a partition of 50,000 rows costs 50,000 tests. Here it starts from whichever of
 * the two key indexes Azurite keeps gives the shorter range, then tests that range for both keys
 * exactly (Loki's index ranges compare numeric-looking strings as numbers, so they can hold extra
 * rows, never miss one). Any other query goes to Loki's own `findOne`.
 */
function lookUpByKeys(entities: LokiEntityCollection): void {
  if (withKeyLookup.has(entities)) return;
  withKeyLookup.add(entities);
  const findOne = entities.findOne.bind(entities);
  entities.findOne = (query: Record<string, unknown>): unknown => {
    const names = Object.keys(query);
    const pk = query.PartitionKey;
    const rk = query.RowKey;
    const indexed = !entities.cloneObjects && KEYS.every((k) => entities.binaryIndices[k] !== undefined);
    if (names.length !== 2 || typeof pk !== 'string' || typeof rk !== 'string' || !indexed)
      return findOne(query);
    const [byPartition, byRow] = KEYS.map((key) => {
      if (entities.binaryIndices[key]?.dirty === true) entities.ensureIndex(key);
      const [from, to] = entities.calculateRange('$eq', key, query[key]);
      return { positions: entities.binaryIndices[key]?.values ?? [], from, to };
    });
    if (byPartition === undefined || byRow === undefined) return findOne(query);
    const range = byRow.to - byRow.from < byPartition.to - byPartition.from ? byRow : byPartition;
    for (let i = range.from; i <= range.to; i++) {
      const entity = entities.data[range.positions[i] ?? -1];
      if (entity !== undefined && entity.PartitionKey === pk && entity.RowKey === rk) return entity;
    }
    return null;
  };
}

/**
 * Azurite answers a table query by testing its filter against every entity of the table, and a point
 * lookup by testing every entity of the partition, where Table Storage reads a partition or an entity
 * from its index: on Azurite a query of one cluster's plans costs as much as the plans table is long,
 * so a local Warden slows as its fleet grows and a bench at 50,000 clusters measures the emulator. Here
 * both start from the key indexes Azurite keeps on every table: a query whose filter names one partition
 * ({@link partitionOfFilter}) reads only that partition's entities, its own filter, order, paging and
 * continuation then running as before; a point lookup reads the shorter key range ({@link lookUpByKeys}).
 * Anything else runs unchanged.
 */
export function useTableIndexes(store: TableStore): void {
  const query = store.queryTableEntities as (...args: unknown[]) => Promise<unknown>;
  const collection = store.getEntityCollection as (...args: unknown[]) => LokiEntityCollection;
  store.getEntityCollection = (...args: unknown[]): LokiEntityCollection => {
    const entities = collection.apply(store, args);
    lookUpByKeys(entities);
    return entities;
  };
  store.queryTableEntities = (...args: unknown[]): Promise<unknown> => {
    // (context, account, table, queryOptions, nextPartitionKey, nextRowKey)
    const partition = partitionOfFilter((args[3] as { filter?: string } | undefined)?.filter);
    if (partition === undefined) return query.apply(store, args);
    // The same method, its collection narrowed to the partition; everything else is the store's own.
    const narrowed = Object.create(store, {
      getEntityCollection: {
        value: (...at: unknown[]): Pick<LokiEntityCollection, 'chain'> => {
          const entities = (store.getEntityCollection as typeof collection)(...at);
          return { chain: () => entities.chain().find({ PartitionKey: partition }) };
        },
      },
    });
    return query.apply(narrowed, args);
  };
}

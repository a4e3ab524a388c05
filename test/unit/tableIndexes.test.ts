import { partitionOfFilter, useTableIndexes } from '../../local/tableIndexes';

describe('partitionOfFilter: the one partition a table filter confines a query to', () => {
  test.each([
    ["PartitionKey eq 'c1'", 'c1'],
    ["PartitionKey eq 'c1' and RowKey ge 'p:' and RowKey lt 'p;'", 'c1'],
    ["RowKey ge 'p:' and (PartitionKey eq 'c1' and open eq true)", 'c1'],
    ["PartitionKey eq 'o''brien'", "o'brien"],
    ["PartitionKey eq 'a or b' and name eq 'not this'", 'a or b'],
    ["PartitionKey  eq  'spaced'", 'spaced'],
  ])('%s → %s', (filter, partition) => {
    expect(partitionOfFilter(filter)).toBe(partition);
  });

  test.each([
    [undefined],
    [''],
    ["RowKey eq 'r'"],
    ["PartitionKey ge 'a' and PartitionKey lt 'b'"],
    ["PartitionKey eq 'a' or PartitionKey eq 'b'"],
    ["PartitionKey eq 'a' and open eq true or RowKey eq 'x'"],
    ["not (PartitionKey eq 'a')"],
    ["PartitionKey eq 'a' OR status eq 'x'"],
    ["name eq 'PartitionKey eq ''x'''"],
    ["MyPartitionKey eq 'a'"],
  ])('%s → none', (filter) => {
    expect(partitionOfFilter(filter)).toBeUndefined();
  });
});

interface Entity {
  readonly PartitionKey: string;
  readonly RowKey: string;
}
interface LokiTable {
  insert(doc: Entity): void;
  findAndRemove(query: object): void;
  findOne(query: object): Entity | null;
  count(): number;
  chain(): { data(): Entity[] };
}

/** A LokiJS collection as Azurite creates one per table (its store engine; indices on both keys). */
function lokiTable(): LokiTable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Loki = require('lokijs') as new (file: string) => {
    addCollection(name: string, options: object): LokiTable;
  };
  return new Loki('t.json').addCollection('t', { indices: ['PartitionKey', 'RowKey'] });
}

/** A store shaped as Azurite's: its methods reach the table through `this.getEntityCollection(...)`. */
function storeOver(entities: LokiTable): Record<string, unknown> {
  type Self = { getEntityCollection(): LokiTable };
  return {
    getEntityCollection: () => entities,
    queryTableEntities(this: Self): Promise<Entity[]> {
      return Promise.resolve(this.getEntityCollection().chain().data());
    },
    lookUp(this: Self, pk: string, rk: string): Promise<Entity | null> {
      return Promise.resolve(this.getEntityCollection().findOne({ PartitionKey: pk, RowKey: rk }));
    },
  };
}

const KEYS = ['10', '010', '1e1', '9', '', 'a', 'a ', "o'brien", 'ü'];

describe('useTableIndexes over a LokiJS table', () => {
  const entities = lokiTable();
  for (const PartitionKey of KEYS) for (const RowKey of KEYS) entities.insert({ PartitionKey, RowKey });
  const store = storeOver(entities);
  const ownFindOne = jest.spyOn(entities, 'findOne');
  useTableIndexes(store);
  const call = <T>(name: string, ...args: unknown[]): Promise<T> =>
    (store[name] as (...a: unknown[]) => Promise<T>)(...args);

  test("a lookup by both keys finds exactly that entity, or none, without Loki's own scan", async () => {
    for (const pk of KEYS)
      for (const rk of KEYS)
        expect(await call<Entity | null>('lookUp', pk, rk)).toMatchObject({ PartitionKey: pk, RowKey: rk });
    expect(await call<Entity | null>('lookUp', '10', '0x0a')).toBeNull();
    expect(await call<Entity | null>('lookUp', '10.0', '10')).toBeNull();
    expect(await call<Entity | null>('lookUp', 'nowhere', 'a')).toBeNull();
    expect(ownFindOne).not.toHaveBeenCalled();
  });

  test('after removes and inserts the lookup still agrees with a scan', async () => {
    entities.findAndRemove({ PartitionKey: '010' });
    entities.insert({ PartitionKey: '010', RowKey: 'new' });
    expect(await call<Entity | null>('lookUp', '010', '10')).toBeNull();
    expect(await call<Entity | null>('lookUp', '010', 'new')).toMatchObject({
      PartitionKey: '010',
      RowKey: 'new',
    });
    expect(await call<Entity | null>('lookUp', '10', '10')).toMatchObject({
      PartitionKey: '10',
      RowKey: '10',
    });
  });

  test("any other lookup is Loki's own", () => {
    expect(entities.findOne({ PartitionKey: 'a' })).toMatchObject({ PartitionKey: 'a' });
    expect(ownFindOne).toHaveBeenCalledTimes(1);
  });

  test('a query naming one partition reads only that partition; any other reads the table', async () => {
    const one = await call<Entity[]>('queryTableEntities', {}, 'acct', 't', {
      filter: "PartitionKey eq '10' and open eq true",
    });
    expect(one.map((e) => e.PartitionKey)).toEqual(KEYS.map(() => '10'));
    const all = await call<Entity[]>('queryTableEntities', {}, 'acct', 't', {
      filter: "PartitionKey eq '10' or open eq true",
    });
    expect(all.length).toBe(entities.count());
  });
});

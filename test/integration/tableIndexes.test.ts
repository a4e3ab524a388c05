import type { TableEntityResult } from '@azure/data-tables';
import { odata } from '@azure/data-tables';

import { testTables } from '../helpers/storage';

/**
 * Local Azurite reads a query of one partition from its PartitionKey index (local/tableIndexes.ts).
 * Through the real SDK, every query answers exactly the entities its filter selects, in Table Storage's
 * order (PartitionKey, then RowKey), across pages and continuation tokens, with keys chosen to trip an
 * index: quotes, numeric-looking keys that LokiJS compares as numbers, neighbours sharing a prefix.
 */
const PARTITIONS = ['c1', 'c10', 'c1 ', "o'brien", '10', '010', '1e1', '9', 'a or b', 'ü'];
const ROWS = ['a:1', 'p:1', 'p:2', 'p:3', 'z'];

interface Row {
  readonly partitionKey: string;
  readonly rowKey: string;
  readonly open: boolean;
  readonly n: number;
}

const rows: Row[] = PARTITIONS.flatMap((partitionKey, i) =>
  ROWS.map((rowKey, j) => ({ partitionKey, rowKey, open: (i + j) % 2 === 0, n: i * 10 + j })),
);
const tables = testTables();

beforeAll(async () => {
  const t = await tables.table('partitions');
  for (const row of rows) await t.createEntity(row);
});

async function query(filter: string, pageSize: number): Promise<string[]> {
  const t = await tables.table('partitions');
  const got: string[] = [];
  const pages = t.listEntities<Row>({ queryOptions: { filter } }).byPage({ maxPageSize: pageSize });
  for await (const page of pages)
    for (const e of page as TableEntityResult<Row>[]) got.push(`${e.partitionKey}|${e.rowKey}`);
  return got;
}

const byKeys = (a: Row, b: Row): number =>
  a.partitionKey === b.partitionKey
    ? a.rowKey < b.rowKey
      ? -1
      : a.rowKey > b.rowKey
        ? 1
        : 0
    : a.partitionKey < b.partitionKey
      ? -1
      : 1;

const expected = (keep: (r: Row) => boolean): string[] =>
  rows
    .filter(keep)
    .sort(byKeys)
    .map((r) => `${r.partitionKey}|${r.rowKey}`);

describe.each([1, 2, 1000])('queries answered in pages of %i', (pageSize) => {
  test.each(PARTITIONS)('one partition, %j: all of it, its row range, and more conditions', async (pk) => {
    expect(await query(odata`PartitionKey eq ${pk}`, pageSize)).toEqual(
      expected((r) => r.partitionKey === pk),
    );
    expect(await query(odata`PartitionKey eq ${pk} and RowKey ge 'p:' and RowKey lt 'p;'`, pageSize)).toEqual(
      expected((r) => r.partitionKey === pk && r.rowKey.startsWith('p:')),
    );
    expect(await query(odata`RowKey ge 'p:' and (PartitionKey eq ${pk} and open eq true)`, pageSize)).toEqual(
      expected((r) => r.partitionKey === pk && r.rowKey >= 'p:' && r.open),
    );
  });

  test('filters that reach several partitions or none', async () => {
    expect(await query(odata`PartitionKey eq ${'10'} or PartitionKey eq ${'9'}`, pageSize)).toEqual(
      expected((r) => r.partitionKey === '10' || r.partitionKey === '9'),
    );
    expect(await query(odata`PartitionKey eq ${'c1'} and n ge 3 or RowKey eq ${'z'}`, pageSize)).toEqual(
      expected((r) => (r.partitionKey === 'c1' && r.n >= 3) || r.rowKey === 'z'),
    );
    expect(await query(odata`not (PartitionKey eq ${'c1'}) and RowKey eq ${'a:1'}`, pageSize)).toEqual(
      expected((r) => r.partitionKey !== 'c1' && r.rowKey === 'a:1'),
    );
    expect(await query(odata`PartitionKey eq ${'c1'} and PartitionKey eq ${'c10'}`, pageSize)).toEqual([]);
    expect(await query(odata`PartitionKey eq ${'nowhere'}`, pageSize)).toEqual([]);
  });
});

test('a partition query sees entities written, replaced and deleted after the table was filled', async () => {
  const t = await tables.table('partitions');
  await t.createEntity({ partitionKey: 'late', rowKey: 'r1', open: true, n: 1 });
  await t.upsertEntity({ partitionKey: 'late', rowKey: 'r2', open: false, n: 2 }, 'Replace');
  await t.upsertEntity({ partitionKey: 'late', rowKey: 'r1', open: false, n: 3 }, 'Replace');
  await t.deleteEntity('c1', 'z');
  expect(await query(odata`PartitionKey eq ${'late'} and open eq false`, 1)).toEqual(['late|r1', 'late|r2']);
  expect(await query(odata`PartitionKey eq ${'c1'}`, 1000)).toEqual(['c1|a:1', 'c1|p:1', 'c1|p:2', 'c1|p:3']);
});

describe('entity reads and writes by key', () => {
  test('each entity is read by its keys; keys equal only as numbers are other entities', async () => {
    const t = await tables.table('partitions');
    for (const pk of ['10', '010', '1e1', '9', "o'brien"])
      for (const rk of ['a:1', 'p:2'])
        expect(await t.getEntity<Row>(pk, rk)).toMatchObject({ partitionKey: pk, rowKey: rk });
    const missing = await t.getEntity('10.0', 'a:1').catch((e: { statusCode?: number }) => e.statusCode);
    expect(missing).toBe(404);
  });

  test('insert, replace, merge and delete find the one entity they name', async () => {
    const t = await tables.table('keys');
    await t.createEntity({ partitionKey: '10', rowKey: '1', v: 1 });
    await t.createEntity({ partitionKey: '010', rowKey: '01', v: 2 });
    const again = await t
      .createEntity({ partitionKey: '10', rowKey: '1', v: 3 })
      .catch((e: { statusCode?: number }) => e.statusCode);
    expect(again).toBe(409);
    await t.upsertEntity({ partitionKey: '10', rowKey: '1', v: 4 }, 'Replace');
    await t.updateEntity({ partitionKey: '010', rowKey: '01', w: 5 }, 'Merge');
    expect(await t.getEntity('10', '1')).toMatchObject({ v: 4 });
    expect(await t.getEntity('010', '01')).toMatchObject({ v: 2, w: 5 });
    await t.deleteEntity('10', '1');
    expect(await t.getEntity('010', '01')).toMatchObject({ v: 2 });
    const gone = await t.getEntity('10', '1').catch((e: { statusCode?: number }) => e.statusCode);
    expect(gone).toBe(404);
  });
});

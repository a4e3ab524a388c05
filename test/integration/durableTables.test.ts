import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { TransactionAction } from '@azure/data-tables';
import { TableClient, TableServiceClient } from '@azure/data-tables';

import type { RunningAzurite } from '../../local/azurite';
import { startAzurite } from '../../local/azurite';

const options = { allowInsecureConnection: true };
const table = (azurite: RunningAzurite, name: string): TableClient =>
  TableClient.fromConnectionString(azurite.connectionString, name, options);

async function rows(azurite: RunningAzurite, name: string): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const e of table(azurite, name).listEntities<Record<string, unknown>>())
    out.push({ partitionKey: e.partitionKey, rowKey: e.rowKey, value: e.value, note: e.note });
  return out.sort((a, b) => String(a.rowKey).localeCompare(String(b.rowKey)));
}

async function tableNames(azurite: RunningAzurite): Promise<string[]> {
  const service = TableServiceClient.fromConnectionString(azurite.connectionString, options);
  const names: string[] = [];
  for await (const t of service.listTables()) names.push(t.name ?? '');
  return names.sort();
}

/**
 * What a second Azurite reads from the folder while the first still runs, having answered its writes:
 * exactly what a restart after `kill -9` at that moment would load (the first saves nothing more).
 */
describe('durable tables: snapshot and journal', () => {
  let dir: string;
  const running: RunningAzurite[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-durable-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((a) => a.close()));
    rmSync(dir, { recursive: true, force: true });
  });
  const start = async (): Promise<RunningAzurite> => {
    const a = await startAzurite({ location: dir });
    running.push(a);
    return a;
  };

  test('every answered insert, update, merge, delete, batch and table drop is read back; a torn last save is dropped', async () => {
    const first = await start();
    const t = table(first, 'kept');
    await t.createTable();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        t.createEntity({ partitionKey: `p${i % 4}`, rowKey: `r${String(i).padStart(2, '0')}`, value: i }),
      ),
    );
    await t.updateEntity({ partitionKey: 'p1', rowKey: 'r01', value: 101 }, 'Replace');
    await t.updateEntity({ partitionKey: 'p2', rowKey: 'r02', note: 'merged' }, 'Merge');
    await t.deleteEntity('p3', 'r03');
    const batch: TransactionAction[] = [
      ['create', { partitionKey: 'p0', rowKey: 'r40', value: 40 }],
      ['update', { partitionKey: 'p0', rowKey: 'r04', value: 104 }, 'Replace'],
      ['delete', { partitionKey: 'p0', rowKey: 'r08' }],
    ];
    await t.submitTransaction(batch);
    const dropped = table(first, 'dropped');
    await dropped.createTable();
    await dropped.createEntity({ partitionKey: 'p', rowKey: 'r', value: 1 });
    await dropped.deleteTable();
    const expected = await rows(first, 'kept');

    const journal = readFileSync(join(dir, '__azurite_db_table__.json.journal'), 'utf8');
    // the header, then one line per save: the writes above were appended, not saved whole
    expect(journal.split('\n').length).toBeGreaterThan(5);
    appendFileSync(join(dir, '__azurite_db_table__.json.journal'), '{"drop":[],"full":[{"name":"de');

    const second = await start();
    expect(await rows(second, 'kept')).toEqual(expected);
    expect(expected.find((r) => r.rowKey === 'r01')).toMatchObject({ value: 101 });
    expect(expected.find((r) => r.rowKey === 'r02')).toMatchObject({ value: 2, note: 'merged' });
    expect(expected.map((r) => r.rowKey)).not.toContain('r03');
    expect(expected.map((r) => r.rowKey)).not.toContain('r08');
    expect(expected.find((r) => r.rowKey === 'r40')).toMatchObject({ value: 40 });
    expect(await tableNames(second)).toEqual(['kept']);

    // the second wrote a snapshot of its own at start; writes after it follow that snapshot
    await table(second, 'kept').createEntity({ partitionKey: 'p9', rowKey: 'r99', value: 99 });
    const third = await start();
    expect((await rows(third, 'kept')).map((r) => r.rowKey)).toEqual(
      [...expected.map((r) => r.rowKey), 'r99'].sort(),
    );
    // point reads go through the rebuilt indexes
    expect((await table(third, 'kept').getEntity('p1', 'r01')).value).toBe(101);
  });
});

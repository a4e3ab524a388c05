import type { TableClient } from '@azure/data-tables';

import type { Delivery } from '../../shared/notify/outbox';
import { TableOutbox } from '../../shared/store/outboxStore';
import { DEFAULT_DISPATCH, dispatchNotifications } from '../../shared/usecases/dispatchNotifications';
import { sampleNotice } from '../helpers/notices';
import { testTables } from '../helpers/storage';

/**
 * How the dispatcher finds what is due, through Azurite: the entries of the `~due` partition, one per
 * row waiting to be sent, read up to now and each row by key; entries of rows that are sent, dead or
 * gone are dropped; once an hour a query of the whole table is the backstop for rows with no entry.
 */
const T0 = new Date('2026-11-25T10:01:00Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };
const to: Delivery = { channel: 'email', to: 'oncall@contoso.example' };

async function world() {
  const tables = testTables();
  const outbox = new TableOutbox(tables, () => [to]);
  const client: TableClient = await tables.table('outbox');
  const entries = async (): Promise<string[]> => {
    const keys: string[] = [];
    for await (const e of client.listEntities({ queryOptions: { filter: "PartitionKey eq '~due'" } }))
      keys.push(e.rowKey ?? '');
    return keys;
  };
  const sent: string[] = [];
  let fail: (() => Error | undefined) | undefined;
  const dispatch = (now: Date) =>
    dispatchNotifications(
      {
        outbox,
        channels: {
          email: {
            send: (notice) => {
              const error = fail?.();
              if (error) return Promise.reject(error);
              sent.push(notice.key);
              return Promise.resolve();
            },
          },
        },
        log: quiet,
      },
      now,
      { ...DEFAULT_DISPATCH, maxAttempts: 1 },
    );
  return { outbox, client, entries, sent, dispatch, setFail: (f: typeof fail) => (fail = f) };
}

const notice = (i: number) => sampleNotice('plan-failed', { key: `plan:p-${i}:failed`, planId: `p-${i}` });

it('keeps one entry per row waiting, in the order they became due, and drops it once the row is sent', async () => {
  const w = await world();
  await w.outbox.enqueue([notice(1)], at(0));
  await w.outbox.enqueue([notice(2)], at(1));
  const keys = await w.entries();
  expect(keys).toHaveLength(2);
  expect(keys[0]?.startsWith(`${at(0).toISOString()}|`)).toBe(true);
  expect(keys[1]?.startsWith(`${at(1).toISOString()}|`)).toBe(true);

  // At 10:01:30 only the first is due; the second's entry is not read yet.
  expect((await w.outbox.due(new Date(at(0).getTime() + 30_000), 100)).map((r) => r.noticeKey)).toEqual([
    'plan:p-1:failed',
  ]);
  expect((await w.dispatch(at(2))).sent).toBe(2);
  expect(await w.entries()).toEqual([]);
  expect((await w.outbox.due(at(3), 100)).length).toBe(0);
});

it('finds a row that has no entry (written before entries existed) in the hourly query of the whole table', async () => {
  const w = await world();
  await w.outbox.enqueue([notice(1)], at(0));
  const [key] = await w.entries();
  await w.client.deleteEntity('~due', key ?? '');
  // A run that is not at half past reads the entries only: the row waits.
  expect((await w.dispatch(at(2))).due).toBe(0);
  // 10:30: the backstop finds it, sends it, and (had it not been sent) would have given it an entry.
  expect(await w.dispatch(at(29))).toMatchObject({ due: 1, sent: 1 });
  expect(w.sent).toEqual(['plan:p-1:failed']);

  await w.outbox.enqueue([notice(2)], at(40));
  const [second] = await w.entries();
  await w.client.deleteEntity('~due', second ?? '');
  expect((await w.outbox.due(at(41), 100, { full: true })).length).toBe(1);
  expect(await w.entries()).toHaveLength(1);
  expect((await w.outbox.due(at(42), 100)).map((r) => r.noticeKey)).toEqual(['plan:p-2:failed']);
});

it('drops an entry that names no row only once it is five minutes old, and keeps a retried row due', async () => {
  const w = await world();
  // An entry whose row was never written (the enqueue died between the two writes).
  await w.client.createEntity({ partitionKey: '~due', rowKey: `${at(0).toISOString()}|${'0'.repeat(32)}` });
  await w.outbox.due(at(4), 100);
  expect(await w.entries()).toHaveLength(1);
  await w.outbox.due(at(6), 100);
  expect(await w.entries()).toEqual([]);

  // A row that dies drops its entry; the operator's retry gives it a new one, due at once.
  w.setFail(() => new Error('550 mailbox unavailable'));
  await w.outbox.enqueue([notice(3)], at(10));
  expect((await w.dispatch(at(10))).dead).toBe(1);
  expect(await w.entries()).toEqual([]);
  const [dead] = await w.outbox.list({ status: 'dead' });
  w.setFail(undefined);
  expect(await w.outbox.retry(dead?.id ?? '', at(20))).toMatchObject({ status: 'pending' });
  expect(await w.dispatch(at(20))).toMatchObject({ due: 1, sent: 1 });
  expect(await w.entries()).toEqual([]);
});

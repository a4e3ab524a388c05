import { odata } from '@azure/data-tables';

import type { Notice } from '../../shared/domain/notice';
import type { ChannelSender } from '../../shared/notify/channels';
import { ThrottledError } from '../../shared/notify/channels';
import type { Delivery } from '../../shared/notify/outbox';
import { OUTBOX_TABLE, TableOutbox } from '../../shared/store/outboxStore';
import { listAll } from '../../shared/store/tables';
import { DEFAULT_DISPATCH, dispatchNotifications } from '../../shared/usecases/dispatchNotifications';
import { sampleNotice } from '../helpers/notices';
import { testTables } from '../helpers/storage';

/**
 * Batched notices through Azurite: per recipient, the informational notices of a 15-minute window go
 * out as one message when it ends; an approval request or a failure goes at once; the dispatcher
 * keeps each channel to its sending rate and waits out a 429's Retry-After.
 */
const WINDOW = 15 * 60_000;
const T0 = new Date('2026-11-25T10:01:00Z');
const at = (min: number): Date => new Date(T0.getTime() + min * 60_000);
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

function recorder(fail?: () => Error | undefined) {
  const sent: { notice: Notice; to: string }[] = [];
  const sender: ChannelSender = {
    send: (notice, delivery: Delivery) => {
      const error = fail?.();
      if (error) return Promise.reject(error);
      sent.push({ notice, to: delivery.to });
      return Promise.resolve();
    },
  };
  return { sent, sender };
}

function owners(n: number, kind: Notice['kind'], minute: number): Notice[] {
  return Array.from({ length: n }, (_, i) =>
    sampleNotice(kind, {
      key: `plan:p-${kind}-${i}:${kind}`,
      at: at(minute).toISOString(),
      planId: `p-${i}`,
    }),
  );
}

it('sends each recipient one message per window for informational notices, and urgent ones at once', async () => {
  const outbox = new TableOutbox(
    testTables(),
    () => [
      { channel: 'email', to: 'payments@contoso.example' },
      { channel: 'email', to: 'platform@contoso.example' },
    ],
    undefined,
    undefined,
    WINDOW,
  );
  const { sent, sender } = recorder();
  const dispatch = (now: Date) =>
    dispatchNotifications({ outbox, channels: { email: sender }, log: quiet }, now, {
      ...DEFAULT_DISPATCH,
      rates: {},
    });

  await outbox.enqueue(owners(12, 'plan-scheduled', 0), at(0));
  await outbox.enqueue(owners(5, 'plan-succeeded', 9), at(9));
  await outbox.enqueue(
    [sampleNotice('plan-failed', { key: 'plan:p-x:failed', at: at(10).toISOString() })],
    at(10),
  );
  await dispatch(at(10));
  // The failure went at once, to both; nothing informational yet.
  expect(sent.map((s) => [s.notice.kind, s.to]).sort()).toEqual([
    ['plan-failed', 'payments@contoso.example'],
    ['plan-failed', 'platform@contoso.example'],
  ]);

  // The window 10:00-10:15 ends; a minute's grace, then one message each with all 17.
  await outbox.enqueue(owners(2, 'plan-started', 16), at(16)); // the next window
  await dispatch(at(15));
  expect(sent).toHaveLength(2);
  const report = await dispatch(at(16.5));
  expect(report).toMatchObject({ batches: 2, batched: 34 });
  await dispatch(at(16.5)); // the batch messages themselves, queued by closing
  const batches = sent.filter((s) => s.notice.kind === 'notice-batch');
  expect(batches.map((b) => b.to).sort()).toEqual(['payments@contoso.example', 'platform@contoso.example']);
  expect(batches[0]?.notice.facts).toHaveLength(17);
  expect(batches[0]?.notice.title).toBe('17 upgrade updates: 12 scheduled, 5 finished');

  // Closing again (a crash, a second dispatcher) sends nothing twice; the 10:15 window follows.
  await dispatch(at(17));
  expect(sent.filter((s) => s.notice.kind === 'notice-batch')).toHaveLength(2);
  await dispatch(at(31.5));
  await dispatch(at(31.5));
  const next = sent.filter((s) => s.notice.kind === 'notice-batch').slice(2);
  expect(next.map((b) => b.notice.facts.length)).toEqual([2, 2]);
  const rows = await outbox.list({ limit: 500 });
  expect(
    rows.filter((r) => r.kind === 'plan-scheduled').every((r) => r.status === 'sent' && r.batchedIn),
  ).toBe(true);
});

it('keeps email to its sending rate across runs, and waits out a 429 with Retry-After', async () => {
  const outbox = new TableOutbox(testTables(), () => [{ channel: 'email', to: 'oncall@contoso.example' }]);
  let throttle = 1;
  const { sent, sender } = recorder(() =>
    throttle-- > 0 ? new ThrottledError('ACS answered 429', { retryAfterMs: 90_000 }) : undefined,
  );
  const dispatch = (now: Date) =>
    dispatchNotifications({ outbox, channels: { email: sender }, log: quiet }, now, {
      ...DEFAULT_DISPATCH,
      rates: { email: { perMinute: 3, perHour: 5 } },
    });
  await outbox.enqueue(owners(8, 'approval-requested', 0), at(0));

  // 3 a minute: one answered 429 (it waits 90 s, without using up an attempt), two sent.
  expect(await dispatch(at(0))).toMatchObject({ sent: 2, retrying: 1 });
  expect((await dispatch(at(1))).sent).toBe(1); // 2 sent in the last minute
  expect((await dispatch(at(1.5))).sent).toBe(2); // the throttled one among them; 5 in the hour now
  expect((await dispatch(at(2))).sent).toBe(0);
  expect((await dispatch(at(30))).sent).toBe(0);
  expect(sent).toHaveLength(5);
  expect((await dispatch(at(62))).sent).toBe(3);
});

it('counts the sending rate from a ledger of what was sent, trimmed on the hour after two hours', async () => {
  const outbox = new TableOutbox(testTables(), () => [{ channel: 'email', to: 'oncall@contoso.example' }]);
  const { sender } = recorder();
  const dispatch = (now: Date) =>
    dispatchNotifications({ outbox, channels: { email: sender }, log: quiet }, now, DEFAULT_DISPATCH);
  await outbox.enqueue(owners(4, 'approval-requested', 0), at(0));
  expect((await dispatch(at(0))).sent).toBe(4);
  await outbox.enqueue(owners(2, 'plan-failed', 10), at(10));
  expect((await dispatch(at(10))).sent).toBe(2);

  expect(await outbox.sentSince('email', at(-1))).toBe(6);
  expect(await outbox.sentSince('email', at(5))).toBe(2);
  expect(await outbox.sentSince('teams', at(-1))).toBe(0);
  // Runs on the hour drop what was sent more than two hours before (T0 is 10:01): at 12:00 nothing,
  // at 13:00 all six; a run off the hour drops nothing.
  await dispatch(at(119));
  expect(await outbox.sentSince('email', at(-1))).toBe(6);
  await dispatch(at(178));
  expect(await outbox.sentSince('email', at(-1))).toBe(6);
  await dispatch(at(179));
  expect(await outbox.sentSince('email', at(-1))).toBe(0);
});

it('spends a short sending rate on approval requests and failures before informational notices', async () => {
  const outbox = new TableOutbox(testTables(), () => [{ channel: 'email', to: 'oncall@contoso.example' }]);
  const { sent, sender } = recorder();
  const dispatch = (now: Date) =>
    dispatchNotifications({ outbox, channels: { email: sender }, log: quiet }, now, {
      ...DEFAULT_DISPATCH,
      rates: { email: { perMinute: 3 } },
    });
  // Due in this order: four owners' notices first, then a failure and a personal approval request.
  await outbox.enqueue(owners(4, 'plan-succeeded', 0), at(0));
  await outbox.enqueue(owners(1, 'plan-failed', 0), at(0));
  await outbox.enqueue(
    [sampleNotice('approval-requested', { key: 'plan:p-x:approval', recipient: 'oncall@contoso.example' })],
    at(0),
  );

  expect((await dispatch(at(0.5))).sent).toBe(3);
  // The three the rate allows are chosen by urgency; they are sent side by side, so in any order.
  expect(sent.map((s) => s.notice.kind).sort()).toEqual([
    'approval-requested',
    'plan-failed',
    'plan-succeeded',
  ]);
});

it('closes a batch from its member entries, and one opened before they existed from the whole outbox', async () => {
  const tables = testTables();
  const outbox = new TableOutbox(
    tables,
    () => [{ channel: 'email', to: 'payments@contoso.example' }],
    undefined,
    undefined,
    WINDOW,
  );
  const client = await tables.table(OUTBOX_TABLE);
  const partition = async (pk: string) =>
    (await listAll<{ rowKey?: string }>(client, odata`PartitionKey eq ${pk}`)).map((e) => e.rowKey);

  await outbox.enqueue(owners(3, 'plan-scheduled', 0), at(0));
  const [batch] = await outbox.dueBatches(at(16));
  expect(batch).toMatchObject({ channel: 'email', to: 'payments@contoso.example', members: true });
  const members = await partition(`~in-${batch!.id}`);
  expect(members).toHaveLength(3);
  // An entry naming no row (its enqueue died before the row) is dropped with the others.
  await client.createEntity({ partitionKey: `~in-${batch!.id}`, rowKey: 'ffghost' });
  expect(await outbox.closeBatch(batch!, at(16))).toBe(3);
  expect(await partition(`~in-${batch!.id}`)).toEqual([]);
  expect(await outbox.dueBatches(at(16))).toEqual([]);
  const closed = (await outbox.list({ limit: 50 })).filter((r) => members.includes(r.id));
  expect(closed.map((r) => r.status)).toEqual(['sent', 'sent', 'sent']);

  // As a batch an earlier version opened: no member entries, and no `members` on the batch.
  await outbox.enqueue(owners(2, 'plan-started', 20), at(20));
  const [old] = await outbox.dueBatches(at(31));
  for (const id of await partition(`~in-${old!.id}`)) await client.deleteEntity(`~in-${old!.id}`, id ?? '');
  await client.upsertEntity(
    {
      partitionKey: '~batches',
      rowKey: old!.id,
      channel: old!.channel,
      to: old!.to,
      windowEnd: old!.windowEnd,
    },
    'Replace',
  );
  const [legacy] = await outbox.dueBatches(at(31));
  expect(legacy).toMatchObject({ id: old!.id, members: false });
  expect(await outbox.closeBatch(legacy!, at(31))).toBe(2);
  expect(await outbox.dueBatches(at(31))).toEqual([]);
});

import { randomBytes } from 'node:crypto';

import { decodeAksEvent } from '../../shared/domain/aksEvents';
import type { Notice } from '../../shared/domain/notice';
import { TableEventStore } from '../../shared/store/eventStore';
import { TableOutbox } from '../../shared/store/outboxStore';
import { fixture } from '../helpers/fixtures';
import { testTables } from '../helpers/storage';

/**
 * What the plan page reads, through the real SDK and Azurite: a plan's notices from the outbox's index
 * by plan (no table scan; a purged row leaves nothing behind), and a cluster's events in a time range,
 * filtered by Table Storage.
 */
const tables = testTables();
const outbox = new TableOutbox(tables, (n) => [
  { channel: 'email', to: n.recipient ?? 'oncall@contoso.com' },
  { channel: 'teams', to: 'platform' },
]);
const T0 = new Date('2026-11-25T10:00:00Z');

function notice(key: string, planId?: string, recipient?: string): Notice {
  return {
    kind: 'approval-requested',
    key,
    severity: 'info',
    title: `notice ${key}`,
    summary: 's',
    facts: [],
    actions: [],
    audience: ['oncall'],
    ...(planId !== undefined && { planId }),
    ...(recipient !== undefined && { recipient }),
    at: T0.toISOString(),
  };
}

test("a plan's deliveries come from its index, newest first; another plan's and plan-less ones do not", async () => {
  const a = `pa${randomBytes(3).toString('hex')}`;
  const b = `pb${randomBytes(3).toString('hex')}`;
  await outbox.enqueue([notice(`${a}:1`, a, 'x@contoso.com'), notice(`${b}:1`, b), notice('fleet:1')], T0);
  await outbox.enqueue([notice(`${a}:2`, a)], new Date(T0.getTime() + 60_000));
  // Enqueued again (a retried producer): no second row, no second index entry.
  await outbox.enqueue([notice(`${a}:2`, a)], new Date(T0.getTime() + 120_000));
  const rows = await outbox.forPlan(a);
  expect(rows.map((r) => r.noticeKey)).toEqual([`${a}:2`, `${a}:2`, `${a}:1`, `${a}:1`]);
  expect(rows.map((r) => `${r.noticeKey} ${r.channel} ${r.to}`).sort()).toEqual([
    `${a}:1 email x@contoso.com`,
    `${a}:1 teams platform`,
    `${a}:2 email oncall@contoso.com`,
    `${a}:2 teams platform`,
  ]);
  expect((await outbox.forPlan(b)).map((r) => r.noticeKey)).toEqual([`${b}:1`, `${b}:1`]);
  expect(await outbox.forPlan('no-such-plan')).toEqual([]);
  // The index is not a delivery: the dispatcher's and the API's reads never see it.
  expect((await outbox.list({ limit: 100 })).length).toBe(8);
  expect((await outbox.due(new Date(T0.getTime() + 180_000), 100)).length).toBe(8);

  // Sent and purged: gone from the plan's reads too, index entry and all.
  // The index shows each delivery's status as the dispatcher moves it.
  const sent = (await outbox.get(rows[0]!.id))!;
  const statusOf = async () => (await outbox.forPlan(a)).find((r) => r.id === sent.id)?.status;
  expect(await statusOf()).toBe('pending');
  const claimed = await outbox.claim(sent, T0, 60_000);
  expect(await statusOf()).toBe('sending');
  expect(await outbox.markSent(claimed!, T0)).toBe(true);
  expect(await statusOf()).toBe('sent');
  // Enqueued once more after it was sent: the index keeps the status.
  await outbox.enqueue([notice(`${a}:2`, a)], new Date(T0.getTime() + 150_000));
  expect(await statusOf()).toBe('sent');
  expect(await outbox.purge(new Date(T0.getTime() + 1), new Date(0))).toBe(1);
  expect((await outbox.forPlan(a)).map((r) => r.id)).not.toContain(sent.id);
  const index = await tables.table('outbox');
  const left: string[] = [];
  for await (const e of index.listEntities({ queryOptions: { filter: `PartitionKey eq '~plan-${a}'` } }))
    left.push(e.rowKey ?? '');
  expect(left.sort()).toEqual((await outbox.forPlan(a)).map((r) => r.id).sort());
});

test("a cluster's events in a time range: Table Storage returns only those received in it", async () => {
  const events = new TableEventStore(tables);
  const cluster = `/subscriptions/1b7e6d2a-5c1f-4e8a-9d3b-0a1c2e3f4a51/resourceGroups/rg-pages/providers/Microsoft.ContainerService/managedClusters/aks-pages-${randomBytes(2).toString('hex')}`;
  const wire = fixture<{ eventType: string; subject: string; data: unknown }>(
    'events/NodePoolRollingStarted.eventgrid.json',
  );
  for (const minute of [0, 10, 20]) {
    const decoded = decodeAksEvent(
      {
        schema: 'eventgrid',
        id: `e${minute}`,
        type: wire.eventType,
        source: cluster,
        subject: wire.subject,
        time: T0.toISOString(),
      },
      wire.data,
    );
    if (!decoded.ok) throw new Error(decoded.problem);
    await events.record(decoded.value, new Date(T0.getTime() + minute * 60_000));
  }
  const ids = async (q: { receivedFrom?: string; receivedUntil?: string }) =>
    (await events.list({ cluster, ...q })).map((e) => e.eventId);
  expect(await ids({})).toEqual(['e20', 'e10', 'e0']);
  expect(await ids({ receivedFrom: '2026-11-25T10:10:00.000Z' })).toEqual(['e20', 'e10']);
  expect(
    await ids({ receivedFrom: '2026-11-25T10:05:00.000Z', receivedUntil: '2026-11-25T10:10:00.000Z' }),
  ).toEqual(['e10']);
});

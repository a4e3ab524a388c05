import { TableTransaction } from '@azure/data-tables';

import { isConflict, isPreconditionFailed } from '../../shared/store/tables';
import { testTables } from '../helpers/storage';

/**
 * Warden's concurrency rests on Table Storage ETags; Azurite's batch handling has had bugs
 * (partial commits, Azure/Azurite#1216), so the behaviour Warden relies on is pinned here.
 */
describe('Azurite ETag behaviour Warden relies on', () => {
  test('a stale ETag is refused with 412 on update; a fresh one succeeds', async () => {
    const t = await testTables().table('etags');
    await t.createEntity({ partitionKey: 'p', rowKey: 'r', n: 1 });
    const read = await t.getEntity<{ n: number }>('p', 'r');
    await t.updateEntity({ partitionKey: 'p', rowKey: 'r', n: 2 }, 'Merge', { etag: read.etag });
    const err = await t
      .updateEntity({ partitionKey: 'p', rowKey: 'r', n: 3 }, 'Merge', { etag: read.etag })
      .catch((e: unknown) => e);
    expect(isPreconditionFailed(err)).toBe(true);
    expect((await t.getEntity<{ n: number }>('p', 'r')).n).toBe(2);
  });

  test('a duplicate create is a 409', async () => {
    const t = await testTables().table('etags');
    await t.createEntity({ partitionKey: 'p', rowKey: 'dup' });
    expect(
      isConflict(await t.createEntity({ partitionKey: 'p', rowKey: 'dup' }).catch((e: unknown) => e)),
    ).toBe(true);
  });

  test('a batch with one stale ETag commits nothing', async () => {
    const t = await testTables().table('etags');
    await t.createEntity({ partitionKey: 'b', rowKey: 'state', v: 1 });
    const stale = await t.getEntity('b', 'state');
    await t.updateEntity({ partitionKey: 'b', rowKey: 'state', v: 2 }, 'Merge', { etag: stale.etag });
    const tx = new TableTransaction();
    tx.createEntity({ partitionKey: 'b', rowKey: 'audit-1' });
    tx.updateEntity({ partitionKey: 'b', rowKey: 'state', v: 3 }, 'Merge', { etag: stale.etag });
    const err = await t.submitTransaction(tx.actions).catch((e: unknown) => e);
    expect(err).toBeDefined();
    await expect(t.getEntity('b', 'audit-1')).rejects.toMatchObject({ statusCode: 404 });
    expect((await t.getEntity<{ v: number }>('b', 'state')).v).toBe(2);
  });

  test('two racing conditional updates from the same read: exactly one wins', async () => {
    const t = await testTables().table('etags');
    await t.createEntity({ partitionKey: 'race', rowKey: 'r', owner: 'none' });
    const read = await t.getEntity('race', 'r');
    const results = await Promise.allSettled(
      ['a', 'b', 'c', 'd'].map((owner) =>
        t.updateEntity({ partitionKey: 'race', rowKey: 'r', owner }, 'Merge', { etag: read.etag }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').every((r) => isPreconditionFailed(r.reason))).toBe(
      true,
    );
  });
});

import type { AksGateway, InventoryCluster } from '../../shared/azure/aksGateway';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { ConflictError } from '../../shared/errors';
import type { ClusterRecord } from '../../shared/store/clusterStore';
import { TableClusterStore } from '../../shared/store/clusterStore';
import type { ShardMessage } from '../../shared/usecases/sweepFleet';
import { runShard } from '../../shared/usecases/sweepFleet';
import { snapshotOf } from '../helpers/memoryClusterStore';
import { testTables } from '../helpers/storage';

/** The cluster store on Azurite: entity-group batches with ETags, chunked JSON, deletion marks; shard idempotence. */
const SUB = '00000000-0000-4000-8000-00000000c001';

function record(name: string, over: Partial<ClusterRecord> = {}): ClusterRecord {
  return { snapshot: snapshotOf({ subscriptionId: SUB, name }), findings: [], sweepId: 's1', ...over };
}

describe('cluster store on Azurite', () => {
  it('writes more than 100 clusters of a subscription in batches and reads them back', async () => {
    const store = new TableClusterStore(testTables());
    const records = Array.from({ length: 230 }, (_, i) => record(`aks-${String(i).padStart(3, '0')}`));
    await store.write(SUB, records, new Map());
    const stored = await store.subscription(SUB);
    expect(stored.size).toBe(230);
    const range = await store.subscription(SUB, {
      from: records[10]!.snapshot.key,
      to: records[19]!.snapshot.key,
    });
    expect(range.size).toBe(10);
  });

  it('replaces only when the ETag still matches: a stale batch fails whole with a ConflictError', async () => {
    const store = new TableClusterStore(testTables());
    await store.write(SUB, [record('aks-a'), record('aks-b')], new Map());
    const first = await store.subscription(SUB);
    const etags = new Map([...first].map(([k, v]) => [k, v.etag]));
    await store.write(SUB, [record('aks-a', { sweepId: 's2' })], etags);

    const stale = store.write(
      SUB,
      [record('aks-b', { sweepId: 's3' }), record('aks-a', { sweepId: 's3' })],
      etags,
    );
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    const after = await store.subscription(SUB);
    expect([...after.values()].map((c) => [c.snapshot.name, c.sweepId]).sort()).toEqual([
      ['aks-a', 's2'],
      ['aks-b', 's1'],
    ]);
    // Creating what exists is a conflict too (a second writer created it first).
    await expect(store.write(SUB, [record('aks-a')], new Map())).rejects.toBeInstanceOf(ConflictError);
  });

  it('keeps snapshots over the 32K-character property limit whole', async () => {
    const store = new TableClusterStore(testTables());
    const tags = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`tag${i}`, 'x'.repeat(1500)]));
    await store.write(
      SUB,
      [record('aks-big', { snapshot: snapshotOf({ subscriptionId: SUB, name: 'aks-big', tags }) })],
      new Map(),
    );
    const [found] = await store.findByName('AKS-BIG');
    expect(found?.snapshot.tags).toEqual(tags);
  });

  it('marks deleted clusters with the time, keeping their last snapshot and findings', async () => {
    const store = new TableClusterStore(testTables());
    const finding = {
      code: 'node-os-channel' as const,
      severity: 'warning' as const,
      message: 'm',
      guidance: { text: 't', source: 's' },
    };
    await store.write(SUB, [record('aks-old', { findings: [finding] })], new Map());
    const summaries = await store.summaries();
    await store.markDeleted(summaries, new Date('2026-11-25T16:00:00Z'));
    expect(await store.list()).toEqual([]);
    const [gone] = await store.list({ includeDeleted: true });
    expect(gone).toMatchObject({ deletedAt: '2026-11-25T16:00:00.000Z', findings: [finding] });
    expect(gone?.snapshot.name).toBe('aks-old');
    // A stale mark (the row changed since the summary was read) is refused.
    await expect(store.markDeleted(summaries, new Date())).rejects.toBeInstanceOf(ConflictError);
  });
});

describe('sweep shards', () => {
  const inventory = (name: string): InventoryCluster => {
    const s = snapshotOf({ subscriptionId: SUB, name });
    return {
      id: s.id,
      subscriptionId: SUB,
      resourceGroup: s.resourceGroup,
      name,
      location: s.location,
      tags: { environment: 'staging' },
      kubernetesVersion: s.kubernetesVersion,
      supportPlan: s.supportPlan,
      autoUpgradeChannel: 'stable',
      nodeOsUpgradeChannel: 'NodeImage',
      nodePools: s.nodePools,
    };
  };
  let windowReads = 0;
  const gateway = {
    listMaintenanceConfigurations: () => {
      windowReads++;
      return Promise.resolve([]);
    },
  } as unknown as AksGateway;

  it('is idempotent: a redelivered message writes nothing and reads no windows again', async () => {
    const store = new TableClusterStore(testTables());
    const clusters = [inventory('aks-1'), inventory('aks-2')];
    const message: ShardMessage = {
      v: 1,
      sweepId: 'sweep-a',
      at: '2026-11-25T15:00:00.000Z',
      subscriptionId: SUB,
      part: 1,
      parts: 1,
      clusters,
      readWindows: clusters.map((c) => `${SUB}:rg:${c.name}`),
    };
    const first = await runShard({ gateway, store, policy: DEFAULT_POLICY }, message);
    expect(first).toMatchObject({ written: 2, skipped: 0, windowReads: 2 });
    const again = await runShard({ gateway, store, policy: DEFAULT_POLICY }, message);
    expect(again).toMatchObject({ written: 0, skipped: 2, windowReads: 0 });
    expect(windowReads).toBe(2);
    const stored = await store.findByName('aks-1');
    expect(stored[0]).toMatchObject({ sweepId: 'sweep-a', windowsReadAt: '2026-11-25T15:00:00.000Z' });
    expect(stored[0]?.snapshot.ring).toBe('staging');
    // No windows: the finding says so, now that they were read.
    expect(stored[0]?.findings.map((f) => f.code)).toContain('maintenance-window-missing');
  });

  it('runs the after-write step per written cluster; its failure is counted, not fatal', async () => {
    const store = new TableClusterStore(testTables());
    const seen: string[] = [];
    const result = await runShard(
      {
        gateway,
        store,
        policy: DEFAULT_POLICY,
        log: () => {},
        afterWrite: ({ record, latestNodeImage }) => {
          seen.push(record.snapshot.name);
          expect(latestNodeImage(record.snapshot.nodePools[0]!)).toBeUndefined();
          return record.snapshot.name === 'aks-2'
            ? Promise.reject(new Error('planning down'))
            : Promise.resolve();
        },
      },
      {
        v: 1,
        sweepId: 'sweep-b',
        at: '2026-11-25T15:00:00.000Z',
        subscriptionId: SUB,
        part: 1,
        parts: 1,
        clusters: [inventory('aks-1'), inventory('aks-2')],
        readWindows: [],
      },
    );
    expect(seen.sort()).toEqual(['aks-1', 'aks-2']);
    expect(result).toMatchObject({ written: 2, afterWriteFailures: 1 });
    expect(await store.findByName('aks-2')).toHaveLength(1);
  });

  it('never lets a late message of an older sweep overwrite a newer snapshot', async () => {
    const store = new TableClusterStore(testTables());
    const base = { v: 1 as const, subscriptionId: SUB, part: 1, parts: 1, readWindows: [] };
    const newer = { ...inventory('aks-1'), kubernetesVersion: '1.36.3' };
    await runShard(
      { gateway, store, policy: DEFAULT_POLICY },
      { ...base, sweepId: 'sweep-new', at: '2026-11-25T16:00:00.000Z', clusters: [newer] },
    );
    const late = await runShard(
      { gateway, store, policy: DEFAULT_POLICY },
      { ...base, sweepId: 'sweep-old', at: '2026-11-25T15:00:00.000Z', clusters: [inventory('aks-1')] },
    );
    expect(late).toMatchObject({ written: 0, skipped: 1 });
    const [kept] = await store.findByName('aks-1');
    expect(kept).toMatchObject({ sweepId: 'sweep-new' });
    expect(kept?.snapshot.kubernetesVersion).toBe('1.36.3');
  });
});

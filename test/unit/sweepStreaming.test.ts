import type { AksGateway, InventoryCluster } from '../../shared/azure/aksGateway';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import type { ShardMessage } from '../../shared/usecases/sweepFleet';
import { inProcessQueue, runShard, sweepFleet } from '../../shared/usecases/sweepFleet';
import { MemoryClusterStore, snapshotOf } from '../helpers/memoryClusterStore';

/**
 * The coordinator pages and fans out as it goes (one subscription's clusters at a time, never the
 * fleet), and hands each shard what is stored so the shard reads nothing back.
 */
const sub = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const AT = new Date('2026-11-25T15:00:00Z');

function inventoryCluster(s: number, i: number, location = 'westeurope'): InventoryCluster {
  const snap = snapshotOf({ subscriptionId: sub(s), name: `aks-${s}-${String(i).padStart(3, '0')}` });
  return {
    id: snap.id,
    subscriptionId: snap.subscriptionId,
    resourceGroup: snap.resourceGroup,
    name: snap.name,
    location,
    tags: { environment: 'production' },
    kubernetesVersion: '1.35.8',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodePools: snap.nodePools,
  };
}

/** Pages of the inventory as Resource Graph orders them (by id: a subscription's clusters together). */
function pagedGateway(pages: InventoryCluster[][], events: string[]): AksGateway {
  return {
    inventory: (_scope: unknown, token?: string) => {
      const n = token === undefined ? 0 : Number(token);
      events.push(`page ${n + 1}`);
      return Promise.resolve({
        clusters: pages[n] ?? [],
        ...(n + 1 < pages.length && { skipToken: String(n + 1) }),
      });
    },
    listKubernetesVersions: (_s: string, location: string) => {
      events.push(`versions ${location}`);
      return Promise.resolve({ location, minors: [] });
    },
    latestNodeImage: () => Promise.resolve('AKSUbuntu-2204gen2containerd-202611.10.0'),
    listMaintenanceConfigurations: () => Promise.resolve([]),
  } as unknown as AksGateway;
}

it('sends a subscription once its clusters are read, before the next pages, with its region read first', async () => {
  const pages = [
    [...Array.from({ length: 3 }, (_, i) => inventoryCluster(1, i)), inventoryCluster(2, 0)],
    [inventoryCluster(2, 1), inventoryCluster(3, 0, 'eastus')],
    [inventoryCluster(3, 1, 'eastus')],
  ];
  const events: string[] = [];
  const store = new MemoryClusterStore();
  const summary = await sweepFleet({
    gateway: pagedGateway(pages, events),
    store,
    queue: {
      send: (messages) => {
        for (const m of messages) {
          const cached = store.caches.get(m.sweepId);
          events.push(
            `send ${m.subscriptionId.slice(-1)} (${m.clusters.length}, regions ${[...(cached?.regions.keys() ?? [])].join('+')})`,
          );
        }
        return Promise.resolve();
      },
    },
    policy: DEFAULT_POLICY,
    scope: { kind: 'subscriptions', subscriptionIds: [sub(1), sub(2), sub(3)] },
    now: () => AT,
  });

  expect(events).toEqual([
    'page 1',
    'versions westeurope',
    'send 1 (3, regions westeurope)',
    'page 2',
    'versions eastus',
    'send 2 (2, regions westeurope+eastus)',
    'page 3',
    'send 3 (2, regions westeurope+eastus)',
  ]);
  expect(summary).toMatchObject({ clusters: 7, subscriptions: 3, pages: 3, regions: 2, shards: 3 });
});

it("hands each shard the stored rows, so a later sweep's shard writes without reading them", async () => {
  const store = new MemoryClusterStore();
  const clusters = Array.from({ length: 4 }, (_, i) => inventoryCluster(1, i));
  const sent: ShardMessage[] = [];
  const deps = {
    gateway: pagedGateway([clusters], []),
    store,
    policy: DEFAULT_POLICY,
    scope: { kind: 'subscriptions' as const, subscriptionIds: [sub(1)] },
  };
  await sweepFleet({ ...deps, queue: inProcessQueue(deps), now: () => AT });
  const reads = jest.spyOn(store, 'subscription');
  await sweepFleet({
    ...deps,
    queue: { send: (m) => Promise.resolve(void sent.push(...m)) },
    now: () => new Date(AT.getTime() + 3_600_000),
  });
  const [message] = sent;
  expect(Object.keys(message?.stored ?? {}).sort()).toEqual(
    clusters
      .map((c) => c.id.toLowerCase().split('/'))
      .map((p) => `${p[2]}:${p[4]}:${p[8]}`)
      .sort(),
  );

  const result = await runShard(deps, message!);
  expect(result).toMatchObject({ written: 4, skipped: 0, attempts: 1 });
  expect(reads).not.toHaveBeenCalled();
  expect((await store.list()).every((c) => c.snapshot.lastSeen === message?.at)).toBe(true);

  // Redelivered: the rows it carries are outdated now, so the shard reads them and skips all four.
  expect(await runShard(deps, message!)).toMatchObject({ written: 0, skipped: 4 });
  expect(reads).toHaveBeenCalledTimes(1);
});

it('reads the stored rows when a row the message carries predates the windows column', async () => {
  const store = new MemoryClusterStore();
  const c = inventoryCluster(1, 0);
  const stored = store.put({
    snapshot: snapshotOf({ subscriptionId: sub(1), name: c.name }),
    findings: [],
    sweepId: 'older',
  });
  const reads = jest.spyOn(store, 'subscription');
  const deps = { gateway: pagedGateway([[c]], []), store, policy: DEFAULT_POLICY };
  const result = await runShard(deps, {
    v: 1,
    sweepId: 'now',
    at: AT.toISOString(),
    subscriptionId: sub(1),
    part: 1,
    parts: 1,
    clusters: [c],
    readWindows: [],
    stored: {
      [stored.snapshot.key]: { etag: stored.etag, sweepId: 'older', lastSeen: stored.snapshot.lastSeen },
    },
  });
  expect(result).toMatchObject({ written: 1 });
  expect(reads).toHaveBeenCalledTimes(1);
});

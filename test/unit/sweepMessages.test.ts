import type { AksGateway, InventoryCluster } from '../../shared/azure/aksGateway';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import type { ShardMessage } from '../../shared/usecases/sweepFleet';
import { sweepFleet } from '../../shared/usecases/sweepFleet';
import { MemoryClusterStore, snapshotOf } from '../helpers/memoryClusterStore';

/** The fan-out: one subscription's clusters split into queue messages that fit a Storage Queue message. */
const SUB = '00000000-0000-4000-8000-00000000e001';

function bigCluster(i: number): InventoryCluster {
  const name = `aks-${String(i).padStart(4, '0')}-${'x'.repeat(40)}`;
  const s = snapshotOf({ subscriptionId: SUB, name, resourceGroup: `rg-${'y'.repeat(60)}` });
  const pools = Array.from({ length: 8 }, (_, j) => ({ ...s.nodePools[0]!, name: `pool${j}` }));
  return {
    id: s.id,
    subscriptionId: SUB,
    resourceGroup: s.resourceGroup,
    name,
    location: 'westeurope',
    tags: { environment: 'production', team: 'Zahlungsverkehr – Ünïcødé 支付团队'.repeat(4) },
    kubernetesVersion: '1.35.8',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodePools: pools,
  };
}

it('splits a subscription into messages under 64 KB once base64-encoded, every cluster in exactly one', async () => {
  const clusters = Array.from({ length: 300 }, (_, i) => bigCluster(i));
  const gateway = {
    inventory: () => Promise.resolve({ clusters }),
    listKubernetesVersions: (_s: string, location: string) => Promise.resolve({ location, minors: [] }),
    latestNodeImage: () => Promise.resolve(undefined),
  } as unknown as AksGateway;
  const sent: ShardMessage[] = [];
  const summary = await sweepFleet({
    gateway,
    store: new MemoryClusterStore(),
    queue: { send: (m) => Promise.resolve(void sent.push(...m)) },
    policy: DEFAULT_POLICY,
    scope: { kind: 'subscriptions', subscriptionIds: [SUB] },
    now: () => new Date('2026-11-25T15:00:00Z'),
    windowReadsPerSweep: 300,
  });

  expect(summary.shards).toBe(sent.length);
  expect(sent.length).toBeGreaterThan(1);
  for (const m of sent) {
    const encoded = Buffer.from(JSON.stringify(m), 'utf8').toString('base64');
    expect(encoded.length).toBeLessThanOrEqual(64 * 1024);
    expect(m.clusters.length).toBeLessThanOrEqual(100);
    expect(m.parts).toBe(sent.length);
  }
  const names = sent.flatMap((m) => m.clusters.map((c) => c.name));
  expect(names.sort()).toEqual(clusters.map((c) => c.name).sort());
  expect(sent.flatMap((m) => m.readWindows)).toHaveLength(300);
});

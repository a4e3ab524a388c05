import '../helpers/quietFunctions';

import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';

import { sweepNowHandler } from '../../functions/fleetSweep';
import { sweepShardHandler } from '../../functions/sweepShard';
import type { AksGateway, InventoryCluster } from '../../shared/azure/aksGateway';
import { loadConfig } from '../../shared/config';
import { DEFAULT_POLICY } from '../../shared/domain/policy';
import { TransientError } from '../../shared/errors';
import type { ShardMessage } from '../../shared/usecases/sweepFleet';
import { MemoryClusterStore, snapshotOf } from '../helpers/memoryClusterStore';

const SUB = '00000000-0000-4000-8000-00000000f001';
const config = loadConfig({
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  WARDEN_SCOPE_SUBSCRIPTIONS: SUB,
  WARDEN_CLUSTER_SELECTOR_TAG: 'warden=enabled',
});

function inventory(name: string, tags: Record<string, string>): InventoryCluster {
  const s = snapshotOf({ subscriptionId: SUB, name });
  return {
    id: s.id,
    subscriptionId: SUB,
    resourceGroup: s.resourceGroup,
    name,
    location: 'westeurope',
    tags,
    kubernetesVersion: '1.35.8',
    supportPlan: 'KubernetesOfficial',
    autoUpgradeChannel: 'none',
    nodeOsUpgradeChannel: 'NodeImage',
    nodePools: s.nodePools,
  };
}

function fakeGateway(fail = false): AksGateway {
  return {
    inventory: () =>
      fail
        ? Promise.reject(new TransientError('Resource Graph throttled', { retryAfterMs: 5000 }))
        : Promise.resolve({
            clusters: [inventory('aks-in', { warden: 'Enabled' }), inventory('aks-out', {})],
          }),
    listKubernetesVersions: (_s: string, location: string) =>
      Promise.resolve({
        location,
        minors: [
          { minor: '1.35', isPreview: false, patches: ['1.35.8'], supportPlans: ['KubernetesOfficial'] },
        ],
      }),
    latestNodeImage: () => Promise.resolve('AKSUbuntu-2204gen2containerd-202611.10.0'),
    listMaintenanceConfigurations: () => Promise.resolve([]),
  } as unknown as AksGateway;
}

describe('POST /api/sweep', () => {
  it('sweeps the clusters carrying the selector tag and answers 202 with what was queued', async () => {
    const store = new MemoryClusterStore();
    const sent: ShardMessage[] = [];
    const handler = sweepNowHandler(() => ({
      aks: fakeGateway(),
      clusters: store,
      sweepQueue: { send: (m) => Promise.resolve(void sent.push(...m)) },
      sweepPolicy: DEFAULT_POLICY,
      config,
      now: () => new Date('2026-11-25T15:00:00Z'),
    }));
    const res = (await handler(
      new HttpRequest({ method: 'POST', url: 'http://localhost/api/sweep' }),
      new InvocationContext({ logHandler: () => {} }),
    )) as HttpResponseInit & { jsonBody: Record<string, unknown> };
    expect(res.status).toBe(202);
    expect(res.jsonBody).toMatchObject({
      clusters: 1,
      subscriptions: 1,
      regions: 1,
      imageFamilies: 1,
      shards: 1,
    });
    expect(sent.map((m) => m.clusters.map((c) => c.name))).toEqual([['aks-in']]);
  });

  it('answers 503 with Retry-After when Azure throttles', async () => {
    const handler = sweepNowHandler(() => ({
      aks: fakeGateway(true),
      clusters: new MemoryClusterStore(),
      sweepQueue: { send: () => Promise.resolve() },
      sweepPolicy: DEFAULT_POLICY,
      config,
      now: () => new Date(),
    }));
    const res = await handler(
      new HttpRequest({ method: 'POST', url: 'http://localhost/api/sweep' }),
      new InvocationContext({ logHandler: () => {} }),
    );
    expect(res.status).toBe(503);
    expect((res.headers as Record<string, string>)['retry-after']).toBe('5');
  });
});

describe('sweepShard queue trigger', () => {
  it('writes the shard, and drops a malformed message without throwing', async () => {
    const store = new MemoryClusterStore();
    const handler = sweepShardHandler(() => ({
      aks: fakeGateway(),
      clusters: store,
      sweepPolicy: DEFAULT_POLICY,
    }));
    const message: ShardMessage = {
      v: 1,
      sweepId: 'sw1',
      at: '2026-11-25T15:00:00.000Z',
      subscriptionId: SUB,
      part: 1,
      parts: 1,
      clusters: [inventory('aks-in', { environment: 'dev' })],
      readWindows: [],
    };
    await handler(message, new InvocationContext({ logHandler: () => {} }));
    expect((await store.list()).map((c) => [c.snapshot.name, c.snapshot.ring])).toEqual([['aks-in', 'dev']]);
    await expect(
      handler({ hello: 'world' }, new InvocationContext({ logHandler: () => {} })),
    ).resolves.toBeUndefined();
  });
});

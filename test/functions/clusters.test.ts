import '../helpers/quietFunctions';

import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';

import { clustersHandler } from '../../functions/clusters';
import { MemoryClusterStore, snapshotOf } from '../helpers/memoryClusterStore';
import { MemoryEventStore } from '../helpers/memoryEventStore';
import { pageServices, planningWorld } from '../helpers/planning';

const store = new MemoryClusterStore();
const world = planningWorld();
const handler = clustersHandler(() => ({
  ...pageServices(world, new MemoryEventStore(), store),
  policy: world.policy,
}));

const SUB_A = '1b7e6d2a-5c1f-4e8a-9d3b-0a1c2e3f4a51';
const SUB_B = '2c8f7e3b-6d2a-4f9b-8e4c-1b2d3f4a5b62';

beforeAll(() => {
  const finding = {
    code: 'node-os-channel' as const,
    severity: 'warning' as const,
    message: 'node OS upgrade channel unset',
    guidance: { text: 'use NodeImage', source: 'learn.microsoft.com/azure/aks/auto-upgrade-node-os-image' },
  };
  store.put({
    snapshot: snapshotOf({ subscriptionId: SUB_A, name: 'aks-prod-weu-1', ring: 'production' }),
    support: { status: 'supported', minorsBehind: 1, newestMinor: '1.36' },
    findings: [finding],
    sweepId: 's1',
  });
  store.put({
    snapshot: snapshotOf({ subscriptionId: SUB_A, name: 'aks-dev-weu-1', ring: 'dev' }),
    findings: [],
    sweepId: 's1',
  });
  // The same name in two subscriptions.
  for (const sub of [SUB_A, SUB_B])
    store.put({
      snapshot: snapshotOf({ subscriptionId: sub, resourceGroup: 'rg-shared', name: 'aks-shared' }),
      findings: [],
      sweepId: 's1',
    });
  store.put({
    snapshot: snapshotOf({ subscriptionId: SUB_B, name: 'aks-gone', kubernetesVersion: '1.34.4' }),
    findings: [],
    sweepId: 's0',
    deletedAt: '2026-11-25T14:00:00.000Z',
  });
});

async function get(
  path: string,
  params: Record<string, string> = {},
): Promise<HttpResponseInit & { jsonBody?: unknown }> {
  const request = new HttpRequest({ method: 'GET', url: `http://localhost/api/${path}`, params });
  return await handler(request, new InvocationContext());
}

interface View {
  name: string;
  ring: string;
  controlPlaneVersion: string;
  deleted: boolean;
  support: { status: string };
  findings: { code: string }[];
  nodePools: { name: string; version: string; nodeImageVersion: string }[];
}

describe('GET /api/clusters', () => {
  it('lists the live clusters with ring, versions, node images, support, findings and last seen', async () => {
    const res = await get('clusters');
    expect(res.status).toBe(200);
    const body = res.jsonBody as { count: number; clusters: View[] };
    expect(body.count).toBe(4);
    const prod = body.clusters.find((c) => c.name === 'aks-prod-weu-1');
    expect(prod).toMatchObject({
      ring: 'production',
      controlPlaneVersion: '1.35.8',
      support: { status: 'supported', minorsBehind: 1, minorsLeft: 1, newestMinor: '1.36' },
      findings: [{ code: 'node-os-channel' }],
      lastSeen: '2026-11-25T15:00:00.000Z',
      nodePools: [
        { name: 'system', version: '1.35.8', nodeImageVersion: 'AKSUbuntu-2204gen2containerd-202611.10.0' },
      ],
    });
    expect(body.clusters.find((c) => c.name === 'aks-dev-weu-1')?.support).toEqual({ status: 'unknown' });
  });

  it('filters by ring and subscription, and includes deleted clusters only when asked', async () => {
    const request = (query: string) =>
      handler(
        new HttpRequest({ method: 'GET', url: `http://localhost/api/clusters?${query}` }),
        new InvocationContext(),
      );
    const dev = (await request('ring=dev')) as { jsonBody: { clusters: View[] } };
    expect(dev.jsonBody.clusters.map((c) => c.name)).toEqual(['aks-dev-weu-1']);
    const inB = (await request(`subscription=${SUB_B.toUpperCase()}&deleted=true`)) as {
      jsonBody: { clusters: View[] };
    };
    expect(inB.jsonBody.clusters.map((c) => [c.name, c.deleted])).toEqual([
      ['aks-gone', true],
      ['aks-shared', false],
    ]);
  });

  it('answers 400 with {error, detail} for a bad ring or deleted flag', async () => {
    for (const query of ['ring=prod', 'deleted=yes']) {
      const res = (await handler(
        new HttpRequest({ method: 'GET', url: `http://localhost/api/clusters?${query}` }),
        new InvocationContext(),
      )) as HttpResponseInit & { jsonBody: { error: string; detail: string } };
      expect(res.status).toBe(400);
      expect(res.jsonBody).toEqual({ error: expect.any(String), detail: expect.any(String) });
    }
  });
});

describe('GET /api/clusters/{name-or-id}', () => {
  it('finds a cluster by name, without case', async () => {
    const res = await get('clusters/AKS-PROD-WEU-1', { nameOrId: 'AKS-PROD-WEU-1' });
    expect(res.status).toBe(200);
    expect((res.jsonBody as View).name).toBe('aks-prod-weu-1');
  });

  it('finds a cluster by ARM id, whole or as path segments, whatever the case', async () => {
    const id = `/subscriptions/${SUB_A}/resourcegroups/RG/providers/microsoft.containerservice/managedclusters/aks-dev-weu-1`;
    expect((await get('clusters', { nameOrId: id })).status).toBe(200);
    expect((await get('clusters', { nameOrId: id.slice(1) })).status).toBe(200);
    // The Functions host leaves %2F encoded in route values.
    expect((await get('clusters', { nameOrId: id.replace(/\//g, '%2F') })).status).toBe(200);
  });

  it('still shows a deleted cluster, marked deleted, with its last snapshot', async () => {
    const res = await get('clusters/aks-gone', { nameOrId: 'aks-gone' });
    expect(res.jsonBody).toMatchObject({
      deleted: true,
      deletedAt: '2026-11-25T14:00:00.000Z',
      controlPlaneVersion: '1.34.4',
    });
  });

  it('answers 409 with the candidates when a name is in several subscriptions', async () => {
    const res = await get('clusters/aks-shared', { nameOrId: 'aks-shared' });
    expect(res.status).toBe(409);
    const body = res.jsonBody as {
      error: string;
      detail: string;
      candidates: { subscriptionId: string; id: string }[];
    };
    expect(body.error).toBe('ambiguous cluster name');
    expect(body.detail).toMatch(/ARM id/);
    expect(body.candidates.map((c) => c.subscriptionId).sort()).toEqual([SUB_A, SUB_B]);
  });

  it('answers 404 with {error, detail} for an unknown name or a malformed id', async () => {
    for (const nameOrId of ['nope', '/subscriptions/x/not-a-cluster']) {
      const res = await get('clusters', { nameOrId });
      expect(res.status).toBe(404);
      expect(res.jsonBody).toEqual({ error: 'not found', detail: expect.any(String) });
    }
  });
});

import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';

import type { FleetFile, RunningSimulator } from '../../local/sim';
import { generateFleet } from '../../local/sim';
import { clientOptions, fakeCredential, startTestSimulator } from '../helpers/sim';

/**
 * The production SDKs against the simulator, unchanged but for `endpoint` and the loopback CA:
 * every read parses, lists page, long-running operations run to completion through the SDK
 * poller, and the live quirks bite where they bite in Azure.
 */
const fleet: FleetFile = generateFleet({ clusters: 250, subscriptions: 2, regions: 2, pools: 2 });
const SUB = fleet.subscriptions[0]!.id;
const first = fleet.clusters[0]!;

let sim: RunningSimulator;
let client: ContainerServiceClient;
const poll = { updateIntervalInMs: 5 };

beforeAll(async () => {
  sim = await startTestSimulator({ fleet, throttle: false, pageSize: 50 });
  client = new ContainerServiceClient(fakeCredential, SUB, clientOptions(sim));
});

afterAll(async () => {
  await sim.close();
});

describe('reads', () => {
  test('a cluster, its pools and upgrade profiles parse', async () => {
    const mc = await client.managedClusters.get(first.resourceGroup, first.name);
    expect(mc.kubernetesVersion).toBe(first.kubernetesVersion);
    expect(mc.currentKubernetesVersion).toBe(first.kubernetesVersion);
    expect(mc.tags?.environment).toBe(first.tags?.environment);
    expect(mc.agentPoolProfiles?.map((p) => p.name)).toEqual(['system', expect.any(String)]);
    expect(mc.agentPoolProfiles?.[0]?.nodeImageVersion).toMatch(/^AKS/);
    expect(mc.autoUpgradeProfile?.nodeOSUpgradeChannel).toBe('NodeImage');
    expect(mc.id).toMatch(/\/resourcegroups\//);

    const pools: string[] = [];
    for await (const p of client.agentPools.list(first.resourceGroup, first.name)) pools.push(p.name ?? '');
    expect(pools).toHaveLength(2);
    const pool = await client.agentPools.get(first.resourceGroup, first.name, 'system');
    expect(pool.orchestratorVersion).toBe(first.kubernetesVersion);
    expect(pool.upgradeSettings?.maxSurge).toBeDefined();
    const poolProfile = await client.agentPools.getUpgradeProfile(first.resourceGroup, first.name, 'system');
    expect(poolProfile.latestNodeImageVersion).toBe('AKSUbuntu-2204gen2containerd-202611.10.0');
  });

  test('the cluster upgrade profile crashes the SDK on agentPoolProfiles: null, as the live service does', async () => {
    await expect(client.managedClusters.getUpgradeProfile(first.resourceGroup, first.name)).rejects.toThrow(
      /null/,
    );
    let raw = '';
    await client.managedClusters
      .getUpgradeProfile(first.resourceGroup, first.name, { onResponse: (r) => (raw = r.bodyAsText ?? '') })
      .catch(() => undefined);
    const body = JSON.parse(raw) as {
      properties: {
        controlPlaneProfile: { upgrades: { kubernetesVersion: string }[] };
        agentPoolProfiles: null;
      };
    };
    expect(body.properties.agentPoolProfiles).toBeNull();
    expect(body.properties.controlPlaneProfile.upgrades.length).toBeGreaterThan(0);

    const fixed = await startTestSimulator({
      fleet,
      throttle: false,
      quirks: { nullAgentPoolProfiles: false },
    });
    try {
      const c = new ContainerServiceClient(fakeCredential, SUB, clientOptions(fixed));
      const profile = await c.managedClusters.getUpgradeProfile(first.resourceGroup, first.name);
      expect(profile.agentPoolProfiles.map((p) => p.name)).toContain('system');
    } finally {
      await fixed.close();
    }
  });

  test('lists follow nextLink over pages; versions come as values', async () => {
    const names: string[] = [];
    let pages = 0;
    for await (const page of client.managedClusters.list().byPage()) {
      pages += 1;
      names.push(...page.map((c) => c.name ?? ''));
    }
    expect(names).toHaveLength(125);
    expect(pages).toBe(3);
    const inGroup: string[] = [];
    for await (const c of client.managedClusters.listByResourceGroup(first.resourceGroup))
      inGroup.push(c.name ?? '');
    expect(inGroup).toEqual(
      fleet.clusters
        .filter((c) => c.subscriptionId === SUB && c.resourceGroup === first.resourceGroup)
        .map((c) => c.name),
    );

    const versions = await client.managedClusters.listKubernetesVersions(first.location);
    expect(versions.values?.map((v) => v.version)).toEqual(['1.33', '1.34', '1.35', '1.36', '1.37']);
    expect(versions.values?.find((v) => v.version === '1.37')?.isPreview).toBe(true);
    expect(versions.values?.find((v) => v.version === '1.33')?.capabilities?.supportPlan).toEqual([
      'AKSLongTermSupport',
    ]);
    expect(versions.values?.find((v) => v.version === '1.35')?.patchVersions?.['1.35.8']?.upgrades).toEqual([
      '1.36.1',
      '1.36.3',
    ]);
  });

  test('maintenance configurations round-trip through the SDK', async () => {
    const rg = first.resourceGroup;
    const list = [];
    for await (const m of client.maintenanceConfigurations.listByManagedCluster(rg, first.name)) list.push(m);
    expect(list.map((m) => m.name)).toEqual(['aksManagedAutoUpgradeSchedule']);
    await client.maintenanceConfigurations.createOrUpdate(rg, first.name, 'aksManagedNodeOSUpgradeSchedule', {
      maintenanceWindow: {
        schedule: { relativeMonthly: { intervalMonths: 1, weekIndex: 'Last', dayOfWeek: 'Friday' } },
        durationHours: 6,
        startTime: '23:00',
        utcOffset: '+01:00',
        notAllowedDates: [{ start: new Date('2026-12-24'), end: new Date('2026-12-27') }],
      },
    });
    const got = await client.maintenanceConfigurations.get(rg, first.name, 'aksManagedNodeOSUpgradeSchedule');
    expect(got.maintenanceWindow?.schedule.relativeMonthly?.weekIndex).toBe('Last');
    expect(got.maintenanceWindow?.durationHours).toBe(6);
    await client.maintenanceConfigurations.delete(rg, first.name, 'aksManagedNodeOSUpgradeSchedule');
    await expect(
      client.maintenanceConfigurations.get(rg, first.name, 'aksManagedNodeOSUpgradeSchedule'),
    ).rejects.toMatchObject({ statusCode: 404 });
  });

  test('Resource Graph pages AKS clusters with $top / $skipToken and filters by tag', async () => {
    const graph = new ResourceGraphClient(fakeCredential, clientOptions(sim));
    const query =
      "resources | where type =~ 'microsoft.containerservice/managedclusters' | where tags['environment'] =~ 'production' " +
      '| extend version = tostring(properties.kubernetesVersion) | project id, name, subscriptionId, location, version, tags | order by name asc';
    const rows: { name: string; version: string }[] = [];
    let skipToken: string | undefined;
    let pages = 0;
    do {
      const res = await graph.resources({
        query,
        subscriptions: fleet.subscriptions.map((s) => s.id),
        options: { top: 40, ...(skipToken !== undefined && { skipToken }) },
      });
      pages += 1;
      rows.push(...(res.data as { name: string; version: string }[]));
      expect(res.resultTruncated).toBe('false');
      skipToken = res.skipToken;
    } while (skipToken !== undefined);
    const expected = fleet.clusters.filter((c) => c.tags?.environment === 'production');
    expect(rows.map((r) => r.name)).toEqual(expected.map((c) => c.name).sort());
    expect(pages).toBe(Math.ceil(expected.length / 40));
    expect(rows[0]?.version).toMatch(/^1\.3\d\.\d+$/);

    const byVersion = await graph.resources({
      query:
        "Resources | where type == 'microsoft.containerservice/managedclusters' | summarize count() by tostring(properties.kubernetesVersion)",
    });
    const counts = byVersion.data as { properties_kubernetesVersion: string; count: number }[];
    expect(counts.reduce((n, r) => n + r.count, 0)).toBe(250);
  });
});

describe('long-running operations through the SDK poller', () => {
  const c = fleet.clusters[2]!;

  test('control plane then pool upgrade run to Succeeded; tags patch answers at once', async () => {
    const mc = await client.managedClusters.get(c.resourceGroup, c.name);
    const next = `1.${Number(c.kubernetesVersion.split('.')[1]) + 1}`;
    const target = fleet.versions!.find((m) => m.version === next)!.patches.at(-1)!;
    const done = await client.managedClusters.createOrUpdate(
      c.resourceGroup,
      c.name,
      { ...mc, kubernetesVersion: target },
      poll,
    );
    expect(done.provisioningState).toBe('Succeeded');
    expect(done.currentKubernetesVersion).toBe(target);
    expect(done.agentPoolProfiles?.[0]?.currentOrchestratorVersion).toBe(c.kubernetesVersion);

    const pool = await client.agentPools.get(c.resourceGroup, c.name, 'system');
    const upgraded = await client.agentPools.createOrUpdate(
      c.resourceGroup,
      c.name,
      'system',
      { ...pool, orchestratorVersion: target },
      poll,
    );
    expect(upgraded.currentOrchestratorVersion).toBe(target);
    expect(upgraded.provisioningState).toBe('Succeeded');

    const tagged = await client.managedClusters.updateTags(
      c.resourceGroup,
      c.name,
      { tags: { environment: 'staging' } },
      poll,
    );
    expect(tagged.tags).toEqual({ environment: 'staging' });
  });

  test('upgradeNodeImageVersion: the upgrade happens but the SDK rejects the final 204, as live', async () => {
    sim.fleet.regions.get(c.location)!.nodeImages['AKSUbuntu-2204gen2containerd'] = '202612.01.0';
    await expect(
      client.agentPools.upgradeNodeImageVersion(c.resourceGroup, c.name, 'system', poll),
    ).rejects.toThrow(/204/);
    await sim.idle();
    const pool = await client.agentPools.get(c.resourceGroup, c.name, 'system');
    expect(pool.nodeImageVersion).toBe('AKSUbuntu-2204gen2containerd-202612.01.0');
    expect(pool.provisioningState).toBe('Succeeded');
    // Already on the latest image: 304, outside what the SDK accepts (azure-cli-extensions #5989).
    await expect(
      client.agentPools.upgradeNodeImageVersion(c.resourceGroup, c.name, 'system', poll),
    ).rejects.toMatchObject({ statusCode: 304 });

    const fixed = await startTestSimulator({ fleet, throttle: false, quirks: { nodeImage204: false } });
    try {
      fixed.fleet.regions.get(c.location)!.nodeImages['AKSUbuntu-2204gen2containerd'] = '202612.01.0';
      const other = new ContainerServiceClient(fakeCredential, SUB, clientOptions(fixed));
      await expect(
        other.agentPools.upgradeNodeImageVersion(c.resourceGroup, c.name, 'system', poll),
      ).resolves.toBeUndefined();
    } finally {
      await fixed.close();
    }
  });

  test('abort cancels the running operation', async () => {
    const slow = await startTestSimulator({
      fleet,
      throttle: false,
      durations: { controlPlaneMs: 5_000, poolMs: 5_000, nodeImageMs: 5_000 },
    });
    try {
      const other = new ContainerServiceClient(fakeCredential, SUB, clientOptions(slow));
      const pool = await other.agentPools.get(c.resourceGroup, c.name, 'system');
      const poller = other.agentPools.createOrUpdate(
        c.resourceGroup,
        c.name,
        'system',
        { ...pool, upgradeSettings: { maxSurge: '33%' } },
        poll,
      );
      await poller.submitted();
      const aborting = other.managedClusters.abortLatestOperation(c.resourceGroup, c.name, poll);
      await aborting.submitted();
      expect((await other.managedClusters.get(c.resourceGroup, c.name)).provisioningState).toBe('Canceling');
      await aborting;
      await expect(poller).rejects.toThrow(/cancel/i);
      const after = await other.managedClusters.get(c.resourceGroup, c.name);
      expect(after.provisioningState).toBe('Canceled');
      await expect(
        other.managedClusters.abortLatestOperation(c.resourceGroup, c.name, poll),
      ).rejects.toMatchObject({ statusCode: 409 });
    } finally {
      await slow.close();
    }
  });
});

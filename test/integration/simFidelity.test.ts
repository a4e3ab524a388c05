import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';

import type { RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim/fleetFile/generate';
import { fixture, FIXTURES } from '../helpers/fixtures';
import { shapeDiff, simFetch, startTestSimulator } from '../helpers/sim';

/**
 * Fidelity: for every example in test/fixtures/arm, the simulator answers the example's request
 * with a status the example lists and a body of the same shape. Paths listed in NOT_MODELLED are
 * properties of the examples the simulator does not produce; anything else missing fails.
 */
interface Example {
  parameters: Record<string, unknown> & { parameters?: unknown; query?: unknown };
  responses: Record<string, { body?: unknown; headers?: Record<string, string> }>;
}

const SUB = '00000000-0000-0000-0000-000000000000';
const RG_SUB = 'cfbbd179-59d2-4052-aa06-9270a38aa9d6';
const CLUSTER = `/subscriptions/${SUB}/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/clustername1`;
const API = '?api-version=2026-06-01';

/** Example properties the simulator does not model (load-balancer outbound IP details, private FQDN). */
const NOT_MODELLED = [
  'properties.networkProfile.loadBalancerProfile.effectiveOutboundIPs',
  'properties.networkProfile.loadBalancerProfile.allocatedOutboundPorts',
  'properties.networkProfile.loadBalancerProfile.idleTimeoutInMinutes',
  'properties.networkProfile.loadBalancerProfile.outboundIPs',
  'properties.networkProfile.ipFamilies',
  'properties.networkProfile.podCidrs',
  'properties.networkProfile.serviceCidrs',
  'properties.privateFQDN',
  'properties.diskEncryptionSetID',
  'systemData',
];

let sim: RunningSimulator;

beforeAll(async () => {
  sim = await startTestSimulator({
    throttle: false,
    // Long enough that abort finds the operation still running.
    durations: { controlPlaneMs: 400, poolMs: 1_000, nodeImageMs: 1_000 },
    fleet: {
      versions: CURRENT_VERSIONS,
      nodeImages: CURRENT_NODE_IMAGES,
      regions: [{ name: 'location1' }, { name: 'eastus' }, { name: 'centralus' }],
      subscriptions: [{ id: SUB }, { id: RG_SUB }, { id: 'azure_subscription_id' }],
      resourceGroups: [
        { subscriptionId: SUB, name: 'rg1' },
        { subscriptionId: 'azure_subscription_id', name: 'myjstest' },
      ],
      clusters: ['test-one', 'two-test', 'testing-three', 'fourtest', 'other'].map((name, i) => ({
        subscriptionId: RG_SUB,
        resourceGroup: i % 2 === 0 ? 'RG1' : 'RG2',
        name,
        location: 'centralus',
        kubernetesVersion: '1.35.8',
      })),
    },
  });
});

afterAll(async () => {
  await sim.close();
});

const covered = new Set<string>();

/** Sends an example's request and checks status and shape against the example. */
async function check(
  file: string,
  method: string,
  path: string,
  options: { body?: unknown; status?: number; ignore?: string[]; compare?: string } = {},
): Promise<{ status: number; headers: Record<string, string>; body: unknown }> {
  covered.add(file);
  const example = fixture<Example>(`arm/${file}`);
  const body = options.body === undefined ? example.parameters.parameters : options.body;
  const res = await simFetch(sim, method, path, body);
  expect(Object.keys(example.responses)).toContain(String(res.status));
  if (options.status !== undefined) expect(res.status).toBe(options.status);
  const expected = example.responses[options.compare ?? String(res.status)]?.body as
    { value?: { name: string }[] } | undefined;
  const ignore = [...NOT_MODELLED, ...(options.ignore ?? [])];
  if (expected?.value) {
    // Lists: each example item against the simulator's item of the same name.
    const actual = (res.body as { value: { name: string }[] }).value;
    for (const item of expected.value) {
      const mine = actual.find((a) => a.name.toLowerCase() === item.name.toLowerCase());
      expect(
        mine === undefined
          ? [`${item.name}: missing`]
          : shapeDiff(
              item,
              mine,
              ignore.map((i) => i.replace(/^value\[\]\./, '')),
            ),
      ).toEqual([]);
    }
  } else if (expected !== undefined) expect(shapeDiff(expected, res.body, ignore)).toEqual([]);
  return res;
}

test('managed clusters: create, update, get, list, upgrade profile, versions, tags', async () => {
  const create = await check('ManagedClustersCreate_Update.json', 'PUT', `${CLUSTER}${API}`, { status: 201 });
  expect(create.headers['azure-asyncoperation']).toMatch(
    new RegExp(
      `^${sim.armUrl}/subscriptions/${SUB}/providers/Microsoft.ContainerService/locations/location1/operations/`,
    ),
  );
  await sim.idle();
  await check('ManagedClustersCreate_Premium.json', 'PUT', `${CLUSTER}${API}`, { status: 200 });
  await sim.idle();
  const got = await check('ManagedClustersGet.json', 'GET', `${CLUSTER}${API}`);
  expect(got.body).toMatchObject({
    type: 'Microsoft.ContainerService/ManagedClusters',
    sku: { tier: 'Premium' },
    properties: { supportPlan: 'AKSLongTermSupport', provisioningState: 'Succeeded' },
  });
  expect((got.body as { id: string }).id).toContain('/resourcegroups/rg1/');
  await check(
    'ManagedClustersList.json',
    'GET',
    `/subscriptions/${SUB}/providers/Microsoft.ContainerService/managedClusters${API}`,
  );

  // The live service sends agentPoolProfiles: null (recording), unlike the example.
  const profile = await check(
    'ManagedClustersGetUpgradeProfile.json',
    'GET',
    `${CLUSTER}/upgradeProfiles/default${API}`,
    {
      // isPreview is sent only on preview targets (none here), `name: master` only in the example.
      ignore: [
        'properties.agentPoolProfiles',
        'properties.controlPlaneProfile.name',
        'properties.controlPlaneProfile.upgrades[].isPreview',
      ],
    },
  );
  expect(
    (profile.body as { properties: { agentPoolProfiles: unknown } }).properties.agentPoolProfiles,
  ).toBeNull();

  const versions = await check(
    'KubernetesVersions_List.json',
    'GET',
    `/subscriptions/${SUB}/providers/Microsoft.ContainerService/locations/location1/kubernetesVersions${API}`,
    {
      ignore: ['values[].patchVersions'],
    },
  );
  const values = (
    versions.body as {
      values: {
        version: string;
        patchVersions: Record<string, { upgrades: string[] }>;
        capabilities: { supportPlan: string[] };
      }[];
    }
  ).values;
  expect(values.map((v) => v.version)).toEqual(['1.33', '1.34', '1.35', '1.36', '1.37']);
  expect(values[2]?.patchVersions['1.35.3']?.upgrades).toEqual(['1.35.6', '1.35.8', '1.36.1', '1.36.3']);
  expect(values[0]?.capabilities.supportPlan).toEqual(['AKSLongTermSupport']);

  const tags = await check('ManagedClustersUpdateTags.json', 'PATCH', `${CLUSTER}${API}`, { status: 200 });
  expect((tags.body as { tags: unknown }).tags).toEqual({ archv3: '', tier: 'testing' });
});

test('agent pools: create, get, list, upgrade profile, update, abort, node image', async () => {
  await check('AgentPoolsCreate_Update.json', 'PUT', `${CLUSTER}/agentPools/agentpool1${API}`, {
    status: 201,
  });
  await sim.idle();
  await check('AgentPoolsGet.json', 'GET', `${CLUSTER}/agentPools/agentpool1${API}`);
  await check('AgentPoolsList.json', 'GET', `${CLUSTER}/agentPools${API}`);
  await check(
    'AgentPoolsGetUpgradeProfile.json',
    'GET',
    `${CLUSTER}/agentPools/agentpool1/upgradeProfiles/default${API}`,
  );
  await check('AgentPools_Update.json', 'PUT', `${CLUSTER}/agentPools/agentpool1${API}`, { status: 200 });
  const abort = await check(
    'AgentPoolsAbortOperation.json',
    'POST',
    `${CLUSTER}/agentPools/agentpool1/abort${API}`,
    { status: 202 },
  );
  expect(abort.headers['azure-asyncoperation']).toContain('/operationStatus/');
  expect(abort.headers.location).toContain('/operations/');
  await sim.idle();

  // A new node image is released in the region; the pool can move to it.
  sim.fleet.regions.get('location1')!.nodeImages['AKSUbuntu-2204gen2containerd'] = '202612.01.0';
  const image = await check(
    'AgentPoolsUpgradeNodeImageVersion.json',
    'POST',
    `${CLUSTER}/agentPools/agentpool1/upgradeNodeImageVersion${API}`,
    { status: 202 },
  );
  expect((image.body as { properties: { provisioningState: string } }).properties.provisioningState).toBe(
    'UpgradingNodeImageVersion',
  );
  expect(image.headers['azure-asyncoperation']).toMatch(
    new RegExp(`^${sim.armUrl}/providers/Microsoft.ContainerService/locations/location1/operations/`),
  );
  await check('ManagedClustersAbortOperation.json', 'POST', `${CLUSTER}/abort${API}`, { status: 202 });
});

test('maintenance configurations: every schedule kind, list, get', async () => {
  const nodeOs = fixture<Example>('arm/MaintenanceConfigurationsGet_MaintenanceWindow.json').responses['200']
    ?.body as { properties: unknown };
  expect(
    (
      await simFetch(
        sim,
        'PUT',
        `${CLUSTER}/maintenanceConfigurations/aksManagedNodeOSUpgradeSchedule${API}`,
        { properties: nodeOs.properties },
      )
    ).status,
  ).toBe(201);
  await check(
    'MaintenanceConfigurationsCreate_Update.json',
    'PUT',
    `${CLUSTER}/maintenanceConfigurations/default${API}`,
    { status: 201 },
  );
  await check(
    'MaintenanceConfigurationsCreate_Update_MaintenanceWindow.json',
    'PUT',
    `${CLUSTER}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule${API}`,
    {
      status: 201,
      // The example's response shows a weekly schedule for a relativeMonthly request (a doc slip); the simulator keeps what was sent.
      ignore: ['properties.maintenanceWindow.schedule.weekly'],
    },
  );
  await check(
    'MaintenanceConfigurationsGet.json',
    'GET',
    `${CLUSTER}/maintenanceConfigurations/default${API}`,
  );
  await check(
    'MaintenanceConfigurationsGet_MaintenanceWindow.json',
    'GET',
    `${CLUSTER}/maintenanceConfigurations/aksManagedNodeOSUpgradeSchedule${API}`,
  );
  await check('MaintenanceConfigurationsList.json', 'GET', `${CLUSTER}/maintenanceConfigurations${API}`);
  const list = await check(
    'MaintenanceConfigurationsList_MaintenanceWindow.json',
    'GET',
    `${CLUSTER}/maintenanceConfigurations${API}`,
    {
      // Compared by name; the auto-upgrade schedule was replaced above by the relativeMonthly one.
      ignore: ['properties.maintenanceWindow.schedule.absoluteMonthly'],
    },
  );
  expect((list.body as { value: { name: string }[] }).value.map((v) => v.name).sort()).toEqual([
    'aksManagedAutoUpgradeSchedule',
    'aksManagedNodeOSUpgradeSchedule',
    'default',
  ]);
  const monthly = {
    properties: {
      maintenanceWindow: {
        schedule: { absoluteMonthly: { intervalMonths: 1, dayOfMonth: 15 } },
        durationHours: 5,
        startTime: '08:30',
        utcOffset: '+00:00',
      },
    },
  };
  expect(
    (
      await simFetch(
        sim,
        'PUT',
        `${CLUSTER}/maintenanceConfigurations/aksManagedAutoUpgradeSchedule${API}`,
        monthly,
      )
    ).status,
  ).toBe(200);
  const short = {
    properties: {
      maintenanceWindow: { schedule: { daily: { intervalDays: 1 } }, durationHours: 2, startTime: '08:30' },
    },
  };
  expect(
    (
      await simFetch(
        sim,
        'PUT',
        `${CLUSTER}/maintenanceConfigurations/aksManagedNodeOSUpgradeSchedule${API}`,
        short,
      )
    ).status,
  ).toBe(400);
  expect((await simFetch(sim, 'DELETE', `${CLUSTER}/maintenanceConfigurations/default${API}`)).status).toBe(
    200,
  );
  expect((await simFetch(sim, 'DELETE', `${CLUSTER}/maintenanceConfigurations/default${API}`)).status).toBe(
    204,
  );
});

test('resource graph: basic, properties, first page and next page', async () => {
  const graph = `/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01`;
  for (const file of ['ResourcesBasicQuery.json', 'ResourcesPropertiesQuery.json']) {
    const example = fixture<Example>(`arm/resourcegraph/${file}`);
    const res = await simFetch(sim, 'POST', graph, example.parameters.query);
    expect(res.status).toBe(200);
    expect(shapeDiff(example.responses['200']?.body, res.body, ['data[].tags'])).toEqual([]);
    expect(res.headers['x-ms-user-quota-remaining']).toMatch(/^\d+$/);
    expect(res.headers['x-ms-user-quota-resets-after']).toMatch(/^\d\d:\d\d:\d\d$/);
    covered.add(`resourcegraph/${file}`);
  }
  const first = fixture<Example>('arm/resourcegraph/ResourcesFirstPageQuery.json');
  const page1 = await simFetch(sim, 'POST', graph, first.parameters.query);
  expect(shapeDiff(first.responses['200']?.body, page1.body)).toEqual([]);
  const p1 = page1.body as { $skipToken: string; totalRecords: number; data: { name: string }[] };
  expect(p1.totalRecords).toBe(4);
  const next = fixture<Example>('arm/resourcegraph/ResourcesNextPageQuery.json');
  const query = next.parameters.query as { query: string; subscriptions: string[] };
  const page2 = await simFetch(sim, 'POST', graph, { ...query, options: { $skipToken: p1.$skipToken } });
  const p2 = page2.body as { data: { name: string }[]; $skipToken?: string };
  // The example's next page carries another token; here the second page is the last one.
  expect(shapeDiff(next.responses['200']?.body, page2.body, ['$skipToken'])).toEqual([]);
  expect([...p1.data, ...p2.data].map((r) => r.name).sort()).toEqual([
    'fourtest',
    'test-one',
    'testing-three',
    'two-test',
  ]);
  expect(p2.$skipToken).toBeUndefined();
  covered.add('resourcegraph/ResourcesFirstPageQuery.json').add('resourcegraph/ResourcesNextPageQuery.json');
});

test('sdk recordings: the live service answers reproduced', async () => {
  const base =
    '/subscriptions/azure_subscription_id/resourceGroups/myjstest/providers/Microsoft.ContainerService/managedClusters/myreourcexyz';
  interface Recording {
    Entries: { RequestMethod: string; RequestBody: unknown; StatusCode: number; ResponseBody: unknown }[];
  }
  const create = fixture<Recording>(
    'arm/sdk-recordings/recording_managedclusters_create_test.EXCERPT.json',
  ).Entries;
  const put = await simFetch(sim, 'PUT', `${base}?api-version=2023-01-01`, create[0]?.RequestBody);
  expect(put.status).toBe(create[0]?.StatusCode);
  expect(
    shapeDiff(create[0]?.ResponseBody, put.body, [
      'properties.networkProfile.dockerBridgeCidr',
      'properties.networkProfile.ipFamilies',
      'properties.networkProfile.podCidrs',
      'properties.networkProfile.serviceCidrs',
      'properties.securityProfile',
      'properties.storageProfile',
      'properties.oidcIssuerProfile',
      'properties.workloadAutoScalerProfile',
      'properties.networkProfile.loadBalancerProfile',
      'properties.agentPoolProfiles[].kubeletDiskType',
      'properties.agentPoolProfiles[].enableFIPS',
    ]),
  ).toEqual([]);
  const status = await simFetch(sim, 'GET', put.headers['azure-asyncoperation']!);
  expect(status.body).toMatchObject({ status: expect.stringMatching(/InProgress|Succeeded/) });
  await sim.idle();
  const done = await simFetch(sim, 'GET', put.headers['azure-asyncoperation']!);
  expect(shapeDiff(create[2]?.ResponseBody, done.body)).toEqual([]);
  expect(done.body).toMatchObject({ status: 'Succeeded' });
  const final = await simFetch(sim, 'GET', `${base}?api-version=2023-01-01`);
  expect(final.body).toMatchObject({ properties: { provisioningState: 'Succeeded' } });

  const profile = fixture<Recording>(
    'arm/sdk-recordings/recording_managedclusters_getupgradeprofile_test.json',
  ).Entries[0];
  const got = await simFetch(sim, 'GET', `${base}/upgradeProfiles/default?api-version=2022-05-02-preview`);
  expect(got.status).toBe(200);
  expect(shapeDiff(profile?.ResponseBody, got.body)).toEqual([]);
  expect(got.body).toMatchObject({ properties: { agentPoolProfiles: null } });

  const update = fixture<Recording>(
    'arm/sdk-recordings/recording_managedclusters_update_test.json',
  ).Entries.find((e) => e.RequestMethod === 'PATCH');
  const patched = await simFetch(sim, 'PATCH', `${base}?api-version=2022-09-02-preview`, update?.RequestBody);
  expect(patched.status).toBe(update?.StatusCode);
  covered.add('sdk-recordings/recording_managedclusters_create_test.EXCERPT.json');
  covered.add('sdk-recordings/recording_managedclusters_getupgradeprofile_test.json');
  covered.add('sdk-recordings/recording_managedclusters_update_test.json');
});

test('every ARM and Resource Graph example is covered', () => {
  const dir = resolve(FIXTURES, 'arm');
  const all = [
    ...readdirSync(dir).filter((f) => f.endsWith('.json')),
    ...readdirSync(resolve(dir, 'resourcegraph')).map((f) => `resourcegraph/${f}`),
    ...readdirSync(resolve(dir, 'sdk-recordings')).map((f) => `sdk-recordings/${f}`),
  ].sort();
  expect([...covered].sort()).toEqual(all);
});

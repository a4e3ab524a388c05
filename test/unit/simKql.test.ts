import { KqlError, runQuery } from '../../local/sim/resourceGraph/kql';

/** The simulator's KQL subset over a few `resources` rows. */
const resources = [
  {
    id: '/s/1/c/a',
    name: 'aks-a',
    type: 'microsoft.containerservice/managedclusters',
    subscriptionId: 's1',
    location: 'westeurope',
    tags: { environment: 'prod', 'owner-email': 'a@x.example' },
    properties: {
      kubernetesVersion: '1.35.8',
      agentPoolProfiles: [
        { name: 'system', osType: 'Linux' },
        { name: 'win', osType: 'Windows' },
      ],
    },
  },
  {
    id: '/s/1/c/b',
    name: 'aks-b',
    type: 'microsoft.containerservice/managedclusters',
    subscriptionId: 's2',
    location: 'eastus',
    tags: { environment: 'dev' },
    properties: { kubernetesVersion: '1.34.4', agentPoolProfiles: [{ name: 'system', osType: 'Linux' }] },
  },
  {
    id: '/s/1/v/c',
    name: 'vnet-c',
    type: 'microsoft.network/virtualnetworks',
    subscriptionId: 's1',
    location: 'westeurope',
    tags: {},
    properties: {},
  },
];

const names = (query: string): unknown[] => runQuery(query, { resources }).rows.map((r) => r.name);

test('where on type, tags, subscription and location', () => {
  expect(names("resources | where type =~ 'Microsoft.ContainerService/managedClusters'")).toEqual([
    'aks-a',
    'aks-b',
  ]);
  expect(names("Resources | where tags['environment'] in~ ('PROD', 'production')")).toEqual(['aks-a']);
  expect(names("resources | where tags.environment == 'dev' or location == 'westeurope'")).toEqual([
    'aks-a',
    'aks-b',
    'vnet-c',
  ]);
  expect(names("resources | where subscriptionId in ('s2') and isnotempty(tags['environment'])")).toEqual([
    'aks-b',
  ]);
  expect(names("resources | where isempty(tags['owner-email']) and name !startswith 'vnet'")).toEqual([
    'aks-b',
  ]);
  expect(names("resources | where name contains 'AKS' and not(name has 'b')")).toEqual(['aks-a']);
});

test('project, extend, order by, limit and column names', () => {
  const r = runQuery(
    "resources | where type =~ 'microsoft.containerservice/managedclusters' | extend v = tostring(properties.kubernetesVersion) | project id, name, v, properties.kubernetesVersion | order by v asc | limit 5",
    { resources },
  );
  expect(r.columns).toEqual(['id', 'name', 'v', 'properties_kubernetesVersion']);
  expect(r.rows.map((x) => x.v)).toEqual(['1.34.4', '1.35.8']);
  expect(names('resources | order by name | take 1')).toEqual(['vnet-c']);
});

test('summarize count() by, mv-expand, count', () => {
  const byType = runQuery('resources | summarize count() by type', { resources }).rows;
  expect(byType).toEqual([
    { type: 'microsoft.containerservice/managedclusters', count: 2 },
    { type: 'microsoft.network/virtualnetworks', count: 1 },
  ]);
  const pools = runQuery(
    "resources | mv-expand pool = properties.agentPoolProfiles | where pool.osType != 'Windows' | project name, pool = tostring(pool.name)",
    { resources },
  ).rows;
  expect(pools).toEqual([
    { name: 'aks-a', pool: 'system' },
    { name: 'aks-b', pool: 'system' },
    { name: 'vnet-c', pool: '' },
  ]);
  expect(runQuery('resources | count', { resources }).rows).toEqual([{ Count: 3 }]);
});

test('what the simulator does not understand is a KqlError', () => {
  expect(() => runQuery('resources | join kind=inner (resources) on id', { resources })).toThrow(KqlError);
  expect(() => runQuery('securityresources | take 1', { resources })).toThrow(/unknown table/);
  expect(() => runQuery("resources | where name == 'x", { resources })).toThrow(/unterminated/);
});

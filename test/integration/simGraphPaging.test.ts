import type { RunningSimulator } from '../../local/sim';
import { subscriptionId } from '../../local/sim/fleetFile/generate';
import { simFetch, startTestSimulator } from '../helpers/sim';

/**
 * Resource Graph pages one result set by `$skipToken`: the next pages are cut from the rows the first
 * page was cut from, so a cluster created while a sweep pages neither shifts a row onto two pages nor
 * pushes one off them (and paging a fleet costs one query's evaluation, not one per page).
 */
const GRAPH = '/providers/Microsoft.ResourceGraph/resources?api-version=2024-04-01';
const QUERY =
  "resources | where type =~ 'microsoft.containerservice/managedclusters' | project id, name | order by id asc";

let sim: RunningSimulator;
beforeAll(async () => {
  sim = await startTestSimulator({ fleet: 'generate:250,1,1,1' });
});
afterAll(() => sim.close());

interface Page {
  readonly totalRecords: number;
  readonly $skipToken?: string;
  readonly data: { id: string }[];
}

it('serves every row exactly once while the fleet changes between pages', async () => {
  const ask = async (token?: string): Promise<Page> =>
    (
      await simFetch(sim, 'POST', GRAPH, {
        query: QUERY,
        options: { $top: 100, ...(token !== undefined && { $skipToken: token }) },
      })
    ).body as Page;
  const first = await ask();
  // Sorts before every generated cluster: with a query run again per page, it would shift the rest by one.
  sim.addCluster({
    subscriptionId: subscriptionId(0),
    resourceGroup: 'aaa-new',
    name: 'aks-created-meanwhile',
    location: 'westeurope',
    kubernetesVersion: '1.35.8',
  });
  const ids = first.data.map((r) => r.id);
  let token = first.$skipToken;
  while (token !== undefined) {
    const page = await ask(token);
    ids.push(...page.data.map((r) => r.id));
    token = page.$skipToken;
  }
  expect(first.totalRecords).toBe(250);
  expect(ids).toHaveLength(250);
  expect(new Set(ids).size).toBe(250);
  // A new paging sees the new cluster.
  expect((await ask()).totalRecords).toBe(251);
});

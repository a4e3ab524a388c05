import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * `npm start` end to end (the real SDKs, the simulator, Azurite, the shards through the Azurite queue
 * to the `sweepShard` trigger): a plan the sweep proposes for a gated cluster carries its pre-flight
 * report from the moment it is written, not only once the approval timer or the runner looks at it
 * (timers are off here, so nothing else could have added it), and the sweep's burst reads Compute
 * usages and SKUs once per subscription and region.
 */
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
});

afterAll(async () => {
  await warden.stop();
}, 60_000);

interface PlanJson {
  id: string;
  kind: string;
  cluster: { name: string; subscriptionId: string; location: string };
  gate: { gated: boolean };
  preflight?: {
    verdict: string;
    checkedAt: string;
    checks: { id: string; status: string; detail: string }[];
  };
}

const get = async <T>(path: string): Promise<T> => (await (await fetch(`${warden.url}${path}`)).json()) as T;

const FAILING = {
  'aks-prod-pdb-weu': 'pdb',
  'aks-prod-ips-neu': 'subnet-ips',
  'aks-prod-cpu-eus': 'vcpu-quota',
} as const;

test('a plan the sweep proposes for a gated cluster carries its pre-flight report at once', async () => {
  const sweep = await fetch(`${warden.url}/api/sweep`, { method: 'POST' });
  expect(sweep.status).toBe(202);
  const { plans } = await waitFor(
    () => get<{ plans: PlanJson[] }>('/api/plans'),
    (l) =>
      [...Object.keys(FAILING), 'aks-prod-api-weu'].every((name) =>
        l.plans.some((p) => p.cluster.name === name),
      ),
    { what: 'the sweep’s plans for the three failing production clusters', timeoutMs: 30_000 },
  );

  const gated = plans.filter((p) => p.gate.gated);
  expect(gated.length).toBeGreaterThanOrEqual(4);
  for (const p of gated) {
    expect({ plan: `${p.cluster.name} ${p.kind}`, verdict: p.preflight?.verdict }).toEqual({
      plan: `${p.cluster.name} ${p.kind}`,
      verdict: expect.stringMatching(/^(go|warn|no-go)$/),
    });
    // Written with the plan: no later PreflightChecked event put it there.
    const { audit } = await get<{ audit: { event?: { type: string }; type?: string }[] }>(
      `/api/plans/${p.id}`,
    );
    expect(JSON.stringify(audit)).not.toContain('PreflightChecked');
  }
  for (const [name, check] of Object.entries(FAILING)) {
    const p = gated.find((x) => x.cluster.name === name);
    expect(p?.preflight?.verdict).toBe('no-go');
    expect(p?.preflight?.checks.filter((c) => c.status === 'fail').map((c) => c.id)).toContain(check);
  }
  // A deprecated CRD version (no removed_release) is named, and blocks nothing.
  const api = gated.find((x) => x.cluster.name === 'aks-prod-api-weu')?.preflight?.checks;
  expect(api?.find((c) => c.id === 'deprecated-apis')).toEqual(
    expect.objectContaining({
      status: 'pass',
      detail: expect.stringContaining('no removal release: billing.contoso.example/v1beta1/invoiceruns'),
    }),
  );
  // Plans the policy approves itself are checked by the runner before each step, not at proposal.
  expect(plans.filter((p) => !p.gate.gated).every((p) => p.preflight === undefined)).toBe(true);

  // Compute usages and SKUs: each subscription and region read once for the whole burst.
  const calls = (await get<{ calls: { method: string; path: string }[] }>('/_sim/calls?api=arm')).calls;
  const readsOf = (what: RegExp): Map<string, number> => {
    const n = new Map<string, number>();
    for (const c of calls.filter((x) => what.test(x.path))) {
      const key = c.path.toLowerCase().split('?')[0] ?? '';
      n.set(key, (n.get(key) ?? 0) + 1);
    }
    return n;
  };
  const usages = readsOf(/providers\/microsoft\.compute\/locations\/[^/]+\/usages/i);
  expect(usages.size).toBeGreaterThan(1);
  expect([...usages.values()].every((n) => n === 1)).toBe(true);
  // SKUs name their region in the query: as many reads as regions whose usages were read.
  expect(calls.filter((c) => /providers\/microsoft\.compute\/skus/i.test(c.path)).length).toBe(usages.size);
});

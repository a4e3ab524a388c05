import { parsePolicy, PolicyError } from '../../shared/domain/policy';
import { blockingChecks, preflightVerdict } from '../../shared/domain/preflight';
import type { ClusterFacts, PreflightFacts } from '../../shared/domain/preflightChecks';
import {
  addressesPerNode,
  expectedDurationMs,
  known,
  parseDeprecatedApiMetric,
  pdbAtZero,
  runChecks,
  selects,
  surgeNodes,
  unknownFact,
} from '../../shared/domain/preflightChecks';
import { PreflightRun, SHARED_TTL_MS } from '../../shared/usecases/preflight';
import { REGION } from '../helpers/plans';

const cluster: ClusterFacts = {
  provisioningState: 'Succeeded',
  kubernetesVersion: '1.29.7',
  networkPlugin: 'azure',
  privateCluster: false,
  authorizedIpRanges: [],
  pools: [
    {
      name: 'user1',
      mode: 'User',
      count: 10,
      vmSize: 'Standard_D4ds_v5',
      maxPods: 30,
      maxSurge: '33%',
      orchestratorVersion: '1.29.7',
    },
  ],
};

function facts(extra: Partial<PreflightFacts> = {}): PreflightFacts {
  return {
    plan: {
      kind: 'patch',
      to: '1.29.9',
      ring: 'production',
      steps: [
        { kind: 'control-plane', from: '1.29.7', to: '1.29.9' },
        { kind: 'node-pool', pool: 'user1', mode: 'User', from: '1.29.7', to: '1.29.9' },
      ],
      window: {
        source: 'policy',
        description: 'Saturday',
        start: '2026-11-28T02:00:00.000Z',
        end: '2026-11-28T03:00:00.000Z',
      },
    },
    cluster: known(cluster),
    region: known(REGION),
    subnets: new Map(),
    computeUsages: known([
      { name: 'cores', currentValue: 100, limit: 350 },
      { name: 'standardDDSv5Family', currentValue: 100, limit: 350 },
    ]),
    skus: known(
      new Map([['standard_d4ds_v5', { name: 'Standard_D4ds_v5', family: 'standardDDSv5Family', vcpus: 4 }]]),
    ),
    nodes: known([]),
    pdbs: known([]),
    timing: { controlPlaneMs: 15 * 60_000, batchMs: 10 * 60_000 },
    ...extra,
  };
}

describe('pre-flight checks (pure)', () => {
  it('reads maxSurge as AKS does: a count, or a percentage rounded up, at least one node', () => {
    expect(surgeNodes('33%', 10)).toBe(4);
    expect(surgeNodes('10%', 3)).toBe(1);
    expect(surgeNodes(undefined, 12)).toBe(2);
    expect(surgeNodes('5', 3)).toBe(5);
    expect(surgeNodes('0%', 3)).toBe(0);
  });

  it('counts addresses per node by network model', () => {
    const pool = cluster.pools[0]!;
    expect(addressesPerNode(cluster, pool).count).toBe(31);
    expect(addressesPerNode({ ...cluster, networkPluginMode: 'overlay' }, pool).count).toBe(1);
    expect(addressesPerNode(cluster, { ...pool, podSubnetId: '/x/subnets/pods' }).count).toBe(1);
    expect(addressesPerNode({ ...cluster, networkPlugin: 'kubenet' }, pool).count).toBe(1);
  });

  it('no-go only for statuses the ring blocks; unknown warns by default', () => {
    const checks = [
      { id: 'pdb' as const, status: 'unknown' as const },
      { id: 'nodes-ready' as const, status: 'warn' as const },
    ];
    expect(preflightVerdict(checks, { fail: ['pdb'] })).toBe('warn');
    expect(preflightVerdict(checks, { unknown: ['pdb'] })).toBe('no-go');
    expect(preflightVerdict([{ id: 'pdb', status: 'fail' }], {})).toBe('warn');
    expect(preflightVerdict([{ id: 'pdb', status: 'pass' }], { fail: ['pdb'] })).toBe('go');
    expect(
      blockingChecks(
        { checks: [{ id: 'pdb', status: 'fail', title: '', detail: '', guidance: '' }] },
        { fail: ['pdb'] },
      ),
    ).toHaveLength(1);
  });

  it('the policy blocks fail in staging and production by default, and takes a per-ring list', () => {
    const d = parsePolicy('');
    expect(d.preflight.block.production.fail).toContain('subnet-ips');
    expect(d.preflight.block.dev).toEqual({});
    expect(d.preflight.maxAgeMs).toBe(3_600_000);
    const p = parsePolicy(
      'preflight: { block: { dev: { fail: [pdb], unknown: all } }, maxAge: PT10M, batchTime: PT20M }',
    );
    expect(p.preflight.block.dev).toEqual({
      fail: ['pdb'],
      unknown: expect.arrayContaining(['pdb', 'window-fits']) as unknown,
    });
    expect(p.preflight.maxAgeMs).toBe(600_000);
    expect(p.preflight.timing.batchMs).toBe(1_200_000);
    expect(() => parsePolicy('preflight: { block: { dev: { fail: [pbd] } } }')).toThrow(PolicyError);
  });

  it('trusts a PDB status only when observedGeneration equals generation', () => {
    const base = {
      namespace: 'n',
      name: 'p',
      generation: 2,
      disruptionsAllowed: 0,
      currentHealthy: 1,
      desiredHealthy: 1,
      expectedPods: 2,
    };
    expect(pdbAtZero({ ...base, observedGeneration: 2 })?.refused).toBe(false);
    expect(pdbAtZero({ ...base, observedGeneration: 1 })).toBeUndefined();
    expect(pdbAtZero({ ...base, observedGeneration: 1, maxUnavailable: '0%' })?.refused).toBe(true);
    expect(pdbAtZero({ ...base, observedGeneration: 1, minAvailable: '100%' })?.reason).toMatch(
      /minAvailable\(100%\) >= expectedPods\(2\)/,
    );
  });

  it('matches label selectors (matchLabels, In, NotIn, Exists, DoesNotExist; a null selector selects nothing)', () => {
    const labels = { app: 'a', tier: 'web' };
    expect(selects({ matchLabels: { app: 'a' } }, labels)).toBe(true);
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['web'] }] }, labels)).toBe(
      true,
    );
    expect(selects({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['web'] }] }, labels)).toBe(
      false,
    );
    expect(selects({ matchExpressions: [{ key: 'x', operator: 'DoesNotExist' }] }, labels)).toBe(true);
    expect(selects({}, labels)).toBe(true);
    expect(selects(undefined, labels)).toBe(false);
  });

  it('parses apiserver_requested_deprecated_apis', () => {
    const text = [
      '# TYPE apiserver_requested_deprecated_apis gauge',
      'apiserver_requested_deprecated_apis{group="batch",removed_release="1.25",resource="cronjobs",subresource="",version="v1beta1"} 1',
      'apiserver_requested_deprecated_apis{group="",removed_release="",resource="componentstatuses",subresource="",version="v1"} 1',
      'apiserver_request_total{code="200"} 5',
    ].join('\n');
    expect(parseDeprecatedApiMetric(text)).toEqual([
      { group: 'batch', version: 'v1beta1', resource: 'cronjobs', subresource: '', removedRelease: '1.25' },
      { group: '', version: 'v1', resource: 'componentstatuses', subresource: '', removedRelease: '' },
    ]);
  });

  it('cluster-state fails a preview or unoffered target and a skew beyond three minors', () => {
    const preview = runChecks(facts({ plan: { ...facts().plan, to: '1.31.1', kind: 'minor' } })).find(
      (c) => c.id === 'cluster-state',
    );
    expect(preview).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/1\.31\.1 is a preview version/) as unknown,
    });
    const gone = runChecks(facts({ plan: { ...facts().plan, to: '1.29.8' } })).find(
      (c) => c.id === 'cluster-state',
    );
    expect(gone?.detail).toMatch(/1\.29\.8 is not offered in westeurope/);
    const busy = runChecks(facts({ cluster: known({ ...cluster, provisioningState: 'Upgrading' }) })).find(
      (c) => c.id === 'cluster-state',
    );
    expect(busy?.status).toBe('warn');
  });

  it('window-fits: control plane plus batches of surge nodes against the window', () => {
    expect(expectedDurationMs(facts(), cluster).ms).toBe(15 * 60_000 + 3 * 10 * 60_000);
    const w = runChecks(facts()).find((c) => c.id === 'window-fits');
    expect(w).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/about 45 min .* against 60 min/) as unknown,
    });
    const short = runChecks(
      facts({
        plan: { ...facts().plan, window: { ...facts().plan.window!, end: '2026-11-28T02:30:00.000Z' } },
      }),
    );
    expect(short.find((c) => c.id === 'window-fits')?.status).toBe('warn');
  });

  it('a cluster that cannot be read makes every check unknown, never a pass', () => {
    const out = runChecks(facts({ cluster: unknownFact('403 AuthorizationFailed') }));
    expect(out.filter((c) => c.id !== 'deprecated-apis').every((c) => c.status === 'unknown')).toBe(true);
  });
});

describe('the reads pre-flight runs share', () => {
  const counting = () => {
    let n = 0;
    return { read: () => Promise.resolve(++n), count: () => n };
  };

  it('a run of its own keeps each read for its lifetime', async () => {
    const r = counting();
    const run = new PreflightRun(0);
    await run.once('usages|s|westeurope', 1, r.read);
    await run.once('USAGES|s|WestEurope', 1, r.read);
    expect(r.count()).toBe(1);
  });

  it('the shared run keeps each read for its TTL from when it was read, then reads again', async () => {
    let t = 1_000_000;
    const run = new PreflightRun(t, () => t);
    const usages = counting();
    const skus = counting();
    await run.once('usages|s|l', SHARED_TTL_MS.usages, usages.read);
    await run.once('skus|s|l', SHARED_TTL_MS.skus, skus.read);
    t += SHARED_TTL_MS.usages - 1;
    expect(await run.once('usages|s|l', SHARED_TTL_MS.usages, usages.read)).toBe(1);
    t += 1;
    expect(await run.once('usages|s|l', SHARED_TTL_MS.usages, usages.read)).toBe(2);
    expect(await run.once('skus|s|l', SHARED_TTL_MS.skus, skus.read)).toBe(1);
    // A clock set back (a VM resumed, faketime) never keeps a read past its TTL.
    t -= 10 * SHARED_TTL_MS.skus;
    expect(await run.once('skus|s|l', SHARED_TTL_MS.skus, skus.read)).toBe(2);
  });

  it('a failed read is shared by those waiting on it and read again soon, not kept for its TTL', async () => {
    let t = 0;
    const run = new PreflightRun(t, () => t);
    let n = 0;
    const failing = () => Promise.reject(new Error(`403 #${++n}`));
    const [a, b] = await Promise.allSettled([
      run.once('skus|s|l', SHARED_TTL_MS.skus, failing),
      run.once('skus|s|l', SHARED_TTL_MS.skus, failing),
    ]);
    expect([a, b].map((x) => x.status === 'rejected' && (x.reason as Error).message)).toEqual([
      '403 #1',
      '403 #1',
    ]);
    t += 10_000;
    await expect(run.once('skus|s|l', SHARED_TTL_MS.skus, failing)).rejects.toThrow('403 #2');
  });
});

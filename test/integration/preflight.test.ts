import type { ClusterSpec, FleetFile, RunningSimulator } from '../../local/sim';
import { CURRENT_NODE_IMAGES, CURRENT_VERSIONS } from '../../local/sim';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { armErrorOf } from '../../shared/azure/armErrors';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { KubeStats } from '../../shared/azure/kubeApi';
import { ArmPreflight } from '../../shared/azure/preflightArm';
import type { Plan } from '../../shared/domain/plan';
import { parsePolicy } from '../../shared/domain/policy';
import type { PlanPreflight, PreflightCheckId } from '../../shared/domain/preflight';
import type { StepTarget } from '../../shared/domain/targeting';
import { Preflight } from '../../shared/usecases/preflight';
import { proposed } from '../helpers/plans';
import { simControl, startTestSimulator } from '../helpers/sim';

/**
 * Every pre-flight check through the production SDK (`@azure/arm-containerservice`), the ARM
 * pipeline for Network and Compute, and `node:https` to each cluster's Kubernetes API, against the
 * loopback simulator: what passes, what fails with its numbers, each `unknown` path with its
 * reason, and that each failure predicts the refusal AKS gives the upgrade request.
 */
const SUB = '7c1d2e3f-0000-4000-8000-0000000000f1';
const RG = 'rg-pf';
const VNET = `/subscriptions/${SUB}/resourceGroups/rg-net/providers/Microsoft.Network/virtualNetworks/vnet-prod`;

function cluster(name: string, extra: Partial<ClusterSpec> = {}): ClusterSpec {
  return {
    subscriptionId: SUB,
    resourceGroup: RG,
    name,
    location: 'westeurope',
    kubernetesVersion: '1.35.6',
    tags: { environment: 'production' },
    pools: [
      { name: 'system', mode: 'System', count: 3, maxSurge: '33%', vmSize: 'Standard_D4ds_v5' },
      { name: 'apps', count: 3, maxSurge: '33%', vmSize: 'Standard_D4ds_v5' },
      { name: 'batch', count: 6, maxSurge: '50%', vmSize: 'Standard_D8ds_v5' },
    ],
    ...extra,
  };
}

const cni = { networkProfile: { networkPlugin: 'azure', networkPluginMode: null } };

const FLEET: FleetFile = {
  versions: CURRENT_VERSIONS,
  nodeImages: CURRENT_NODE_IMAGES,
  regions: [{ name: 'westeurope' }],
  subscriptions: [{ id: SUB }],
  virtualNetworks: [
    {
      subscriptionId: SUB,
      resourceGroup: 'rg-net',
      name: 'vnet-prod',
      subnets: [
        { name: 'roomy', addressPrefix: '10.1.0.0/20', used: 400 },
        { name: 'full', addressPrefix: '10.2.0.0/24', used: 230 },
        { name: 'pods', addressPrefix: '10.3.0.0/24', used: 240 },
      ],
    },
  ],
  quotas: [
    { subscriptionId: SUB, location: 'westeurope', name: 'standardEDSv5Family', limit: 40 },
    { subscriptionId: SUB, location: 'westeurope', name: 'cores', limit: 2000 },
    { subscriptionId: SUB, location: 'westeurope', name: 'standardDDSv5Family', limit: 2000 },
  ],
  clusters: [
    cluster('aks-ok', {
      ...cni,
      pools: [
        { name: 'system', mode: 'System', count: 3, maxSurge: '33%', vnetSubnetID: `${VNET}/subnets/roomy` },
        { name: 'apps', count: 3, maxSurge: '33%', vnetSubnetID: `${VNET}/subnets/roomy` },
        {
          name: 'batch',
          count: 6,
          maxSurge: '50%',
          vmSize: 'Standard_D8ds_v5',
          vnetSubnetID: `${VNET}/subnets/roomy`,
        },
      ],
      kube: {
        workloads: [
          { namespace: 'web', name: 'front', pool: 'apps', replicas: 3, pdb: { maxUnavailable: 1 } },
        ],
      },
    }),
    cluster('aks-pdb', {
      kube: {
        workloads: [
          { namespace: 'pay', name: 'ledger', pool: 'apps', replicas: 2, pdb: { maxUnavailable: 0 } },
          {
            namespace: 'pay',
            name: 'queue',
            pool: 'batch',
            replicas: 3,
            pdb: { minAvailable: 2 },
            unhealthy: 1,
          },
          { namespace: 'web', name: 'cache', pool: 'system', replicas: 2, pdb: { minAvailable: 1 } },
        ],
      },
    }),
    cluster('aks-ips', {
      ...cni,
      pools: [
        { name: 'apps', mode: 'System', count: 4, maxSurge: '33%', vnetSubnetID: `${VNET}/subnets/full` },
      ],
    }),
    cluster('aks-podsub', {
      ...cni,
      pools: [
        {
          name: 'apps',
          mode: 'System',
          count: 4,
          maxSurge: '2',
          maxPods: 50,
          vnetSubnetID: `${VNET}/subnets/roomy`,
          podSubnetID: `${VNET}/subnets/pods`,
        },
      ],
    }),
    cluster('aks-cpu', {
      pools: [{ name: 'mem', mode: 'System', count: 4, maxSurge: '50%', vmSize: 'Standard_E8ds_v5' }],
    }),
    cluster('aks-api', {
      kubernetesVersion: '1.35.8',
      deprecatedApiUsage: [
        { api: 'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list', removedIn: '1.36' },
      ],
    }),
    cluster('aks-nodes', {
      kube: {
        nodes: [
          { pool: 'apps', index: 1, notReady: true },
          { pool: 'apps', index: 2, cordoned: true },
        ],
      },
    }),
    cluster('aks-private', { apiServerAccessProfile: { enablePrivateCluster: true } }),
    cluster('aks-fenced', { apiServerAccessProfile: { authorizedIPRanges: ['203.0.113.0/24'] } }),
    cluster('aks-reader', { kubernetesVersion: '1.35.8', kube: { access: 'rbac-reader' } }),
    cluster('aks-nobind', { kube: { access: 'none' } }),
  ],
};

let sim: RunningSimulator;
let clients: ArmClients;
let preflight: Preflight;
const kubeStats = new KubeStats();
const policy = parsePolicy('');

beforeAll(async () => {
  sim = await startTestSimulator({ fleet: FLEET, throttle: false });
  clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    ...(sim.caCertPem !== undefined && { caCertPem: sim.caCertPem }),
    maxRetries: 0,
  });
  const gateway = new ArmAksGateway(clients);
  preflight = new Preflight({
    arm: new ArmPreflight(clients, sim.armUrl, new StaticTokenCredential()),
    regionVersions: (sub, location) => gateway.listKubernetesVersions(sub, location),
    policy,
    now: () => new Date('2026-11-28T02:00:00Z'),
    kubeTimeoutMs: 400,
    kubeStats,
  });
});

afterAll(async () => {
  await sim.close();
});

function planFor(name: string, kind: Plan['kind'] = 'patch'): Plan {
  const spec = FLEET.clusters.find((c) => c.name === name);
  if (!spec) throw new Error(name);
  const from = spec.kubernetesVersion;
  const to = kind === 'minor' ? '1.36.3' : '1.35.8';
  const steps: StepTarget[] = [
    { kind: 'control-plane', from, to },
    ...(spec.pools ?? []).map((p) => ({
      kind: 'node-pool' as const,
      pool: p.name,
      mode: p.mode ?? 'User',
      from,
      to,
    })),
  ];
  return proposed({
    id: `plan-${name}`,
    cluster: {
      id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`,
      key: `${SUB}:${RG}:${name}`.toLowerCase(),
      name,
      subscriptionId: SUB,
      resourceGroup: RG,
      location: 'westeurope',
      ring: 'production',
      tags: {},
    },
    kind,
    from,
    to,
    steps,
    window: { source: 'none', description: 'any time (no maintenance window configured)' },
  });
}

const ref = (name: string) => ({
  id: `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerService/managedClusters/${name}`,
  key: `${SUB}:${RG}:${name}`.toLowerCase(),
  name,
  subscriptionId: SUB,
  resourceGroup: RG,
});
const checks = (r: PlanPreflight, id: PreflightCheckId) => r.checks.filter((c) => c.id === id);
const one = (r: PlanPreflight, id: PreflightCheckId, pool?: string) => {
  const c = r.checks.find((x) => x.id === id && (pool === undefined || x.pool === pool));
  if (!c)
    throw new Error(
      `no ${id} ${pool ?? ''} in ${JSON.stringify(r.checks.map((x) => `${x.id}:${x.pool ?? ''}`))}`,
    );
  return c;
};

describe('pre-flight through the SDKs and the simulator', () => {
  it('a healthy three-pool cluster in its own VNet is go, every check listed, each with a Microsoft doc', async () => {
    const before = { arm: clients.stats.calls, kube: kubeStats.calls };
    const report = await preflight.check(planFor('aks-ok', 'minor'), preflight.newRun());
    expect(report.verdict).toBe('go');
    expect(new Set(report.checks.map((c) => c.id))).toEqual(
      new Set([
        'cluster-state',
        'subnet-ips',
        'vcpu-quota',
        'pdb',
        'deprecated-apis',
        'nodes-ready',
        'max-surge',
        'window-fits',
      ]),
    );
    for (const c of report.checks) expect(c.guidance).toMatch(/^https:\/\/learn\.microsoft\.com\//);
    expect(one(report, 'subnet-ips', 'apps').detail).toMatch(
      /node subnet vnet-prod\/roomy: 3691 free .*31 needed \(1 surge node\(s\) × 31; Azure CNI node subnet: maxPods 30 \+ 1/,
    );
    expect(one(report, 'vcpu-quota', 'batch').detail).toMatch(
      /24 vCPUs needed \(3 surge node\(s\) × 8 vCPUs of Standard_D8ds_v5\); regional \d+ vCPUs left/,
    );
    expect(report.nodes).toHaveLength(12);
    expect(report.nodes?.[0]).toMatchObject({
      pool: 'system',
      ready: true,
      kubelet: 'v1.35.6',
      kernel: expect.stringMatching(/azure/) as unknown,
    });
    // ARM: cluster, credential, VNet usages (once for three pools), Compute usages, SKUs, versions;
    // Kubernetes: nodes, PDBs, /metrics (pods only when a PDB is at zero).
    expect(clients.stats.calls - before.arm).toBe(6);
    expect(kubeStats.calls - before.kube).toBe(3);
  });

  it('pdb fails naming the PDB and its pods, per pool, and passes once the PDB is mended', async () => {
    const report = await preflight.check(planFor('aks-pdb'), preflight.newRun());
    expect(report.verdict).toBe('no-go');
    const apps = one(report, 'pdb', 'apps');
    expect(apps.status).toBe('fail');
    expect(apps.detail).toMatch(
      /PDB pay\/ledger has maxUnavailable 0; selects ledger-\w+-\w+, ledger-\w+-\w+ on this pool \(AKS refuses: UnsatisfiablePDB\)/,
    );
    const batch = one(report, 'pdb', 'batch');
    expect(batch.detail).toMatch(
      /PDB pay\/queue allows 0 disruptions \(2 healthy, 2 desired\).*the drain stalls/,
    );
    expect(one(report, 'pdb', 'system').status).toBe('pass');

    // A spec change the controller has not observed yet is not trusted: warn, not pass.
    const mend = (b: Record<string, unknown>) =>
      simControl(sim, 'POST', '/_sim/kube/pdbs', { cluster: 'aks-pdb', namespace: 'pay', ...b });
    await mend({ name: 'ledger', maxUnavailable: 1, observed: false });
    await mend({ name: 'queue', minAvailable: 1 });
    const stale = await preflight.check(planFor('aks-pdb'), preflight.newRun());
    expect(one(stale, 'pdb', 'apps').status).toBe('warn');
    expect(one(stale, 'pdb', 'apps').detail).toMatch(
      /status is not current \(observedGeneration 1, generation 2\)/,
    );
    await mend({ name: 'ledger', observed: true });
    const mended = await preflight.check(planFor('aks-pdb'), preflight.newRun());
    expect(checks(mended, 'pdb').map((c) => c.status)).toEqual(['pass', 'pass', 'pass']);
  });

  it('subnet-ips counts maxPods + 1 per surge node with Azure CNI, and checks a pod subnet for maxPods', async () => {
    const full = await preflight.check(planFor('aks-ips'), preflight.newRun());
    const ips = one(full, 'subnet-ips', 'apps');
    expect(ips.status).toBe('fail');
    expect(ips.detail).toContain(
      'node subnet vnet-prod/full: 21 free (230 of 251 in use), 62 needed (2 surge node(s) × 31',
    );
    expect(ips.detail).toContain('InsufficientSubnetSize');

    const pods = await preflight.check(planFor('aks-podsub'), preflight.newRun());
    const [node, pod] = checks(pods, 'subnet-ips');
    expect(node?.detail).toMatch(
      /node subnet vnet-prod\/roomy: \d+ free .*2 needed \(2 surge node\(s\) × 1; Azure CNI with a pod subnet/,
    );
    expect(pod?.status).toBe('fail');
    expect(pod?.detail).toContain(
      'pod subnet vnet-prod/pods: 11 free (240 of 251 in use), 100 needed (2 surge node(s) × maxPods 50)',
    );
  });

  it('an AKS-managed VNet passes subnet-ips and says so', async () => {
    const report = await preflight.check(planFor('aks-cpu'), preflight.newRun());
    expect(one(report, 'subnet-ips', 'mem')).toMatchObject({
      status: 'pass',
      detail: expect.stringMatching(/^AKS-managed virtual network/) as unknown,
    });
  });

  it('vcpu-quota fails on the VM family quota with the numbers', async () => {
    const report = await preflight.check(planFor('aks-cpu'), preflight.newRun());
    const q = one(report, 'vcpu-quota', 'mem');
    expect(q.status).toBe('fail');
    expect(q.detail).toContain('16 vCPUs needed (2 surge node(s) × 8 vCPUs of Standard_E8ds_v5)');
    expect(q.detail).toContain('standardEDSv5Family 8 vCPUs left (32 of 40)');
  });

  it('deprecated-apis fails a minor upgrade on an API its target removes, not a patch', async () => {
    const minor = await preflight.check(planFor('aks-api', 'minor'), preflight.newRun());
    const d = one(minor, 'deprecated-apis');
    expect(d.status).toBe('fail');
    expect(d.detail).toContain(
      'flowcontrol.apiserver.k8s.io/v1beta3/prioritylevelconfigurations (removed in 1.36)',
    );
    expect(d.detail).toMatch(/force upgrade .* those calls then fail/);
    const patch = await preflight.check(planFor('aks-api', 'patch'), preflight.newRun());
    expect(one(patch, 'deprecated-apis').status).toBe('pass');
  });

  it('nodes-ready warns on NotReady and cordoned nodes and names them', async () => {
    const report = await preflight.check(planFor('aks-nodes'), preflight.newRun());
    const n = one(report, 'nodes-ready', 'apps');
    expect(n.status).toBe('warn');
    expect(n.detail).toMatch(/NotReady: aks-apps-\d+-vmss000001; cordoned: aks-apps-\d+-vmss000002/);
    expect(report.verdict).toBe('warn');
  });

  it('a private cluster: the Kubernetes checks are unknown with the reason and what to do; ARM checks still run', async () => {
    const report = await preflight.check(planFor('aks-private', 'minor'), preflight.newRun());
    for (const id of ['pdb', 'nodes-ready', 'deprecated-apis'] as const)
      for (const c of checks(report, id)) {
        expect(c.status).toBe('unknown');
        expect(c.detail).toMatch(/private cluster: .*VNet integration/);
      }
    expect(one(report, 'cluster-state').status).toBe('pass');
    expect(one(report, 'vcpu-quota', 'apps').status).toBe('pass');
    expect(report.nodes).toBeUndefined();
  });

  it('authorized IP ranges: the API server never answers, the checks are unknown after the timeout', async () => {
    const report = await preflight.check(planFor('aks-fenced'), preflight.newRun());
    const n = one(report, 'nodes-ready');
    expect(n.status).toBe('unknown');
    expect(n.detail).toMatch(
      /no answer in 400 ms .*authorized IP ranges \(203\.0\.113\.0\/24\): add Warden's outbound IP/,
    );
    expect(report.verdict).toBe('warn');
  });

  it('RBAC Reader only: nodes and /metrics are unknown naming the custom role; PDBs are still read', async () => {
    const report = await preflight.check(planFor('aks-reader', 'minor'), preflight.newRun());
    expect(one(report, 'nodes-ready').detail).toMatch(
      /403 .*grant the Warden pre-flight custom role \(data action Microsoft\.ContainerService\/managedClusters\/nodes\/read/,
    );
    expect(one(report, 'deprecated-apis')).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(/\/metrics.*nonResourceURLs/) as unknown,
    });
    expect(one(report, 'pdb', 'apps').status).toBe('pass');
  });

  it('Kubernetes RBAC without a binding: every Kubernetes read is unknown with the binding to create', async () => {
    const report = await preflight.check(planFor('aks-nobind'), preflight.newRun());
    expect(one(report, 'pdb', 'apps')).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(
        /poddisruptionbudgets is forbidden.*Azure Kubernetes Service RBAC Reader/,
      ) as unknown,
    });
    expect(one(report, 'nodes-ready').status).toBe('unknown');
  });

  it('a token for another audience is refused by the API server: unknown, never a pass', async () => {
    const wrong = new Preflight({
      arm: new ArmPreflight(clients, sim.armUrl, {
        getToken: () => Promise.resolve({ token: 'arm-token', expiresOnTimestamp: Date.now() + 60_000 }),
      }),
      regionVersions: () => Promise.resolve(undefined),
      policy,
      now: () => new Date('2026-11-28T02:00:00Z'),
      kubeTimeoutMs: 400,
    });
    const report = await wrong.check(planFor('aks-ok'), wrong.newRun());
    expect(one(report, 'pdb', 'apps')).toMatchObject({
      status: 'unknown',
      detail: expect.stringMatching(/401 .*Microsoft Entra integration/) as unknown,
    });
    expect(one(report, 'cluster-state')).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/no Kubernetes versions known/) as unknown,
    });
  });

  it('ARM 403 on the VNet and on Compute usages: unknown with the permission to grant', async () => {
    sim.addFault({
      path: '/virtualNetworks/vnet-prod/usages',
      status: 403,
      code: 'AuthorizationFailed',
      message:
        'The client does not have authorization to perform action Microsoft.Network/virtualNetworks/read.',
    });
    sim.addFault({
      path: '/providers/Microsoft.Compute/locations/westeurope/usages',
      status: 403,
      code: 'AuthorizationFailed',
      message: 'no usages/read',
    });
    try {
      const report = await preflight.check(planFor('aks-ips'), preflight.newRun());
      expect(one(report, 'subnet-ips', 'apps')).toMatchObject({
        status: 'unknown',
        detail: expect.stringMatching(
          /grant Warden's identity Microsoft\.Network\/virtualNetworks\/read .*Network Reader/,
        ) as unknown,
      });
      expect(one(report, 'vcpu-quota', 'apps')).toMatchObject({
        status: 'unknown',
        detail: expect.stringMatching(/Microsoft\.Compute\/locations\/usages\/read/) as unknown,
      });
      expect(one(report, 'pdb', 'apps').status).toBe('pass');
    } finally {
      sim.clearFaults();
    }
  });

  it('usages and SKUs are read once per subscription and region in a run', async () => {
    const run = preflight.newRun();
    await preflight.check(planFor('aks-ok'), run);
    const usageCalls = () =>
      sim.calls().filter((c) => /microsoft\.compute\/(locations\/[^/]+\/usages|skus)/i.test(c.path)).length;
    const before = usageCalls();
    await preflight.check(planFor('aks-cpu'), run);
    await preflight.check(planFor('aks-nodes'), run);
    expect(usageCalls()).toBe(before);
  });

  it('each failure predicts the refusal AKS gives the upgrade request', async () => {
    const gateway = new ArmAksGateway(clients);
    const refusal = async (name: string, pool: string): Promise<string | undefined> => {
      try {
        await gateway.startNodeImageUpgrade(ref(name), pool);
      } catch (e) {
        return armErrorOf(e)?.code;
      }
      return undefined;
    };
    await simControl(sim, 'POST', '/_sim/node-images', {
      family: 'AKSUbuntu-2204gen2containerd',
      version: '202612.01.0',
    });
    await simControl(sim, 'POST', '/_sim/kube/pdbs', {
      cluster: 'aks-pdb',
      namespace: 'pay',
      name: 'ledger',
      maxUnavailable: 0,
    });
    expect(one(await preflight.check(planFor('aks-pdb'), preflight.newRun()), 'pdb', 'apps').status).toBe(
      'fail',
    );
    expect(await refusal('aks-pdb', 'apps')).toBe('UnsatisfiablePDB');
    expect(await refusal('aks-ips', 'apps')).toBe('InsufficientSubnetSize');
    expect(await refusal('aks-cpu', 'mem')).toBe('QuotaExceeded');
    await sim.idle();
  });

  it('for each refusal, pre-flight fails that check before any PUT, and the pool upgrade PUT is then refused as AKS does', async () => {
    const gateway = new ArmAksGateway(clients);
    const writes = (name: string) =>
      sim
        .calls()
        .filter(
          (c) =>
            c.method === 'PUT' &&
            c.path.toLowerCase().includes(`/managedclusters/${name}`) &&
            !/maintenanceconfigurations/i.test(c.path),
        ).length;
    const cases = [
      { name: 'aks-pdb', pool: 'apps', check: 'pdb', code: 'UnsatisfiablePDB' },
      { name: 'aks-ips', pool: 'apps', check: 'subnet-ips', code: 'InsufficientSubnetSize' },
      { name: 'aks-cpu', pool: 'mem', check: 'vcpu-quota', code: 'QuotaExceeded' },
    ] as const;
    for (const c of cases) {
      const before = writes(c.name);
      const report = await preflight.check(planFor(c.name), preflight.newRun());
      expect({ cluster: c.name, status: one(report, c.check, c.pool).status }).toEqual({
        cluster: c.name,
        status: 'fail',
      });
      expect(report.verdict).toBe('no-go');
      // Pre-flight only reads.
      expect(writes(c.name)).toBe(before);
      // The control plane moves (no pool surges); the pool's own PUT is what AKS refuses.
      await gateway.startControlPlaneUpgrade(ref(c.name), '1.35.8');
      await sim.idle();
      const refused = await gateway.startPoolUpgrade(ref(c.name), c.pool, '1.35.8').then(
        () => undefined,
        (e: unknown) => armErrorOf(e)?.code,
      );
      expect({ cluster: c.name, refused }).toEqual({ cluster: c.name, refused: c.code });
      expect(writes(c.name)).toBe(before + 2);
    }
  });
});

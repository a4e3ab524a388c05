import { createHash } from 'node:crypto';

import type { DeprecatedApiUsage, SimCluster, SimPool } from '../fleetFile/fleet';

/**
 * A cluster's Kubernetes API as the simulator plays it: nodes from the node pools (with the AKS
 * labels), pods of the fleet file's workloads spread over their pool's nodes, PodDisruptionBudgets
 * with the status the disruption controller would write, and `apiserver_requested_deprecated_apis`
 * from the cluster's recent deprecated-API use.
 */

/** A workload on one pool, optionally with a PDB selecting its pods (`app: <name>`). */
export interface WorkloadSpec {
  readonly namespace: string;
  readonly name: string;
  readonly pool: string;
  readonly replicas: number;
  /** Pods not Ready (they count against the PDB's healthy pods). */
  readonly unhealthy?: number;
  readonly pdb?: { readonly minAvailable?: number | string; readonly maxUnavailable?: number | string };
}

export interface KubeSpec {
  /**
   * What Warden's identity may read: `full` (default); `rbac-reader` (Azure Kubernetes Service RBAC
   * Reader only: nodes and `/metrics` forbidden); `none` (Kubernetes RBAC without a binding: every read forbidden).
   */
  readonly access?: 'full' | 'rbac-reader' | 'none';
  readonly workloads?: readonly WorkloadSpec[];
  /** Node conditions by pool and index (0-based). */
  readonly nodes?: readonly {
    readonly pool: string;
    readonly index: number;
    readonly notReady?: boolean;
    readonly cordoned?: boolean;
  }[];
}

export interface SimPdb {
  minAvailable: number | string | undefined;
  maxUnavailable: number | string | undefined;
  generation: number;
  observedGeneration: number;
}

export interface SimWorkload {
  readonly namespace: string;
  readonly name: string;
  readonly pool: string;
  replicas: number;
  unhealthy: number;
  pdb: SimPdb | undefined;
}

export interface SimKube {
  access: 'full' | 'rbac-reader' | 'none';
  /** Extra time the API server takes before each answer (`POST /_sim/kube/slow`); absent: none. */
  delayMs?: number;
  workloads: SimWorkload[];
  nodeState: Map<string, { notReady: boolean; cordoned: boolean }>;
}

type Fail = (where: string, problem: string) => never;

export function newKube(
  spec: KubeSpec | undefined,
  pools: readonly string[],
  where: string,
  fail: Fail,
): SimKube {
  const access = spec?.access ?? 'full';
  if (!['full', 'rbac-reader', 'none'].includes(access))
    fail(`${where}.access`, 'must be full, rbac-reader or none');
  const workloads = (spec?.workloads ?? []).map((w, i): SimWorkload => {
    const at = `${where}.workloads[${i}]`;
    if (typeof w.namespace !== 'string' || typeof w.name !== 'string') fail(at, 'needs namespace and name');
    if (!pools.includes(w.pool)) fail(`${at}.pool`, `"${w.pool}" is not a pool of the cluster`);
    if (!Number.isInteger(w.replicas) || w.replicas < 1) fail(`${at}.replicas`, 'must be a positive integer');
    return {
      namespace: w.namespace,
      name: w.name,
      pool: w.pool,
      replicas: w.replicas,
      unhealthy: w.unhealthy ?? 0,
      pdb: w.pdb && {
        minAvailable: w.pdb.minAvailable,
        maxUnavailable: w.pdb.maxUnavailable,
        generation: 1,
        observedGeneration: 1,
      },
    };
  });
  const nodeState = new Map<string, { notReady: boolean; cordoned: boolean }>();
  for (const n of spec?.nodes ?? [])
    nodeState.set(`${n.pool}/${n.index}`, { notReady: n.notReady === true, cordoned: n.cordoned === true });
  return { access, workloads, nodeState };
}

const hash = (text: string, n = 8): string => createHash('sha256').update(text).digest('hex').slice(0, n);

export function nodeName(c: SimCluster, pool: string, index: number): string {
  return `aks-${pool}-${parseInt(hash(`${c.subscriptionId}/${c.name}/${pool}`, 7), 16) % 100_000_000}-vmss${index.toString(36).padStart(6, '0')}`;
}

export function renderNodes(c: SimCluster): Record<string, unknown>[] {
  return c.pools.flatMap((p) =>
    Array.from({ length: p.count }, (_, i) => {
      const state = c.kube.nodeState.get(`${p.name}/${i}`);
      const windows = p.osType === 'Windows';
      return {
        metadata: {
          name: nodeName(c, p.name, i),
          labels: {
            'kubernetes.azure.com/agentpool': p.name,
            agentpool: p.name,
            'kubernetes.azure.com/mode': p.mode.toLowerCase(),
            'kubernetes.azure.com/node-image-version': p.nodeImageVersion,
            'kubernetes.io/os': windows ? 'windows' : 'linux',
            'node.kubernetes.io/instance-type': p.vmSize,
          },
        },
        spec: { ...(state?.cordoned === true && { unschedulable: true }) },
        status: {
          conditions: [
            {
              type: 'Ready',
              status: state?.notReady === true ? 'Unknown' : 'True',
              reason: state?.notReady === true ? 'NodeStatusUnknown' : 'KubeletReady',
            },
          ],
          nodeInfo: {
            kernelVersion: windows
              ? '10.0.20348.4405'
              : p.osSKU === 'AzureLinux'
                ? '6.6.104.2-4.azl3'
                : '5.15.0-1098-azure',
            osImage: windows
              ? 'Windows Server 2022 Datacenter'
              : p.osSKU === 'AzureLinux'
                ? 'Microsoft Azure Linux 3.0'
                : 'Ubuntu 22.04.5 LTS',
            kubeletVersion: `v${p.currentOrchestratorVersion}`,
            containerRuntimeVersion: 'containerd://1.7.28-1',
            operatingSystem: windows ? 'windows' : 'linux',
            architecture: 'amd64',
          },
        },
      };
    }),
  );
}

function podsOf(c: SimCluster, w: SimWorkload): { name: string; node: string; ready: boolean }[] {
  const pool: SimPool | undefined = c.pools.find((p) => p.name === w.pool);
  const count = Math.max(1, pool?.count ?? 1);
  return Array.from({ length: w.replicas }, (_, i) => ({
    name: `${w.name}-${hash(`${w.namespace}/${w.name}`, 10)}-${hash(String(i), 5)}`,
    node: nodeName(c, w.pool, i % count),
    ready: i >= w.unhealthy,
  }));
}

export function renderPods(c: SimCluster): Record<string, unknown>[] {
  return c.kube.workloads.flatMap((w) =>
    podsOf(c, w).map((p) => ({
      metadata: { namespace: w.namespace, name: p.name, labels: { app: w.name } },
      spec: { nodeName: p.node },
      status: { phase: 'Running', conditions: [{ type: 'Ready', status: p.ready ? 'True' : 'False' }] },
    })),
  );
}

/** A PDB's desired healthy pods, as the disruption controller computes it. */
function desiredHealthy(pdb: SimPdb, expected: number): number {
  const resolve = (v: number | string): number =>
    typeof v === 'string' && v.endsWith('%')
      ? Math.ceil((Number(v.slice(0, -1)) * expected) / 100)
      : Number(v);
  if (pdb.maxUnavailable !== undefined) return Math.max(0, expected - resolve(pdb.maxUnavailable));
  if (pdb.minAvailable !== undefined) return resolve(pdb.minAvailable);
  return 0;
}

/** The PDB's status fields (what `kubectl get pdb` shows). */
export function pdbStatus(w: SimWorkload): {
  expectedPods: number;
  currentHealthy: number;
  desiredHealthy: number;
  disruptionsAllowed: number;
} {
  const pdb = w.pdb as SimPdb;
  const expectedPods = w.replicas;
  const currentHealthy = w.replicas - Math.min(w.unhealthy, w.replicas);
  const desired = desiredHealthy(pdb, expectedPods);
  return {
    expectedPods,
    currentHealthy,
    desiredHealthy: desired,
    disruptionsAllowed: Math.max(0, currentHealthy - desired),
  };
}

export function renderPdbs(c: SimCluster): Record<string, unknown>[] {
  return c.kube.workloads.flatMap((w) => {
    const pdb = w.pdb;
    if (!pdb) return [];
    return [
      {
        metadata: { namespace: w.namespace, name: w.name, generation: pdb.generation },
        spec: {
          selector: { matchLabels: { app: w.name } },
          ...(pdb.minAvailable !== undefined && { minAvailable: pdb.minAvailable }),
          ...(pdb.maxUnavailable !== undefined && { maxUnavailable: pdb.maxUnavailable }),
        },
        status: { observedGeneration: pdb.observedGeneration, ...pdbStatus(w) },
      },
    ];
  });
}

/**
 * Workloads whose PDB AKS refuses on a pool it would drain (`UnsatisfiablePDB`): `maxUnavailable`
 * 0, or `minAvailable` at or above the expected pods. Each line as AKS writes it.
 */
export function unsatisfiablePdbs(c: SimCluster, pools: readonly string[]): string[] {
  return c.kube.workloads.flatMap((w) => {
    const pdb = w.pdb;
    if (!pdb || !pools.includes(w.pool)) return [];
    const zero = pdb.maxUnavailable === 0 || pdb.maxUnavailable === '0' || pdb.maxUnavailable === '0%';
    if (zero)
      return [`PDB ${w.namespace}/${w.name} has maxUnavailable(0) == 0  can't proceed with put operation`];
    const s = pdbStatus(w);
    if (pdb.minAvailable !== undefined && s.desiredHealthy >= s.expectedPods)
      return [
        `PDB ${w.namespace}/${w.name} has minAvailable(${String(pdb.minAvailable)}) >= expectedPods(${s.expectedPods})  can't proceed with put operation`,
      ];
    return [];
  });
}

/** Group, version and resource of an AKS usage line (`group.version.resource.verb` or `group.resource.version.verb`). */
export function apiParts(api: string): { group: string; version: string; resource: string } {
  const t = api.split('.');
  t.pop();
  const i = t.findIndex((x) => /^v\d+((alpha|beta)\d+)?$/.test(x));
  if (i < 0) return { group: t.slice(0, -1).join('.'), version: '', resource: t.at(-1) ?? '' };
  if (i + 1 < t.length)
    return { group: t.slice(0, i).join('.'), version: t[i] ?? '', resource: t[i + 1] ?? '' };
  return { group: t.slice(0, i - 1).join('.'), version: t[i] ?? '', resource: t[i - 1] ?? '' };
}

/** The API server's `/metrics`, the deprecated-API gauge among a few other series. */
export function renderMetrics(usage: readonly DeprecatedApiUsage[]): string {
  const lines = [
    '# HELP apiserver_requested_deprecated_apis [STABLE] Gauge of deprecated APIs that have been requested, broken out by API group, version, resource, subresource, and removed_release.',
    '# TYPE apiserver_requested_deprecated_apis gauge',
    ...usage.map((u) => {
      const p = apiParts(u.api);
      return `apiserver_requested_deprecated_apis{group="${p.group}",removed_release="${u.removedIn}",resource="${p.resource}",subresource="",version="${p.version}"} 1`;
    }),
    '# HELP apiserver_storage_objects [STABLE] Number of stored objects at the time of last check split by kind.',
    '# TYPE apiserver_storage_objects gauge',
    'apiserver_storage_objects{resource="pods"} 42',
  ];
  return `${lines.join('\n')}\n`;
}

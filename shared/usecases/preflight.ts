import { CallGate } from '../azure/callGate';
import type { KubeEndpoint, KubeStats } from '../azure/kubeApi';
import { KubeApiError, KubeClient } from '../azure/kubeApi';
import type { PreflightArm } from '../azure/preflightArm';
import type { By, Plan } from '../domain/plan';
import { isOpen } from '../domain/plan';
import type { Policy } from '../domain/policy';
import type { PlanPreflight, PreflightBlocking, PreflightNode } from '../domain/preflight';
import type {
  ClusterFacts,
  ComputeUsage,
  DeprecatedApiUse,
  Known,
  KubePdb,
  KubePod,
  SubnetUsage,
  VmSku,
} from '../domain/preflightChecks';
import {
  known,
  needsPods,
  parseDeprecatedApiMetric,
  preflightReport,
  unknownFact,
} from '../domain/preflightChecks';
import type { RegionVersions } from '../domain/versions';
import { ConflictError, ensureError, ForbiddenError, NotFoundError, UnauthorizedError } from '../errors';
import type { PlanCommandDeps } from './planCommands';
import { applyPlanEvent } from './planCommands';

/** What pre-flight reads through (ARM, the region's versions, each cluster's Kubernetes API). */
export interface PreflightDeps {
  readonly arm: PreflightArm;
  /** The fleet reader's region versions (cached a minute there). */
  readonly regionVersions: (subscriptionId: string, location: string) => Promise<RegionVersions | undefined>;
  readonly policy: Pick<Policy, 'preflight'>;
  readonly now: () => Date;
  /** Per Kubernetes GET; one cluster's reads together get {@link KUBE_BUDGET_GETS} times this. */
  readonly kubeTimeoutMs: number;
  /** Kubernetes GETs in flight over all clusters this process checks (default {@link KUBE_CONCURRENCY}). */
  readonly kubeConcurrency?: number;
  readonly kubeStats?: KubeStats;
}

/**
 * Kubernetes GETs in flight at once over every cluster a process checks (each cluster is also held
 * to `KUBE_PER_CLUSTER`): a sweep's burst after a release neither opens hundreds of TLS connections
 * from one Functions instance nor lets slow clusters hold up the rest for long.
 */
export const KUBE_CONCURRENCY = 64;
/** One cluster's Kubernetes reads end within this many per-GET timeouts (nodes, PDBs and /metrics in parallel, then pods, pages). */
export const KUBE_BUDGET_GETS = 3;

/**
 * The reads clusters share: Compute usages and resource SKUs per subscription and region, VNet usages
 * per VNet, region versions, the AKS token. A run of its own (a runner tick, an on-demand check) keeps
 * each read for its lifetime; the run proposals share ({@link Preflight.sharedRun}) keeps each for its
 * {@link SHARED_TTL_MS} from when it was read, so a sweep's burst of plans after a release reads usages
 * and SKUs once per subscription and region while a plan proposed later sees fresh quota.
 */
export class PreflightRun {
  private readonly cache = new Map<
    string,
    { readonly at: number; until: number; readonly value: Promise<unknown> }
  >();

  /** `clock` absent: the run's reads never expire (it lasts one tick or one check). */
  constructor(
    readonly startedAt: number,
    private readonly clock: () => number = () => startedAt,
  ) {}

  once<T>(key: string, ttlMs: number, read: () => Promise<T>): Promise<T> {
    const k = key.toLowerCase();
    const t = this.clock();
    const hit = this.cache.get(k);
    if (hit !== undefined && t >= hit.at && t < hit.until) return hit.value as Promise<T>;
    if (this.cache.size >= PRUNE_AT)
      for (const [x, e] of this.cache) if (t < e.at || t >= e.until) this.cache.delete(x);
    const value = read();
    const entry = { at: t, until: t + ttlMs, value };
    this.cache.set(k, entry);
    // A failed read is shared by the checks already waiting on it, and retried after a short while.
    value.catch(() => {
      entry.until = Math.min(entry.until, this.clock() + FAILED_READ_TTL_MS);
    });
    return value;
  }
}

/**
 * How long the reads proposals share stay fresh, from when each was read. Quota and subnet use move
 * as people deploy, so they are kept a minute (a sweep's shards after a release fall within it); a VM
 * size's vCPUs and family never change, so SKUs are kept six hours; the token until well before it
 * expires (the credential caches it too).
 */
export const SHARED_TTL_MS = {
  usages: 60_000,
  vnet: 60_000,
  skus: 6 * 3_600_000,
  versions: 60_000,
  token: 5 * 60_000,
} as const;

/**
 * How long a cluster's API server address and CA (from `listClusterUserCredential`) are kept. The
 * server's FQDN lasts as long as the cluster; its CA changes only with `az aks rotate-certs`, and a
 * GET refused for TLS or with a 401 reads both again at once, so the hour only bounds what an
 * unnoticed change (a cluster made private, recreated under the same name) can cost: one stale check.
 * A plan's later pre-flights (before the approval request, before each step) then cost one ARM call
 * less each.
 */
export const KUBE_ENDPOINT_TTL_MS = 60 * 60_000;
/** Endpoints kept per process at most (a CA is about 2 KB): the oldest goes first. */
const KUBE_ENDPOINTS_MAX = 5_000;

/** Each cluster's {@link KubeEndpoint}, kept per process for {@link KUBE_ENDPOINT_TTL_MS}; a failed read is not kept. */
export class KubeEndpointCache {
  private readonly entries = new Map<
    string,
    { readonly until: number; readonly value: Promise<KubeEndpoint> }
  >();

  constructor(
    private readonly clock: () => number,
    private readonly ttlMs = KUBE_ENDPOINT_TTL_MS,
  ) {}

  /** The kept endpoint (`cached`), or `read()`'s, kept from now on. */
  get(key: string, read: () => Promise<KubeEndpoint>): { value: Promise<KubeEndpoint>; cached: boolean } {
    const k = key.toLowerCase();
    const t = this.clock();
    const hit = this.entries.get(k);
    if (hit !== undefined && t < hit.until) return { value: hit.value, cached: true };
    this.entries.delete(k);
    if (this.entries.size >= KUBE_ENDPOINTS_MAX) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    const value = read();
    const entry = { until: t + this.ttlMs, value };
    this.entries.set(k, entry);
    value.catch(() => {
      if (this.entries.get(k) === entry) this.entries.delete(k);
    });
    return { value, cached: false };
  }

  /** Drops `value` if it is still the one kept (a concurrent refresh's newer read stays). */
  forget(key: string, value: Promise<KubeEndpoint>): void {
    const k = key.toLowerCase();
    if (this.entries.get(k)?.value === value) this.entries.delete(k);
  }
}

/** A failed read is read again after this long, whatever its kind's TTL. */
const FAILED_READ_TTL_MS = 10_000;
/** The shared cache drops expired reads once it holds this many. */
const PRUNE_AT = 256;

const settle = async <T>(p: Promise<T>, reason: (e: Error) => string): Promise<Known<T>> => {
  try {
    return known(await p);
  } catch (e) {
    return unknownFact(reason(ensureError(e)));
  }
};

/** An ARM read's failure as a reason, with the permission to grant on a 401 / 403. */
const armReason =
  (grant: string) =>
  (e: Error): string =>
    e instanceof ForbiddenError || e instanceof UnauthorizedError
      ? `${e.message} — grant Warden's identity ${grant}`
      : e instanceof NotFoundError
        ? `not found: ${e.message}`
        : e.message;

const KUBE_GRANT = {
  read: "Azure Kubernetes Service RBAC Reader on the cluster (Azure RBAC), or bind Warden's identity to the view ClusterRole (Kubernetes RBAC)",
  nodes:
    "the Warden pre-flight custom role (data action Microsoft.ContainerService/managedClusters/nodes/read, which RBAC Reader lacks), or a ClusterRole with get/list on nodes bound to Warden's identity",
  metrics:
    "the Warden pre-flight custom role (the /metrics non-resource URL, which RBAC Reader lacks), or a ClusterRole with nonResourceURLs ['/metrics'] verbs ['get'] bound to Warden's identity",
};

/** Pre-flight for plans: reads the facts, runs the checks, and gives the verdict under the ring's rules. */
export class Preflight {
  private shared: PreflightRun | undefined;
  private readonly kubeGate: CallGate;
  /** Every run's: the API server address and CA do not change with what a run reads. */
  private readonly endpoints: KubeEndpointCache;

  constructor(private readonly deps: PreflightDeps) {
    this.kubeGate = new CallGate(deps.kubeConcurrency ?? KUBE_CONCURRENCY);
    this.endpoints = new KubeEndpointCache(() => deps.now().getTime());
  }

  /** A run of its own (an on-demand check, a runner tick). */
  newRun(): PreflightRun {
    return new PreflightRun(this.deps.now().getTime());
  }

  /** The run proposals and the approval timer share: each read kept for its {@link SHARED_TTL_MS}. */
  sharedRun(): PreflightRun {
    this.shared ??= new PreflightRun(this.deps.now().getTime(), () => this.deps.now().getTime());
    return this.shared;
  }

  blocking(plan: Pick<Plan, 'cluster'>): PreflightBlocking {
    return this.deps.policy.preflight.block[plan.cluster.ring];
  }

  /** The report for a plan now. Never throws for a fact it cannot read: that check is `unknown`. */
  async check(plan: Plan, run: PreflightRun = this.sharedRun()): Promise<PlanPreflight> {
    const { arm } = this.deps;
    const c = plan.cluster;
    const ref = {
      id: c.id,
      key: c.key,
      name: c.name,
      subscriptionId: c.subscriptionId,
      resourceGroup: c.resourceGroup,
    };
    const region = `${c.subscriptionId}|${c.location}`;
    const clusterP = settle(
      arm.clusterFacts(ref),
      armReason('Reader (or Azure Kubernetes Service Cluster User Role) on the cluster'),
    );
    const regionP = settle(
      run.once(`versions|${region}`, SHARED_TTL_MS.versions, async () => {
        const v = await this.deps.regionVersions(c.subscriptionId, c.location);
        if (v === undefined) throw new Error(`no Kubernetes versions known for ${c.location}`);
        return v;
      }),
      (e) => e.message,
    );
    const kubeP = this.readKube(plan, ref, run, clusterP);
    const cluster = await clusterP;
    const pooled = cluster.ok ? poolsOfSteps(plan, cluster.value) : [];
    const subnetIds = [
      ...new Set(
        pooled.flatMap((p) => [p.vnetSubnetId, p.podSubnetId]).filter((x): x is string => x !== undefined),
      ),
    ];
    const subnets = new Map<string, Known<SubnetUsage>>();
    const needsCompute = pooled.length > 0;
    const [computeUsages, skus] = await Promise.all([
      needsCompute
        ? settle(
            run.once(`usages|${region}`, SHARED_TTL_MS.usages, () =>
              arm.computeUsages(c.subscriptionId, c.location),
            ),
            armReason('Microsoft.Compute/locations/usages/read on the subscription'),
          )
        : Promise.resolve(unknownFact<readonly ComputeUsage[]>('not read: no pool surges')),
      needsCompute
        ? settle(
            run.once(
              `skus|${region}`,
              SHARED_TTL_MS.skus,
              async () =>
                new Map(
                  (await arm.vmSkus(c.subscriptionId, c.location)).map((s): [string, VmSku] => [
                    s.name.toLowerCase(),
                    s,
                  ]),
                ),
            ),
            armReason('Microsoft.Compute/skus/read on the subscription'),
          )
        : Promise.resolve(unknownFact<ReadonlyMap<string, VmSku>>('not read: no pool surges')),
      ...subnetIds.map(async (id) => {
        const vnet = id.replace(/\/subnets\/[^/]+$/i, '');
        const all = await settle(
          run.once(`vnet|${vnet}`, SHARED_TTL_MS.vnet, () =>
            arm.subnetUsages(subscriptionOf(vnet) ?? c.subscriptionId, vnet),
          ),
          armReason(
            'Microsoft.Network/virtualNetworks/read and …/subnets/read on the virtual network (Network Reader)',
          ),
        );
        if (!all.ok) subnets.set(id.toLowerCase(), all);
        else {
          const mine = all.value.find((u) => u.id.toLowerCase() === id.toLowerCase());
          subnets.set(
            id.toLowerCase(),
            mine ? known(mine) : unknownFact(`the virtual network's usages list no subnet ${id}`),
          );
        }
      }),
    ]);
    const kube = await kubeP;
    return preflightReport(
      {
        plan: {
          kind: plan.kind,
          to: plan.to,
          ring: c.ring,
          steps: plan.steps,
          ...(plan.window !== undefined && { window: plan.window }),
        },
        cluster,
        region: await regionP,
        subnets,
        computeUsages,
        skus,
        ...kube,
        timing: this.deps.policy.preflight.timing,
      },
      this.blocking(plan),
      this.deps.now(),
    );
  }

  private async readKube(
    plan: Plan,
    ref: Parameters<PreflightArm['kubeEndpoint']>[0],
    run: PreflightRun,
    clusterP: Promise<Known<ClusterFacts>>,
  ): Promise<KubeFacts> {
    const minor = plan.kind === 'minor';
    const all = (e: unknown): KubeFacts => {
      const reason = `the Kubernetes API could not be reached: ${armReason('Azure Kubernetes Service Cluster User Role on the cluster (listClusterUserCredential) and a token for the AKS server application')(ensureError(e))}`;
      return {
        nodes: unknownFact<readonly PreflightNode[]>(reason),
        pdbs: unknownFact<readonly KubePdb[]>(reason),
        ...(minor && { deprecated: unknownFact<readonly DeprecatedApiUse[]>(reason) }),
      };
    };
    const key = plan.cluster.id;
    const readEndpoint = () => this.deps.arm.kubeEndpoint(ref);
    const got = this.endpoints.get(key, readEndpoint);
    let endpoint: KubeEndpoint;
    let token: string;
    try {
      [endpoint, token] = await Promise.all([
        got.value,
        run.once('token', SHARED_TTL_MS.token, () => this.deps.arm.kubeToken()),
      ]);
    } catch (e) {
      return all(e);
    }
    const first = await this.kubeReads(plan, endpoint, token, clusterP);
    if (!got.cached || first.refused === undefined) return first.facts;
    // The kept address or CA was refused (certificates rotated, the cluster moved): read them again
    // once, and a token too after a 401, then every read again.
    this.endpoints.forget(key, got.value);
    try {
      [endpoint, token] = await Promise.all([
        this.endpoints.get(key, readEndpoint).value,
        first.refused === 'unauthorized' ? this.deps.arm.kubeToken() : Promise.resolve(token),
      ]);
    } catch (e) {
      return all(e);
    }
    return (await this.kubeReads(plan, endpoint, token, clusterP)).facts;
  }

  /** One pass of the cluster's Kubernetes reads; `refused` when a GET failed for TLS or with a 401. */
  private async kubeReads(
    plan: Plan,
    endpoint: KubeEndpoint,
    token: string,
    clusterP: Promise<Known<ClusterFacts>>,
  ): Promise<{ facts: KubeFacts; refused?: 'tls' | 'unauthorized' }> {
    const minor = plan.kind === 'minor';
    const client = new KubeClient(endpoint, token, {
      timeoutMs: this.deps.kubeTimeoutMs,
      budgetMs: this.deps.kubeTimeoutMs * KUBE_BUDGET_GETS,
      gate: this.kubeGate,
      ...(this.deps.kubeStats !== undefined && { stats: this.deps.kubeStats }),
    });
    let refused: 'tls' | 'unauthorized' | undefined;
    try {
      const cluster = await clusterP;
      const why = (grant: string) => (e: Error) => {
        if (e instanceof KubeApiError && (e.kind === 'tls' || e.kind === 'unauthorized')) refused ??= e.kind;
        return kubeReason(e, grant, cluster.ok ? cluster.value : undefined);
      };
      const [nodes, pdbs, deprecated] = await Promise.all([
        settle(
          listAll(client, '/api/v1/nodes').then((items) => items.map(nodeFromWire)),
          why(KUBE_GRANT.nodes),
        ),
        settle(
          listAll(client, '/apis/policy/v1/poddisruptionbudgets').then((items) => items.map(pdbFromWire)),
          why(KUBE_GRANT.read),
        ),
        minor
          ? settle(client.get('/metrics').then(parseDeprecatedApiMetric), why(KUBE_GRANT.metrics))
          : undefined,
      ]);
      const pods =
        pdbs.ok && needsPods(pdbs.value)
          ? await settle(
              listAll(
                client,
                '/api/v1/pods?fieldSelector=status.phase%21%3DSucceeded%2Cstatus.phase%21%3DFailed',
              ).then((items) => items.map(podFromWire)),
              why(KUBE_GRANT.read),
            )
          : undefined;
      return {
        facts: {
          nodes,
          pdbs,
          ...(pods !== undefined && { pods }),
          ...(deprecated !== undefined && { deprecated }),
        },
        ...(refused !== undefined && { refused }),
      };
    } finally {
      client.close();
    }
  }
}

/** What pre-flight reads from a cluster's Kubernetes API. */
interface KubeFacts {
  nodes: Known<readonly PreflightNode[]>;
  pdbs: Known<readonly KubePdb[]>;
  pods?: Known<readonly KubePod[]>;
  deprecated?: Known<readonly DeprecatedApiUse[]>;
}

const subscriptionOf = (id: string): string | undefined => /^\/subscriptions\/([^/]+)/i.exec(id)?.[1];

function poolsOfSteps(plan: Plan, cluster: ClusterFacts) {
  const names = new Set(
    plan.steps.flatMap((s) => (s.kind === 'control-plane' ? [] : [s.pool.toLowerCase()])),
  );
  return cluster.pools.filter((p) => names.has(p.name.toLowerCase()));
}

/** A Kubernetes GET's failure as a reason: what happened and what to grant or open. */
function kubeReason(e: Error, grant: string, cluster: ClusterFacts | undefined): string {
  if (!(e instanceof KubeApiError)) return e.message;
  switch (e.kind) {
    case 'forbidden':
      return `${e.message} — grant ${grant}`;
    case 'unauthorized':
      return `${e.message} — the API server refused Warden's token for the AKS server application: the cluster must use Microsoft Entra integration with Warden's tenant, and local accounts cannot be used`;
    case 'tls':
      return `${e.message} — the API server's certificate does not chain to the CA listClusterUserCredential gives for the cluster`;
    case 'unreachable':
    case 'timeout':
      if (cluster?.privateCluster)
        return `${e.message} — a private cluster: its API server is reachable only from its virtual network; give Warden VNet integration with a route and the private DNS zone to it`;
      if ((cluster?.authorizedIpRanges.length ?? 0) > 0)
        return `${e.message} — the API server accepts only its authorized IP ranges (${cluster?.authorizedIpRanges.join(', ')}): add Warden's outbound IP addresses`;
      return e.message;
    case 'http':
      return e.message;
  }
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const labelsOf = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(obj(v)).filter((e): e is [string, string] => typeof e[1] === 'string'));

/** A list with `limit` / `continue` paging. */
async function listAll(client: KubeClient, path: string): Promise<Obj[]> {
  const items: Obj[] = [];
  let cont: string | undefined;
  for (let page = 0; page < 100; page++) {
    const sep = path.includes('?') ? '&' : '?';
    const text = await client.get(
      `${path}${sep}limit=500${cont !== undefined ? `&continue=${encodeURIComponent(cont)}` : ''}`,
    );
    const body = obj(JSON.parse(text));
    items.push(...(Array.isArray(body.items) ? body.items.map(obj) : []));
    cont = str(obj(body.metadata).continue);
    if (cont === undefined || cont === '') break;
  }
  return items;
}

function nodeFromWire(n: Obj): PreflightNode {
  const meta = obj(n.metadata);
  const labels = labelsOf(meta.labels);
  const status = obj(n.status);
  const info = obj(status.nodeInfo);
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(obj) : [];
  const pool = labels['kubernetes.azure.com/agentpool'] ?? labels.agentpool;
  const image = labels['kubernetes.azure.com/node-image-version'];
  return {
    name: str(meta.name) ?? '',
    ...(pool !== undefined && { pool }),
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    cordoned: obj(n.spec).unschedulable === true,
    kernel: str(info.kernelVersion) ?? '',
    osImage: str(info.osImage) ?? '',
    kubelet: str(info.kubeletVersion) ?? '',
    ...(image !== undefined && { nodeImage: image }),
  };
}

function podFromWire(p: Obj): KubePod {
  const meta = obj(p.metadata);
  const nodeName = str(obj(p.spec).nodeName);
  return {
    namespace: str(meta.namespace) ?? '',
    name: str(meta.name) ?? '',
    ...(nodeName !== undefined && { nodeName }),
    labels: labelsOf(meta.labels),
  };
}

function pdbFromWire(p: Obj): KubePdb {
  const meta = obj(p.metadata);
  const spec = obj(p.spec);
  const status = obj(p.status);
  const intOrString = (v: unknown): number | string | undefined =>
    typeof v === 'number' || typeof v === 'string' ? v : undefined;
  const n = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  const sel = spec.selector;
  const selector =
    sel === undefined || sel === null
      ? undefined
      : {
          matchLabels: labelsOf(obj(sel).matchLabels),
          matchExpressions: (Array.isArray(obj(sel).matchExpressions)
            ? (obj(sel).matchExpressions as unknown[])
            : []
          ).map((e) => {
            const x = obj(e);
            return {
              key: str(x.key) ?? '',
              operator: str(x.operator) ?? '',
              values: Array.isArray(x.values)
                ? x.values.filter((v): v is string => typeof v === 'string')
                : [],
            };
          }),
        };
  const out: KubePdb = {
    namespace: str(meta.namespace) ?? '',
    name: str(meta.name) ?? '',
    ...(n(meta.generation) !== undefined && { generation: n(meta.generation) }),
    ...(n(status.observedGeneration) !== undefined && { observedGeneration: n(status.observedGeneration) }),
    ...(intOrString(spec.minAvailable) !== undefined && { minAvailable: intOrString(spec.minAvailable) }),
    ...(intOrString(spec.maxUnavailable) !== undefined && {
      maxUnavailable: intOrString(spec.maxUnavailable),
    }),
    ...(selector !== undefined && { selector }),
    ...(n(status.disruptionsAllowed) !== undefined && { disruptionsAllowed: n(status.disruptionsAllowed) }),
    ...(n(status.currentHealthy) !== undefined && { currentHealthy: n(status.currentHealthy) }),
    ...(n(status.desiredHealthy) !== undefined && { desiredHealthy: n(status.desiredHealthy) }),
    ...(n(status.expectedPods) !== undefined && { expectedPods: n(status.expectedPods) }),
  };
  return out;
}

/**
 * `POST /api/plans/{planId}/preflight`: runs pre-flight for an open plan now (its own run: every fact
 * read again; only the API server's address and CA may be the kept ones) and records the report on
 * the plan. 409 for a closed plan.
 */
export async function recheckPreflight(
  deps: PlanCommandDeps & { readonly preflight: Preflight; readonly now: () => Date },
  planId: string,
  by: By,
): Promise<PlanPreflight> {
  const stored = await deps.plans.get(planId);
  if (!stored) throw new NotFoundError(`no plan ${planId}`);
  if (!isOpen(stored.plan.status))
    throw new ConflictError(`plan ${planId} is ${stored.plan.status}: nothing to check`);
  if (stored.plan.kind === 'fleet-gate')
    throw new ConflictError(
      `plan ${planId} decides a Fleet Manager gate: Fleet runs its upgrade, and each member's own plan carries its pre-flight`,
    );
  const report = await deps.preflight.check(stored.plan, deps.preflight.newRun());
  await applyPlanEvent(
    deps,
    planId,
    (p) => (isOpen(p.status) ? { type: 'PreflightChecked', report, by } : undefined),
    deps.now,
  );
  return report;
}

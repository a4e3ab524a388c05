import type { AgentPool, MaintenanceConfiguration, ManagedCluster } from '@azure/arm-containerservice';
import { ContainerServiceClient } from '@azure/arm-containerservice';
import { ResourceGraphClient } from '@azure/arm-resourcegraph';
import type { TokenCredential } from '@azure/core-auth';
import type { HttpClient, PipelineResponse } from '@azure/core-rest-pipeline';
import { createDefaultHttpClient, createPipelineRequest } from '@azure/core-rest-pipeline';

import type { ClusterRef } from '../domain/armId';
import { clusterId, parseClusterId } from '../domain/armId';
import type { MaintenanceConfigurationSnapshot, NodePoolSnapshot } from '../domain/cluster';
import type { RegionVersions } from '../domain/versions';
import { TransientError } from '../errors';
import type {
  AksGateway,
  ArmCluster,
  ArmPool,
  ClusterUpgradeProfile,
  InventoryCluster,
  InventoryPage,
  InventoryScope,
  OperationStatus,
  StartedOperation,
} from './aksGateway';
import type { RawFailure } from './armErrors';
import { retryAfterMs, toWardenError } from './armErrors';
import { CallGate, CallStats, gatePolicy } from './callGate';
import {
  clusterFromWire,
  desiredFromWire,
  maintenanceFromWire,
  poolFromWire,
  regionVersionsFromWire,
} from './wire';

/** The api-version the SDK sends (docs/design/azure-arm.md); appended to poll URLs that lack one, as the SDK does. */
const AKS_API_VERSION = '2026-06-01';
/** Resource Graph answers at most 1,000 rows per page. */
export const INVENTORY_PAGE_SIZE = 1000;

/**
 * The inventory's rows: what a snapshot needs of each managed cluster (pool versions, node images and
 * max surge sit in `agentPoolProfiles`). The selector tag is applied by the caller: tag names are
 * case-insensitive in ARM but not in KQL's `tags['name']`. One cluster's row adds a `where id`.
 */
const INVENTORY_ROWS = [
  'resources',
  "| where type =~ 'microsoft.containerservice/managedclusters'",
  '| extend kubernetesVersion = properties.kubernetesVersion, currentKubernetesVersion = properties.currentKubernetesVersion,' +
    ' supportPlan = properties.supportPlan, autoUpgradeProfile = properties.autoUpgradeProfile,' +
    ' provisioningState = properties.provisioningState, agentPoolProfiles = properties.agentPoolProfiles,' +
    ' nodeProvisioningProfile = properties.nodeProvisioningProfile',
  '| project id, name, location, subscriptionId, resourceGroup, tags, sku, kubernetesVersion, currentKubernetesVersion,' +
    ' supportPlan, autoUpgradeProfile, provisioningState, agentPoolProfiles, nodeProvisioningProfile',
];
/** The inventory query, ordered by id so `$skipToken` paging is stable. */
export const INVENTORY_QUERY = [...INVENTORY_ROWS, '| order by id asc'].join('\n');

export interface ArmClientsOptions {
  /** ARM base URL (Azure's, or a loopback simulator's). */
  readonly endpoint: string;
  readonly credential: TokenCredential;
  /** CA of a loopback simulator's self-signed certificate. */
  readonly caCertPem?: string;
  /** Calls in flight per subscription (ARM throttles per subscription and region). Default 8. */
  readonly concurrencyPerSubscription?: number;
  /** Resource Graph queries in flight (its quota is per caller: 15 per 5 s). Default 2. */
  readonly resourceGraphConcurrency?: number;
  /** SDK retries on 429 / 5xx / network errors (Retry-After honoured). Default 5. */
  readonly maxRetries?: number;
}

/**
 * The SDK clients, one ContainerServiceClient per subscription (it is bound to one), all sharing the
 * per-subscription {@link CallGate}s and one {@link CallStats}. Only the endpoint, TLS CA and
 * credential differ between Azure and the local simulator.
 */
export class ArmClients {
  readonly stats = new CallStats();
  private readonly gates = new Map<string, CallGate>();
  private readonly clients = new Map<string, ContainerServiceClient>();
  private graph: ResourceGraphClient | undefined;
  private readonly http: HttpClient = createDefaultHttpClient();
  private readonly insecure: boolean;

  constructor(private readonly options: ArmClientsOptions) {
    this.insecure = new URL(options.endpoint).protocol === 'http:';
  }

  gate(scope: string): CallGate {
    const key = scope.toLowerCase();
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new CallGate(
        key === '~resourcegraph'
          ? (this.options.resourceGraphConcurrency ?? 2)
          : (this.options.concurrencyPerSubscription ?? 8),
      );
      this.gates.set(key, gate);
    }
    return gate;
  }

  private clientOptions(scope: string, kind: string) {
    return {
      endpoint: this.options.endpoint,
      ...(this.options.caCertPem !== undefined && { tlsOptions: { ca: this.options.caCertPem } }),
      ...(this.insecure && { allowInsecureConnection: true }),
      retryOptions: { maxRetries: this.options.maxRetries ?? 5 },
      additionalPolicies: [
        { policy: gatePolicy(this.gate(scope), this.stats, kind), position: 'perRetry' as const },
      ],
    };
  }

  /** Plain http works only without the bearer policy (core-rest-pipeline refuses tokens over http). */
  private dropBearer(pipeline: { removePolicy(o: { name: string }): unknown }): void {
    if (this.insecure) pipeline.removePolicy({ name: 'bearerTokenAuthenticationPolicy' });
  }

  containerService(subscriptionId: string): ContainerServiceClient {
    const key = subscriptionId.toLowerCase();
    let client = this.clients.get(key);
    if (!client) {
      client = new ContainerServiceClient(
        this.options.credential,
        subscriptionId,
        this.clientOptions(subscriptionId, 'arm'),
      );
      this.dropBearer(client.pipeline);
      this.clients.set(key, client);
    }
    return client;
  }

  resourceGraph(): ResourceGraphClient {
    if (!this.graph) {
      this.graph = new ResourceGraphClient(
        this.options.credential,
        this.clientOptions('~resourcegraph', 'resourceGraph'),
      );
      this.dropBearer(this.graph.pipeline);
    }
    return this.graph;
  }

  /** GET an absolute URL (a poll URL) through the subscription's pipeline: auth, TLS, retries, gate. */
  async get(subscriptionId: string, url: string): Promise<PipelineResponse> {
    const withVersion = new URL(url).searchParams.has('api-version')
      ? url
      : `${url}${url.includes('?') ? '&' : '?'}api-version=${AKS_API_VERSION}`;
    return this.send(subscriptionId, 'GET', withVersion);
  }

  /**
   * Any ARM request through the subscription's pipeline (the same credential, TLS, retry policies and
   * call gate as the SDK calls): for the operations no SDK here speaks (Fleet Manager gates, 2026-06-01).
   * `path` is relative to the ARM endpoint, or absolute.
   */
  async send(
    subscriptionId: string,
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    options: { readonly body?: unknown; readonly headers?: Readonly<Record<string, string>> } = {},
  ): Promise<PipelineResponse> {
    const client = this.containerService(subscriptionId);
    const url = /^https?:/.test(path) ? path : `${this.options.endpoint.replace(/\/$/, '')}${path}`;
    const request = createPipelineRequest({ url, method, allowInsecureConnection: this.insecure });
    for (const [k, v] of Object.entries(options.headers ?? {})) request.headers.set(k, v);
    if (options.body !== undefined) {
      request.headers.set('content-type', 'application/json');
      request.body = JSON.stringify(options.body);
    }
    return client.pipeline.sendRequest(this.http, request);
  }
}

/** What `onResponse` hands us (a structural subset of core-client's FullOperationResponse). */
interface RawResponse {
  readonly status: number;
  readonly bodyAsText?: string | null;
  readonly headers: { get(name: string): string | undefined };
}

type OnResponse = (raw: RawResponse) => void;

/** Watches the responses of one SDK call: keeps the failure (for code + subcode) and the last raw answer. */
class Watch {
  failure: RawFailure | undefined;
  last: RawResponse | undefined;
  readonly onResponse: OnResponse = (raw) => {
    this.last = raw;
    if (raw.status >= 400) {
      const wait = retryAfterMs((n) => raw.headers.get(n));
      this.failure = {
        status: raw.status,
        ...(raw.bodyAsText !== undefined && raw.bodyAsText !== null && { bodyText: raw.bodyAsText }),
        ...(wait !== undefined && { retryAfterMs: wait }),
      };
    }
  };
}

function startedFrom(raw: RawResponse | undefined): StartedOperation {
  if (!raw) throw new Error('ARM gave no initial response');
  const async = raw.headers.get('azure-asyncoperation') ?? raw.headers.get('operation-location');
  const location = raw.headers.get('location');
  const retry = raw.headers.get('retry-after');
  const retryAfterSeconds = retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined;
  const pollUrl = async ?? location;
  if (raw.status !== 201 && raw.status !== 202 && pollUrl === undefined) return { httpStatus: raw.status };
  return {
    httpStatus: raw.status,
    ...(pollUrl !== undefined && { pollUrl }),
    ...(pollUrl !== undefined && { pollKind: async !== undefined ? 'azure-async-operation' : 'location' }),
    ...(location !== undefined && { locationUrl: location }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
  };
}

/**
 * The SDK's maintenance model is the wire `properties` flattened, except that its serializer calls
 * `toISOString()` on dates (`startDate`, `notAllowedDates`, `notAllowedTime`): turn those strings into Dates.
 */
function maintenanceModelFromWire(properties: Record<string, unknown>): MaintenanceConfiguration {
  const toDate = (v: unknown): unknown =>
    typeof v === 'string' ? new Date(/^\d{4}-\d{2}-\d{2}$/.test(v) ? `${v}T00:00:00Z` : v) : v;
  const spans = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map((x: Record<string, unknown>) => ({ ...x, start: toDate(x.start), end: toDate(x.end) }))
      : v;
  const window = properties.maintenanceWindow as Record<string, unknown> | undefined;
  return {
    ...properties,
    ...(properties.notAllowedTime !== undefined && { notAllowedTime: spans(properties.notAllowedTime) }),
    ...(window !== undefined && {
      maintenanceWindow: {
        ...window,
        ...(window.startDate !== undefined && { startDate: toDate(window.startDate) }),
        ...(window.notAllowedDates !== undefined && { notAllowedDates: spans(window.notAllowedDates) }),
      },
    }),
  } as MaintenanceConfiguration;
}

function parseJson(text: string | null | undefined): unknown {
  if (text === undefined || text === null || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The {@link AksGateway} over the production SDKs (`@azure/arm-containerservice`, `@azure/arm-resourcegraph`). */
export class ArmAksGateway implements AksGateway {
  constructor(readonly clients: ArmClients) {}

  private async call<T>(what: string, run: (watch: Watch) => Promise<T>): Promise<T> {
    const watch = new Watch();
    try {
      return await run(watch);
    } catch (e) {
      throw toWardenError(e, what, watch.failure);
    }
  }

  async inventory(scope: InventoryScope, skipToken?: string): Promise<InventoryPage> {
    return this.resourceGraph('Resource Graph inventory query', INVENTORY_QUERY, scope, skipToken);
  }

  async inventoryCluster(scope: InventoryScope, cluster: ClusterRef): Promise<InventoryCluster | undefined> {
    // Names of resource groups and clusters never hold a quote; refuse one rather than escape it into KQL.
    const id = clusterId(cluster.subscriptionId, cluster.resourceGroup, cluster.name);
    if (!/^[\w/.()-]+$/.test(id)) return undefined;
    const query = [...INVENTORY_ROWS, `| where id =~ '${id}'`].join('\n');
    const page = await this.resourceGraph(`Resource Graph query for ${cluster.name}`, query, scope);
    return page.clusters.find((c) => parseClusterId(c.id)?.key === cluster.key);
  }

  private async resourceGraph(
    what: string,
    query: string,
    scope: InventoryScope,
    skipToken?: string,
  ): Promise<InventoryPage> {
    const response = await this.call(what, (w) =>
      this.clients.resourceGraph().resources(
        {
          query,
          ...(scope.kind === 'subscriptions' && { subscriptions: [...scope.subscriptionIds] }),
          ...(scope.kind === 'managementGroup' && { managementGroups: [scope.managementGroupId] }),
          options: {
            top: INVENTORY_PAGE_SIZE,
            resultFormat: 'objectArray',
            ...(skipToken !== undefined && { skipToken }),
          },
        },
        { onResponse: w.onResponse },
      ),
    );
    // Truncated without a $skipToken means rows are missing; a sweep must not take the rest as deleted.
    if (
      response.resultTruncated === 'true' &&
      (response.skipToken === undefined || response.skipToken === '')
    )
      throw new TransientError(
        'Resource Graph truncated the inventory without a $skipToken; not using a partial fleet',
      );
    const rows: unknown[] = Array.isArray(response.data) ? (response.data as unknown[]) : [];
    const clusters = rows.map(clusterFromWire).filter((c): c is InventoryCluster => c !== undefined);
    return {
      clusters,
      ...(response.skipToken !== undefined && response.skipToken !== '' && { skipToken: response.skipToken }),
    };
  }

  async listKubernetesVersions(subscriptionId: string, location: string): Promise<RegionVersions> {
    return this.call(`listKubernetesVersions ${location}`, async (w) => {
      await this.clients.containerService(subscriptionId).managedClusters.listKubernetesVersions(location, {
        onResponse: w.onResponse,
      });
      return regionVersionsFromWire(location, parseJson(w.last?.bodyAsText));
    });
  }

  async latestNodeImage(cluster: ClusterRef, poolName: string): Promise<string | undefined> {
    const profile = await this.call(`pool upgrade profile ${cluster.name}/${poolName}`, (w) =>
      this.clients
        .containerService(cluster.subscriptionId)
        .agentPools.getUpgradeProfile(cluster.resourceGroup, cluster.name, poolName, {
          onResponse: w.onResponse,
        }),
    );
    return profile.latestNodeImageVersion;
  }

  async getCluster(cluster: ClusterRef): Promise<ArmCluster> {
    return this.call(`get cluster ${cluster.name}`, async (w) => {
      await this.clients
        .containerService(cluster.subscriptionId)
        .managedClusters.get(cluster.resourceGroup, cluster.name, { onResponse: w.onResponse });
      const body = parseJson(w.last?.bodyAsText);
      const parsed = clusterFromWire(body);
      if (!parsed) throw new Error(`ARM returned an unreadable cluster for ${cluster.id}`);
      return { ...parsed, ...desiredFromWire(body) };
    });
  }

  async getPool(cluster: ClusterRef, poolName: string): Promise<ArmPool> {
    return this.call(`get pool ${cluster.name}/${poolName}`, async (w) => {
      await this.clients
        .containerService(cluster.subscriptionId)
        .agentPools.get(cluster.resourceGroup, cluster.name, poolName, { onResponse: w.onResponse });
      const body = parseJson(w.last?.bodyAsText) as
        { eTag?: unknown; properties?: { orchestratorVersion?: unknown } } | undefined;
      const pool = poolFromWire(body);
      if (!pool) throw new Error(`ARM returned an unreadable pool ${poolName} of ${cluster.id}`);
      const desired = body?.properties?.orchestratorVersion;
      return {
        ...pool,
        desiredOrchestratorVersion:
          typeof desired === 'string' && desired !== '' ? desired : pool.orchestratorVersion,
        ...(typeof body?.eTag === 'string' && { eTag: body.eTag }),
      };
    });
  }

  async listPools(cluster: ClusterRef): Promise<NodePoolSnapshot[]> {
    return this.call(`list pools ${cluster.name}`, async (w) => {
      const pools: NodePoolSnapshot[] = [];
      const pages: unknown[] = [];
      for await (const _ of this.clients
        .containerService(cluster.subscriptionId)
        .agentPools.list(cluster.resourceGroup, cluster.name, {
          onResponse: (raw) => {
            w.onResponse(raw);
            pages.push(parseJson(raw.bodyAsText));
          },
        }));
      for (const page of pages) {
        const value = (page as { value?: unknown } | undefined)?.value;
        for (const p of Array.isArray(value) ? value : []) {
          const pool = poolFromWire(p);
          if (pool) pools.push(pool);
        }
      }
      return pools;
    });
  }

  async getUpgradeProfile(cluster: ClusterRef): Promise<ClusterUpgradeProfile> {
    const watch = new Watch();
    try {
      await this.clients
        .containerService(cluster.subscriptionId)
        .managedClusters.getUpgradeProfile(cluster.resourceGroup, cluster.name, {
          onResponse: watch.onResponse,
        });
    } catch (e) {
      // SDK 25.5.0 throws on `agentPoolProfiles: null`, which the live service returns
      // (docs/design/azure-arm.md §c, surprise 2); the raw body is fine, so read that.
      if (watch.last?.status !== 200)
        throw toWardenError(e, `upgrade profile ${cluster.name}`, watch.failure);
    }
    const body = parseJson(watch.last?.bodyAsText) as
      | { properties?: { controlPlaneProfile?: Record<string, unknown>; agentPoolProfiles?: unknown } }
      | undefined;
    const cp = body?.properties?.controlPlaneProfile ?? {};
    const upgrades = Array.isArray(cp.upgrades) ? (cp.upgrades as Record<string, unknown>[]) : [];
    const pools = body?.properties?.agentPoolProfiles;
    return {
      controlPlaneVersion: typeof cp.kubernetesVersion === 'string' ? cp.kubernetesVersion : '',
      upgrades: upgrades
        .filter((u) => typeof u.kubernetesVersion === 'string')
        .map((u) => ({ kubernetesVersion: u.kubernetesVersion as string, isPreview: u.isPreview === true })),
      ...(Array.isArray(pools) && {
        pools: (pools as Record<string, unknown>[]).map((p) => ({
          name: typeof p.name === 'string' ? p.name : '',
          kubernetesVersion: typeof p.kubernetesVersion === 'string' ? p.kubernetesVersion : '',
        })),
      }),
    };
  }

  async listMaintenanceConfigurations(cluster: ClusterRef): Promise<MaintenanceConfigurationSnapshot[]> {
    return this.call(`maintenance configurations ${cluster.name}`, async (w) => {
      const pages: unknown[] = [];
      for await (const _ of this.clients
        .containerService(cluster.subscriptionId)
        .maintenanceConfigurations.listByManagedCluster(cluster.resourceGroup, cluster.name, {
          onResponse: (raw) => {
            w.onResponse(raw);
            pages.push(parseJson(raw.bodyAsText));
          },
        }));
      return pages.flatMap((page) => {
        const value = (page as { value?: unknown } | undefined)?.value;
        return (Array.isArray(value) ? value : [])
          .map(maintenanceFromWire)
          .filter((m): m is MaintenanceConfigurationSnapshot => m !== undefined);
      });
    });
  }

  async startControlPlaneUpgrade(
    cluster: ClusterRef,
    kubernetesVersion: string,
    options: { ifMatch?: string; forceUpgradeUntil?: Date } = {},
  ): Promise<StartedOperation> {
    const client = this.clients.containerService(cluster.subscriptionId);
    const current: ManagedCluster = await this.call(`get cluster ${cluster.name}`, (w) =>
      client.managedClusters.get(cluster.resourceGroup, cluster.name, { onResponse: w.onResponse }),
    );
    const body: ManagedCluster = {
      ...current,
      kubernetesVersion,
      // As `az aks upgrade --control-plane-only` sends it (docs/design/runner.md §3): pools as read, so they keep
      // their versions; `nodeImageVersion` cleared (writable since the 2026 models, sending it back asks
      // for a rollback, notes §h); `servicePrincipalProfile` dropped (a GET never returns the secret).
      agentPoolProfiles: current.agentPoolProfiles?.map((p) => ({ ...p, nodeImageVersion: undefined })),
      servicePrincipalProfile: undefined,
      ...(options.forceUpgradeUntil !== undefined && {
        upgradeSettings: {
          ...current.upgradeSettings,
          overrideSettings: { forceUpgrade: true, until: options.forceUpgradeUntil },
        },
      }),
    };
    const ifMatch = options.ifMatch ?? current.eTag;
    return this.start(`upgrade control plane of ${cluster.name} to ${kubernetesVersion}`, (onResponse) =>
      client.managedClusters.createOrUpdate(cluster.resourceGroup, cluster.name, body, {
        onResponse,
        ...(ifMatch !== undefined && { ifMatch }),
      }),
    );
  }

  async startPoolUpgrade(
    cluster: ClusterRef,
    poolName: string,
    orchestratorVersion: string,
    options: { ifMatch?: string } = {},
  ): Promise<StartedOperation> {
    const client = this.clients.containerService(cluster.subscriptionId);
    const current: AgentPool = await this.call(`get pool ${cluster.name}/${poolName}`, (w) =>
      client.agentPools.get(cluster.resourceGroup, cluster.name, poolName, { onResponse: w.onResponse }),
    );
    const body: AgentPool = { ...current, orchestratorVersion, nodeImageVersion: undefined };
    const ifMatch = options.ifMatch ?? current.eTag;
    return this.start(`upgrade pool ${cluster.name}/${poolName} to ${orchestratorVersion}`, (onResponse) =>
      client.agentPools.createOrUpdate(cluster.resourceGroup, cluster.name, poolName, body, {
        onResponse,
        ...(ifMatch !== undefined && { ifMatch }),
      }),
    );
  }

  startNodeImageUpgrade(cluster: ClusterRef, poolName: string): Promise<StartedOperation> {
    const client = this.clients.containerService(cluster.subscriptionId);
    return this.start(`node image upgrade ${cluster.name}/${poolName}`, (onResponse) =>
      client.agentPools.upgradeNodeImageVersion(cluster.resourceGroup, cluster.name, poolName, {
        onResponse,
      }),
    );
  }

  abortOperation(cluster: ClusterRef, poolName?: string): Promise<StartedOperation> {
    const client = this.clients.containerService(cluster.subscriptionId);
    return this.start(
      `abort on ${cluster.name}${poolName !== undefined ? `/${poolName}` : ''}`,
      (onResponse) =>
        poolName === undefined
          ? client.managedClusters.abortLatestOperation(cluster.resourceGroup, cluster.name, { onResponse })
          : client.agentPools.abortLatestOperation(cluster.resourceGroup, cluster.name, poolName, {
              onResponse,
            }),
    );
  }

  async putMaintenanceConfiguration(
    cluster: ClusterRef,
    configName: string,
    properties: Record<string, unknown>,
  ): Promise<MaintenanceConfigurationSnapshot> {
    const client = this.clients.containerService(cluster.subscriptionId);
    return this.call(`put maintenance configuration ${cluster.name}/${configName}`, async (w) => {
      await client.maintenanceConfigurations.createOrUpdate(
        cluster.resourceGroup,
        cluster.name,
        configName,
        maintenanceModelFromWire(properties),
        { onResponse: w.onResponse },
      );
      return maintenanceFromWire(parseJson(w.last?.bodyAsText)) ?? { name: configName, properties };
    });
  }

  async operationStatus(subscriptionId: string, pollUrl: string): Promise<OperationStatus> {
    let response: PipelineResponse;
    try {
      response = await this.clients.get(subscriptionId, pollUrl);
    } catch (e) {
      throw toWardenError(e, 'operation status');
    }
    const header = (n: string): string | undefined => response.headers.get(n) ?? undefined;
    if (response.status >= 400) {
      const wait = retryAfterMs(header);
      throw toWardenError(
        Object.assign(new Error(`operation status answered ${response.status}`), {
          statusCode: response.status,
        }),
        'operation status',
        {
          status: response.status,
          ...(response.bodyAsText !== undefined &&
            response.bodyAsText !== null && { bodyText: response.bodyAsText }),
          ...(wait !== undefined && { retryAfterMs: wait }),
        },
      );
    }
    const retry = header('retry-after');
    const retryAfterSeconds = retry !== undefined && /^\d+$/.test(retry) ? Number(retry) : undefined;
    const extra = retryAfterSeconds !== undefined ? { retryAfterSeconds } : {};
    if (response.status === 202) return { status: 'running', ...extra };
    // 204 (the live node-image final Location, notes §b.4) and a bodiless 200 mean done.
    const body = parseJson(response.bodyAsText) as
      | { status?: unknown; error?: { code?: unknown; message?: unknown }; percentComplete?: unknown }
      | undefined;
    if (response.status === 204 || typeof body?.status !== 'string') return { status: 'succeeded', ...extra };
    const armStatus = body.status;
    const s = armStatus.toLowerCase();
    const status: OperationStatus['status'] = s.includes('succeeded')
      ? 'succeeded'
      : s.includes('fail')
        ? 'failed'
        : s === 'canceled' || s === 'cancelled'
          ? 'canceled'
          : 'running';
    const code = typeof body.error?.code === 'string' ? body.error.code : undefined;
    const message = typeof body.error?.message === 'string' ? body.error.message : undefined;
    return {
      status,
      armStatus,
      ...((code !== undefined || message !== undefined) && {
        error: { ...(code !== undefined && { code }), ...(message !== undefined && { message }) },
      }),
      ...(typeof body.percentComplete === 'number' && { percentComplete: body.percentComplete }),
      ...extra,
    };
  }

  /**
   * Sends the initial request of a long-running operation and returns its poll URL without waiting.
   * The poller is never awaited (awaiting a PollerLike polls to the end); `submitted()` resolves once
   * the initial response is in, and `onResponse` has its `Azure-AsyncOperation` / `Location`.
   */
  private async start(
    what: string,
    begin: (onResponse: OnResponse) => { submitted(): Promise<void> },
  ): Promise<StartedOperation> {
    const watch = new Watch();
    try {
      const poller = begin(watch.onResponse);
      await poller.submitted();
    } catch (e) {
      // 304: the pool is already on the latest node image (azure-cli-extensions #5989); nothing started.
      if (watch.last?.status === 304) return { httpStatus: 304 };
      throw toWardenError(e, what, watch.failure);
    }
    return startedFrom(watch.last);
  }
}

import type { TokenCredential } from '@azure/core-auth';
import { parse as parseYaml } from 'yaml';

import type { ClusterRef } from '../domain/armId';
import type { ClusterFacts, ComputeUsage, PoolFacts, SubnetUsage, VmSku } from '../domain/preflightChecks';
import type { ArmClients } from './armAksGateway';
import { retryAfterMs, toWardenError } from './armErrors';
import type { KubeEndpoint } from './kubeApi';
import { AKS_SERVER_APP_SCOPE } from './kubeApi';

/**
 * What pre-flight reads from ARM. The Network and Compute reads are direct GETs over
 * `@azure/core-rest-pipeline` through the subscription's pipeline of {@link ArmClients} (the same
 * credential, TLS, retry policy, per-subscription gate and call counter as every other ARM call),
 * not `@azure/arm-network` / `@azure/arm-compute`: three GETs do not justify two SDKs of several MB
 * each in the deployment bundle (cold start) nor their Node ≥ 22 engines. The cluster and its user
 * kubeconfig come through `@azure/arm-containerservice`, as every other AKS call.
 */
export interface PreflightArm {
  /** The cluster as pre-flight needs it (network profile, API server access, pools with subnets). */
  clusterFacts(cluster: ClusterRef): Promise<ClusterFacts>;
  /** Server URL and CA from `listClusterUserCredential` (its Entra kubeconfig carries no credential). */
  kubeEndpoint(cluster: ClusterRef): Promise<KubeEndpoint>;
  /** `virtualNetworks/{vnet}/usages`: one entry per subnet of the VNet. */
  subnetUsages(subscriptionId: string, vnetId: string): Promise<SubnetUsage[]>;
  /** Compute `locations/{location}/usages`: regional and per-family vCPUs. */
  computeUsages(subscriptionId: string, location: string): Promise<ComputeUsage[]>;
  /** Resource SKUs of the region (virtual machines only): family and vCPUs per size. */
  vmSkus(subscriptionId: string, location: string): Promise<VmSku[]>;
  /** A token for the AKS Entra server application, from Warden's own credential. */
  kubeToken(): Promise<string>;
}

/** api-versions of the direct reads (Microsoft.Network and Microsoft.Compute REST references). */
export const NETWORK_API_VERSION = '2024-05-01';
export const COMPUTE_USAGES_API_VERSION = '2024-07-01';
export const RESOURCE_SKUS_API_VERSION = '2021-07-01';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The cluster's ARM body as pre-flight reads it. */
export function clusterFactsFromWire(raw: unknown): ClusterFacts {
  const p = obj(obj(raw).properties);
  const net = obj(p.networkProfile);
  const access = obj(p.apiServerAccessProfile);
  const pools = Array.isArray(p.agentPoolProfiles) ? p.agentPoolProfiles : [];
  const plugin = str(net.networkPlugin);
  return {
    ...(str(p.provisioningState) !== undefined && { provisioningState: str(p.provisioningState) }),
    kubernetesVersion: str(p.currentKubernetesVersion) ?? str(p.kubernetesVersion) ?? '',
    ...(plugin !== undefined && { networkPlugin: plugin }),
    ...(str(net.networkPluginMode) !== undefined && { networkPluginMode: str(net.networkPluginMode) }),
    privateCluster: access.enablePrivateCluster === true,
    authorizedIpRanges: Array.isArray(access.authorizedIPRanges)
      ? access.authorizedIPRanges.filter((x): x is string => typeof x === 'string')
      : [],
    pools: pools.map((raw): PoolFacts => {
      const x = obj(raw);
      const maxSurge = str(obj(x.upgradeSettings).maxSurge);
      const vnet = str(x.vnetSubnetID);
      const pod = str(x.podSubnetID);
      const state = str(x.provisioningState);
      return {
        name: str(x.name) ?? '',
        mode: str(x.mode) ?? 'User',
        count: num(x.count) ?? 0,
        vmSize: str(x.vmSize) ?? '',
        // AKS defaults when unset: 30 with Azure CNI (node subnet), 110 otherwise (AKS IP planning).
        maxPods:
          num(x.maxPods) ?? (plugin === 'azure' && str(net.networkPluginMode) === undefined ? 30 : 110),
        ...(maxSurge !== undefined && { maxSurge }),
        ...(vnet !== undefined && { vnetSubnetId: vnet }),
        ...(pod !== undefined && { podSubnetId: pod }),
        orchestratorVersion: str(x.currentOrchestratorVersion) ?? str(x.orchestratorVersion) ?? '',
        ...(state !== undefined && { provisioningState: state }),
      };
    }),
  };
}

/** Server and CA of the first cluster in a kubeconfig (YAML or JSON text). */
export function kubeEndpointFromKubeconfig(text: string): KubeEndpoint {
  const doc = obj(parseYaml(text));
  const clusters = Array.isArray(doc.clusters) ? doc.clusters : [];
  const first = obj(obj(clusters[0]).cluster);
  const server = str(first.server);
  if (server === undefined) throw new Error('the kubeconfig names no cluster server');
  const ca = str(first['certificate-authority-data']);
  return { server, ...(ca !== undefined && { caPem: Buffer.from(ca, 'base64').toString('utf8') }) };
}

export function subnetUsagesFromWire(raw: unknown): SubnetUsage[] {
  const value = obj(raw).value;
  return (Array.isArray(value) ? value : []).flatMap((v): SubnetUsage[] => {
    const u = obj(v);
    const id = str(u.id);
    const current = num(u.currentValue);
    const limit = num(u.limit);
    return id !== undefined && current !== undefined && limit !== undefined
      ? [{ id, currentValue: current, limit }]
      : [];
  });
}

export function computeUsagesFromWire(raw: unknown): ComputeUsage[] {
  const value = obj(raw).value;
  return (Array.isArray(value) ? value : []).flatMap((v): ComputeUsage[] => {
    const u = obj(v);
    const name = str(obj(u.name).value);
    const current = num(u.currentValue);
    const limit = num(u.limit);
    const localized = str(obj(u.name).localizedValue);
    return name !== undefined && current !== undefined && limit !== undefined
      ? [{ name, currentValue: current, limit, ...(localized !== undefined && { localizedName: localized }) }]
      : [];
  });
}

export function vmSkusFromWire(raw: unknown, location: string): VmSku[] {
  const value = obj(raw).value;
  const loc = location.toLowerCase();
  return (Array.isArray(value) ? value : []).flatMap((v): VmSku[] => {
    const s = obj(v);
    if (str(s.resourceType) !== 'virtualMachines') return [];
    const locations = Array.isArray(s.locations) ? s.locations : [];
    if (!locations.some((l) => typeof l === 'string' && l.toLowerCase() === loc)) return [];
    const caps = Array.isArray(s.capabilities) ? s.capabilities.map(obj) : [];
    const vcpus = Number(str(caps.find((c) => c.name === 'vCPUs')?.value) ?? Number.NaN);
    const name = str(s.name);
    const family = str(s.family);
    return name !== undefined && family !== undefined && Number.isFinite(vcpus)
      ? [{ name, family, vcpus }]
      : [];
  });
}

/** {@link PreflightArm} over the production SDK and the ARM pipeline of {@link ArmClients}. */
export class ArmPreflight implements PreflightArm {
  constructor(
    private readonly clients: ArmClients,
    private readonly endpoint: string,
    private readonly credential: TokenCredential,
  ) {}

  async clusterFacts(cluster: ClusterRef): Promise<ClusterFacts> {
    let body: string | null | undefined;
    let failure: { status: number; bodyText?: string } | undefined;
    try {
      await this.clients
        .containerService(cluster.subscriptionId)
        .managedClusters.get(cluster.resourceGroup, cluster.name, {
          onResponse: (r) => {
            body = r.bodyAsText;
            if (r.status >= 400)
              failure = {
                status: r.status,
                ...(r.bodyAsText !== null && r.bodyAsText !== undefined && { bodyText: r.bodyAsText }),
              };
          },
        });
    } catch (e) {
      throw toWardenError(e, `get cluster ${cluster.name}`, failure);
    }
    return clusterFactsFromWire(JSON.parse(body ?? '{}'));
  }

  async kubeEndpoint(cluster: ClusterRef): Promise<KubeEndpoint> {
    let failure: { status: number; bodyText?: string } | undefined;
    try {
      const result = await this.clients
        .containerService(cluster.subscriptionId)
        .managedClusters.listClusterUserCredentials(cluster.resourceGroup, cluster.name, {
          onResponse: (r) => {
            if (r.status >= 400)
              failure = {
                status: r.status,
                ...(r.bodyAsText !== null && r.bodyAsText !== undefined && { bodyText: r.bodyAsText }),
              };
          },
        });
      const value = result.kubeconfigs?.[0]?.value;
      if (value === undefined)
        throw new Error(`listClusterUserCredential returned no kubeconfig for ${cluster.name}`);
      return kubeEndpointFromKubeconfig(Buffer.from(value).toString('utf8'));
    } catch (e) {
      throw toWardenError(e, `listClusterUserCredential ${cluster.name}`, failure);
    }
  }

  async subnetUsages(subscriptionId: string, vnetId: string): Promise<SubnetUsage[]> {
    return subnetUsagesFromWire(
      await this.getJson(
        subscriptionId,
        `${vnetId}/usages?api-version=${NETWORK_API_VERSION}`,
        `usages of ${vnetId}`,
      ),
    );
  }

  async computeUsages(subscriptionId: string, location: string): Promise<ComputeUsage[]> {
    const path = `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/locations/${location}/usages?api-version=${COMPUTE_USAGES_API_VERSION}`;
    return computeUsagesFromWire(await this.getJson(subscriptionId, path, `compute usages in ${location}`));
  }

  async vmSkus(subscriptionId: string, location: string): Promise<VmSku[]> {
    const filter = encodeURIComponent(`location eq '${location}'`);
    const path = `/subscriptions/${subscriptionId}/providers/Microsoft.Compute/skus?api-version=${RESOURCE_SKUS_API_VERSION}&$filter=${filter}`;
    return vmSkusFromWire(await this.getJson(subscriptionId, path, `resource SKUs in ${location}`), location);
  }

  async kubeToken(): Promise<string> {
    const token = await this.credential.getToken(AKS_SERVER_APP_SCOPE);
    if (token === null) throw new Error(`no token for ${AKS_SERVER_APP_SCOPE}`);
    return token.token;
  }

  /** One GET through the subscription's pipeline, following `nextLink` pages. */
  private async getJson(subscriptionId: string, path: string, what: string): Promise<unknown> {
    let url: string | undefined = `${this.endpoint.replace(/\/$/, '')}${path}`;
    const values: unknown[] = [];
    for (let page = 0; url !== undefined && page < 50; page++) {
      let response;
      try {
        response = await this.clients.get(subscriptionId, url);
      } catch (e) {
        throw toWardenError(e, what);
      }
      const text = response.bodyAsText ?? '';
      if (response.status >= 400) {
        const wait = retryAfterMs((n) => response.headers.get(n));
        throw toWardenError(
          Object.assign(new Error(`${what} answered ${response.status}`), { statusCode: response.status }),
          what,
          { status: response.status, bodyText: text, ...(wait !== undefined && { retryAfterMs: wait }) },
        );
      }
      const body = obj(JSON.parse(text || '{}'));
      if (Array.isArray(body.value)) values.push(...(body.value as unknown[]));
      url = str(body.nextLink);
    }
    return { value: values };
  }
}

import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { LOOPBACK_CERT_PEM, LOOPBACK_KEY_PEM } from '../certs/loopbackCert';
import { ROTATED_CERT_PEM, ROTATED_KEY_PEM } from '../certs/rotatedCert';
import type { SimContext } from '../context';
import type { SimCluster } from '../fleetFile/fleet';
import { clusterKey } from '../fleetFile/fleet';
import { renderMetrics, renderNodes, renderPdbs, renderPods } from './model';

/**
 * The Kubernetes API of every simulated cluster, on one loopback https port: cluster
 * `sub/rg/name` answers under `/k8s/{sub}/{rg}/{name}` (the server URL its kubeconfig names), with
 * the loopback certificate as its CA. It checks the bearer token (the AKS server application's, as
 * the simulator's credential issues it), answers 403 the way Kubernetes RBAC does for a read the
 * cluster's `kube.access` does not grant, and never answers a caller outside the cluster's
 * authorized IP ranges (the API server's firewall drops it: the client times out).
 */
export interface KubeServer {
  readonly url: string;
  /** Requests received, answers by status, and requests being answered now and at most at once. */
  readonly stats: { calls: number; byStatus: Record<string, number>; inFlight: number; peakInFlight: number };
  setLatency(ms: number): void;
  /** The CA its certificate chains to now (what each cluster's kubeconfig carries). */
  caPem(): string;
  /**
   * As `az aks rotate-certs` does to a cluster: the server presents a certificate of another CA
   * from its next connection on (every cluster's, as they share one port), and kubeconfigs carry it.
   */
  rotateCertificates(): void;
  close(): Promise<void>;
}

/** The token the simulator's static credential issues for the AKS Entra server application. */
export const SIM_TOKEN = 'warden-local-simulator.6dae42f8-4368-4678-94ff-3960e28e3630';

export function kubeServerUrl(base: string, c: SimCluster): string {
  return `${base}/k8s/${c.subscriptionId}/${c.resourceGroup}/${c.name}`;
}

function ipv4(text: string): number | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (!m) return undefined;
  return m.slice(1).reduce((n, x) => n * 256 + Number(x), 0);
}

/** True when 127.0.0.1 is inside one of the ranges (`a.b.c.d` or `a.b.c.d/n`). */
export function allowsLoopback(ranges: readonly string[]): boolean {
  const me = ipv4('127.0.0.1') ?? 0;
  return ranges.some((r) => {
    const [ip = '', bits = '32'] = r.split('/');
    const base = ipv4(ip);
    const n = Number(bits);
    if (base === undefined || !(n >= 0 && n <= 32)) return false;
    const mask = n === 0 ? 0 : (0xffffffff << (32 - n)) >>> 0;
    return (base & mask) >>> 0 === (me & mask) >>> 0;
  });
}

function status(code: number, reason: string, message: string): { code: number; body: unknown } {
  return {
    code,
    body: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code },
  };
}

export async function startKubeServer(
  ctx: SimContext,
  options: { latencyMs: number; token?: string },
): Promise<KubeServer> {
  const stats = { calls: 0, byStatus: {} as Record<string, number>, inFlight: 0, peakInFlight: 0 };
  let latency = options.latencyMs;
  const pairs = [
    { cert: LOOPBACK_CERT_PEM, key: LOOPBACK_KEY_PEM },
    { cert: ROTATED_CERT_PEM, key: ROTATED_KEY_PEM },
  ] as const;
  let current = 0;
  const token = options.token ?? SIM_TOKEN;
  const server = createServer(
    { cert: LOOPBACK_CERT_PEM, key: LOOPBACK_KEY_PEM },
    (req: IncomingMessage, res: ServerResponse) => {
      stats.inFlight++;
      stats.peakInFlight = Math.max(stats.peakInFlight, stats.inFlight);
      res.on('close', () => stats.inFlight--);
      void (async () => {
        stats.calls++;
        const url = new URL(req.url ?? '/', 'https://127.0.0.1');
        const m = /^\/k8s\/([^/]+)\/([^/]+)\/([^/]+)(\/.*)$/.exec(url.pathname);
        const c = m ? ctx.fleet.clusters.get(clusterKey(m[1] ?? '', m[2] ?? '', m[3] ?? '')) : undefined;
        const reply = (code: number, body: unknown, type = 'application/json'): void => {
          stats.byStatus[code] = (stats.byStatus[code] ?? 0) + 1;
          const text = typeof body === 'string' ? body : JSON.stringify(body);
          res.writeHead(code, { 'content-type': type, 'content-length': String(Buffer.byteLength(text)) });
          res.end(text);
        };
        if (!c || !m)
          return reply(404, status(404, 'NotFound', 'the server could not find the requested resource').body);
        // Outside the authorized IP ranges the API server never answers.
        if (
          c.apiServerAccess.authorizedIPRanges.length > 0 &&
          !allowsLoopback(c.apiServerAccess.authorizedIPRanges)
        )
          return;
        const wait = latency + (c.kube.delayMs ?? 0);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait).unref());
        if (req.headers.authorization !== `Bearer ${token}`) {
          const s = status(401, 'Unauthorized', 'Unauthorized');
          return reply(s.code, s.body);
        }
        const path = m[4] ?? '/';
        const access = c.kube.access;
        const user = 'User "00000000-0000-0000-0000-5e1f1de4717f"';
        const deny = (resource: string, group: string): boolean => {
          const nonResource = resource.startsWith('/');
          const azure =
            ': User does not have access to the resource in Azure. Update role assignment to allow access.';
          const message = nonResource
            ? `forbidden: ${user} cannot get path "${resource}"`
            : `${resource} is forbidden: ${user} cannot list resource "${resource}" in API group "${group}" at the cluster scope`;
          if (access === 'none' || (access === 'rbac-reader' && (resource === 'nodes' || nonResource))) {
            const s = status(403, 'Forbidden', access === 'none' ? message : `${message}${azure}`);
            reply(s.code, s.body);
            return true;
          }
          return false;
        };
        const list = (kind: string, items: unknown[]) =>
          reply(200, { kind, apiVersion: 'v1', metadata: { resourceVersion: String(Date.now()) }, items });
        if (req.method !== 'GET')
          return reply(405, status(405, 'MethodNotAllowed', 'the simulator serves reads only').body);
        switch (path) {
          case '/api/v1/nodes':
            return deny('nodes', '') ? undefined : list('NodeList', renderNodes(c));
          case '/api/v1/pods':
            return deny('pods', '') ? undefined : list('PodList', renderPods(c));
          case '/apis/policy/v1/poddisruptionbudgets':
            return deny('poddisruptionbudgets', 'policy')
              ? undefined
              : list('PodDisruptionBudgetList', renderPdbs(c));
          case '/api/v1/events':
            return deny('events', '')
              ? undefined
              : list(
                  'EventList',
                  renderNodes(c)
                    .filter((n) => JSON.stringify(n).includes('NodeStatusUnknown'))
                    .map((n) => ({
                      metadata: {
                        namespace: 'default',
                        name: `${String((n.metadata as { name: string }).name)}.ready`,
                      },
                      involvedObject: { kind: 'Node', name: (n.metadata as { name: string }).name },
                      reason: 'NodeNotReady',
                      type: 'Normal',
                      message: 'Node status is now: NodeNotReady',
                    })),
                );
          case '/metrics':
            return deny('/metrics', '')
              ? undefined
              : reply(200, renderMetrics(c.deprecatedApiUsage), 'text/plain; version=0.0.4');
          case '/version':
            return reply(200, {
              major: '1',
              minor: c.currentKubernetesVersion.split('.')[1],
              gitVersion: `v${c.currentKubernetesVersion}`,
            });
          default:
            return reply(
              404,
              status(404, 'NotFound', 'the server could not find the requested resource').body,
            );
        }
      })();
    },
  );
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    stats,
    setLatency(ms) {
      latency = ms;
    },
    caPem: () => pairs[current]!.cert,
    rotateCertificates() {
      current = (current + 1) % pairs.length;
      server.setSecureContext({ ...pairs[current]! });
      // Connections kept alive still speak with the old certificate: close them, as a restarted API server does.
      server.closeIdleConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

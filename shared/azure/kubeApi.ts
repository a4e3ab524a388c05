import { Agent, request } from 'node:https';

import { CallGate } from './callGate';

/**
 * A handful of GETs against one cluster's Kubernetes API over `node:https`, with the cluster's CA
 * and an Entra bearer token for the AKS server application. Chosen over `@kubernetes/client-node`:
 * pre-flight needs four read-only GETs (nodes, pods, PDBs, `/metrics`); client-node 2.x is ESM-only
 * and needs Node ≥ 22.19 (this code also runs on Node 20), 1.x pulls in a large dependency tree for
 * the cold start, and neither adds anything to a bearer GET with a pinned CA. No kubeconfig
 * credential, no kubelogin, no admin credential: the token comes from Warden's own identity.
 */

/** The AKS Microsoft Entra server application: the audience of tokens the API server accepts. */
export const AKS_SERVER_APP_SCOPE = '6dae42f8-4368-4678-94ff-3960e28e3630/.default';

/** Where a cluster's API server is, as `listClusterUserCredential`'s kubeconfig says. */
export interface KubeEndpoint {
  readonly server: string;
  /** PEM of `certificate-authority-data`; absent: the system CAs. */
  readonly caPem?: string;
}

/** `tls`: the server's certificate does not chain to the CA Warden was given (or fails its checks). */
export type KubeFailureKind = 'unauthorized' | 'forbidden' | 'unreachable' | 'timeout' | 'tls' | 'http';

/** Node's codes for a certificate the client refused (OpenSSL verify errors and Node's own). */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** True for a refused certificate: the cached CA may be stale (`az aks rotate-certs`). */
export function isTlsFailureCode(code: string | undefined): boolean {
  return code !== undefined && (TLS_CODES.has(code) || code.startsWith('ERR_SSL_'));
}

/** A GET that did not answer 200, with what kind of failure it was (for the check's reason). */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(
    message: string,
    readonly kind: KubeFailureKind,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** Counts the Kubernetes API calls (the bench reads it). */
export class KubeStats {
  calls = 0;
  failures = 0;
}

export interface KubeClientOptions {
  /** Per GET, from when it is sent until its body has arrived (not only between bytes). */
  readonly timeoutMs: number;
  /** All of this client's GETs: once used up, a GET fails at once as a timeout. */
  readonly budgetMs?: number;
  /** Shared by every client of a process: at most its concurrency GETs in flight over all clusters. */
  readonly gate?: CallGate;
  readonly stats?: KubeStats;
}

/** GETs in flight to one cluster's API server at a time (and its connections). */
export const KUBE_PER_CLUSTER = 3;

/** One cluster's Kubernetes API: `get(path)` answers the body text of a 200, or throws {@link KubeApiError}. */
export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;
  private readonly own = new CallGate(KUBE_PER_CLUSTER);
  private readonly startedAt = Date.now();

  constructor(
    readonly endpoint: KubeEndpoint,
    private readonly token: string,
    private readonly options: KubeClientOptions,
  ) {
    this.base = new URL(endpoint.server);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: KUBE_PER_CLUSTER,
      ...(endpoint.caPem !== undefined && { ca: endpoint.caPem }),
    });
  }

  /** One GET, after a place in this cluster's and the process's limits; the timeout runs from when it is sent. */
  get(path: string): Promise<string> {
    const global = this.options.gate;
    return this.own.run(() => (global ? global.run(() => this.send(path)) : this.send(path)));
  }

  private send(path: string): Promise<string> {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const url = new URL(`${prefix}${path}`, this.base);
    const budget = this.options.budgetMs;
    const left = budget === undefined ? Infinity : this.startedAt + budget - Date.now();
    if (left <= 0)
      return Promise.reject(
        new KubeApiError(`GET ${path}: not sent, this cluster's reads used their ${budget} ms`, 'timeout'),
      );
    const timeoutMs = Math.min(this.options.timeoutMs, left);
    if (this.options.stats) this.options.stats.calls++;
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const fail = (e: KubeApiError): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (this.options.stats) this.options.stats.failures++;
        reject(e);
      };
      const req = request(
        url,
        {
          method: 'GET',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json, text/plain' },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => fail(new KubeApiError(e.message, 'unreachable')));
          res.on('end', () => {
            if (done) return;
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 200) {
              done = true;
              clearTimeout(timer);
              return resolve(text);
            }
            const message = kubeStatusMessage(text) ?? `HTTP ${status}`;
            const kind: KubeFailureKind =
              status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'http';
            fail(new KubeApiError(`GET ${path}: ${status} ${message}`, kind, status));
          });
        },
      );
      const timer = setTimeout(() => {
        fail(new KubeApiError(`GET ${path}: no answer in ${timeoutMs} ms`, 'timeout'));
        req.destroy();
      }, timeoutMs);
      req.on('error', (e: NodeJS.ErrnoException) => {
        const tls = isTlsFailureCode(e.code);
        fail(new KubeApiError(`GET ${path}: ${e.code ?? e.message}`, tls ? 'tls' : 'unreachable'));
      });
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The `message` of a Kubernetes `Status` body, when the answer is one. */
function kubeStatusMessage(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { kind?: unknown; message?: unknown };
    return body.kind === 'Status' && typeof body.message === 'string' ? body.message : undefined;
  } catch {
    return undefined;
  }
}

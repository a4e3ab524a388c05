import { Agent, request } from 'node:https';

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

export type KubeFailureKind = 'unauthorized' | 'forbidden' | 'unreachable' | 'timeout' | 'http';

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
  readonly timeoutMs: number;
  readonly stats?: KubeStats;
}

/** One cluster's Kubernetes API: `get(path)` answers the body text of a 200, or throws {@link KubeApiError}. */
export class KubeClient {
  private readonly agent: Agent;
  private readonly base: URL;

  constructor(
    readonly endpoint: KubeEndpoint,
    private readonly token: string,
    private readonly options: KubeClientOptions,
  ) {
    this.base = new URL(endpoint.server);
    this.agent = new Agent({
      keepAlive: true,
      maxSockets: 4,
      ...(endpoint.caPem !== undefined && { ca: endpoint.caPem }),
    });
  }

  get(path: string): Promise<string> {
    const prefix = this.base.pathname.replace(/\/$/, '');
    const url = new URL(`${prefix}${path}`, this.base);
    if (this.options.stats) this.options.stats.calls++;
    return new Promise<string>((resolve, reject) => {
      let done = false;
      const fail = (e: KubeApiError): void => {
        if (done) return;
        done = true;
        if (this.options.stats) this.options.stats.failures++;
        reject(e);
      };
      const req = request(
        url,
        {
          method: 'GET',
          agent: this.agent,
          headers: { authorization: `Bearer ${this.token}`, accept: 'application/json, text/plain' },
          timeout: this.options.timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => fail(new KubeApiError(e.message, 'unreachable')));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            if (status === 200) {
              done = true;
              return resolve(text);
            }
            const message = kubeStatusMessage(text) ?? `HTTP ${status}`;
            const kind: KubeFailureKind =
              status === 401 ? 'unauthorized' : status === 403 ? 'forbidden' : 'http';
            fail(new KubeApiError(`GET ${path}: ${status} ${message}`, kind, status));
          });
        },
      );
      req.on('timeout', () => {
        req.destroy();
        fail(new KubeApiError(`GET ${path}: no answer in ${this.options.timeoutMs} ms`, 'timeout'));
      });
      req.on('error', (e: NodeJS.ErrnoException) => {
        fail(new KubeApiError(`GET ${path}: ${e.code ?? e.message}`, 'unreachable'));
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

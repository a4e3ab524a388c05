import { LOOPBACK_CERT_PEM } from '../certs/loopbackCert';
import type { SimContext } from '../context';
import { findCluster } from '../context';
import type { SimCluster } from '../fleetFile/fleet';
import { kubeServerUrl } from '../kube/server';
import type { Route, SimRequest, SimResponse } from '../router';
import { CLUSTER_PREFIX, ok, routesOn } from '../router';

/**
 * `POST …/listClusterUserCredential`: `{ kubeconfigs: [{ name: 'clusterUser', value: <base64> }] }`.
 * For an Entra cluster the kubeconfig carries no credential of its own, only the server, its CA and
 * a kubelogin exec stanza (the caller brings an Entra token). A private cluster's server is its
 * `privatelink` FQDN, resolvable only inside its virtual network.
 */
function server(ctx: SimContext, c: SimCluster): string {
  if (c.apiServerAccess.enablePrivateCluster)
    return `https://${c.dnsPrefix}-${c.name.length.toString(16).padStart(8, '0')}.0f1e2d3c-aaaa-4bbb-8ccc-9d8e7f6a5b4c.privatelink.${c.location}.azmk8s.io:443`;
  return kubeServerUrl(ctx.hooks.kubeUrl?.() ?? 'https://127.0.0.1:1', c);
}

export function kubeconfigOf(ctx: SimContext, c: SimCluster): string {
  const ca = Buffer.from(ctx.hooks.kubeCaPem?.() ?? LOOPBACK_CERT_PEM).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- cluster:',
    `    certificate-authority-data: ${ca}`,
    `    server: ${server(ctx, c)}`,
    `  name: ${c.name}`,
    'contexts:',
    '- context:',
    `    cluster: ${c.name}`,
    `    user: clusterUser_${c.resourceGroup}_${c.name}`,
    `  name: ${c.name}`,
    `current-context: ${c.name}`,
    'users:',
    `- name: clusterUser_${c.resourceGroup}_${c.name}`,
    '  user:',
    '    exec:',
    '      apiVersion: client.authentication.k8s.io/v1beta1',
    '      command: kubelogin',
    '      args: [get-token, --environment, AzurePublicCloud, --server-id, 6dae42f8-4368-4678-94ff-3960e28e3630, --login, devicecode]',
    '      interactiveMode: IfAvailable',
    '',
  ].join('\n');
}

function listUserCredential(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const f = findCluster(ctx, sub, rg, name);
  if ('error' in f) return f.error;
  return ok({
    kubeconfigs: [
      { name: 'clusterUser', value: Buffer.from(kubeconfigOf(ctx, f.cluster)).toString('base64') },
    ],
  });
}

export function credentialRoutes(ctx: SimContext): Route[] {
  const on = routesOn(ctx);
  return [on('POST', `${CLUSTER_PREFIX}/listclusterusercredential`, listUserCredential)];
}

/**
 * ARM resource ids of managed clusters. Azure is inconsistent about case (`resourceGroups` vs
 * `resourcegroups`, `managedClusters` vs `managedclusters`), so ids are parsed and compared
 * case-insensitively and a lower-case key is used wherever an id names a record.
 */
export interface ClusterRef {
  /** The id as it arrived, for display and for calling ARM. */
  readonly id: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly name: string;
  /** Lower-case `subscription:resourceGroup:name`; safe as a Table Storage key (no `/ \ # ?`). */
  readonly key: string;
}

const CLUSTER_ID =
  /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\/providers\/microsoft\.containerservice\/managedclusters\/([^/]+)\/?$/i;

/** Parses a managed-cluster ARM id, or returns undefined when the text is not one. */
export function parseClusterId(text: string): ClusterRef | undefined {
  const m = CLUSTER_ID.exec(text.trim());
  if (!m) return undefined;
  const [, subscriptionId = '', resourceGroup = '', name = ''] = m;
  const parts = subscriptionId + resourceGroup + name;
  if (/[\\#?]/.test(parts) || [...parts].some((ch) => ch.charCodeAt(0) < 32 || ch.charCodeAt(0) === 127))
    return undefined;
  return {
    id: text.trim().replace(/\/$/, ''),
    subscriptionId,
    resourceGroup,
    name,
    key: `${subscriptionId}:${resourceGroup}:${name}`.toLowerCase(),
  };
}

/** The canonical id Warden stores: ARM's documented casing, original names. */
export function clusterId(subscriptionId: string, resourceGroup: string, name: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ContainerService/managedClusters/${name}`;
}

/** True when two ids name the same cluster, whatever their case. */
export function sameCluster(a: string, b: string): boolean {
  const ra = parseClusterId(a);
  const rb = parseClusterId(b);
  return ra !== undefined && rb !== undefined && ra.key === rb.key;
}

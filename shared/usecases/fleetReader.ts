import type { AksGateway } from '../azure/aksGateway';
import type { ClusterRef } from '../domain/armId';
import type { ClusterSnapshot } from '../domain/cluster';
import type { Finding } from '../domain/plan';
import type { RegionVersions } from '../domain/versions';
import type { ClusterStore } from '../store/clusterStore';
import type { FleetReader } from './proposePlans';

/**
 * A region's version list changes when AKS releases, which is exactly when NewKubernetesVersionAvailable
 * arrives: keep it briefly, so a burst of events for one region costs one ARM read, and a release is
 * seen within a minute.
 */
const REGION_TTL_MS = 60_000;

/**
 * The planning reaction's view of the fleet: the cluster as the sweep last stored it (one storage read;
 * an unknown or deleted cluster is a cheap miss, planned by the next sweep), and the region's versions
 * from ARM, cached per region for a minute.
 */
export function storeFleetReader(
  clusters: Pick<ClusterStore, 'get'>,
  gateway: Pick<AksGateway, 'listKubernetesVersions'>,
  now: () => Date,
): FleetReader {
  const regions = new Map<string, { at: number; value: Promise<RegionVersions> }>();
  const findings = new WeakMap<ClusterSnapshot, readonly Finding[]>();
  return {
    async cluster(ref: ClusterRef): Promise<ClusterSnapshot | undefined> {
      const stored = await clusters.get(ref.subscriptionId, ref.key);
      if (stored === undefined || stored.deletedAt !== undefined) return undefined;
      findings.set(stored.snapshot, stored.findings);
      return stored.snapshot;
    },
    findings(snapshot: ClusterSnapshot): readonly Finding[] {
      return findings.get(snapshot) ?? [];
    },
    regionVersions(subscriptionId: string, location: string): Promise<RegionVersions | undefined> {
      const key = location.toLowerCase();
      const t = now().getTime();
      const cached = regions.get(key);
      if (cached && t - cached.at < REGION_TTL_MS) return cached.value;
      const value = gateway.listKubernetesVersions(subscriptionId, location);
      regions.set(key, { at: t, value });
      value.catch(() => regions.delete(key));
      return value;
    },
  };
}

import type { AksGateway } from '../azure/aksGateway';
import type { ClusterRef } from '../domain/armId';
import type { ClusterSnapshot } from '../domain/cluster';
import type { Finding } from '../domain/plan';
import type { RegionVersions } from '../domain/versions';
import { regionVersionChanges, unlistedVersions } from '../domain/versions';
import type { ClusterStore, StoredCluster } from '../store/clusterStore';
import type { FleetReader } from './proposePlans';

/**
 * A region's version list changes when AKS releases, which is exactly when NewKubernetesVersionAvailable
 * arrives: keep it briefly, so a burst of events for one region costs one ARM read. An announcement
 * naming a version the kept read lacks refreshes it at once (see {@link storeFleetReader}).
 */
const REGION_TTL_MS = 60_000;

/** Unknown clusters swept on sight, per instance and minute (Resource Graph allows 15 queries / 5 s). */
export const ADOPTIONS_PER_MINUTE = 10;
/** A cluster found out of scope (or not selected) is not looked up again for this long. */
const OUT_OF_SCOPE_TTL_MS = 10 * 60_000;

/**
 * Sweeps one cluster the store does not know ({@link sweepOneCluster} with the sweep's scope and
 * selector); undefined when it is not in scope, not selected, or gone.
 */
export type SweepOne = (
  ref: ClusterRef,
  regionVersions: (subscriptionId: string, location: string) => Promise<RegionVersions | undefined>,
) => Promise<StoredCluster | undefined>;

/**
 * The planning reaction's view of the fleet: the cluster as the sweep last stored it (one storage
 * read), and the region's versions from ARM, cached per region for a minute.
 *
 * `regionVersions(…, announced)` with the versions an event announces: when the kept read does not
 * list one of them, the region is read again before the answer, so a release is planned when it is
 * announced even if another event of the region filled the cache a moment before. Concurrent callers
 * share the one refresh, and a version a refresh did not find either (ARM lagging the event) does not
 * trigger another until the minute is up. A read that differs from the one before is logged
 * (`region westeurope: Kubernetes versions changed: +1.36.4`).
 *
 * A cluster the store does not know (onboarded since the last sweep, or Warden just deployed) is
 * swept on sight with `sweepOne` when given, so the event that named it is planned now rather than
 * at the next hourly sweep: at most {@link ADOPTIONS_PER_MINUTE} a minute on this instance (a release
 * announced to a whole unswept fleet is the sweep's job), one lookup per cluster at a time, and a
 * cluster found out of scope is not asked about again for ten minutes. A failed lookup is logged and
 * left to the sweep, never retried through the event.
 */
export function storeFleetReader(
  clusters: Pick<ClusterStore, 'get'>,
  gateway: Pick<AksGateway, 'listKubernetesVersions'>,
  now: () => Date,
  options?: { readonly sweepOne?: SweepOne; readonly log: (line: string) => void },
): FleetReader {
  /** One read per region: when it was started, and the announced versions it was started to find. */
  interface RegionRead {
    readonly at: number;
    readonly value: Promise<RegionVersions>;
    readonly lookedFor: ReadonlySet<string>;
  }
  const regions = new Map<string, RegionRead>();
  const lastSeen = new Map<string, RegionVersions>();
  const findings = new WeakMap<ClusterSnapshot, readonly Finding[]>();
  const adopting = new Map<string, Promise<StoredCluster | undefined>>();
  const outOfScope = new Map<string, number>();
  let minute = { start: 0, used: 0 };

  function read(
    key: string,
    subscriptionId: string,
    location: string,
    lookedFor: ReadonlySet<string>,
  ): RegionRead {
    const value = gateway.listKubernetesVersions(subscriptionId, location).then((region) => {
      const before = lastSeen.get(key);
      lastSeen.set(key, region);
      if (before !== undefined) {
        const { added, removed } = regionVersionChanges(before, region);
        if (added.length + removed.length > 0)
          options?.log(
            `region ${location}: Kubernetes versions changed: ${[...added.map((v) => `+${v}`), ...removed.map((v) => `-${v}`)].join(', ')}`,
          );
      }
      return region;
    });
    const entry = { at: now().getTime(), value, lookedFor };
    regions.set(key, entry);
    value.catch(() => {
      if (regions.get(key) === entry) regions.delete(key);
    });
    return entry;
  }

  async function regionVersions(
    subscriptionId: string,
    location: string,
    announced: readonly string[] = [],
  ): Promise<RegionVersions | undefined> {
    const key = location.toLowerCase();
    let refreshed = false;
    for (;;) {
      const cached = regions.get(key);
      const entry =
        cached && now().getTime() - cached.at < REGION_TTL_MS
          ? cached
          : read(key, subscriptionId, location, new Set(announced));
      const region = await entry.value;
      if (announced.length === 0) return region;
      // Another caller replaced the read meanwhile: judge the newer one.
      if (regions.get(key) !== entry) continue;
      const unknown = unlistedVersions(region, announced);
      if (unknown.length === 0) return region;
      if (unknown.every((v) => entry.lookedFor.has(v))) {
        if (refreshed)
          options?.log(
            `region ${location}: announced ${unknown.join(', ')}, which ARM does not list yet; the next read or sweep plans it`,
          );
        return region;
      }
      read(key, subscriptionId, location, new Set([...entry.lookedFor, ...announced]));
      refreshed = true;
    }
  }

  function adopt(ref: ClusterRef): Promise<StoredCluster | undefined> {
    const sweepOne = options?.sweepOne;
    const log = options?.log ?? (() => {});
    if (sweepOne === undefined) return Promise.resolve(undefined);
    const pending = adopting.get(ref.key);
    if (pending) return pending;
    const t = now().getTime();
    if ((outOfScope.get(ref.key) ?? 0) > t) return Promise.resolve(undefined);
    if (t - minute.start >= 60_000) minute = { start: t, used: 0 };
    if (minute.used >= ADOPTIONS_PER_MINUTE) {
      log(`cluster ${ref.name} is not known yet; this minute's lookups are spent, the sweep will plan it`);
      return Promise.resolve(undefined);
    }
    minute.used++;
    const lookup = (async () => {
      try {
        const found = await sweepOne(ref, (sub, location) => regionVersions(sub, location));
        if (found === undefined) {
          if (outOfScope.size > 10_000) outOfScope.clear();
          outOfScope.set(ref.key, t + OUT_OF_SCOPE_TTL_MS);
          log(
            `cluster ${ref.name} is not in Warden's scope, lacks the selector tag, or is gone; not planned`,
          );
        } else {
          log(`cluster ${ref.name} was not known yet: swept it now`);
        }
        return found;
      } catch (e) {
        log(
          `cluster ${ref.name} is not known yet and could not be looked up (${e instanceof Error ? e.message : String(e)}); the sweep will plan it`,
        );
        return undefined;
      } finally {
        adopting.delete(ref.key);
      }
    })();
    adopting.set(ref.key, lookup);
    return lookup;
  }

  return {
    async cluster(ref: ClusterRef): Promise<ClusterSnapshot | undefined> {
      const stored = await clusters.get(ref.subscriptionId, ref.key);
      const known = stored !== undefined && stored.deletedAt === undefined ? stored : await adopt(ref);
      if (known === undefined) return undefined;
      findings.set(known.snapshot, known.findings);
      return known.snapshot;
    },
    findings(snapshot: ClusterSnapshot): readonly Finding[] {
      return findings.get(snapshot) ?? [];
    },
    regionVersions,
  };
}

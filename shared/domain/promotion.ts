import type { Ring } from './rings';
import { previousRing } from './rings';
import { compareVersions, parseVersion } from './versions';

/**
 * Promotion between rings: a version may be planned for a ring only after it soaked in the
 * ring before it — every plan to that version there succeeded, the first success is at least the
 * ring's soak old, and none failed. Plans that never ran (rejected, expired, cancelled, superseded)
 * say nothing about the version and are left out. The evidence is kept on the plan and shown on the
 * approval page.
 */

/**
 * One plan to a version in a ring, as the promotion check sees it. Status `observed` is fleet history:
 * a cluster the sweep saw running the version (upgraded before or outside Warden), `succeededAt` being
 * when Warden first saw it so; it counts as a success.
 */
export interface RingPlanRecord {
  readonly planId: string;
  readonly clusterName: string;
  readonly ring: Ring;
  readonly to: string;
  readonly status: string;
  readonly succeededAt?: string;
  readonly failedAt?: string;
}

export interface PromotionEvidence {
  readonly ring: Ring;
  /** The ring the version must have soaked in; undefined for the first ring. */
  readonly lowerRing?: Ring;
  readonly version: string;
  readonly allowed: boolean;
  /** Why, in one sentence a person reads on the approval page. */
  readonly reason: string;
  readonly soakMs: number;
  readonly firstSuccessAt?: string;
  readonly plans: readonly { planId: string; clusterName: string; status: string; at?: string }[];
  readonly checkedAt: string;
}

/**
 * Plans that say nothing about the version: closed without running, or still `proposed` (not admitted
 * to their own ring yet — counting those would let a lower ring that skipped the version block the
 * rings above it for ever).
 */
const NEVER_RAN = new Set(['rejected', 'expired', 'cancelled', 'superseded', 'proposed']);

/** A cluster of the lower ring, the version it runs now, and since when Warden has seen it run it. */
export interface RingCluster {
  readonly clusterName: string;
  readonly version: string;
  readonly since: string;
}

function duration(ms: number): string {
  const h = ms / 3_600_000;
  if (h >= 24) return `${(h / 24).toFixed(h % 24 === 0 ? 0 : 1)} d`;
  if (h >= 1) return `${h.toFixed(h % 1 === 0 ? 0 : 1)} h`;
  const s = Math.ceil(ms / 1000);
  return s >= 60 ? `${Math.ceil(s / 60)} min` : `${s} s`;
}

/** Clusters named in a reason at most: a ring of thousands must not make the sentence (and the plan) thousands long. */
export const REASON_NAMES_MAX = 10;

/** `a, b, c`, or the first {@link REASON_NAMES_MAX} and how many more. */
function someNames(plans: readonly { readonly clusterName: string }[]): string {
  const shown = plans.slice(0, REASON_NAMES_MAX).map((p) => p.clusterName);
  const more = plans.length - shown.length;
  return more > 0 ? `${shown.join(', ')} and ${more} more` : shown.join(', ');
}

/** `2026-12-01 21:17 UTC`: reasons are read later (in an email, on a page), so they carry no "ago". */
function utc(iso: string): string {
  return `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** The lower ring's plans to `version` that say something about it (see {@link NEVER_RAN}). */
function relevantPlans(
  lowerRing: Ring,
  version: string,
  lowerRingPlans: readonly RingPlanRecord[],
): RingPlanRecord[] {
  return lowerRingPlans.filter((p) => p.ring === lowerRing && p.to === version && !NEVER_RAN.has(p.status));
}

/**
 * Whether {@link promotionEvidence} would look at `lowerRingClusters` for these plans: only when the
 * lower ring has no plan to the version that ran (none succeeded, failed or is under way). Otherwise
 * the plans decide alone, and the caller need not read what the whole lower ring runs.
 */
export function needsLowerRingClusters(
  lowerRing: Ring,
  version: string,
  lowerRingPlans: readonly RingPlanRecord[],
): boolean {
  // No success (a done plan without its time does not count), no failure, nothing under way.
  return relevantPlans(lowerRing, version, lowerRingPlans).every(
    (p) => (p.status === 'succeeded' || p.status === 'observed') && p.succeededAt === undefined,
  );
}

/**
 * Decides whether `version` may be planned for `ring`, from the plans to it in the ring before.
 * `lowerRing` defaults to the previous ring; the caller passes the nearest lower ring that has clusters
 * (an empty ring has nothing to soak in), or `null` when no lower ring has any. `lowerRingClusters`
 * (what the lower ring runs now) lets a ring that already moved past the version, without ever being
 * planned to it, stop blocking the rings above.
 */
export function promotionEvidence(
  ring: Ring,
  version: string,
  lowerRingPlans: readonly RingPlanRecord[],
  soakMs: number,
  now: Date,
  options: { readonly lowerRing?: Ring | null; readonly lowerRingClusters?: readonly RingCluster[] } = {},
): PromotionEvidence {
  const lowerRing = options.lowerRing === null ? undefined : (options.lowerRing ?? previousRing(ring));
  const base = { ring, version, soakMs, checkedAt: now.toISOString() };
  if (lowerRing === undefined) {
    const reason =
      previousRing(ring) === undefined ? `${ring} is the first ring` : `no ring below ${ring} has clusters`;
    return { ...base, allowed: true, reason, plans: [] };
  }
  const relevant = relevantPlans(lowerRing, version, lowerRingPlans);
  const plans = relevant.map((p) => ({
    planId: p.planId,
    clusterName: p.clusterName,
    status: p.status,
    ...((p.succeededAt ?? p.failedAt) !== undefined && { at: p.succeededAt ?? p.failedAt }),
  }));
  const withPlans = { ...base, lowerRing, plans };
  const done = (p: RingPlanRecord): boolean => p.status === 'succeeded' || p.status === 'observed';
  const succeeded = relevant.filter((p) => done(p) && p.succeededAt !== undefined);
  const failed = relevant.filter((p) => p.status === 'failed');
  const open = relevant.filter((p) => !done(p) && p.status !== 'failed');
  if (failed.length > 0) {
    return {
      ...withPlans,
      allowed: false,
      reason: `${failed.length} plan(s) to ${version} failed in ${lowerRing} (${someNames(failed)})`,
    };
  }
  if (succeeded.length === 0) {
    const below = options.lowerRingClusters ?? [];
    const past = below.filter((c) => parseVersion(c.version) && compareVersions(c.version, version) > 0);
    if (open.length === 0 && below.length > 0 && past.length === below.length) {
      // The whole ring moved past the version: it counts from when the last of its clusters got there,
      // so a ring still being discovered (a first sweep) cannot let the version through early.
      const since =
        past
          .map((c) => c.since)
          .sort()
          .at(-1) ?? base.checkedAt;
      const soaked = now.getTime() - Date.parse(since);
      const versions = [...new Set(past.map((c) => c.version))].join(', ');
      return {
        ...withPlans,
        firstSuccessAt: since,
        allowed: soaked >= soakMs,
        reason:
          soaked >= soakMs
            ? `every cluster in ${lowerRing} already runs a newer version (${versions}), the last since ${utc(since)} (soak ${duration(soakMs)}); ${version} is behind that ring`
            : `every cluster in ${lowerRing} runs a newer version (${versions}); soaked ${duration(Math.max(0, soaked))} of ${duration(soakMs)}`,
      };
    }
    return {
      ...withPlans,
      allowed: false,
      reason:
        open.length > 0
          ? `${open.length} plan(s) to ${version} in ${lowerRing} have not finished (${someNames(open)})`
          : `no plan to ${version} has succeeded in ${lowerRing} yet`,
    };
  }
  const firstSuccessAt = succeeded.map((p) => p.succeededAt ?? '').sort()[0] ?? '';
  const withFirst = { ...withPlans, firstSuccessAt };
  if (open.length > 0) {
    return {
      ...withFirst,
      allowed: false,
      reason: `${open.length} plan(s) to ${version} in ${lowerRing} have not finished (${someNames(open)})`,
    };
  }
  const soaked = now.getTime() - Date.parse(firstSuccessAt);
  if (soaked < soakMs) {
    return {
      ...withFirst,
      allowed: false,
      reason: `${version} has soaked ${duration(Math.max(0, soaked))} of ${duration(soakMs)} in ${lowerRing}`,
    };
  }
  return {
    ...withFirst,
    allowed: true,
    reason: `${succeeded.length} cluster(s) in ${lowerRing} run ${version} (upgraded by Warden or seen by the sweep), the first since ${utc(firstSuccessAt)} (soak ${duration(soakMs)}), none failed`,
  };
}

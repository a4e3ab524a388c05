/**
 * Kubernetes versions as AKS names them: `major.minor.patch` (a `major.minor` means "the latest patch").
 * Pure helpers for comparing, grouping by minor, and the support window of the AKS support policy:
 * supported inside the region's N-2 window, platform support at N-3, unsupported below; LTS clusters
 * follow their LTS window.
 */
export interface Version {
  readonly major: number;
  readonly minor: number;
  /** Undefined for a `major.minor` version. */
  readonly patch?: number;
  readonly text: string;
}

const VERSION = /^v?(\d+)\.(\d+)(?:\.(\d+))?$/;

export function parseVersion(text: string): Version | undefined {
  const m = VERSION.exec(text.trim());
  if (!m) return undefined;
  const major = Number(m[1]);
  const minor = Number(m[2]);
  return m[3] === undefined
    ? { major, minor, text: `${major}.${minor}` }
    : { major, minor, patch: Number(m[3]), text: `${major}.${minor}.${Number(m[3])}` };
}

/** Parses or throws; for versions that came from ARM and must be well-formed. */
export function version(text: string): Version {
  const v = parseVersion(text);
  if (!v) throw new Error(`not a Kubernetes version: "${text}"`);
  return v;
}

/** Orders versions; a `major.minor` sorts before every patch of that minor. */
export function compareVersions(a: Version | string, b: Version | string): number {
  const x = typeof a === 'string' ? version(a) : a;
  const y = typeof b === 'string' ? version(b) : b;
  return x.major - y.major || x.minor - y.minor || (x.patch ?? -1) - (y.patch ?? -1);
}

/** `1.30` for `1.30.3`. */
export function minorOf(v: Version | string): string {
  const x = typeof v === 'string' ? version(v) : v;
  return `${x.major}.${x.minor}`;
}

/** How many minors `b` is ahead of `a` (negative when behind). Majors count as 100 minors. */
export function minorDistance(a: Version | string, b: Version | string): number {
  const x = typeof a === 'string' ? version(a) : a;
  const y = typeof b === 'string' ? version(b) : b;
  return (y.major - x.major) * 100 + (y.minor - x.minor);
}

export function sameMinor(a: Version | string, b: Version | string): boolean {
  return minorDistance(a, b) === 0;
}

/** One minor as a region offers it (from `listKubernetesVersions`). */
export interface OfferedMinor {
  /** `major.minor`. */
  readonly minor: string;
  readonly isPreview: boolean;
  /** Patch versions offered for that minor. */
  readonly patches: readonly string[];
  /** Support plans offered (`KubernetesOfficial`, `AKSLongTermSupport`). */
  readonly supportPlans: readonly string[];
}

/** What a region offers: its minors, newest first. */
export interface RegionVersions {
  readonly location: string;
  readonly minors: readonly OfferedMinor[];
}

export type SupportStatus = 'supported' | 'platform-support' | 'unsupported' | 'lts';

export interface SupportAssessment {
  readonly status: SupportStatus;
  /** How many GA minors the cluster's minor is behind the newest GA minor of its region (0 = newest). */
  readonly minorsBehind: number;
  /** The newest GA minor in the region. */
  readonly newestMinor: string | undefined;
}

/** The GA minors of a region, newest first. */
export function gaMinors(region: RegionVersions): OfferedMinor[] {
  return [...region.minors].filter((m) => !m.isPreview).sort((a, b) => compareVersions(b.minor, a.minor));
}

/**
 * Support status of a cluster's control-plane version in its region. N-2: the newest three GA
 * minors are supported; the fourth (N-3) is in platform support; older are unsupported. A cluster on
 * the LTS plan whose minor the region still offers with `AKSLongTermSupport` is `lts`.
 */
export function assessSupport(
  current: string,
  region: RegionVersions,
  supportPlan?: string,
): SupportAssessment {
  const ga = gaMinors(region);
  const newest = ga[0]?.minor;
  const minor = minorOf(current);
  const behind = newest === undefined ? 0 : minorDistance(minor, newest);
  if (supportPlan === 'AKSLongTermSupport') {
    const offered = region.minors.find((m) => m.minor === minor);
    if (offered?.supportPlans.includes('AKSLongTermSupport'))
      return { status: 'lts', minorsBehind: behind, newestMinor: newest };
  }
  const status: SupportStatus = behind <= 2 ? 'supported' : behind === 3 ? 'platform-support' : 'unsupported';
  return { status, minorsBehind: behind, newestMinor: newest };
}

/**
 * The versions of `versions` that the region does not offer (a patch it lists, or for `major.minor` a
 * minor it lists): what an announcement says that a region read does not know yet.
 */
export function unlistedVersions(region: RegionVersions, versions: readonly string[]): string[] {
  const offered = new Set(
    region.minors.flatMap((m) => [m.minor, ...m.patches].map((p) => parseVersion(p)?.text ?? p)),
  );
  return [...new Set(versions.map((v) => parseVersion(v)?.text ?? v))].filter((v) => !offered.has(v));
}

/** What changed between two reads of a region's versions: patches added and removed. */
export function regionVersionChanges(
  before: RegionVersions,
  after: RegionVersions,
): { readonly added: string[]; readonly removed: string[] } {
  const patches = (r: RegionVersions): string[] =>
    r.minors.flatMap((m) => m.patches.map((p) => `${p}${m.isPreview ? ' (preview)' : ''}`));
  const was = new Set(patches(before));
  const now = new Set(patches(after));
  const order = (list: string[]): string[] =>
    list.sort((a, b) => compareVersions(a.split(' ')[0] ?? a, b.split(' ')[0] ?? b));
  return {
    added: order([...now].filter((p) => !was.has(p))),
    removed: order([...was].filter((p) => !now.has(p))),
  };
}

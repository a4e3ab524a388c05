/**
 * Kubernetes version arithmetic for the simulator: parsing, ordering, and the upgrade paths AKS
 * publishes per region (`listKubernetesVersions`, upgrade profiles).
 */

/** One minor version as a region offers it (the fleet file's `versions[]` entries). */
export interface MinorSpec {
  /** `major.minor`, e.g. `1.35`. */
  readonly version: string;
  /** Full patch versions of this minor, any order; e.g. `["1.35.1", "1.35.3"]`. */
  patches: string[];
  isPreview?: boolean;
  isDefault?: boolean;
  /** `KubernetesOfficial` and/or `AKSLongTermSupport`; default `["KubernetesOfficial"]`. */
  supportPlan?: string[];
}

export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number | undefined;
}

export function parseVersion(text: string): Semver | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: m[3] === undefined ? undefined : Number(m[3]) };
}

/** Orders versions numerically (a missing patch sorts before every patch). */
export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return a.localeCompare(b);
  return x.major - y.major || x.minor - y.minor || (x.patch ?? -1) - (y.patch ?? -1);
}

export function minorOf(version: string): string {
  const v = parseVersion(version);
  return v ? `${v.major}.${v.minor}` : version;
}

/** Minor distance `b - a` (same major assumed; a different major counts as far apart). */
export function minorDistance(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  if (!x || !y) return Number.NaN;
  if (x.major !== y.major) return 1000 * (y.major - x.major);
  return y.minor - x.minor;
}

function sortedPatches(minor: MinorSpec): string[] {
  return [...minor.patches].sort(compareVersions);
}

/** The region's minors, oldest first. */
export function sortedMinors(minors: readonly MinorSpec[]): MinorSpec[] {
  return [...minors].sort((a, b) => compareVersions(a.version, b.version));
}

/** Every patch a version may upgrade to: later patches of its minor and every patch of the next minor. */
export function upgradeTargets(
  minors: readonly MinorSpec[],
  from: string,
): { version: string; isPreview: boolean }[] {
  const out: { version: string; isPreview: boolean }[] = [];
  for (const m of sortedMinors(minors)) {
    const d = minorDistance(from, m.version);
    if (d !== 0 && d !== 1) continue;
    for (const p of sortedPatches(m)) {
      if (compareVersions(p, from) > 0) out.push({ version: p, isPreview: m.isPreview === true });
    }
  }
  return out;
}

/** Latest patch of a minor offered in the region (GA unless the minor itself is preview). */
export function latestPatch(minors: readonly MinorSpec[], minor: string): string | undefined {
  const spec = minors.find((m) => m.version === minorOf(minor));
  if (!spec) return undefined;
  return sortedPatches(spec).at(-1);
}

/** True when the region offers this exact patch. */
export function isOffered(minors: readonly MinorSpec[], version: string): boolean {
  return minors.some((m) => m.patches.includes(version));
}

/** The `values` array of `listKubernetesVersions` (note: `values`, not `value`, as the service sends). */
export function kubernetesVersionsBody(minors: readonly MinorSpec[]): { values: unknown[] } {
  return {
    values: sortedMinors(minors).map((m) => ({
      version: m.version,
      ...(m.isDefault === true && { isDefault: true }),
      ...(m.isPreview === true && { isPreview: true }),
      capabilities: { supportPlan: m.supportPlan ?? ['KubernetesOfficial'] },
      patchVersions: Object.fromEntries(
        sortedPatches(m).map((p) => [p, { upgrades: upgradeTargets(minors, p).map((t) => t.version) }]),
      ),
    })),
  };
}

/**
 * Adds a released version to a region's list: a new patch of a known minor, or a new minor.
 * Returns false when the region already had it.
 */
export function addRelease(minors: MinorSpec[], version: string, preview: boolean): boolean {
  const minor = minorOf(version);
  const spec = minors.find((m) => m.version === minor);
  if (spec) {
    if (spec.patches.includes(version)) return false;
    spec.patches.push(version);
    return true;
  }
  minors.push({
    version: minor,
    patches: [version],
    ...(preview && { isPreview: true }),
    supportPlan: ['KubernetesOfficial'],
  });
  return true;
}

/**
 * The four versions NewKubernetesVersionAvailable carries, from a region's list as it applies to a
 * cluster's support plan: latest supported (highest GA), latest stable (highest patch of the GA
 * minor below it), lowest minor (highest patch of the lowest minor the plan may run), latest preview.
 */
export function versionAnnouncement(
  minors: readonly MinorSpec[],
  supportPlan = 'KubernetesOfficial',
): {
  latestSupportedKubernetesVersion: string;
  latestStableKubernetesVersion: string;
  lowestMinorKubernetesVersion: string;
  latestPreviewKubernetesVersion: string;
} {
  const sorted = sortedMinors(minors).filter((m) =>
    (m.supportPlan ?? ['KubernetesOfficial']).includes(supportPlan),
  );
  const ga = sorted.filter((m) => m.isPreview !== true && m.patches.length > 0);
  const preview = sorted.filter((m) => m.isPreview === true && m.patches.length > 0);
  const top = (m: MinorSpec | undefined): string => (m ? (sortedPatches(m).at(-1) ?? '') : '');
  return {
    latestSupportedKubernetesVersion: top(ga.at(-1)),
    latestStableKubernetesVersion: top(ga.at(-2) ?? ga.at(-1)),
    lowestMinorKubernetesVersion: top(ga[0]),
    latestPreviewKubernetesVersion: top(preview.at(-1)),
  };
}

/**
 * Rings: the environments a version is proven in before it reaches production.
 * Ordered canary -> dev -> staging -> production. A cluster with no ring tag, or a value the
 * mapping does not know, is treated as production: the safe side.
 */
export const RINGS = ['canary', 'dev', 'staging', 'production'] as const;
export type Ring = (typeof RINGS)[number];

/** Tag values (compared without case) for each ring; the policy may replace it. */
export const DEFAULT_RING_VALUES: Readonly<Record<Ring, readonly string[]>> = {
  canary: ['canary', 'preview', 'sandbox'],
  dev: ['dev', 'development', 'test'],
  staging: ['staging', 'stage', 'stg', 'preprod', 'uat'],
  production: ['prod', 'production', 'prd', 'live'],
};

export const DEFAULT_RING_TAG = 'environment';

export function isRing(value: string): value is Ring {
  return (RINGS as readonly string[]).includes(value);
}

/** The ring a cluster belongs to, from its tags. Tag names are matched without case, as ARM does. */
export function ringFromTags(
  tags: Readonly<Record<string, string>> | undefined,
  tagName: string = DEFAULT_RING_TAG,
  values: Readonly<Record<Ring, readonly string[]>> = DEFAULT_RING_VALUES,
): Ring {
  const entry = Object.entries(tags ?? {}).find(([k]) => k.toLowerCase() === tagName.toLowerCase());
  const value = entry?.[1].trim().toLowerCase();
  if (value === undefined || value === '') return 'production';
  for (const ring of RINGS) {
    if (values[ring].some((v) => v.toLowerCase() === value)) return ring;
  }
  return 'production';
}

/** The ring a version must have soaked in before this one; undefined for the first ring. */
export function previousRing(ring: Ring): Ring | undefined {
  const i = RINGS.indexOf(ring);
  return i > 0 ? RINGS[i - 1] : undefined;
}

export function ringOrder(ring: Ring): number {
  return RINGS.indexOf(ring);
}

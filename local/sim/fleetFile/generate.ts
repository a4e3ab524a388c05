import type { MinorSpec } from '../arm/versions';
import type { ClusterSpec, FleetFile, PoolSpec } from './fleet';

/**
 * Large synthetic fleets for the bench and scale tests: `clusters` clusters spread evenly over
 * `subscriptions` subscriptions and `regions` regions, `pools` pools each, rings canary -> dev ->
 * staging -> production by tag, versions spread over the offered minors. Deterministic for the
 * same options. `npm start -- --fleet generate:CLUSTERS,SUBSCRIPTIONS,REGIONS,POOLS` runs one (docs/fleet-file.md).
 */
export interface GenerateOptions {
  readonly clusters: number;
  readonly subscriptions: number;
  readonly regions: number;
  /** Pools per cluster (the first is the System pool). */
  readonly pools: number;
  /** Seed for the spread of versions and settings (default 1). */
  readonly seed?: number;
}

/** The bench's fleet: 5,000 clusters, 20 subscriptions, 10 regions, 3 pools each. */
export const BENCH_FLEET: GenerateOptions = { clusters: 5000, subscriptions: 20, regions: 10, pools: 3 };

/** AKS versions as of late November 2026: 1.34–1.36 GA, 1.37 in preview, 1.33 on LTS only. */
export const CURRENT_VERSIONS: MinorSpec[] = [
  { version: '1.33', patches: ['1.33.5', '1.33.8'], supportPlan: ['AKSLongTermSupport'] },
  {
    version: '1.34',
    patches: ['1.34.4', '1.34.7', '1.34.9'],
    supportPlan: ['KubernetesOfficial', 'AKSLongTermSupport'],
  },
  {
    version: '1.35',
    patches: ['1.35.3', '1.35.6', '1.35.8'],
    isDefault: true,
    supportPlan: ['KubernetesOfficial'],
  },
  { version: '1.36', patches: ['1.36.1', '1.36.3'], supportPlan: ['KubernetesOfficial'] },
  { version: '1.37', patches: ['1.37.0'], isPreview: true, supportPlan: ['KubernetesOfficial'] },
];

/** Latest node image per family. */
export const CURRENT_NODE_IMAGES: Record<string, string> = {
  'AKSUbuntu-2204gen2containerd': '202611.10.0',
  'AKSAzureLinux-V3gen2': '202611.10.0',
  'AKSWindows-2022-containerd': '20348.4405.251112',
};

export const REGIONS = [
  'westeurope',
  'northeurope',
  'eastus',
  'eastus2',
  'westus2',
  'centralus',
  'uksouth',
  'swedencentral',
  'southeastasia',
  'australiaeast',
  'japaneast',
  'canadacentral',
];

/** A deterministic GUID-shaped subscription id. */
export function subscriptionId(i: number): string {
  const n = (i + 1).toString(16).padStart(12, '0');
  return `5ab0c0de-0000-4000-8000-${n}`;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0x1_0000_0000;
  };
}

const RINGS: readonly { ring: string; share: number; channel: string }[] = [
  { ring: 'canary', share: 0.05, channel: 'rapid' },
  { ring: 'dev', share: 0.15, channel: 'stable' },
  { ring: 'staging', share: 0.2, channel: 'stable' },
  { ring: 'production', share: 0.6, channel: 'none' },
];

export function generateFleet(options: GenerateOptions): FleetFile {
  const { clusters, subscriptions, regions, pools } = options;
  for (const [k, v] of Object.entries({ clusters, subscriptions, regions, pools }))
    if (!Number.isInteger(v) || v < 1) throw new Error(`generateFleet: ${k} must be a positive integer`);
  if (regions > REGIONS.length) throw new Error(`generateFleet: at most ${REGIONS.length} regions`);
  const random = rng(options.seed ?? 1);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const regionNames = REGIONS.slice(0, regions);
  const subs = Array.from({ length: subscriptions }, (_, i) => ({
    id: subscriptionId(i),
    displayName: `sub-${String(i + 1).padStart(2, '0')}`,
  }));
  const gaPatches = CURRENT_VERSIONS.filter((m) => m.isPreview !== true && m.version !== '1.33').flatMap(
    (m) => m.patches,
  );
  const out: ClusterSpec[] = [];
  for (let i = 0; i < clusters; i += 1) {
    const sub = subs[i % subscriptions]!;
    const location = regionNames[Math.floor(i / subscriptions) % regions]!;
    const r = random();
    let acc = 0;
    const ring = RINGS.find((x) => (acc += x.share) >= r) ?? RINGS[RINGS.length - 1]!;
    const lts = random() < 0.02;
    const version = lts ? '1.33.8' : pick(gaPatches);
    const poolSpecs: PoolSpec[] = Array.from({ length: pools }, (_, j) => {
      const windows = j > 0 && random() < 0.1;
      const family = windows ? 'AKSWindows-2022-containerd' : 'AKSUbuntu-2204gen2containerd';
      const image = windows
        ? CURRENT_NODE_IMAGES[family]!
        : pick(['202610.20.0', '202611.03.0', '202611.10.0']);
      return {
        name: j === 0 ? 'system' : windows ? `win${j}` : `user${j}`,
        mode: j === 0 ? ('System' as const) : ('User' as const),
        osType: windows ? ('Windows' as const) : ('Linux' as const),
        orchestratorVersion: version,
        nodeImageVersion: `${family}-${image}`,
        maxSurge: pick(['10%', '33%', '1', '33%']),
        count: 3 + Math.floor(random() * 10),
      };
    });
    const name = `aks-${ring.ring}-${location}-${String(i + 1).padStart(5, '0')}`.slice(0, 63);
    out.push({
      subscriptionId: sub.id,
      resourceGroup: `rg-${ring.ring}-${location}`,
      name,
      location,
      kubernetesVersion: version,
      tags: {
        environment: ring.ring,
        'owner-email': `team${(i % 40) + 1}@contoso.example`,
        'warden-managed': 'true',
      },
      sku: { name: 'Base', tier: lts ? 'Premium' : ring.ring === 'production' ? 'Standard' : 'Free' },
      supportPlan: lts ? 'AKSLongTermSupport' : 'KubernetesOfficial',
      autoUpgradeProfile: { upgradeChannel: ring.channel, nodeOSUpgradeChannel: 'NodeImage' },
      pools: poolSpecs,
      maintenanceConfigurations: {
        aksManagedAutoUpgradeSchedule: {
          maintenanceWindow: {
            schedule: { weekly: { intervalWeeks: 1, dayOfWeek: pick(['Saturday', 'Sunday', 'Tuesday']) } },
            durationHours: 4,
            startDate: '2026-01-01',
            startTime: pick(['01:00', '02:00', '22:00']),
            utcOffset: '+00:00',
          },
        },
      },
    });
  }
  return {
    versions: CURRENT_VERSIONS,
    nodeImages: CURRENT_NODE_IMAGES,
    regions: regionNames.map((name) => ({ name })),
    subscriptions: subs,
    clusters: out,
  };
}

/** Parses `generate:N,S,R,P` (clusters, subscriptions, regions, pools); undefined for other text. */
export function parseGenerateSpec(text: string): GenerateOptions | undefined {
  const m = /^generate:(\d+),(\d+),(\d+),(\d+)$/.exec(text.trim());
  if (!m) return undefined;
  return { clusters: Number(m[1]), subscriptions: Number(m[2]), regions: Number(m[3]), pools: Number(m[4]) };
}

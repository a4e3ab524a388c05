import type { ClusterSnapshot, MaintenanceConfigurationSnapshot, NodePoolSnapshot } from './cluster';
import type { OutsideChange, TimelineEntry } from './clusterTimeline';
import { describeChange } from './clusterTimeline';
import type { FleetProfileCover } from './fleetAutoUpgrade';
import { describeCover } from './fleetAutoUpgrade';
import { windowFindings } from './maintenanceConfiguration';
import type { Ring } from './rings';
import { endOfSupportNoticeFor } from './supportOutlook';
import type { RegionVersions, SupportAssessment } from './versions';
import { assessSupport, compareVersions, minorDistance, minorOf, parseVersion } from './versions';

/**
 * Compliance findings for one cluster (the AKS day-2 guidance): each says what is off, how bad
 * (`severity`), and the guidance it comes from. Pure: the sweep hands in the region's versions, the
 * latest node image per image family, the fleet context (the channel production runs, whether every
 * cluster of the subscription shares one window) and the time.
 */
export type Severity = 'info' | 'warning' | 'critical';

export type FindingCode =
  | 'version-support'
  | 'version-skew'
  | 'node-image-age'
  | 'channel-ring'
  | 'gated-auto-upgrade'
  | 'node-os-channel'
  | 'maintenance-window-missing'
  | 'maintenance-window-short'
  | 'maintenance-configuration-invalid'
  | 'max-surge-low'
  | 'shared-window'
  | 'upgrade-path'
  | 'end-of-support'
  | 'upgraded-outside-warden';

export interface Guidance {
  /** The rule, as the guidance states it. */
  readonly text: string;
  /** Where it is written. */
  readonly source: string;
}

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  readonly message: string;
  /** The node pool or maintenance configuration concerned, when the finding is about one. */
  readonly subject?: string;
  readonly guidance: Guidance;
}

export interface ComplianceContext {
  readonly now: Date;
  /** What the cluster's region offers; undefined when the sweep could not read it (no support finding). */
  readonly region?: RegionVersions;
  /** Latest node image (`family-version`) by {@link imageFamilyKey}. */
  readonly latestNodeImages: ReadonlyMap<string, string>;
  /** Rings whose upgrades need a human (policy; default production). */
  readonly gatedRings: readonly Ring[];
  /** The channel most production clusters run, when the fleet has production clusters. */
  readonly productionChannel?: string;
  /** False until the cluster's maintenance configurations have been read once. */
  readonly windowsKnown: boolean;
  /** True when this cluster's window is the one every cluster of its subscription uses (3 or more). */
  readonly sharedWindow?: { readonly clusters: number };
  /**
   * The Azure Kubernetes Fleet Manager auto-upgrade profiles that can upgrade the cluster without an
   * approval gate (fleetAutoUpgrade.ts), as the sweep read the fleets; empty: none; undefined: not known.
   */
  readonly fleetAutoUpgrade?: readonly FleetProfileCover[];
}

/** AKS day-2 guidance: production node pools surge up to 33 % of their nodes. */
export const RECOMMENDED_PROD_MAX_SURGE_PERCENT = 33;
/** Node image age (days) past which an image that is not the latest is a warning (images ship weekly). */
export const NODE_IMAGE_WARN_DAYS = 30;
export const NODE_IMAGE_CRITICAL_DAYS = 90;
/** The control plane may be this many minors ahead of its pools (Kubernetes >= 1.28). */
export const MAX_POOL_SKEW_MINORS = 3;

const G = {
  support: {
    text: 'AKS supports the newest three GA minors (N-2); N-3 gets limited platform support only; LTS adds a second year.',
    source: 'learn.microsoft.com/azure/aks/supported-kubernetes-versions',
  },
  skew: {
    text: 'Upgrade the control plane first, then every node pool; pools may trail the control plane by at most three minors and never run ahead of it.',
    source: 'learn.microsoft.com/azure/aks/upgrade-aks-control-plane',
  },
  nodeImage: {
    text: 'AKS ships new node images weekly; apply them (node-image upgrade or the NodeImage channel).',
    source: 'learn.microsoft.com/azure/aks/node-image-upgrade',
  },
  channels: {
    text: 'Release channels: production on stable, lower environments on the same channel as production, canary on rapid.',
    source: 'learn.microsoft.com/azure/aks/auto-upgrade-cluster',
  },
  gated: {
    text: 'A cluster whose upgrades need approval must not be upgraded by AKS itself: set its auto-upgrade channel to none.',
    source: 'Warden policy; learn.microsoft.com/azure/aks/auto-upgrade-cluster',
  },
  nodeOs: {
    text: 'Nightly OS security patches need managed reboots: use the NodeImage or SecurityPatch node OS channel, or Kured.',
    source:
      'learn.microsoft.com/azure/aks/auto-upgrade-node-os-image; learn.microsoft.com/azure/aks/node-updates-kured',
  },
  window: {
    text: 'Plan maintenance windows of four hours or more.',
    source: 'learn.microsoft.com/azure/aks/planned-maintenance',
  },
  surge: {
    text: 'In production, set node pool max surge up to 33 % so upgrades finish inside the window.',
    source: 'learn.microsoft.com/azure/aks/upgrade-aks-node-pools-rolling',
  },
  owner: {
    text: 'A cluster whose upgrades need approval has one owner of its upgrades: every other path that can change its versions or node images is closed, or its changes are seen.',
    source:
      'Warden policy; learn.microsoft.com/azure/aks/auto-upgrade-cluster; learn.microsoft.com/azure/kubernetes-fleet/update-automation',
  },
  endOfSupport: {
    text: 'AKS notifies two weeks and one week before a version leaves support, then weekly: upgrade before the date.',
    source: 'learn.microsoft.com/azure/aks/aks-end-of-support-notifications',
  },
  shared: {
    text: 'Do not give every cluster of a subscription the same window: their upgrades compete for the subscription’s ARM request budget.',
    source:
      'learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling; learn.microsoft.com/azure/aks/planned-maintenance',
  },
} as const satisfies Record<string, Guidance>;

/** `AKSUbuntu-2204gen2containerd` for `AKSUbuntu-2204gen2containerd-202611.04.0`. */
export function imageFamily(nodeImageVersion: string): string {
  const i = nodeImageVersion.lastIndexOf('-');
  return i > 0 ? nodeImageVersion.slice(0, i) : nodeImageVersion;
}

/** The key one representative pool answers for: OS type, OS SKU and image family. */
export function imageFamilyKey(
  pool: Pick<NodePoolSnapshot, 'osType' | 'osSku' | 'nodeImageVersion'>,
): string | undefined {
  if (pool.nodeImageVersion === undefined) return undefined;
  return `${pool.osType}|${pool.osSku ?? ''}|${imageFamily(pool.nodeImageVersion)}`.toLowerCase();
}

/**
 * The build date of a node image from its version: `202611.04.0` (YYYYMM.DD.n) or `2023.02.15`
 * (YYYY.MM.DD), the two forms AKS has used. Undefined for anything else.
 */
export function nodeImageDate(nodeImageVersion: string): Date | undefined {
  const v = nodeImageVersion.slice(nodeImageVersion.lastIndexOf('-') + 1);
  const m = /^(\d{4})(\d{2})\.(\d{2})\.\d+$/.exec(v) ?? /^(\d{4})\.(\d{2})\.(\d{2})$/.exec(v);
  if (!m) return undefined;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

const DAY_MS = 86_400_000;

function supportFindings(cluster: ClusterSnapshot, assessment: SupportAssessment): Finding[] {
  const minor = minorOf(cluster.kubernetesVersion);
  const newest = assessment.newestMinor ?? '?';
  switch (assessment.status) {
    case 'lts':
      return [];
    case 'supported':
      return assessment.minorsBehind === 2
        ? [
            {
              code: 'version-support',
              severity: 'info',
              message: `${minor} is the oldest supported minor (N-2, newest ${newest}): support ends with the next minor release; upgrade to ${nextMinor(minor)}`,
              guidance: G.support,
            },
          ]
        : [];
    case 'platform-support':
      return [
        {
          code: 'version-support',
          severity: 'warning',
          message: `${minor} is N-3 (newest ${newest}): platform support only, no Kubernetes fixes; upgrade now`,
          guidance: G.support,
        },
      ];
    case 'unsupported':
      return [
        {
          code: 'version-support',
          severity: 'critical',
          message: `${minor} is ${assessment.minorsBehind} minors behind ${newest}: out of support; upgrade one minor at a time`,
          guidance: G.support,
        },
      ];
  }
}

function nextMinor(minor: string): string {
  const v = parseVersion(minor);
  return v ? `${v.major}.${v.minor + 1}` : minor;
}

function skewFindings(cluster: ClusterSnapshot): Finding[] {
  const out: Finding[] = [];
  for (const pool of cluster.nodePools) {
    if (!parseVersion(pool.orchestratorVersion) || !parseVersion(cluster.kubernetesVersion)) continue;
    const behind = minorDistance(pool.orchestratorVersion, cluster.kubernetesVersion);
    const cmp = compareVersions(pool.orchestratorVersion, cluster.kubernetesVersion);
    if (cmp > 0) {
      out.push({
        code: 'version-skew',
        severity: 'critical',
        subject: pool.name,
        message: `pool ${pool.name} runs ${pool.orchestratorVersion}, ahead of the control plane ${cluster.kubernetesVersion}`,
        guidance: G.skew,
      });
    } else if (behind >= MAX_POOL_SKEW_MINORS) {
      out.push({
        code: 'version-skew',
        severity: behind > MAX_POOL_SKEW_MINORS ? 'critical' : 'warning',
        subject: pool.name,
        message: `pool ${pool.name} runs ${pool.orchestratorVersion}, ${behind} minors behind the control plane ${cluster.kubernetesVersion}${behind === MAX_POOL_SKEW_MINORS ? ': the next control-plane minor upgrade is blocked until it catches up' : ': beyond the supported skew'}`,
        guidance: G.skew,
      });
    } else if (behind >= 1) {
      out.push({
        code: 'version-skew',
        severity: 'warning',
        subject: pool.name,
        message: `pool ${pool.name} runs ${pool.orchestratorVersion}, ${behind} minor${behind > 1 ? 's' : ''} behind the control plane ${cluster.kubernetesVersion}`,
        guidance: G.skew,
      });
    } else if (cmp < 0) {
      out.push({
        code: 'version-skew',
        severity: 'info',
        subject: pool.name,
        message: `pool ${pool.name} runs patch ${pool.orchestratorVersion}, the control plane ${cluster.kubernetesVersion}`,
        guidance: G.skew,
      });
    }
  }
  return out;
}

function nodeImageFindings(cluster: ClusterSnapshot, ctx: ComplianceContext): Finding[] {
  const out: Finding[] = [];
  for (const pool of cluster.nodePools) {
    if (pool.nodeImageVersion === undefined) continue;
    const key = imageFamilyKey(pool);
    const latest = key === undefined ? undefined : ctx.latestNodeImages.get(key);
    const built = nodeImageDate(pool.nodeImageVersion);
    const ageDays =
      built === undefined ? undefined : Math.floor((ctx.now.getTime() - built.getTime()) / DAY_MS);
    const isLatest = latest !== undefined && latest === pool.nodeImageVersion;
    if (isLatest) continue;
    if (latest === undefined && (ageDays === undefined || ageDays <= NODE_IMAGE_WARN_DAYS)) continue;
    const severity: Severity =
      ageDays !== undefined && ageDays > NODE_IMAGE_CRITICAL_DAYS
        ? 'critical'
        : ageDays !== undefined && ageDays > NODE_IMAGE_WARN_DAYS
          ? 'warning'
          : 'info';
    out.push({
      code: 'node-image-age',
      severity,
      subject: pool.name,
      message: `pool ${pool.name} runs node image ${pool.nodeImageVersion}${ageDays !== undefined ? ` (${ageDays} days old)` : ''}${latest !== undefined ? `; latest is ${latest}` : ''}`,
      guidance: G.nodeImage,
    });
  }
  return out;
}

function channelFindings(cluster: ClusterSnapshot, ctx: ComplianceContext): Finding[] {
  const channel = cluster.autoUpgradeChannel.toLowerCase();
  const gated = ctx.gatedRings.includes(cluster.ring);
  const out: Finding[] = [];
  if (gated && channel !== 'none') {
    out.push({
      code: 'gated-auto-upgrade',
      severity: 'critical',
      message: `${cluster.ring} needs approval for upgrades, but AKS auto-upgrade is on (channel ${channel}): AKS can upgrade it without anyone approving. To close: az aks update --auto-upgrade-channel none`,
      guidance: G.gated,
    });
  }
  if (cluster.ring === 'canary' && channel !== 'rapid' && !gated) {
    out.push({
      code: 'channel-ring',
      severity: 'info',
      message: `canary cluster on channel ${channel}; canaries run rapid so new versions reach them first`,
      guidance: G.channels,
    });
  }
  if (
    (cluster.ring === 'staging' || cluster.ring === 'dev') &&
    ctx.productionChannel !== undefined &&
    channel !== ctx.productionChannel.toLowerCase()
  ) {
    out.push({
      code: 'channel-ring',
      severity: cluster.ring === 'staging' ? 'warning' : 'info',
      message: `${cluster.ring} cluster on channel ${channel}, production on ${ctx.productionChannel}: lower rings should prove what production will get`,
      guidance: G.channels,
    });
  }
  if (cluster.ring === 'production' && !gated && channel === 'rapid') {
    out.push({
      code: 'channel-ring',
      severity: 'warning',
      message: 'production cluster on the rapid channel; production runs stable',
      guidance: G.channels,
    });
  }
  return out;
}

function nodeOsFindings(cluster: ClusterSnapshot): Finding[] {
  const c = cluster.nodeOsUpgradeChannel;
  if (c === undefined || c.toLowerCase() === 'none')
    return [
      {
        code: 'node-os-channel',
        severity: 'warning',
        message: `node OS upgrade channel ${c === undefined ? 'unset' : 'None'}: OS security patches are not applied, or their reboots are not managed (Kured)`,
        guidance: G.nodeOs,
      },
    ];
  if (c.toLowerCase() === 'unmanaged')
    return [
      {
        code: 'node-os-channel',
        severity: 'info',
        message: 'node OS channel Unmanaged: nodes patch themselves nightly, reboots need Kured',
        guidance: G.nodeOs,
      },
    ];
  return [];
}

/** Window findings (none, under 4 h, unreadable), from maintenanceConfiguration.ts. */
export function maintenanceFindings(configs: readonly MaintenanceConfigurationSnapshot[]): Finding[] {
  return windowFindings(configs).map((f) => ({
    code: f.code,
    severity: f.severity,
    ...(f.configName !== undefined && { subject: f.configName }),
    message: f.message,
    guidance: { text: f.guidance, source: G.window.source },
  }));
}

/** Effective surge as a percentage of the pool's nodes ("33%" or an integer node count). */
export function surgePercent(pool: NodePoolSnapshot): number | undefined {
  const s = pool.maxSurge?.trim();
  if (s === undefined || s === '') return 10; // the service default (spec 2026: 10 %)
  if (/^\d+(\.\d+)?%$/.test(s)) return Number(s.slice(0, -1));
  if (/^\d+$/.test(s)) return pool.count > 0 ? (Number(s) / pool.count) * 100 : undefined;
  return undefined;
}

function surgeFindings(cluster: ClusterSnapshot): Finding[] {
  if (cluster.ring !== 'production') return [];
  return cluster.nodePools.flatMap((pool): Finding[] => {
    const pct = surgePercent(pool);
    if (pct === undefined || pct >= RECOMMENDED_PROD_MAX_SURGE_PERCENT || pool.count <= 1) return [];
    return [
      {
        code: 'max-surge-low',
        severity: 'info',
        subject: pool.name,
        message: `pool ${pool.name} surges ${pool.maxSurge ?? 'the default 10%'} (${Math.round(pct)} % of ${pool.count} nodes): upgrades are slow and may outlast the window; up to ${RECOMMENDED_PROD_MAX_SURGE_PERCENT}% is recommended`,
        guidance: G.surge,
      },
    ];
  });
}

/** A path other than Warden that can upgrade a cluster (see {@link upgradePaths}). */
export interface UpgradePath {
  readonly id:
    | 'auto-upgrade-channel'
    | 'node-os-channel'
    | 'fleet-auto-upgrade'
    | 'aks-automatic'
    | 'node-auto-provisioning'
    | 'aks-initiated'
    | 'portal';
  /** What it changes. */
  readonly changes: 'versions' | 'node-images' | 'both';
  readonly severity: Severity;
  /** What it is on this cluster. */
  readonly what: string;
  /** How to close it. */
  readonly close: string;
}

/**
 * Every path besides Warden that can upgrade the cluster as it is configured: AKS auto-upgrade, the
 * node OS channel, each Fleet Manager auto-upgrade profile that reaches it with no gate (`fleetAutoUpgrade`),
 * AKS Automatic, node auto-provisioning, AKS-initiated upgrades of a cluster about to leave platform
 * support, and a person with write access (always open).
 */
export function upgradePaths(
  cluster: ClusterSnapshot,
  ctx: { readonly fleetAutoUpgrade?: readonly FleetProfileCover[]; readonly support?: SupportAssessment },
): UpgradePath[] {
  const out: UpgradePath[] = [];
  const channel = cluster.autoUpgradeChannel.toLowerCase();
  const automatic = cluster.skuName?.toLowerCase() === 'automatic';
  if (automatic)
    out.push({
      id: 'aks-automatic',
      changes: 'both',
      severity: 'critical',
      what: 'AKS Automatic (sku.name Automatic): AKS upgrades it on its own channels, which cannot be turned off',
      close:
        'keep it out of a gated ring, or bound it with aksManagedAutoUpgradeSchedule and aksManagedNodeOSUpgradeSchedule windows (Warden then sees each upgrade after the fact)',
    });
  if (channel !== 'none' && !automatic)
    out.push({
      id: 'auto-upgrade-channel',
      changes: channel === 'node-image' ? 'node-images' : 'both',
      severity: 'critical',
      what: `AKS auto-upgrade channel ${channel}`,
      close: 'az aks update --auto-upgrade-channel none (Warden plans the upgrades instead)',
    });
  const nodeOs = cluster.nodeOsUpgradeChannel?.toLowerCase();
  if ((nodeOs === 'nodeimage' || nodeOs === 'securitypatch') && !automatic)
    out.push({
      id: 'node-os-channel',
      changes: 'node-images',
      severity: 'warning',
      what: `node OS upgrade channel ${cluster.nodeOsUpgradeChannel ?? ''}: AKS reimages the nodes on its own schedule`,
      close:
        'set a narrow aksManagedNodeOSUpgradeSchedule window (Defer can block a day), or set the channel to None and let Warden plan node images',
    });
  for (const cover of ctx.fleetAutoUpgrade ?? [])
    out.push({
      id: 'fleet-auto-upgrade',
      changes: cover.channel.toLowerCase() === 'nodeimage' ? 'node-images' : 'both',
      severity: 'critical',
      ...describeCover(cover),
    });
  if (cluster.nodeProvisioningMode?.toLowerCase() === 'auto')
    out.push({
      id: 'node-auto-provisioning',
      changes: 'node-images',
      severity: 'warning',
      what: 'node auto-provisioning (mode Auto) replaces drifted nodes with the newest node image',
      close:
        'set disruption budgets that stop drift replacement outside the maintenance window, or use Manual node provisioning',
    });
  if (ctx.support?.status === 'platform-support' || ctx.support?.status === 'unsupported')
    out.push({
      id: 'aks-initiated',
      changes: 'both',
      severity: 'warning',
      what: `AKS itself upgrades a cluster about to drop below platform support (N-3 to N-4) to N-2; this one is ${ctx.support.minorsBehind} minors behind`,
      close: "approve Warden's upgrade into the supported window before AKS does it",
    });
  out.push({
    id: 'portal',
    changes: 'both',
    severity: 'info',
    what: 'anyone with managedClusters/write (portal, az CLI, infrastructure as code) can upgrade it',
    close:
      "grant write on the cluster to Warden's identity and a break-glass group only (Azure RBAC); Warden reports any upgrade it did not make",
  });
  return out;
}

function pathFindings(
  cluster: ClusterSnapshot,
  ctx: ComplianceContext,
  support?: SupportAssessment,
): Finding[] {
  if (!ctx.gatedRings.includes(cluster.ring)) return [];
  return upgradePaths(cluster, {
    ...(ctx.fleetAutoUpgrade !== undefined && { fleetAutoUpgrade: ctx.fleetAutoUpgrade }),
    ...(support !== undefined && { support }),
  })
    .filter((p) => p.id !== 'auto-upgrade-channel')
    .map((p) => ({
      code: 'upgrade-path' as const,
      severity: p.severity,
      subject: p.id,
      message: `${cluster.ring} needs approval, but ${p.what}. To close: ${p.close}`,
      guidance: G.owner,
    }));
}

/**
 * The path that most likely made an upgrade Warden did not make, from the cluster as it was before:
 * the most specific open path that changes what changed.
 */
export function likelyPath(
  before: ClusterSnapshot,
  changes: readonly OutsideChange[],
  ctx: {
    readonly fleetAutoUpgrade?: readonly FleetProfileCover[];
    readonly support?: SupportAssessment;
  } = {},
): string {
  const versions = changes.some((c) => c.what !== 'node-image');
  const fits = upgradePaths(before, ctx).filter((p) =>
    versions ? p.changes !== 'node-images' : p.changes !== 'versions',
  );
  return (fits[0] ?? { what: 'a person or tool outside Warden' }).what;
}

/** Findings from the cluster's timeline that still hold for the snapshot. */
export function timelineFindings(cluster: ClusterSnapshot, timeline: readonly TimelineEntry[]): Finding[] {
  const out: Finding[] = [];
  const minor = (v: string): string => v.split('.').slice(0, 2).join('.');
  const eol = endOfSupportNoticeFor(cluster, timeline);
  if (eol !== undefined) {
    const ended = Date.parse(eol.notice.eolDate) <= Date.parse(cluster.lastSeen);
    out.push({
      code: 'end-of-support',
      severity: ended ? 'critical' : 'warning',
      message: `AKS notice ${eol.notice.notice}: ${eol.notice.supportType} support for ${minor(eol.notice.kubernetesVersion)} ${ended ? 'ended' : 'ends'} ${eol.notice.eolDate.slice(0, 10)}; Warden's plan has that deadline`,
      guidance: G.endOfSupport,
    });
  }
  for (const e of timeline) {
    if (e.kind !== 'upgraded-outside-warden') continue;
    const current = e.changes.filter((c) => {
      if (c.what === 'control-plane') return cluster.kubernetesVersion === c.to;
      const pool = cluster.nodePools.find((p) => p.name === c.pool);
      return c.what === 'pool' ? pool?.orchestratorVersion === c.to : pool?.nodeImageVersion === c.to;
    });
    if (current.length === 0) continue;
    out.push({
      code: 'upgraded-outside-warden',
      severity: 'warning',
      message: `upgraded outside Warden: ${current.map(describeChange).join('; ')} (first seen ${e.at}); likely path: ${e.likelyPath}`,
      guidance: G.owner,
    });
  }
  return out;
}

/** Every finding for one cluster, most severe first. */
export function assessCompliance(
  cluster: ClusterSnapshot,
  ctx: ComplianceContext,
  timeline: readonly TimelineEntry[] = [],
): Finding[] {
  const support =
    ctx.region !== undefined
      ? assessSupport(cluster.kubernetesVersion, ctx.region, cluster.supportPlan)
      : undefined;
  // What the timeline says first: within a severity, the news comes before the standing findings.
  const findings = [
    ...timelineFindings(cluster, timeline),
    ...(support !== undefined ? supportFindings(cluster, support) : []),
    ...skewFindings(cluster),
    ...nodeImageFindings(cluster, ctx),
    ...channelFindings(cluster, ctx),
    ...nodeOsFindings(cluster),
    ...(ctx.windowsKnown ? maintenanceFindings(cluster.maintenanceConfigurations) : []),
    ...surgeFindings(cluster),
    ...(ctx.sharedWindow !== undefined
      ? [
          {
            code: 'shared-window' as const,
            severity: 'warning' as const,
            message: `all ${ctx.sharedWindow.clusters} clusters of subscription ${cluster.subscriptionId} share this maintenance window`,
            guidance: G.shared,
          },
        ]
      : []),
    ...pathFindings(cluster, ctx, support),
  ];
  return sortFindings(findings);
}

/** Most severe first (stable within a severity). */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...findings].sort((a, b) => rank[a.severity] - rank[b.severity]);
}

/**
 * A signature (digest) of the cluster's windows, equal for clusters whose configurations are equal,
 * so the sweep can tell "every cluster of the subscription shares one window". Undefined without windows.
 */
export function windowSignature(configs: readonly MaintenanceConfigurationSnapshot[]): string | undefined {
  const parts = configs.map((c) => `${c.name.toLowerCase()}=${stableJson(c.properties)}`).sort();
  return parts.length === 0 ? undefined : digest(parts.join(';'));
}

/** A short, stable digest (two 32-bit FNV-style hashes and the length): pure, no crypto needed. */
function digest(text: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619) >>> 0;
    h2 = Math.imul(h2 + c, 2246822519) >>> 0;
  }
  return `${text.length.toString(36)}-${h1.toString(36)}-${h2.toString(36)}`;
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (typeof v === 'object' && v !== null)
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v) ?? 'null';
}

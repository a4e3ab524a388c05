import type { Notice, NoticeFact } from '../domain/notice';
import type { Ring } from '../domain/rings';
import { isEmailAddress, OWNER_EMAIL_TAG, splitList, tag, TEAMS_CHANNEL_TAG } from './routing';

/** What the digest needs to know of a cluster (from the cluster store). */
export interface DigestCluster {
  readonly id: string;
  readonly name: string;
  readonly ring: Ring;
  readonly tags: Readonly<Record<string, string>>;
  readonly version: string;
  /** e.g. `supported`, `platform-support`, `unsupported`, `lts`. */
  readonly support?: string;
  readonly findings: readonly {
    readonly severity: 'info' | 'warning' | 'critical';
    readonly title: string;
  }[];
}

/** What the digest needs to know of an open plan (from the plan store). */
export interface DigestPlan {
  readonly planId: string;
  readonly clusterId: string;
  readonly clusterName: string;
  readonly from: string;
  readonly to: string;
  readonly status: string;
}

/** The stores the digest reads; the app wires the cluster and plan stores to it. */
export interface DigestSources {
  clusters(): Promise<DigestCluster[]>;
  openPlans(): Promise<DigestPlan[]>;
}

const MAX_FACTS = 20;
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function digestFor(
  team: string,
  clusters: readonly DigestCluster[],
  plans: readonly DigestPlan[],
  day: string,
  now: Date,
  baseUrl: string,
): Omit<Notice, 'key' | 'audience'> {
  const unsupported = clusters.filter((c) => c.support === 'unsupported').length;
  const platformSupport = clusters.filter((c) => c.support === 'platform-support').length;
  const findings = clusters
    .flatMap((c) => c.findings.map((f) => ({ cluster: c.name, ...f })))
    .filter((f) => f.severity !== 'info')
    .sort(
      (a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.cluster.localeCompare(b.cluster),
    );
  const critical = findings.filter((f) => f.severity === 'critical').length;
  const waiting = plans.filter((p) => p.status === 'awaiting-approval').length;

  const facts: NoticeFact[] = [
    ...plans.map((p) => ({
      label: `${p.clusterName}: ${p.from} → ${p.to}`,
      value: p.status.replace(/-/g, ' '),
    })),
    // One line per cluster, its worst finding first: short enough for a phone.
    ...[...new Set(findings.map((f) => f.cluster))].map((cluster) => {
      const own = findings.filter((f) => f.cluster === cluster);
      const worst = own[0];
      return {
        label: `${cluster} (${worst?.severity ?? 'warning'})`,
        value: `${worst?.title ?? ''}${own.length > 1 ? ` (+${own.length - 1} more)` : ''}`,
      };
    }),
  ];
  const shown = facts.slice(0, MAX_FACTS);
  if (facts.length > MAX_FACTS)
    shown.push({ label: 'More', value: `${facts.length - MAX_FACTS} more: open the dashboard` });

  const waitingIds = new Set(
    plans.filter((p) => p.status === 'awaiting-approval').map((p) => p.clusterId.toLowerCase()),
  );
  const attention = clusters.filter(
    (c) =>
      c.support === 'unsupported' ||
      c.findings.some((f) => f.severity === 'critical') ||
      waitingIds.has(c.id.toLowerCase()),
  ).length;
  return {
    kind: 'daily-digest',
    severity: unsupported > 0 || critical > 0 ? 'warning' : 'info',
    title: `${team} digest ${day}: ${plural(clusters.length, 'cluster')}${attention > 0 ? `, ${attention} ${attention === 1 ? 'needs' : 'need'} attention` : ''}`,
    summary: [
      `${plural(clusters.length, 'cluster')}: ${clusters.length - unsupported - platformSupport} supported, ` +
        `${platformSupport} on platform support, ${unsupported} unsupported.`,
      `${plural(plans.length, 'open plan')}${waiting > 0 ? ` (${waiting} awaiting approval)` : ''}.`,
      `${plural(findings.length, 'finding')} to look at${critical > 0 ? ` (${critical} critical)` : ''}.`,
    ].join('\n'),
    facts: shown,
    actions: [
      { label: 'Open the dashboard', url: `${baseUrl}/api/dashboard` },
      ...(plans.length > 0
        ? [{ label: 'Open plans', url: `${baseUrl}/api/dashboard?plans=open#plans` }]
        : []),
    ],
    at: now.toISOString(),
  };
}

/** Clusters by each value a tag lists (an owner address, a Teams channel), the values sorted. */
function byTagValue(
  clusters: readonly DigestCluster[],
  values: (c: DigestCluster) => readonly string[],
): [string, DigestCluster[]][] {
  const groups = new Map<string, DigestCluster[]>();
  for (const c of clusters) for (const v of new Set(values(c))) groups.set(v, [...(groups.get(v) ?? []), c]);
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

/**
 * The daily digests: one for the platform team (the whole fleet, to the platform route), one per
 * owner address (the clusters whose owner tag names it, by email) and one per Teams channel (the
 * clusters whose `teams-channel` tag names a workflow). Keys carry the UTC day, so a second run on
 * the same day announces nothing new.
 */
export function buildDigests(
  clusters: readonly DigestCluster[],
  plans: readonly DigestPlan[],
  now: Date,
  baseUrl: string,
  ownerTag: string = OWNER_EMAIL_TAG,
): Notice[] {
  const day = now.toISOString().slice(0, 10);
  const plansOf = (ids: ReadonlySet<string>): DigestPlan[] =>
    plans.filter((p) => ids.has(p.clusterId.toLowerCase()));
  const notices: Notice[] = [
    {
      ...digestFor('Fleet', clusters, plans, day, now, baseUrl),
      key: `digest:platform:${day}`,
      audience: ['platform'],
    },
  ];
  const forTeam = (
    owned: readonly DigestCluster[],
    key: string,
    route: Pick<Notice, 'recipient' | 'teamsChannel'>,
  ): Notice => {
    const ids = new Set(owned.map((c) => c.id.toLowerCase()));
    return {
      ...digestFor('Your clusters', owned, plansOf(ids), day, now, baseUrl),
      key,
      audience: ['owners'],
      ...route,
    };
  };
  const owners = byTagValue(clusters, (c) =>
    splitList(tag(c.tags, ownerTag))
      .filter(isEmailAddress)
      .map((a) => a.toLowerCase()),
  );
  for (const [owner, owned] of owners)
    notices.push(forTeam(owned, `digest:owner:${owner}:${day}`, { recipient: owner }));
  // Workflow names are matched as configured (routing skips a name WARDEN_TEAMS_WORKFLOWS lacks).
  const channels = byTagValue(clusters, (c) => splitList(tag(c.tags, TEAMS_CHANNEL_TAG)));
  for (const [channel, owned] of channels)
    notices.push(forTeam(owned, `digest:teams:${channel}:${day}`, { teamsChannel: channel }));
  return notices;
}

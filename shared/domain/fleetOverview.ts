import type { Severity } from './compliance';
import type { Ring } from './rings';
import { RINGS } from './rings';
import type { SupportStatus } from './versions';
import { parseVersion } from './versions';

/**
 * What the dashboard shows of a fleet of any size, in a bounded size: the counts (clusters, out of
 * support, findings, clusters per ring and minor) and, per ring, the clusters most in need of a look
 * (at most {@link OVERVIEW_ROWS}, in {@link byAttention} order). Built from any slice of the fleet
 * and merged slice by slice ({@link OverviewBuilder}), so whoever builds it holds one slice and the
 * overview, never the fleet: the sweep's shards each build one, and the last one merges them.
 */
export type Attention = 'bad' | 'warn' | 'ok';

/** One cluster as a dashboard row: everything the fleet table draws, nothing more. */
export interface FleetRow {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly ring: Ring;
  readonly controlPlaneVersion: string;
  /** The distinct pool versions, in pool order. */
  readonly poolVersions: readonly string[];
  readonly support: SupportStatus | 'unknown';
  readonly autoUpgradeChannel: string;
  readonly attention: Attention;
  readonly findingCount: number;
  /** The first three findings, most severe first as the sweep stored them. */
  readonly findings: readonly { readonly severity: Severity; readonly message: string }[];
}

export interface FleetOverview {
  readonly clusters: number;
  /** Clusters out of support or on platform support. */
  readonly unsupported: number;
  readonly findings: number;
  /** Clusters by `ring|minor` of the control plane. */
  readonly byRingMinor: Readonly<Record<string, number>>;
  /** Per ring, the clusters most in need of a look first (at most {@link OVERVIEW_ROWS}). */
  readonly rows: Readonly<Partial<Record<Ring, readonly FleetRow[]>>>;
}

/** Rows kept per ring: the fleet table's length, whichever ring it is filtered to. */
export const OVERVIEW_ROWS = 200;

/** What a row is made from (a stored cluster or its view). */
export interface FleetRowSource {
  readonly id: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly ring: Ring;
  readonly controlPlaneVersion: string;
  readonly poolVersions: readonly string[];
  readonly support: SupportStatus | 'unknown';
  readonly autoUpgradeChannel: string;
  readonly findings: readonly { readonly severity: Severity; readonly message: string }[];
}

export function fleetRow(c: FleetRowSource): FleetRow {
  const attention: Attention = c.findings.some((f) => f.severity === 'critical')
    ? 'bad'
    : c.findings.some((f) => f.severity === 'warning')
      ? 'warn'
      : 'ok';
  return {
    id: c.id,
    name: c.name,
    subscriptionId: c.subscriptionId,
    location: c.location,
    ring: c.ring,
    controlPlaneVersion: c.controlPlaneVersion,
    poolVersions: [...new Set(c.poolVersions)],
    support: c.support,
    autoUpgradeChannel: c.autoUpgradeChannel,
    attention,
    findingCount: c.findings.length,
    findings: c.findings.slice(0, 3).map((f) => ({ severity: f.severity, message: f.message })),
  };
}

const ATTENTION: Record<Attention, number> = { bad: 0, warn: 1, ok: 2 };
const SUPPORT_ORDER = ['unsupported', 'platform-support', 'unknown', 'supported', 'lts'];

/** Most in need of a look first: worst finding, then support status, then ring (production first), then name, then id. */
export function byAttention(a: FleetRow, b: FleetRow): number {
  return (
    ATTENTION[a.attention] - ATTENTION[b.attention] ||
    SUPPORT_ORDER.indexOf(a.support) - SUPPORT_ORDER.indexOf(b.support) ||
    RINGS.indexOf(b.ring) - RINGS.indexOf(a.ring) ||
    a.name.localeCompare(b.name) ||
    a.id.localeCompare(b.id)
  );
}

/** `1.35` of `1.35.8`; a version ARM reported oddly is kept as it came. */
export function minorLabel(text: string): string {
  const v = parseVersion(text);
  return v ? `${v.major}.${v.minor}` : text || '?';
}

export const EMPTY_OVERVIEW: FleetOverview = {
  clusters: 0,
  unsupported: 0,
  findings: 0,
  byRingMinor: {},
  rows: {},
};

/** Adds rows and merges overviews, keeping each ring's {@link OVERVIEW_ROWS} most in need. */
export class OverviewBuilder {
  private clusters = 0;
  private unsupported = 0;
  private findings = 0;
  private readonly byRingMinor = new Map<string, number>();
  private readonly rows = new Map<Ring, FleetRow[]>();

  add(row: FleetRow): this {
    this.clusters++;
    if (row.support === 'unsupported' || row.support === 'platform-support') this.unsupported++;
    this.findings += row.findingCount;
    const key = `${row.ring}|${minorLabel(row.controlPlaneVersion)}`;
    this.byRingMinor.set(key, (this.byRingMinor.get(key) ?? 0) + 1);
    this.keep(row.ring, [row]);
    return this;
  }

  merge(o: FleetOverview): this {
    this.clusters += o.clusters;
    this.unsupported += o.unsupported;
    this.findings += o.findings;
    for (const [k, n] of Object.entries(o.byRingMinor))
      this.byRingMinor.set(k, (this.byRingMinor.get(k) ?? 0) + n);
    for (const ring of RINGS) this.keep(ring, o.rows[ring] ?? []);
    return this;
  }

  /** Collects rows unsorted and trims to the best {@link OVERVIEW_ROWS} once twice as many piled up. */
  private keep(ring: Ring, more: readonly FleetRow[]): void {
    if (more.length === 0) return;
    const list = this.rows.get(ring) ?? [];
    list.push(...more);
    this.rows.set(ring, list.length > 2 * OVERVIEW_ROWS ? trimmed(list) : list);
  }

  result(): FleetOverview {
    return {
      clusters: this.clusters,
      unsupported: this.unsupported,
      findings: this.findings,
      byRingMinor: Object.fromEntries(this.byRingMinor),
      rows: Object.fromEntries([...this.rows].map(([ring, list]) => [ring, trimmed(list)])),
    };
  }
}

function trimmed(list: readonly FleetRow[]): FleetRow[] {
  return [...list].sort(byAttention).slice(0, OVERVIEW_ROWS);
}

/** The overview of the given rows (a small fleet, or the clusters a name search found). */
export function overviewOf(rows: readonly FleetRow[]): FleetOverview {
  const builder = new OverviewBuilder();
  for (const r of rows) builder.add(r);
  return builder.result();
}

/**
 * The fleet table: a ring's rows, or every ring's merged, most in need first, with how many
 * clusters match in all (the rest is counted, not drawn).
 */
export function tableRows(
  o: FleetOverview,
  ring: Ring | undefined,
  limit: number,
): { readonly rows: readonly FleetRow[]; readonly matching: number } {
  const rings = ring === undefined ? RINGS : [ring];
  const rows = rings
    .flatMap((r) => o.rows[r] ?? [])
    .sort(byAttention)
    .slice(0, limit);
  const matching =
    ring === undefined
      ? o.clusters
      : Object.entries(o.byRingMinor)
          .filter(([k]) => k.startsWith(`${ring}|`))
          .reduce((n, [, c]) => n + c, 0);
  return { rows, matching };
}

/**
 * The overview after one cluster changed between sweeps (Warden upgraded it, or it was swept on its
 * own): its counts moved from `before` to `after`, its row replaced in place. A row that improved
 * keeps its place among the rows kept until the next sweep ranks the fleet again.
 */
export function patchOverview(
  o: FleetOverview,
  before: FleetRow | undefined,
  after: FleetRow | undefined,
): FleetOverview {
  const counts = new Map(Object.entries(o.byRingMinor));
  let { clusters, unsupported, findings } = o;
  const move = (row: FleetRow | undefined, sign: 1 | -1): void => {
    if (row === undefined) return;
    clusters += sign;
    if (row.support === 'unsupported' || row.support === 'platform-support') unsupported += sign;
    findings += sign * row.findingCount;
    const key = `${row.ring}|${minorLabel(row.controlPlaneVersion)}`;
    const n = (counts.get(key) ?? 0) + sign;
    if (n > 0) counts.set(key, n);
    else counts.delete(key);
  };
  move(before, -1);
  move(after, 1);
  const id = (after ?? before)?.id;
  const rows: Partial<Record<Ring, FleetRow[]>> = {};
  for (const ring of RINGS) {
    const kept = (o.rows[ring] ?? []).filter((r) => r.id !== id);
    if (after?.ring === ring) kept.push(after);
    if (kept.length > 0) rows[ring] = trimmed(kept);
  }
  return {
    clusters: Math.max(0, clusters),
    unsupported: Math.max(0, unsupported),
    findings: Math.max(0, findings),
    byRingMinor: Object.fromEntries(counts),
    rows,
  };
}

import type { Plan } from '../domain/plan';
import type { Ring } from '../domain/rings';
import { RINGS } from '../domain/rings';
import { parseVersion } from '../domain/versions';
import type { EventRecord } from '../store/eventStore';
import type { ClusterView } from '../usecases/fleetStatus';
import type { Html } from './html';
import { html, page, raw } from './html';

/** What the dashboard shows: the fleet, the plans, the latest events. */
export interface DashboardData {
  readonly clusters: readonly ClusterView[];
  readonly plans: readonly Plan[];
  readonly events: readonly EventRecord[];
  readonly now: Date;
  /** The fleet table's filter (`?ring=`, `?q=` part of a name); the totals always count the whole fleet. */
  readonly filter?: DashboardFilter;
  /** Rows of the fleet table at most (default {@link FLEET_ROWS}); the rest is counted, not drawn. */
  readonly maxRows?: number;
}

export interface DashboardFilter {
  readonly ring?: Ring;
  readonly q?: string;
}

/** A fleet of thousands would make a page of megabytes; the table shows the clusters that need a look first. */
export const FLEET_ROWS = 200;

const SUPPORT_CLASS: Record<string, string> = {
  supported: 'ok',
  lts: 'ok',
  'platform-support': 'warn',
  unsupported: 'bad',
};
const PLAN_CLASS: Record<string, string> = {
  succeeded: 'ok',
  approved: 'ok',
  'awaiting-approval': 'warn',
  scheduled: 'warn',
  running: 'warn',
  failed: 'bad',
  blocked: 'bad',
  rejected: 'bad',
  expired: 'bad',
};

function worstSeverity(c: ClusterView): string {
  if (c.findings.some((f) => f.severity === 'critical')) return 'bad';
  if (c.findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'ok';
}

const ATTENTION: Record<string, number> = { bad: 0, warn: 1, ok: 2 };
const SUPPORT_ORDER = ['unsupported', 'platform-support', 'unknown', 'supported', 'lts'];

/** Most in need of a look first: worst finding, then support status, then ring (production first), then name. */
function byAttention(a: ClusterView, b: ClusterView): number {
  return (
    (ATTENTION[worstSeverity(a)] ?? 2) - (ATTENTION[worstSeverity(b)] ?? 2) ||
    SUPPORT_ORDER.indexOf(a.support.status) - SUPPORT_ORDER.indexOf(b.support.status) ||
    RINGS.indexOf(b.ring) - RINGS.indexOf(a.ring) ||
    a.name.localeCompare(b.name)
  );
}

/** `1.35` of `1.35.8`; a version ARM reported oddly is shown as it came, never breaking the page. */
function minorLabel(text: string): string {
  const v = parseVersion(text);
  return v ? `${v.major}.${v.minor}` : text || '?';
}

/** Ring by control-plane minor: where the fleet stands, in a few lines whatever its size. */
function versionSummary(clusters: readonly ClusterView[]): Html {
  // One pass: clusters per ring and minor.
  const counts = new Map<string, number>();
  const minorSet = new Set<string>();
  const ringSet = new Set<string>();
  for (const c of clusters) {
    const minor = minorLabel(c.controlPlaneVersion);
    minorSet.add(minor);
    ringSet.add(c.ring);
    counts.set(`${c.ring}|${minor}`, (counts.get(`${c.ring}|${minor}`) ?? 0) + 1);
  }
  const minors = [...minorSet].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const rings = RINGS.filter((r) => ringSet.has(r));
  const count = (ring: string, minor: string): number => counts.get(`${ring}|${minor}`) ?? 0;
  return html`<table>
    <thead>
      <tr>
        <th>ring</th>
        ${minors.map((m) => html`<th>${m}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rings.map(
        (r) =>
          html`<tr>
            <td><a href="?ring=${r}">${r}</a></td>
            ${minors.map((m) => html`<td>${count(r, m) || ''}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function filterForm(filter: DashboardFilter): Html {
  return html`<form method="get" action="">
    <label
      >ring
      <select name="ring">
        <option value="">all</option>
        ${RINGS.map(
          (r) => html`<option value="${r}" ${filter.ring === r ? raw('selected') : ''}>${r}</option>`,
        )}
      </select></label
    >
    <label>name <input name="q" value="${filter.q ?? ''}" size="24" /></label>
    <button type="submit">show</button>
  </form>`;
}

function clusterRows(clusters: readonly ClusterView[]): Html {
  return html`${clusters.map(
    (c) =>
      html`<tr>
        <td>
          <a href="clusters/${encodeURIComponent(c.id)}">${c.name}</a>
          <div class="muted">${c.location} · ${c.subscriptionId.slice(0, 8)}</div>
        </td>
        <td><span class="badge">${c.ring}</span></td>
        <td>
          ${c.controlPlaneVersion}
          <div class="muted">pools ${[...new Set(c.nodePools.map((p) => p.version))].join(', ')}</div>
        </td>
        <td><span class="badge ${SUPPORT_CLASS[c.support.status] ?? ''}">${c.support.status}</span></td>
        <td>${c.autoUpgradeChannel}</td>
        <td>
          <span class="badge ${worstSeverity(c)}">${c.findings.length}</span>
          <ul class="muted">
            ${c.findings.slice(0, 3).map((f) => html`<li>${f.message}</li>`)}
          </ul>
        </td>
      </tr>`,
  )}`;
}

function planRows(plans: readonly Plan[]): Html {
  return html`${plans.map(
    (p) =>
      html`<tr>
        <td>
          <a href="plans/${encodeURIComponent(p.id)}">${p.cluster.name}</a>
          <div class="muted">${p.cluster.ring}</div>
        </td>
        <td>${p.kind}</td>
        <td>${p.kind === 'node-image' ? `node image → ${p.nodeImage ?? '?'}` : `${p.from} → ${p.to}`}</td>
        <td>
          <span class="badge ${PLAN_CLASS[p.status] ?? ''}">${p.status}</span>
          ${p.failure ? html`<div class="muted">${p.failure.reason}</div>` : ''}
          ${p.blocked ? html`<div class="muted">deprecated APIs in use: ${p.blocked.deprecatedApis.join(', ')}</div>` : ''}
          ${p.hold ? html`<div class="muted">${p.hold.reason}</div>` : ''}
        </td>
        <td class="muted">${p.updatedAt.slice(0, 16).replace('T', ' ')}</td>
      </tr>`,
  )}`;
}

function eventRows(events: readonly EventRecord[]): Html {
  return html`${events.map(
    (e) =>
      html`<tr>
        <td class="muted">${e.receivedAt.slice(0, 19).replace('T', ' ')}</td>
        <td>${e.eventType.split('.').pop() ?? e.eventType}</td>
        <td>${e.clusterName ?? '—'}</td>
      </tr>`,
  )}`;
}

/** The fleet dashboard: everyone may look; it links to the JSON behind it. */
export function renderDashboard(data: DashboardData): string {
  const open = data.plans.filter(
    (p) => !['succeeded', 'rejected', 'expired', 'failed', 'cancelled', 'superseded'].includes(p.status),
  );
  const waiting = open.filter((p) => p.status === 'awaiting-approval').length;
  const unsupported = data.clusters.filter(
    (c) => c.support.status === 'unsupported' || c.support.status === 'platform-support',
  ).length;
  const findings = data.clusters.reduce((n, c) => n + c.findings.length, 0);
  const filter = data.filter ?? {};
  const q = filter.q?.toLowerCase();
  const matching = data.clusters
    .filter(
      (c) =>
        (filter.ring === undefined || c.ring === filter.ring) &&
        (q === undefined || c.name.toLowerCase().includes(q)),
    )
    .sort(byAttention);
  const shown = matching.slice(0, data.maxRows ?? FLEET_ROWS);
  const counted =
    shown.length < matching.length
      ? `Showing ${shown.length} of ${matching.length} clusters`
      : `${matching.length} ${matching.length === 1 ? 'cluster' : 'clusters'}`;
  const filtered = filter.ring !== undefined || filter.q !== undefined ? ' matching the filter' : '';
  const tableCaption = `${counted}${filtered}, most in need of a look first.`;
  const body = html`
    <h1>AKS Upgrade Warden</h1>
    <p class="muted">
      As of ${data.now.toISOString().slice(0, 16).replace('T', ' ')} UTC · JSON:
      <a href="clusters">clusters</a> · <a href="plans">plans</a> · <a href="events">events</a> ·
      <a href="notifications">notifications</a>
    </p>
    <p>
      <span class="badge">${data.clusters.length} clusters</span>
      <span class="badge ${unsupported > 0 ? 'bad' : 'ok'}">${unsupported} out of (or leaving) support</span>
      <span class="badge ${findings > 0 ? 'warn' : 'ok'}">${findings} findings</span>
      <span class="badge">${open.length} open plans</span>
      <span class="badge ${waiting > 0 ? 'warn' : 'ok'}">${waiting} awaiting approval</span>
    </p>
    <h2>Fleet</h2>
    ${
      data.clusters.length === 0
        ? html`<p class="muted">
            No clusters yet: the fleet sweep runs hourly (POST /api/sweep runs it now).
          </p>`
        : html`${versionSummary(data.clusters)} ${filterForm(filter)}
            <p class="muted">${tableCaption}</p>
            <table>
              <thead>
                <tr>
                  <th>cluster</th>
                  <th>ring</th>
                  <th>version</th>
                  <th>support</th>
                  <th>channel</th>
                  <th>findings</th>
                </tr>
              </thead>
              <tbody>
                ${clusterRows(shown)}
              </tbody>
            </table>`
    }
    <h2>Plans</h2>
    ${
      data.plans.length === 0
        ? html`<p class="muted">No upgrade plans.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>cluster</th>
                <th>kind</th>
                <th>upgrade</th>
                <th>status</th>
                <th>updated</th>
              </tr>
            </thead>
            <tbody>
              ${planRows(data.plans)}
            </tbody>
          </table>`
    }
    <h2>Latest events</h2>
    ${
      data.events.length === 0
        ? html`<p class="muted">No AKS events recorded yet.</p>`
        : html`<table>
            <thead>
              <tr>
                <th>received</th>
                <th>event</th>
                <th>cluster</th>
              </tr>
            </thead>
            <tbody>
              ${eventRows(data.events)}
            </tbody>
          </table>`
    }
  `;
  return page('Fleet', html`${raw('<style>main{max-width:1100px}th{width:auto}</style>')}${body}`);
}

import type { FleetOverview, FleetRow } from '../domain/fleetOverview';
import type { Plan, PlanStatus } from '../domain/plan';
import { isOpen, isPlanStatus } from '../domain/plan';
import type { Ring } from '../domain/rings';
import { isRing, RINGS } from '../domain/rings';
import { ValidationError } from '../errors';
import type { EventRecord } from '../store/eventStore';
import type { ClusterView } from '../usecases/fleetStatus';
import type { DashboardFleet } from '../usecases/fleetSummary';
import { fleetOfViews } from '../usecases/fleetSummary';
import type { Html } from './html';
import { html, page, raw } from './html';
import { clusterHref, DASHBOARD_HREF, planChange, planHref, statusBadge } from './pageParts';
import { verdictBadge } from './preflightView';
import { at, when } from './times';

/** What the dashboard shows: the fleet, the plans, the latest events. */
export interface DashboardData {
  /** The fleet from its summary (what the route reads); without it, from `clusters`. */
  readonly fleet?: DashboardFleet;
  readonly clusters?: readonly ClusterView[];
  readonly plans: readonly Plan[];
  readonly events: readonly EventRecord[];
  readonly now: Date;
  /** The fleet table's filter (`?ring=`, `?q=` part of a name); the totals always count the whole fleet. */
  readonly filter?: DashboardFilter;
  /** Rows of the fleet table at most (default {@link FLEET_ROWS}); the rest is counted, not drawn. */
  readonly maxRows?: number;
  /** Where the local runtime shows what Warden sent (`npm start` only): linked beside the sweep line. */
  readonly localOutbox?: string;
}

export interface DashboardFilter {
  readonly ring?: Ring;
  readonly q?: string;
  /** `out`: only clusters out of (or leaving) support. */
  readonly support?: 'out';
  /** `any`: only clusters with a finding. */
  readonly findings?: 'any';
  /** The plans table: `open` plans, or plans in one status. */
  readonly plans?: 'open' | PlanStatus;
}

/**
 * The filters: `?ring=` one of the rings, `?q=` part of a cluster name, `?support=out`, `?findings=any`
 * (the fleet table); `?plans=open` or a plan status (the plans table).
 */
export function parseDashboardFilter(query: URLSearchParams): DashboardFilter {
  const ring = query.get('ring')?.trim() || undefined;
  const q = query.get('q')?.trim() || undefined;
  const support = query.get('support')?.trim() || undefined;
  const findings = query.get('findings')?.trim() || undefined;
  const plans = query.get('plans')?.trim() || undefined;
  if (support !== undefined && support !== 'out')
    throw new ValidationError('bad support', `support can only be "out", got "${support.slice(0, 40)}"`);
  if (findings !== undefined && findings !== 'any')
    throw new ValidationError('bad findings', `findings can only be "any", got "${findings.slice(0, 40)}"`);
  if (plans !== undefined && plans !== 'open' && !isPlanStatus(plans))
    throw new ValidationError(
      'bad plans',
      `plans must be "open" or a plan status such as awaiting-approval, got "${plans.slice(0, 40)}"`,
    );
  if (ring !== undefined && !isRing(ring))
    throw new ValidationError(
      'bad ring',
      `ring must be one of ${RINGS.join(', ')}, got "${ring.slice(0, 40)}"`,
    );
  if (q !== undefined && q.length > 100)
    throw new ValidationError('bad filter', 'q is at most 100 characters');
  return {
    ...(ring !== undefined && { ring }),
    ...(q !== undefined && { q }),
    ...(support !== undefined && { support: 'out' as const }),
    ...(findings !== undefined && { findings: 'any' as const }),
    ...(plans !== undefined && { plans }),
  };
}

/** A fleet of thousands would make a page of megabytes; the table shows the clusters that need a look first. */
export const FLEET_ROWS = 200;
/** The plans listed: the latest changed, in the status asked for (the chips above pick one). */
export const PLAN_ROWS = 50;

const SUPPORT_CLASS: Record<string, string> = {
  supported: 'ok',
  lts: 'ok',
  'platform-support': 'warn',
  unsupported: 'bad',
};

/** Ring by control-plane minor: where the fleet stands, in a few lines whatever its size. */
function versionSummary(fleet: FleetOverview): Html {
  const counts = new Map(Object.entries(fleet.byRingMinor));
  const minorSet = new Set<string>();
  const ringSet = new Set<string>();
  for (const key of counts.keys()) {
    const [ring = '', minor = ''] = key.split('|');
    minorSet.add(minor);
    ringSet.add(ring);
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

function clusterRows(clusters: readonly FleetRow[]): Html {
  return html`${clusters.map(
    (c) =>
      html`<tr>
        <td>
          <a href="${clusterHref(c.id)}">${c.name}</a>
          <div class="muted">${c.location} · ${c.subscriptionId.slice(0, 8)}</div>
        </td>
        <td><span class="badge">${c.ring}</span></td>
        <td>
          ${c.controlPlaneVersion}
          <div class="muted">pools ${c.poolVersions.join(', ')}</div>
        </td>
        <td><span class="badge ${SUPPORT_CLASS[c.support] ?? ''}">${c.support}</span></td>
        <td>${c.autoUpgradeChannel}</td>
        <td>
          <span class="badge ${c.attention}">${c.findingCount}</span>
          <ul class="muted">
            ${c.findings.map((f) => html`<li>${f.message}</li>`)}
          </ul>
        </td>
      </tr>`,
  )}`;
}

function planRows(plans: readonly Plan[], now: Date): Html {
  return html`${plans.map(
    (p) =>
      html`<tr>
        <td>
          <a href="${planHref(p.id)}">${p.cluster.name}: ${planChange(p)}</a>
          <div class="muted">${p.cluster.ring} · ${p.kind}</div>
        </td>
        <td>
          ${statusBadge(p.status)} ${p.failure ? html`<div class="muted">${p.failure.reason}</div>` : ''}
          ${p.blocked ? html`<div class="muted">deprecated APIs in use: ${p.blocked.deprecatedApis.join(', ')}</div>` : ''}
          ${p.preflight?.verdict === 'no-go' ? html` ${verdictBadge('no-go', 'pre-flight no-go')}` : ''}
          ${p.hold ? html`<div class="muted">${p.hold.reason}</div>` : ''}
        </td>
        <td class="muted when">${when(p.updatedAt, now)}</td>
      </tr>`,
  )}`;
}

function eventRows(events: readonly EventRecord[], now: Date): Html {
  return html`${events.map(
    (e) =>
      html`<tr>
        <td class="muted">${at(e.receivedAt, now, true)}</td>
        <td>${e.eventType.split('.').pop() ?? e.eventType}</td>
        <td>
          ${e.clusterId !== undefined ? html`<a href="${clusterHref(e.clusterId)}">${e.clusterName ?? e.clusterId}</a>` : (e.clusterName ?? '—')}
        </td>
      </tr>`,
  )}`;
}

/** A count that links to the list it counts. */
function chip(href: string, text: string, cls: string): Html {
  return html`<a href="${href}"><span class="${cls === '' ? 'badge' : `badge ${cls}`}">${text}</span></a>`;
}

const LEGEND = html`<p class="legend">
  <span class="badge bad">red</span> critical: act now (out of support, failed, blocked) ·
  <span class="badge warn">amber</span> warning: look soon, or waiting for someone ·
  <span class="badge run">blue</span> running · <span class="badge ok">green</span> fine or done
</p>`;

/** The fleet dashboard: everyone may look. Chips link to the lists they count; rows to the cluster and plan pages. */
export function renderDashboard(data: DashboardData): string {
  const now = data.now;
  const open = data.plans.filter((p) => isOpen(p.status));
  const waiting = open.filter((p) => p.status === 'awaiting-approval').length;
  const running = open.filter((p) => p.status === 'running').length;
  const filter = data.filter ?? {};
  const fleet = data.fleet ?? fleetOfViews(data.clusters ?? [], filter, data.maxRows ?? FLEET_ROWS);
  const { unsupported, findings } = fleet.overview;
  const shown = fleet.rows;
  const counted =
    shown.length < fleet.matching
      ? `Showing ${shown.length} of ${fleet.matching} clusters`
      : `${fleet.matching} ${fleet.matching === 1 ? 'cluster' : 'clusters'}`;
  const clusterFiltered =
    filter.ring !== undefined ||
    filter.q !== undefined ||
    filter.support !== undefined ||
    filter.findings !== undefined;
  const tableCaption = `${counted}${clusterFiltered ? ' matching the filter' : ''}, most in need of a look first.`;
  // Open plans first (they are what someone may have to act on), each group as the store ordered it.
  const plans = (
    filter.plans === undefined
      ? data.plans
      : data.plans.filter((p) => (filter.plans === 'open' ? isOpen(p.status) : p.status === filter.plans))
  ).toSorted((a, b) => Number(isOpen(b.status)) - Number(isOpen(a.status)));
  const lastSweep = fleet.lastSweep;
  const body = html`
    <h1>AKS Upgrade Warden</h1>
    <p class="muted">
      As of ${at(now, now)} · last sweep saw the fleet
      ${lastSweep !== undefined ? when(lastSweep, now) : 'never'} (hourly) ·
      <a href="${DASHBOARD_HREF}">show everything</a>${
        data.localOutbox !== undefined
          ? html` ·
              <a href="${data.localOutbox}" id="local-outbox"
                >local outbox: the emails and Teams cards Warden sent</a
              >`
          : ''
      }
    </p>
    <p class="chips">
      ${chip(`${DASHBOARD_HREF}#fleet`, `${fleet.overview.clusters} clusters`, '')}
      ${chip(`${DASHBOARD_HREF}?support=out#fleet`, `${unsupported} out of (or leaving) support`, unsupported > 0 ? 'bad' : 'ok')}
      ${chip(`${DASHBOARD_HREF}?findings=any#fleet`, `${findings} findings`, findings > 0 ? 'warn' : 'ok')}
      ${chip(`${DASHBOARD_HREF}?plans=open#plans`, `${open.length} open plans`, '')}
      ${chip(`${DASHBOARD_HREF}?plans=awaiting-approval#plans`, `${waiting} awaiting approval`, waiting > 0 ? 'warn' : 'ok')}
      ${chip(`${DASHBOARD_HREF}?plans=running#plans`, `${running} running`, running > 0 ? 'run' : 'ok')}
    </p>
    ${LEGEND}
    <div class="columns">
      <section aria-labelledby="plans">
        <h2 id="plans">Plans${filter.plans !== undefined ? `: ${filter.plans}` : ''}</h2>
        ${
          plans.length === 0
            ? html`<p class="muted">
                ${filter.plans !== undefined ? 'No plans match.' : 'No upgrade plans.'}
              </p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">plan</th>
                    <th scope="col">status</th>
                    <th scope="col">updated</th>
                  </tr>
                </thead>
                <tbody>
                  ${planRows(plans, now)}
                </tbody>
              </table>`
        }
        ${
          plans.length >= PLAN_ROWS
            ? html`<p class="muted">The latest ${PLAN_ROWS} changed; the counts above list one status.</p>`
            : ''
        }
        <h2 id="events">Latest events</h2>
        ${
          data.events.length === 0
            ? html`<p class="muted">No AKS events recorded yet.</p>`
            : html`<table>
                <thead>
                  <tr>
                    <th scope="col">received</th>
                    <th scope="col">event</th>
                    <th scope="col">cluster</th>
                  </tr>
                </thead>
                <tbody>
                  ${eventRows(data.events, now)}
                </tbody>
              </table>`
        }
      </section>
      <section aria-labelledby="fleet">
        <h2 id="fleet">Fleet</h2>
        ${
          fleet.overview.clusters === 0
            ? html`<p class="muted">
                No clusters yet: the fleet sweep runs hourly (POST /api/sweep runs it now).
              </p>`
            : html`${versionSummary(fleet.overview)} ${filterForm(filter)}
                <p class="muted">${tableCaption}</p>
                <div class="scroll">
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">cluster</th>
                        <th scope="col">ring</th>
                        <th scope="col">version</th>
                        <th scope="col">support</th>
                        <th scope="col">channel</th>
                        <th scope="col">findings</th>
                      </tr>
                    </thead>
                    <tbody>
                      ${clusterRows(shown)}
                    </tbody>
                  </table>
                </div>`
        }
      </section>
    </div>
    <p class="muted">
      For scripts, the same data as JSON: <code>GET /api/clusters</code> · <code>GET /api/plans</code> ·
      <code>GET /api/events</code> · <code>GET /api/notifications</code>
    </p>
  `;
  return page(
    'Fleet',
    html`${raw(
      '<style>th{width:auto}td.when{min-width:9rem}.columns{display:grid;gap:0 2rem;grid-template-columns:minmax(0,1fr)}@media (min-width:1280px){.columns{grid-template-columns:minmax(0,2fr) minmax(0,3fr)}}</style>',
    )}${body}`,
    { wide: true },
  );
}

import type { HttpResponseInit } from '@azure/functions';

import { nodeImageDate } from '../domain/compliance';
import { parseMaintenanceConfiguration, policySchedule } from '../domain/maintenanceConfiguration';
import type { Schedule } from '../domain/maintenanceWindow';
import { describeSchedule, windowAt } from '../domain/maintenanceWindow';
import type { Plan } from '../domain/plan';
import { isOpen } from '../domain/plan';
import type { Policy, PolicyWindow } from '../domain/policy';
import { supportOutlook } from '../domain/supportOutlook';
import type { Logger } from '../logging';
import type { EventRecord } from '../store/eventStore';
import { AmbiguousClusterError } from '../usecases/fleetStatus';
import type { ClusterPageData } from '../usecases/pageViews';
import { actionErrorResponse } from './actionPages';
import type { Html } from './html';
import { html, page, safeUrl } from './html';
import { errorResponse, htmlPage, json } from './http';
import { nodeViewSection } from './nodeView';
import { navLine, planChange, planHref, statusBadge } from './pageParts';
import { at, duration, when } from './times';

/**
 * The cluster page: what a browser gets at `GET /api/clusters/{id}`: the control plane and every pool,
 * support, the nodes as the latest pre-flight read them, findings with their guidance, the maintenance
 * windows with their next openings, open and past plans, recent events.
 */

const SEVERITY_CLASS: Readonly<Record<string, string>> = { critical: 'bad', warning: 'warn', info: '' };

/** The next `count` openings of a schedule from `now` (the one open now first). */
export function nextOpenings(schedule: Schedule, now: Date, count = 3): { start: Date; end: Date }[] {
  const out: { start: Date; end: Date }[] = [];
  const first = windowAt(schedule, now);
  if (first.current !== undefined) out.push(first.current);
  let next = first.nextOpen;
  while (next !== undefined && out.length < count) {
    out.push(next);
    next = windowAt(schedule, new Date(next.start.getTime())).nextOpen;
  }
  return out;
}

interface WindowRow {
  readonly name: string;
  readonly description: string;
  readonly openings: readonly { start: Date; end: Date }[];
  readonly problem?: string;
}

function windowRows(data: ClusterPageData, policyWindow: PolicyWindow | undefined, now: Date): WindowRow[] {
  const rows: WindowRow[] = data.cluster.snapshot.maintenanceConfigurations.map((m) => {
    try {
      const schedule = parseMaintenanceConfiguration(m.properties);
      return { name: m.name, description: describeSchedule(schedule), openings: nextOpenings(schedule, now) };
    } catch (e) {
      const problem = e instanceof Error ? e.message : String(e);
      return { name: m.name, description: 'unreadable: Warden treats it as closed', openings: [], problem };
    }
  });
  if (rows.length === 0 && policyWindow !== undefined) {
    const schedule = policySchedule(policyWindow);
    rows.push({
      name: 'policy window for the ring',
      description: describeSchedule(schedule),
      openings: nextOpenings(schedule, now),
    });
  }
  return rows;
}

function windowsSection(data: ClusterPageData, policyWindow: PolicyWindow | undefined, now: Date): Html {
  const rows = windowRows(data, policyWindow, now);
  const readAt = data.cluster.windowsReadAt;
  return html`<h2>Maintenance windows</h2>
    ${
      rows.length === 0
        ? html`<p>No maintenance window: Warden may run an approved upgrade at any time.</p>`
        : html`<table class="grid" id="windows">
            <thead>
              <tr>
                <th scope="col">configuration</th>
                <th scope="col">when</th>
                <th scope="col">next openings</th>
              </tr>
            </thead>
            <tbody>
              ${rows.map(
                (r) =>
                  html`<tr>
                    <td>${r.name}</td>
                    <td>
                      ${r.description}${r.problem !== undefined ? html`<br /><span class="muted">${r.problem}</span>` : ''}
                    </td>
                    <td>
                      <ul>
                        ${r.openings.map((o) => html`<li>${when(o.start, now)} for ${duration(o.end.getTime() - o.start.getTime())}</li>`)}
                      </ul>
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
    <p class="muted">
      ${readAt !== undefined ? html`Read from ARM ${when(readAt, now)}.` : 'Not read from ARM yet.'} The
      runner starts a step only inside a window with enough of it left.
    </p>`;
}

function daysText(days: number): string {
  const n = Math.abs(days);
  return `${n} day${n === 1 ? '' : 's'}`;
}

/**
 * The support status with what is left of it: days to the end-of-support date of AKS's notice when
 * Warden has one, else the minors the region may still release before this one leaves support.
 */
function supportLine(data: ClusterPageData, now: Date): Html {
  const s = data.cluster.support;
  const v = data.cluster.snapshot.kubernetesVersion;
  if (s === undefined) return html`<span class="badge">unknown</span> not assessed yet`;
  const cls = s.status === 'unsupported' ? 'bad' : s.status === 'platform-support' ? 'warn' : 'ok';
  const o = supportOutlook(data.cluster.snapshot, s, data.cluster.timeline ?? [], now);
  const minors =
    o.minorsLeft === undefined
      ? ''
      : o.minorsLeft === 0
        ? 'the next minor the region releases ends its support'
        : `${o.minorsLeft} minor${o.minorsLeft === 1 ? '' : 's'} left`;
  const dated =
    o.endsAt !== undefined && o.daysLeft !== undefined
      ? html`<span id="support-left"
          >${o.notice?.supportType ?? 'Community'} support for ${v.split('.').slice(0, 2).join('.')}
          ${o.daysLeft >= 0 ? html`ends ${when(o.endsAt, now)}: <b>${daysText(o.daysLeft)} left</b>` : html`ended ${when(o.endsAt, now)}`}
          (AKS notice ${o.notice?.notice ?? ''})${minors !== '' ? `; ${minors}` : ''}</span
        >`
      : undefined;
  const detail =
    dated ??
    (s.status === 'supported'
      ? html`<span id="support-left"
          >${minors}, no date known (AKS's end-of-support notice brings the date two weeks ahead; AKS ships a
          minor about every three months)</span
        >`
      : s.status === 'lts'
        ? html`<span id="support-left">long-term support, no date known</span>`
        : s.status === 'platform-support'
          ? html`${s.minorsBehind} minors behind ${s.newestMinor ?? 'the newest'}: only platform support;
            upgrade soon`
          : html`${s.minorsBehind} minors behind ${s.newestMinor ?? 'the newest'}: out of support; upgrade now`);
  return html`<span class="badge ${cls}" id="support">${s.status}</span> ${detail}`;
}

function poolsTable(data: ClusterPageData, now: Date): Html {
  const s = data.cluster.snapshot;
  return html`<div class="scroll">
    <table class="grid" id="pools">
      <thead>
        <tr>
          <th scope="col">pool</th>
          <th scope="col">version</th>
          <th scope="col">node image</th>
          <th scope="col">image age</th>
          <th scope="col">mode</th>
          <th scope="col">OS</th>
          <th scope="col">nodes</th>
          <th scope="col">max surge</th>
        </tr>
      </thead>
      <tbody>
        <tr>
          <td><b>control plane</b></td>
          <td>${s.kubernetesVersion}</td>
          <td colspan="6" class="muted">
            ${s.supportPlan} · auto-upgrade ${s.autoUpgradeChannel} · node OS
            ${s.nodeOsUpgradeChannel ?? 'unset'}${s.provisioningState !== undefined ? ` · ${s.provisioningState}` : ''}
          </td>
        </tr>
        ${s.nodePools.map((p) => {
          const built = p.nodeImageVersion !== undefined ? nodeImageDate(p.nodeImageVersion) : undefined;
          return html`<tr>
            <td>${p.name}</td>
            <td>${p.orchestratorVersion}</td>
            <td><code>${p.nodeImageVersion ?? '—'}</code></td>
            <td>${built !== undefined ? duration(now.getTime() - built.getTime()) : '—'}</td>
            <td>${p.mode}</td>
            <td>${p.osType}${p.osSku !== undefined ? ` ${p.osSku}` : ''}</td>
            <td>${p.count}</td>
            <td>${p.maxSurge ?? 'default'}</td>
          </tr>`;
        })}
      </tbody>
    </table>
  </div>`;
}

function findingsSection(data: ClusterPageData): Html {
  const findings = data.cluster.findings;
  return html`<h2>Findings</h2>
    ${
      findings.length === 0
        ? html`<p>None: the cluster follows the day-2 guidance Warden checks.</p>`
        : html`<ul id="findings">
            ${findings.map(
              (f) =>
                html`<li>
                  <span class="badge ${SEVERITY_CLASS[f.severity] ?? ''}">${f.severity}</span> ${f.message}
                  <br /><span class="muted"
                    >${f.guidance.text}
                    <a href="${safeUrl(f.guidance.source)}" rel="noopener noreferrer">guidance</a></span
                  >
                </li>`,
            )}
          </ul>`
    }`;
}

function planRows(plans: readonly Plan[], now: Date): Html {
  return html`<table class="grid">
    <thead>
      <tr>
        <th scope="col">plan</th>
        <th scope="col">status</th>
        <th scope="col">updated</th>
      </tr>
    </thead>
    <tbody>
      ${plans.map(
        (p) =>
          html`<tr>
            <td><a href="${planHref(p.id)}">${planChange(p)}</a></td>
            <td>
              ${statusBadge(p.status)}${p.failure !== undefined ? html` <span class="muted">${p.failure.reason}</span>` : ''}${p.hold !== undefined ? html` <span class="muted">${p.hold.reason}</span>` : ''}
            </td>
            <td>${when(p.updatedAt, now)}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function plansSection(plans: readonly Plan[], now: Date): Html {
  const open = plans.filter((p) => isOpen(p.status));
  const past = plans.filter((p) => !isOpen(p.status));
  return html`<h2>Open plans</h2>
    ${open.length === 0 ? html`<p class="muted">None.</p>` : planRows(open, now)}
    <h2>Past plans</h2>
    ${past.length === 0 ? html`<p class="muted">None.</p>` : planRows(past.slice(0, 20), now)}`;
}

function eventsSection(events: readonly EventRecord[], now: Date): Html {
  return html`<h2>Recent AKS events</h2>
    ${
      events.length === 0
        ? html`<p class="muted">None recorded.</p>`
        : html`<table class="grid" id="events">
            <thead>
              <tr>
                <th scope="col">received</th>
                <th scope="col">event</th>
                <th scope="col">data</th>
              </tr>
            </thead>
            <tbody>
              ${events.map(
                (e) =>
                  html`<tr>
                    <td>${at(e.receivedAt, now, true)}</td>
                    <td>${e.eventType.split('.').pop() ?? e.eventType}</td>
                    <td><code>${JSON.stringify(e.data ?? null).slice(0, 300)}</code></td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }`;
}

/** The cluster page. `policyWindow` is the policy's window for the cluster's ring (used when AKS has none). */
export function renderClusterPage(
  data: ClusterPageData,
  policyWindow: PolicyWindow | undefined,
  now: Date,
): string {
  const s = data.cluster.snapshot;
  const tags = Object.entries(s.tags);
  const body = html`${navLine()}
    <h1>${s.name}</h1>
    <p>
      <span class="badge">${s.ring}</span> ${s.location} · resource group ${s.resourceGroup} · subscription
      <code>${s.subscriptionId}</code>
      ${data.cluster.deletedAt !== undefined ? html` · <span class="badge bad">gone from the inventory ${when(data.cluster.deletedAt, now)}</span>` : ''}
    </p>
    <p>Support: ${supportLine(data, now)}</p>
    <p class="muted">
      Last seen
      ${when(s.lastSeen, now)}${tags.length > 0 ? html` · tags ${tags.map(([k, v]) => html`<span class="badge">${k}=${v}</span> `)}` : ''}
    </p>
    <h2>Control plane and pools</h2>
    ${poolsTable(data, now)} ${nodeViewSection(data.preflight, now)} ${findingsSection(data)}
    ${windowsSection(data, policyWindow, now)} ${plansSection(data.plans, now)}
    ${eventsSection(data.events, now)}`;
  return page(s.name, body, { wide: true });
}

/** The cluster page as an answer, with the policy's window for the cluster's ring (used when AKS has none). */
export function clusterPageResponse(
  data: ClusterPageData,
  policy: Pick<Policy, 'windows'>,
  now: Date,
): HttpResponseInit {
  return htmlPage(200, renderClusterPage(data, policy.windows[data.cluster.snapshot.ring], now));
}

/**
 * A failed cluster request: a name several live clusters carry is a 409 with the candidates' ids (JSON
 * either way: they are what to ask by); the rest as a page to a browser, as JSON to an API client.
 */
export function clusterErrorResponse(thrown: unknown, log: Logger, asPage: boolean): HttpResponseInit {
  if (thrown instanceof AmbiguousClusterError)
    return json(409, {
      error: 'ambiguous cluster name',
      detail: thrown.message,
      candidates: thrown.candidates,
    });
  return asPage ? actionErrorResponse(thrown, log, false) : errorResponse(thrown, log);
}

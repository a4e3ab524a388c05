import type { Plan } from '../domain/plan';
import { decided, pendingApprovers, stepLabel } from '../domain/plan';
import { notPassing } from '../domain/preflight';
import { nextRunnerRun } from '../domain/runner';
import { minorOf } from '../domain/versions';
import { fleetGateSection } from './fleetGateView';
import type { Html } from './html';
import { commentField, html, page, safeUrl } from './html';
import { navLine, planHref, statusBadge, windowLine } from './pageParts';
import { preflightOf, whatNext } from './planPage';
import { preflightSection } from './preflightView';
import { at, duration, when } from './times';

/** Release notes a person should read before approving: AKS releases and the Kubernetes changelog of the minor. */
export function releaseNotes(plan: Plan): { label: string; url: string }[] {
  const links = [{ label: 'AKS release notes', url: 'https://github.com/Azure/AKS/releases' }];
  if (plan.kind !== 'node-image' && /^\d+\.\d+/.test(plan.to)) {
    const minor = minorOf(plan.to);
    links.push({
      label: `Kubernetes ${minor} changelog`,
      url: `https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-${minor}.md`,
    });
  }
  return links;
}

function planTable(plan: Plan, now: Date): Html {
  const change =
    plan.kind === 'node-image' ? `node image → ${plan.nodeImage ?? ''}` : `${plan.from} → ${plan.to}`;
  const tags = Object.entries(plan.cluster.tags);
  return html`<table>
    <tr>
      <th>Cluster</th>
      <td id="cluster">${plan.cluster.name}</td>
    </tr>
    <tr>
      <th>Resource group</th>
      <td>${plan.cluster.resourceGroup} (${plan.cluster.subscriptionId})</td>
    </tr>
    <tr>
      <th>Ring</th>
      <td id="ring">${plan.cluster.ring}</td>
    </tr>
    <tr>
      <th>Upgrade</th>
      <td id="change">${change}</td>
    </tr>
    <tr>
      <th>Kind</th>
      <td>${plan.kind}</td>
    </tr>
    <tr>
      <th>Status</th>
      <td>
        ${statusBadge(plan.status)}${plan.hold !== undefined ? html`<br /><span class="muted" id="hold">Waiting: ${plan.hold.reason}</span>` : ''}
      </td>
    </tr>
    <tr>
      <th>Window</th>
      <td id="window">${plan.window?.description ?? 'any time'}${windowLine(plan.window, now)}</td>
    </tr>
    ${
      plan.urgency !== 'normal'
        ? html`<tr>
            <th>Urgency</th>
            <td>
              ${plan.urgency}${plan.deadline !== undefined ? html` (deadline ${when(plan.deadline, now)})` : ''}
            </td>
          </tr>`
        : ''
    }
    <tr>
      <th>Reason</th>
      <td>${plan.reason}</td>
    </tr>
    <tr>
      <th>Steps</th>
      <td>
        <ol>
          ${plan.steps.map((s) => html`<li>${stepLabel(s)}</li>`)}
        </ol>
      </td>
    </tr>
    ${
      tags.length > 0
        ? html`<tr>
            <th>Tags</th>
            <td>${tags.map(([k, v]) => html`<span class="badge">${k}=${v}</span> `)}</td>
          </tr>`
        : ''
    }
  </table>`;
}

function evidenceSection(plan: Plan, now: Date): Html {
  const e = plan.evidence;
  if (e === undefined)
    return html`<h2>Evidence from lower rings</h2>
      <p class="muted">Not checked yet.</p>`;
  return html`<h2>Evidence from lower rings</h2>
    <p id="evidence">${e.reason}</p>
    ${e.lowerRing !== undefined ? html`<p class="muted">Soak required in ${e.lowerRing}: ${duration(e.soakMs)}${e.firstSuccessAt !== undefined ? html`; first success ${when(e.firstSuccessAt, now)}` : ''}; checked ${when(e.checkedAt, now)}.</p>` : ''}
    ${
      e.plans.length > 0
        ? html`<table>
            <tr>
              <th>Cluster</th>
              <td><b>Status</b></td>
              <td><b>When</b></td>
            </tr>
            ${e.plans.map(
              (p) =>
                html`<tr>
                  <th>${p.clusterName}</th>
                  <td>${p.status}</td>
                  <td>${at(p.at, now)}</td>
                </tr>`,
            )}
          </table>`
        : ''
    }`;
}

function findingsSection(plan: Plan): Html {
  return html`<h2>Findings</h2>
    ${
      plan.findings.length === 0
        ? html`<p class="muted">No pre-flight findings.</p>`
        : html`<ul>
            ${plan.findings.map((f) => html`<li><span class="badge ${f.severity === 'critical' ? 'bad' : f.severity === 'warning' ? 'warn' : ''}">${f.severity}</span> ${f.message}</li>`)}
          </ul>`
    }`;
}

function notesSection(plan: Plan): Html {
  return html`<h2>Release notes</h2>
    <ul>
      ${releaseNotes(plan).map((l) => html`<li><a href="${safeUrl(l.url)}" rel="noopener noreferrer">${l.label}</a></li>`)}
    </ul>`;
}

function approvalsSection(plan: Plan, now: Date): Html {
  const a = plan.approval;
  if (a === undefined) return html``;
  return html`<h2>Approvals</h2>
    <p>
      ${a.decisions.filter((d) => d.decision === 'approve').length} of ${plan.gate.required} approval(s);
      request expires ${when(a.expiresAt, now)}.
    </p>
    ${
      a.decisions.length > 0
        ? html`<ul>
            ${a.decisions.map((d) => html`<li>${d.approver} ${decided(d.decision)} at ${at(d.at, now)}${d.comment !== '' ? html`: “${d.comment}”` : ''}</li>`)}
          </ul>`
        : ''
    }
    ${pendingApprovers(plan).length > 0 ? html`<p class="muted">Waiting for: ${pendingApprovers(plan).join(', ')}</p>` : ''}`;
}

/**
 * The verdict in one line, above the buttons: what lower rings showed, the worst finding, the pre-flight
 * verdict. The rest of the page is the evidence for it.
 */
export function verdictLine(plan: Plan): Html {
  const e = plan.evidence;
  const critical = plan.findings.filter((f) => f.severity === 'critical').length;
  const warnings = plan.findings.filter((f) => f.severity === 'warning').length;
  const preflight = preflightOf(plan);
  const tone = e?.allowed === false || critical > 0 || preflight?.verdict === 'no-go' ? 'bad' : 'ok';
  return html`<p class="next ${tone}" id="verdict">
    <b
      >${e === undefined ? 'Lower rings not checked yet' : e.allowed ? 'Lower rings: ✓' : 'Lower rings: ✗'}</b
    >
    ${e !== undefined ? html` ${e.reason}` : ''} ·
    ${critical > 0 ? html`<b>${critical} critical finding(s)</b>` : `${warnings} warning(s), no critical finding`}${preflight !== undefined ? html` · pre-flight <b>${preflight.verdict}</b>` : ''}
  </p>`;
}

/** A no-go plan may still be approved: say, before the buttons, what Warden will wait for. */
function preflightHold(plan: Plan): Html {
  const report = preflightOf(plan);
  if (report?.verdict !== 'no-go') return html``;
  const failing = notPassing(report).filter((c) => c.status === 'fail' || c.status === 'unknown');
  return html`<p class="next bad" id="preflight-hold">
    Pre-flight is <b>no-go</b>:
    ${failing
      .slice(0, 3)
      .map((c) => c.id)
      .join(', ')}.
    You may still approve; Warden will not start a step until the check passes, then goes on by itself.
  </p>`;
}

function decisionForm(plan: Plan, token: string): Html {
  return html`<form method="post" action="/api/approvals/${encodeURIComponent(plan.id)}" id="decide">
    <input type="hidden" name="token" value="${token}" />
    <p class="decide">
      <button class="approve" type="submit" name="decision" value="approve">Approve</button
      ><button class="reject" type="submit" name="decision" value="reject">Reject</button>
    </p>
    ${commentField()}
  </form>`;
}

/**
 * The confirmation page: the verdict line and the buttons first (they fit a laptop's and a phone's first
 * screen), then the whole plan. A plain POST form (no script; scanners that run scripts submit nothing).
 */
export function approvalPage(plan: Plan, approver: string, token: string, now: Date): string {
  const title = `${plan.cluster.name}: approve ${plan.kind === 'node-image' ? `node image ${plan.nodeImage ?? ''}` : `${plan.from} → ${plan.to}`}?`;
  return page(
    title,
    html`<h1>${title}</h1>
      <p>
        ${plan.cluster.ring} · ${plan.steps.length} step(s) · ${plan.window?.description ?? 'any time'}. You
        decide as
        <b id="approver">${approver}</b>; nothing changes until you press a button.
      </p>
      ${verdictLine(plan)} ${preflightHold(plan)} ${decisionForm(plan, token)}
      <p class="muted">
        The plan page, without the buttons: <a href="${planHref(plan.id)}">${plan.cluster.name} plan</a>.
      </p>
      ${planTable(plan, now)} ${fleetGateSection(plan)} ${evidenceSection(plan, now)} ${findingsSection(plan)}
      ${preflightOf(plan) !== undefined ? preflightSection(preflightOf(plan)) : ''} ${notesSection(plan)}
      ${approvalsSection(plan, now)}`,
  );
}

/** When the upgrade will start after an approval: the next window opening, and the runner's next run. */
function startsWhen(plan: Plan, now: Date): Html {
  const w = plan.window;
  const tick = when(nextRunnerRun(now), now);
  if (w !== undefined && w.start !== undefined && Date.parse(w.start) > now.getTime())
    return html`The upgrade starts when its window opens, ${when(w.start, now)} (${w.description}), at the
    runner's first run after that.`;
  return html`The window is open${w?.end !== undefined ? html` until ${at(w.end, now)}` : ''}: the first step
  starts at the runner's next run, about ${tick}.`;
}

/** The answer to a decision: what it did, when the upgrade will start, and where to follow it. */
export function decisionPage(
  plan: Plan,
  approver: string,
  decision: 'approve' | 'reject',
  now: Date,
): string {
  const title =
    decision === 'reject'
      ? `Rejected: ${plan.cluster.name}`
      : plan.status === 'awaiting-approval'
        ? `Approval recorded: ${plan.cluster.name}`
        : `Approved: ${plan.cluster.name}`;
  const said = `${approver} ${decided(decision)}.${decision === 'reject' ? ' The plan is closed. Owners and on-call were told.' : ''}`;
  const next =
    decision === 'reject'
      ? undefined
      : plan.status === 'awaiting-approval'
        ? html`${whatNext(plan, now).text}`
        : startsWhen(plan, now);
  return page(
    title,
    html`${navLine(plan.cluster)}
      <h1 id="result">${title}</h1>
      <p>${said} ${statusBadge(plan.status)}</p>
      ${next !== undefined ? html`<p class="next" id="next">${next}</p>` : ''}
      <p>
        <a href="${planHref(plan.id)}" id="plan-link">Follow the plan: steps, timeline, what it waits for</a>
      </p>
      ${planTable(plan, now)}${approvalsSection(plan, now)}`,
  );
}

/** Why a link cannot be used (expired, used, for someone else…), with the plan when it is known. */
export function problemPage(status: number, title: string, detail: string, now: Date, plan?: Plan): string {
  return page(
    title,
    html`<h1 id="problem" data-status="${status}">${title}</h1>
      <p id="detail">${detail}</p>
      ${
        plan !== undefined
          ? html`<p><a href="${planHref(plan.id)}">The plan page</a> says what it waits for now.</p>
              ${planTable(plan, now)}${approvalsSection(plan, now)}`
          : ''
      }`,
  );
}

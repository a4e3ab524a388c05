import type { AuditEntry, Plan } from '../domain/plan';
import { decided, pendingApprovers, stepLabel } from '../domain/plan';
import { formatDuration } from '../domain/policy';
import { minorOf } from '../domain/versions';
import type { Html } from './html';
import { commentField, html, page, safeUrl } from './html';

/** Release notes a person should read before approving: AKS releases and the Kubernetes changelog of the minor. */
export function releaseNotes(plan: Plan): { label: string; url: string }[] {
  const links = [{ label: 'AKS release notes', url: 'https://github.com/Azure/AKS/releases' }];
  if (plan.kind !== 'node-image') {
    const minor = minorOf(plan.to);
    links.push({
      label: `Kubernetes ${minor} changelog`,
      url: `https://github.com/kubernetes/kubernetes/blob/master/CHANGELOG/CHANGELOG-${minor}.md`,
    });
  }
  return links;
}

function statusBadge(status: string): Html {
  const cls = ['succeeded', 'approved'].includes(status)
    ? 'ok'
    : ['failed', 'rejected', 'expired'].includes(status)
      ? 'bad'
      : 'warn';
  return html`<span class="badge ${cls}" data-status="${status}">${status}</span>`;
}

function planTable(plan: Plan): Html {
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
      <td>${statusBadge(plan.status)}</td>
    </tr>
    <tr>
      <th>Window</th>
      <td id="window">
        ${plan.window?.description ?? 'any time'}${plan.window?.start !== undefined ? html`<br /><span class="muted">next: ${plan.window.start} – ${plan.window.end ?? ''}</span>` : ''}
      </td>
    </tr>
    ${
      plan.urgency !== 'normal'
        ? html`<tr>
            <th>Urgency</th>
            <td>${plan.urgency}${plan.deadline !== undefined ? html` (deadline ${plan.deadline})` : ''}</td>
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

function evidenceSection(plan: Plan): Html {
  const e = plan.evidence;
  if (e === undefined)
    return html`<h2>Evidence from lower rings</h2>
      <p class="muted">Not checked yet.</p>`;
  return html`<h2>Evidence from lower rings</h2>
    <p id="evidence">${e.reason}</p>
    ${e.lowerRing !== undefined ? html`<p class="muted">Soak required in ${e.lowerRing}: ${formatDuration(e.soakMs)}${e.firstSuccessAt !== undefined ? html`; first success ${e.firstSuccessAt}` : ''}.</p>` : ''}
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
                  <td>${p.at ?? ''}</td>
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

function approvalsSection(plan: Plan): Html {
  const a = plan.approval;
  if (a === undefined) return html``;
  return html`<h2>Approvals</h2>
    <p>
      ${a.decisions.filter((d) => d.decision === 'approve').length} of ${plan.gate.required} approval(s);
      request expires ${a.expiresAt}.
    </p>
    ${
      a.decisions.length > 0
        ? html`<ul>
            ${a.decisions.map((d) => html`<li>${d.approver} ${decided(d.decision)} at ${d.at}${d.comment !== '' ? html`: “${d.comment}”` : ''}</li>`)}
          </ul>`
        : ''
    }
    ${pendingApprovers(plan).length > 0 ? html`<p class="muted">Waiting for: ${pendingApprovers(plan).join(', ')}</p>` : ''}`;
}

/** The confirmation page: the whole plan, and a plain POST form (no script; scanners that run scripts submit nothing). */
export function approvalPage(plan: Plan, approver: string, token: string): string {
  const title = `${plan.cluster.name}: approve ${plan.kind === 'node-image' ? `node image ${plan.nodeImage ?? ''}` : `${plan.from} → ${plan.to}`}?`;
  return page(
    title,
    html`<h1>${title}</h1>
      <p>You are deciding as <b id="approver">${approver}</b>. Nothing changes until you press a button.</p>
      ${planTable(plan)} ${evidenceSection(plan)} ${findingsSection(plan)} ${notesSection(plan)}
      ${approvalsSection(plan)}
      <h2>Your decision</h2>
      <form method="post" action="/api/approvals/${encodeURIComponent(plan.id)}">
        <input type="hidden" name="token" value="${token}" />
        ${commentField()}
        <p>
          <button class="approve" type="submit" name="decision" value="approve">Approve</button
          ><button class="reject" type="submit" name="decision" value="reject">Reject</button>
        </p>
      </form>`,
  );
}

/** The answer to a decision. */
export function decisionPage(plan: Plan, approver: string, decision: 'approve' | 'reject'): string {
  const title =
    decision === 'reject'
      ? `Rejected: ${plan.cluster.name}`
      : plan.status === 'approved'
        ? `Approved: ${plan.cluster.name}`
        : `Approval recorded: ${plan.cluster.name}`;
  const next =
    decision === 'reject'
      ? 'The plan is closed. Owners and on-call were told.'
      : plan.status === 'approved'
        ? `The upgrade runs in its window: ${plan.window?.description ?? 'any time'}.`
        : `More approvals are needed (${plan.gate.required} in all).`;
  return page(
    title,
    html`<h1 id="result">${title}</h1>
      <p>${approver} ${decided(decision)}. ${next}</p>
      ${planTable(plan)}${approvalsSection(plan)}`,
  );
}

/** Why a link cannot be used (expired, used, for someone else…), with the plan when it is known. */
export function problemPage(status: number, title: string, detail: string, plan?: Plan): string {
  return page(
    title,
    html`<h1 id="problem" data-status="${status}">${title}</h1>
      <p id="detail">${detail}</p>
      ${plan !== undefined ? html`${planTable(plan)}${approvalsSection(plan)}` : ''}`,
  );
}

/** The audit trail as a small table (used by the plan page of the dashboard, too). */
export function auditTable(entries: readonly AuditEntry[]): Html {
  return html`<table>
    ${entries.map(
      (e) =>
        html`<tr>
          <th>${e.at}</th>
          <td>${e.event}: ${e.from} → ${e.to}</td>
          <td>${e.actor}</td>
          <td>${e.reason}${e.comment !== undefined ? html` — “${e.comment}”` : ''}</td>
        </tr>`,
    )}
  </table>`;
}

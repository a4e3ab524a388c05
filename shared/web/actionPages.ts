import type { HttpResponseInit } from '@azure/functions';

import type { ClusterSnapshot } from '../domain/cluster';
import type { Plan } from '../domain/plan';
import { planTitle, stepLabel } from '../domain/plan';
import type { Logger } from '../logging';
import { commentField, html, page } from './html';
import { errorResponse, htmlPage } from './http';
import { navLine } from './pageParts';

/**
 * Confirmation pages for the runner's signed links (force upgrade, abort, Defer). Like the approval page
 * they only read: mail scanners open links; the change happens on the form's POST.
 */
function planFacts(plan: Plan) {
  const running = plan.steps.find((s) => s.status === 'running');
  return html`<table>
    <tr>
      <th>Cluster</th>
      <td id="cluster">${plan.cluster.name}</td>
    </tr>
    <tr>
      <th>Ring</th>
      <td>${plan.cluster.ring}</td>
    </tr>
    <tr>
      <th>Plan</th>
      <td>${planTitle(plan)}</td>
    </tr>
    <tr>
      <th>Status</th>
      <td id="status">${plan.status}</td>
    </tr>
    ${
      running
        ? html`<tr>
            <th>Running step</th>
            <td>${stepLabel(running)}</td>
          </tr>`
        : ''
    }
    ${
      plan.blocked
        ? html`<tr>
            <th>Deprecated APIs</th>
            <td id="apis">
              <ul>
                ${plan.blocked.deprecatedApis.map((a) => html`<li>${a}</li>`)}
              </ul>
            </td>
          </tr>`
        : ''
    }
  </table>`;
}

export function planActionPage(
  action: 'force-upgrade' | 'abort',
  plan: Plan,
  approver: string,
  token: string,
): string {
  const title =
    action === 'force-upgrade'
      ? `${plan.cluster.name}: force the upgrade to ${plan.to}?`
      : `${plan.cluster.name}: abort the running step?`;
  const warning =
    action === 'force-upgrade'
      ? 'A force upgrade skips the deprecated-API check: calls to those APIs fail after the upgrade.'
      : 'The operation is cancelled in ARM (abortLatestOperation); the plan fails at this step.';
  return page(
    title,
    html`<h1>${title}</h1>
      <p>
        You are deciding as <b id="approver">${approver}</b>. ${warning} Nothing changes until you press the
        button.
      </p>
      ${planFacts(plan)}
      <form method="post" action="/api/plan-actions/${encodeURIComponent(plan.id)}/${action}">
        <input type="hidden" name="token" value="${token}" />
        ${commentField()}
        <p>
          <button class="reject" type="submit" name="decision" value="approve">
            ${action === 'force-upgrade' ? 'Approve force upgrade' : 'Abort the step'}
          </button>
        </p>
      </form>`,
  );
}

export function planActionDone(action: 'force-upgrade' | 'abort', plan: Plan, approver: string): string {
  const title =
    action === 'force-upgrade'
      ? `Force upgrade approved: ${plan.cluster.name}`
      : `Aborted: ${plan.cluster.name}`;
  return page(
    title,
    html`<h1 id="result">${title}</h1>
      <p>${approver} approved. The plan is now ${plan.status}.</p>
      ${planFacts(plan)}`,
  );
}

export function deferPage(
  cluster: ClusterSnapshot,
  date: string,
  configName: string,
  approver: string,
  token: string,
  usedAt?: string,
): string {
  const title = `${cluster.name}: defer the AKS upgrade planned for ${date}?`;
  return page(
    title,
    html`<h1>${title}</h1>
      <p>
        You are deciding as <b id="approver">${approver}</b>. Defer adds <b id="date">${date}</b> to the
        <b>${configName}</b> maintenance configuration's blocked dates, so AKS does not run it that day.
      </p>
      <table>
        <tr>
          <th>Cluster</th>
          <td id="cluster">${cluster.name}</td>
        </tr>
        <tr>
          <th>Ring</th>
          <td>${cluster.ring}</td>
        </tr>
      </table>
      ${
        usedAt !== undefined
          ? html`<p id="used">This link was already used at ${usedAt}.</p>`
          : html`<form method="post" action="/api/defer/${encodeURIComponent(cluster.key)}">
              <input type="hidden" name="token" value="${token}" />
              <p><button class="approve" type="submit">Defer</button></p>
            </form>`
      }`,
  );
}

export function deferDone(cluster: string, date: string, configName: string, changed: boolean): string {
  const title = `Deferred: ${cluster}`;
  return page(
    title,
    html`<h1 id="result">${title}</h1>
      <p>
        ${changed ? `${date} is now blocked in ${configName}.` : `${date} was already blocked in ${configName}; nothing changed.`}
      </p>`,
  );
}

/** Where a problem page leads back to (the plan a refused form came from). */
export interface BackLink {
  readonly href: string;
  readonly label: string;
}

export function actionProblemPage(status: number, title: string, detail: string, back?: BackLink): string {
  return page(
    title,
    html`${navLine()}
      <h1 id="problem" data-status="${status}">${title}</h1>
      <p id="detail">${detail}</p>
      ${back !== undefined ? html`<p><a href="${back.href}" id="back">${back.label}</a></p>` : ''}`,
  );
}

/** A failed action link: the JSON error, or the same status with a page saying what went wrong. */
export function actionErrorResponse(
  thrown: unknown,
  log: Logger,
  asJson: boolean,
  back?: BackLink,
): HttpResponseInit {
  const r = errorResponse(thrown, log);
  if (asJson) return r;
  const status = r.status ?? 500;
  const body = r.jsonBody as { error?: string; detail?: string } | undefined;
  return htmlPage(status, actionProblemPage(status, body?.error ?? 'error', body?.detail ?? '', back));
}

import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import type { PlanFormAction } from '../approvals/formTokens';
import { signFormToken } from '../approvals/formTokens';
import { principalOf } from '../approvals/principal';
import type { ApprovalKeys } from '../approvals/tokens';
import type { Plan } from '../domain/plan';
import { isOpen, pendingApprovers, stepLabel } from '../domain/plan';
import { ValidationError } from '../errors';
import type { Logger } from '../logging';
import type { OutboxEntry } from '../notify/outbox';
import type { PlanActionOutcome } from '../usecases/actOnPlan';
import { CONFIRM_FIELD, FORM_TOKEN_FIELD } from '../usecases/actOnPlan';
import type { PlanPageData } from '../usecases/pageViews';
import type { AccessSettings } from './access';
import { refusalFor } from './access';
import { actionErrorResponse } from './actionPages';
import type { Html } from './html';
import { html } from './html';
import { json } from './http';
import { planHref } from './pageParts';
import { when } from './times';

/**
 * Cancel and abort on the plan page: real forms (POST, no script) for a viewer who may act, answered
 * with the plan page (303 back to it, the outcome shown) to a browser and JSON to API clients.
 * `?act=cancel|abort` opens the form on a page that does not reload itself (a reload would drop what
 * the person typed); `?done=…` is where the 303 lands.
 */

/** Who looks at the plan page, as far as acting goes. */
export interface PlanViewer {
  /** An operator when sign-in is on; anyone when it is off (locally). */
  readonly mayAct: boolean;
  /** The signed-in person's name; undefined when sign-in is off (the form then asks for an email). */
  readonly signedInAs?: string;
  /** Why this viewer may not act, when they may not. */
  readonly refusal?: string;
  /** The form token of each form, for this plan and viewer. */
  readonly tokens: Readonly<Record<PlanFormAction, string>>;
}

/** The signed-in person's name, only when App Service Authentication vouches for it. */
export function signedInName(request: HttpRequest, easyAuth: boolean): string | undefined {
  return principalOf(request, easyAuth)?.name;
}

/** What the plan page needs to draw the forms for this request's viewer. */
export function planViewer(
  request: HttpRequest,
  settings: AccessSettings,
  keys: ApprovalKeys,
  planId: string,
  now: Date,
): PlanViewer {
  const refusal = refusalFor('operator', request, settings);
  const signedInAs = signedInName(request, settings.easyAuth);
  const sign = (a: PlanFormAction) => signFormToken(a, planId, signedInAs ?? '', keys, now);
  return {
    mayAct: refusal === undefined,
    ...(signedInAs !== undefined && { signedInAs }),
    ...(refusal !== undefined && { refusal: refusal.message }),
    tokens: { cancel: sign('cancel'), abort: sign('abort') },
  };
}

/** True when the body is JSON (`application/json`): a page on another site cannot send that without CORS. */
export function sentAsJson(request: HttpRequest): boolean {
  const type = (request.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
  return type === 'application/json';
}

const DONE = ['cancelled', 'abort-requested', 'aborted'] as const;
export type PlanDone = (typeof DONE)[number];
const ACTS: readonly PlanFormAction[] = ['cancel', 'abort'];

/** `?act=` and `?done=` of the plan page; anything else there is a 400 naming it. */
export function pageMode(request: HttpRequest): { act?: PlanFormAction; done?: PlanDone } {
  const act = request.query.get('act') ?? undefined;
  const done = request.query.get('done') ?? undefined;
  if (act !== undefined && !ACTS.includes(act as PlanFormAction))
    throw new ValidationError('bad act', `act must be cancel or abort, got "${act.slice(0, 40)}"`);
  if (done !== undefined && !DONE.includes(done as PlanDone))
    throw new ValidationError('bad done', `done must be ${DONE.join(', ')}, got "${done.slice(0, 40)}"`);
  return {
    ...(act !== undefined && { act: act as PlanFormAction }),
    ...(done !== undefined && { done: done as PlanDone }),
  };
}

/** A browser goes back to the plan page with the outcome; an API client gets the outcome as JSON. */
export function planActionAnswer(outcome: PlanActionOutcome, asPage: boolean): HttpResponseInit {
  const { plan } = outcome;
  if (asPage)
    return {
      status: 303,
      headers: { location: `${planHref(plan.id)}?done=${outcome.done}`, 'cache-control': 'no-store' },
    };
  if (outcome.done === 'abort-requested')
    return json(202, { planId: plan.id, status: plan.status, approvalRequestedFrom: outcome.approvers });
  if (outcome.done === 'aborted')
    return json(200, { planId: plan.id, status: plan.status, failure: plan.failure });
  return json(200, { planId: plan.id, status: plan.status });
}

/** A refused action: JSON for API clients; for a browser the same status with a page and a way back. */
export function planActionProblem(
  thrown: unknown,
  planId: string,
  log: Logger,
  asPage: boolean,
): HttpResponseInit {
  return actionErrorResponse(thrown, log, !asPage, { href: planHref(planId), label: 'Back to the plan' });
}

const cancellable = (plan: Plan): boolean =>
  isOpen(plan.status) && plan.steps.every((s) => s.status === 'pending');

function whoField(viewer: PlanViewer, name: 'actor' | 'requestedBy'): Html {
  if (viewer.signedInAs !== undefined)
    return html`<p>You act as <b id="acting-as">${viewer.signedInAs}</b>.</p>`;
  return html`<p>
    <label for="${name}">Your email (recorded in the audit trail)</label><br /><input
      id="${name}"
      name="${name}"
      type="email"
      required
      autocomplete="email"
      size="40"
    />
  </p>`;
}

function reasonField(): Html {
  return html`<p>
    <label for="reason">Reason</label><br /><textarea id="reason" name="reason" maxlength="1000"></textarea>
  </p>`;
}

function cancelForm(plan: Plan, viewer: PlanViewer): Html {
  if (!cancellable(plan))
    return html`<p id="act-form">
      This plan can no longer be cancelled: it is
      ${plan.status}${plan.steps.some((s) => s.status !== 'pending') ? ' and a step has started (abort the running step instead)' : ''}.
    </p>`;
  return html`<section id="act-form" aria-labelledby="act-title">
    <h2 id="act-title">Cancel this plan</h2>
    <p>
      No step has started. Cancelling closes the plan and nothing runs; a later sweep or event proposes the
      upgrade again.
    </p>
    <form method="post" action="${planHref(plan.id)}/cancel">
      <input type="hidden" name="${FORM_TOKEN_FIELD}" value="${viewer.tokens.cancel}" />
      ${whoField(viewer, 'actor')} ${reasonField()}
      <p>
        <button class="reject" type="submit" id="do-cancel">Cancel this plan</button>
        <a href="${planHref(plan.id)}">Keep it</a>
      </p>
    </form>
  </section>`;
}

function abortForm(plan: Plan, viewer: PlanViewer): Html {
  const running = plan.steps.find((s) => s.status === 'running');
  if (plan.status !== 'running' || running === undefined)
    return html`<p id="act-form">There is no running step to abort: the plan is ${plan.status}.</p>`;
  return html`<section id="act-form" aria-labelledby="act-title">
    <h2 id="act-title">Abort the running step: ${stepLabel(running)}</h2>
    <p>
      An abort needs a second person. The approvers other than you get a personal link; when one of them
      confirms, Warden calls ARM's <code>abortLatestOperation</code> and the plan fails at this step. Nothing
      changes until then.
    </p>
    <form method="post" action="${planHref(plan.id)}/abort">
      <input type="hidden" name="${FORM_TOKEN_FIELD}" value="${viewer.tokens.abort}" />
      ${whoField(viewer, 'requestedBy')} ${reasonField()}
      <p>
        <input type="checkbox" id="confirm" name="${CONFIRM_FIELD}" value="yes" required />
        <label for="confirm"
          >I understand: the pool may be left half upgraded (some nodes on the new version), and the plan
          fails at this step.</label
        >
      </p>
      <p>
        <button class="reject" type="submit" id="do-abort">Ask for the abort</button>
        <a href="${planHref(plan.id)}">Do not abort</a>
      </p>
    </form>
  </section>`;
}

/** The form `?act=` opened, at the top of the page; nothing when the viewer may not act. */
export function actForm(plan: Plan, viewer: PlanViewer, act: PlanFormAction | undefined): Html {
  if (act === undefined) return html``;
  if (!viewer.mayAct) return html`<p class="next bad" id="act-form">${viewer.refusal ?? ''}</p>`;
  return act === 'cancel' ? cancelForm(plan, viewer) : abortForm(plan, viewer);
}

/** Who an abort request went to: the people its links were emailed to (a channel gets no link). */
function abortAskedOf(notices: readonly OutboxEntry[], planId: string): string[] {
  const prefix = `plan:${planId}:abort:`;
  const emailed = notices.filter((n) => n.channel === 'email' && n.noticeKey.startsWith(prefix));
  return [...new Set(emailed.map((n) => n.to))];
}

/**
 * Where the 303 lands: what the action did, read from the plan as it is now (a `?done=` that does not
 * match the plan says nothing).
 */
export function outcomeLine(data: PlanPageData, done: PlanDone | undefined, now: Date): Html {
  const { plan } = data;
  if (done === 'cancelled' && plan.status === 'cancelled') {
    const by = data.audit.find((e) => e.to === 'cancelled')?.actor;
    return html`<p class="next ok" id="outcome" role="status">
      Done: the plan was cancelled${by !== undefined ? ` by ${by}` : ''} ${when(plan.closedAt, now)}.
    </p>`;
  }
  if (done === 'abort-requested') {
    const asked = abortAskedOf(data.notices, plan.id);
    if (asked.length === 0) return html``;
    return html`<p class="next ok" id="outcome" role="status">
      Abort requested: ${asked.join(', ')} got a personal link to approve it. The step runs on until one of
      them confirms.
    </p>`;
  }
  if (done === 'aborted' && plan.status === 'failed')
    return html`<p class="next ok" id="outcome" role="status">
      Aborted: ${plan.failure?.reason ?? 'the step was aborted'}.
    </p>`;
  return html``;
}

/** "What you can do" on the plan page: links to the forms this viewer may use, and the approval links. */
export function actionsSection(plan: Plan, viewer: PlanViewer, now: Date): Html {
  const here = planHref(plan.id);
  const items: Html[] = [];
  if (plan.status === 'awaiting-approval') {
    items.push(
      html`<li>
        <b>Approve or reject:</b> open your personal link
        (email${plan.gate.approvers.length > 0 ? html` to ${pendingApprovers(plan).join(', ')}` : ''}); the
        Teams channel card has no decision link. The request expires ${when(plan.approval?.expiresAt, now)}.
      </li>`,
      html`<li>
        <b>Link lost?</b> An operator gets the pending links again:
        <code>GET /api/plans/${plan.id}/approval-links</code> (function key).
      </li>`,
    );
  }
  if (plan.status === 'blocked')
    items.push(
      html`<li>
        <b>Force the upgrade:</b> the approvers got a personal “force upgrade” link; it skips the
        deprecated-API check.
      </li>`,
    );
  const refused = (what: string): Html =>
    html`<li><b>${what}</b>: <span class="muted">${viewer.refusal ?? ''}</span></li>`;
  if (cancellable(plan))
    items.push(
      viewer.mayAct
        ? html`<li>
            <a href="${here}?act=cancel" id="cancel-link">Cancel this plan…</a> (before a step starts; you
            confirm on the next page).
          </li>`
        : refused('Cancel'),
    );
  if (plan.status === 'running')
    items.push(
      viewer.mayAct
        ? html`<li>
            <a href="${here}?act=abort" id="abort-link">Abort the running step…</a> (needs a second person,
            who gets a link; you confirm on the next page).
          </li>`
        : refused('Abort the running step'),
    );
  return html`<h2>What you can do</h2>
    ${
      items.length > 0
        ? html`<ul id="actions">
            ${items}
          </ul>`
        : html`<p class="muted" id="actions">
            Nothing: the plan is ${plan.status}. See <a href="/api/dashboard">the dashboard</a> for other
            plans.
          </p>`
    }`;
}

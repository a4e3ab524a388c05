import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import type { PlanFormAction } from '../approvals/formTokens';
import type { ApprovalKeys } from '../approvals/tokens';
import type { AuditEntry, Plan, PlanStep } from '../domain/plan';
import { decided, isOpen, pendingApprovers, planTitle, stepLabel } from '../domain/plan';
import type { PreflightReport } from '../domain/preflight';
import { nextRunnerRun } from '../domain/runner';
import type { OutboxEntry } from '../notify/outbox';
import type { EventRecord } from '../store/eventStore';
import type { PlanPageData } from '../usecases/pageViews';
import type { AccessSettings } from './access';
import type { Html } from './html';
import { html, page } from './html';
import { htmlPage } from './http';
import { clusterHref, navLine, planChange, planHref, statusBadge, windowLine } from './pageParts';
import type { PlanDone, PlanViewer } from './planForms';
import { actForm, actionsSection, outcomeLine, pageMode, planViewer } from './planForms';
import { preflightSection } from './preflightView';
import { at, duration, when, whenText } from './times';

/**
 * The plan page: what a browser gets at `GET /api/plans/{id}`. It says first, in plain words, what the
 * plan waits for; then the steps, who decided, what the viewer may do, and one timeline of the audit
 * trail, the cluster's AKS events and the notices sent. It refreshes itself while the plan moves.
 */

/** The pre-flight report a plan carries, once the pre-flight checks fill it. */
export function preflightOf(plan: Plan): PreflightReport | undefined {
  return (plan as Plan & { readonly preflight?: PreflightReport }).preflight;
}

export interface NextLine {
  /** `ok` done, `bad` stopped or held, `` waiting or moving. */
  readonly tone: '' | 'ok' | 'bad';
  readonly text: Html;
}

function windowWait(plan: Plan, now: Date): Html | undefined {
  const w = plan.window;
  if (w === undefined || w.source === 'none' || w.start === undefined) return undefined;
  if (Date.parse(w.start) > now.getTime())
    return html`waits for the window opening ${when(w.start, now)} (${w.description})`;
  if (w.end !== undefined && Date.parse(w.end) > now.getTime())
    return html`the window is open until ${when(w.end, now)}`;
  return undefined;
}

function runningStep(plan: Plan): { index: number; step: PlanStep } | undefined {
  const index = plan.steps.findIndex((s) => s.status === 'running');
  const step = plan.steps[index];
  return step === undefined ? undefined : { index, step };
}

/**
 * What the plan waits for, in one sentence a person on call reads first: "Waits for 1 more approval
 * from …", "Soaking in staging: 5 s of 30 s", "Running step 2 of 3, pool system, since 14 min"…
 */
export function whatNext(plan: Plan, now: Date): NextLine {
  const preflight = preflightOf(plan);
  const tick = when(nextRunnerRun(now), now);
  const held =
    plan.hold !== undefined ? html` Held since ${when(plan.hold.since, now)}: ${plan.hold.reason}.` : '';
  if (isOpen(plan.status) && preflight?.verdict === 'no-go') {
    const failing = preflight.checks.filter((c) => c.status === 'fail');
    return {
      tone: 'bad',
      text: html`Held: pre-flight no-go (${failing.map((c) => `${c.title}: ${c.detail}`).join('; ')}). Nothing
      starts until the checks pass; they run again before each step.`,
    };
  }
  switch (plan.status) {
    case 'proposed': {
      const e = plan.evidence;
      if (e === undefined) return { tone: '', text: html`Waits for its promotion check (every 15 s).` };
      if (
        e.lowerRing !== undefined &&
        e.firstSuccessAt !== undefined &&
        e.plans.every((p) => p.status !== 'failed')
      ) {
        const soaked = now.getTime() - Date.parse(e.firstSuccessAt);
        if (soaked < e.soakMs)
          return {
            tone: '',
            text: html`Soaking in ${e.lowerRing}: ${duration(soaked)} of ${duration(e.soakMs)}, done
            ${when(new Date(Date.parse(e.firstSuccessAt) + e.soakMs), now)}. Then
            ${plan.gate.gated ? 'on-call is asked to approve' : 'the policy approves it'}.`,
          };
      }
      return {
        tone: '',
        text: html`Waits for the ring below: ${e.reason} (checked ${when(e.checkedAt, now)}).`,
      };
    }
    case 'awaiting-approval': {
      const a = plan.approval;
      const approvals = a?.decisions.filter((d) => d.decision === 'approve').length ?? 0;
      const more = Math.max(1, plan.gate.required - approvals);
      const from = pendingApprovers(plan);
      return {
        tone: '',
        text: html`Waits for ${more} more approval${more === 1 ? '' : 's'} from
        ${from.length > 0 ? from.join(', ') : 'the approvers'} (personal links went to each by email). The
        request expires ${when(a?.expiresAt, now)}.`,
      };
    }
    case 'approved': {
      const wait = windowWait(plan, now);
      return {
        tone: '',
        text: html`Approved; ${wait ?? html`it may start now`}. The first step starts at the runner's next
        run, about ${tick}.${held}`,
      };
    }
    case 'scheduled': {
      const wait = windowWait(plan, now);
      return {
        tone: '',
        text: html`Scheduled:
        ${wait ?? html`waits for its maintenance window (${plan.window?.description ?? 'any time'})`}. The
        runner checks at ${tick}.${held}`,
      };
    }
    case 'running': {
      const r = runningStep(plan);
      if (r === undefined) return { tone: '', text: html`Running: the next step starts at ${tick}.${held}` };
      const since = r.step.startedAt ?? r.step.operation?.startedAt;
      return {
        tone: '',
        text: html`Running step ${r.index + 1} of ${plan.steps.length},
        ${stepLabel(r.step)}${since !== undefined ? html`, since ${duration(now.getTime() - Date.parse(since))}` : ''}.
        The runner polls ARM at its next run, about ${tick}.${held}`,
      };
    }
    case 'blocked':
      return {
        tone: 'bad',
        text: html`Blocked: AKS refused the upgrade because deprecated APIs are in use
        (${plan.blocked?.deprecatedApis.join(', ') ?? ''}). It waits for someone to approve a force upgrade
        from the link sent to the approvers, or for the calls to stop and a new plan.`,
      };
    case 'succeeded':
      return {
        tone: 'ok',
        text: html`Done: the upgrade succeeded ${when(plan.closedAt ?? plan.updatedAt, now)}.`,
      };
    case 'failed':
      return {
        tone: 'bad',
        text: html`Failed at step ${(plan.failure?.step ?? 0) + 1}:
        ${plan.failure?.reason ?? 'see the timeline'}. Nothing more runs for this plan; fix the cause, then a
        sweep or event proposes a new one.`,
      };
    case 'rejected':
      return { tone: 'bad', text: html`Rejected ${when(plan.closedAt, now)}: nothing runs.` };
    case 'expired':
      return {
        tone: 'bad',
        text: html`The approval request expired ${when(plan.closedAt, now)} unanswered: nothing runs. The next
        sweep proposes the upgrade again.`,
      };
    case 'cancelled':
      return { tone: 'bad', text: html`Cancelled ${when(plan.closedAt, now)}: nothing runs.` };
    case 'superseded':
      return {
        tone: '',
        text: html`Replaced ${when(plan.closedAt, now)} by a plan to a newer
        version${plan.supersededBy !== undefined ? html` (<a href="/api/plans/${encodeURIComponent(plan.supersededBy)}">the new plan</a>)` : ''}.`,
      };
  }
}

function factsTable(plan: Plan, now: Date): Html {
  const tags = Object.entries(plan.cluster.tags);
  return html`<table>
    <tr>
      <th>Cluster</th>
      <td>
        <a href="${clusterHref(plan.cluster.id)}" id="cluster">${plan.cluster.name}</a> · ${plan.cluster.ring}
        · ${plan.cluster.location}
      </td>
    </tr>
    <tr>
      <th>Upgrade</th>
      <td>${planChange(plan)} (${plan.kind})</td>
    </tr>
    <tr>
      <th>Window</th>
      <td>${plan.window?.description ?? 'any time'}${windowLine(plan.window, now)}</td>
    </tr>
    <tr>
      <th>Why</th>
      <td>
        ${plan.reason}${plan.urgency !== 'normal' ? html` · urgency ${plan.urgency}${plan.deadline !== undefined ? html`, deadline ${when(plan.deadline, now)}` : ''}` : ''}
      </td>
    </tr>
    <tr>
      <th>Made</th>
      <td>${when(plan.createdAt, now)} by ${plan.initiator}</td>
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

function stepStatus(s: PlanStep): Html {
  const cls =
    s.status === 'succeeded'
      ? 'ok'
      : s.status === 'failed'
        ? 'bad'
        : s.status === 'running'
          ? 'run'
          : 'muted-badge';
  return html`<span class="badge ${cls}">${s.status}</span>`;
}

function operationCell(s: PlanStep, now: Date): Html {
  const parts: Html[] = [];
  if (s.operation !== undefined)
    parts.push(
      html`ARM
      ${s.operation.httpStatus === 304 ? 'answered 304 (nothing to do)' : `operation started ${whenText(s.operation.startedAt, now)}`}`,
    );
  if (s.operationId !== undefined) parts.push(html`<br /><code>${s.operationId}</code>`);
  if (s.attempt !== undefined && s.attempt > 1) parts.push(html`<br />${s.attempt} requests`);
  if (s.nextPollAt !== undefined && s.status === 'running')
    parts.push(
      Date.parse(s.nextPollAt) > now.getTime()
        ? html`<br />next poll ${when(s.nextPollAt, now)}`
        : html`<br />polled again at the runner's next run`,
    );
  if (s.nextAttemptAt !== undefined && s.status !== 'succeeded')
    parts.push(html`<br />retry ${when(s.nextAttemptAt, now)}`);
  if (s.lastError !== undefined)
    parts.push(html`<br /><span class="muted">last error: ${s.lastError}</span>`);
  if (s.error !== undefined) parts.push(html`<br /><b>${s.error}</b>`);
  return parts.length > 0 ? html`${parts}` : html`<span class="muted">—</span>`;
}

function stepsTable(plan: Plan, now: Date): Html {
  return html`<h2>Steps</h2>
    <div class="scroll">
      <table class="grid" id="steps">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">step</th>
            <th scope="col">status</th>
            <th scope="col">started</th>
            <th scope="col">finished</th>
            <th scope="col">took</th>
            <th scope="col">ARM operation</th>
          </tr>
        </thead>
        <tbody>
          ${plan.steps.map((s, i) => {
            const end = s.finishedAt ?? (s.status === 'running' ? now.toISOString() : undefined);
            return html`<tr>
              <td>${i + 1}</td>
              <td>${stepLabel(s)}</td>
              <td>${stepStatus(s)}</td>
              <td>${at(s.startedAt, now, true)}</td>
              <td>${at(s.finishedAt, now, true)}</td>
              <td>
                ${s.startedAt !== undefined && end !== undefined ? `${duration(Date.parse(end) - Date.parse(s.startedAt))}${s.finishedAt === undefined ? ' so far' : ''}` : '—'}
              </td>
              <td>${operationCell(s, now)}</td>
            </tr>`;
          })}
        </tbody>
      </table>
    </div>`;
}

function decisionsSection(plan: Plan, now: Date): Html {
  const a = plan.approval;
  const e = plan.evidence;
  return html`<h2>Approval</h2>
    ${
      !plan.gate.gated
        ? html`<p>
            The ${plan.cluster.ring} ring is approved by policy once the ring below soaked; no person decides.
          </p>`
        : a === undefined
          ? html`<p>
              ${plan.gate.required} approval${plan.gate.required === 1 ? '' : 's'} needed; not asked yet (the
              ring below must soak first).
            </p>`
          : html`<p>
                ${a.decisions.filter((d) => d.decision === 'approve').length} of ${plan.gate.required}
                approval(s) · asked ${when(a.requestedAt, now)} of ${a.approvers.join(', ')}
              </p>
              ${
                a.decisions.length > 0
                  ? html`<ul>
                      ${a.decisions.map((d) => html`<li>${d.approver} ${decided(d.decision)} at ${at(d.at, now)}${d.comment !== '' ? html`: “${d.comment}”` : ''}</li>`)}
                    </ul>`
                  : ''
              }`
    }
    ${e !== undefined ? html`<p class="muted">Evidence from lower rings: ${e.reason}.</p>` : ''}`;
}

interface TimelineEntry {
  readonly at: string;
  readonly source: 'plan' | 'AKS event' | 'notice' | 'pre-flight';
  readonly what: Html;
  readonly detail: Html;
}

function auditEntries(audit: readonly AuditEntry[]): TimelineEntry[] {
  return audit.map((e) => ({
    at: e.at,
    source: 'plan',
    what: html`${e.event}: ${e.from === 'none' ? '' : `${e.from} → `}${e.to}`,
    detail: html`${e.actor} ·
    ${e.reason}${e.comment !== undefined && e.comment !== '' ? html` — “${e.comment}”` : ''}`,
  }));
}

/** A few string fields of the event's data (pool, version…), escaped like everything else. */
function eventDetail(e: EventRecord): Html {
  const data = e.data !== null && typeof e.data === 'object' ? (e.data as Record<string, unknown>) : {};
  const fields = Object.entries(data)
    .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
    .slice(0, 4)
    .map(([k, v]) => `${k}: ${String(v).slice(0, 200)}`);
  return html`${fields.join(' · ')}`;
}

function eventEntries(events: readonly EventRecord[]): TimelineEntry[] {
  return events.map((e) => ({
    at: e.receivedAt,
    source: 'AKS event',
    what: html`${e.eventType.split('.').pop() ?? e.eventType}`,
    detail: eventDetail(e),
  }));
}

function noticeEntries(notices: readonly OutboxEntry[]): TimelineEntry[] {
  const byKey = new Map<string, OutboxEntry[]>();
  for (const n of notices) byKey.set(n.noticeKey, [...(byKey.get(n.noticeKey) ?? []), n]);
  return [...byKey.values()].map((rows) => {
    const first = rows[0] as OutboxEntry;
    return {
      at: rows.map((r) => r.createdAt).sort()[0] ?? first.createdAt,
      source: 'notice',
      what: html`${first.kind}: ${first.title}`,
      detail: html`${rows.map((r, i) => html`${i > 0 ? ' · ' : ''}${r.channel} to ${r.to} <span class="badge ${r.status === 'sent' ? 'ok' : r.status === 'dead' ? 'bad' : 'warn'}">${r.status}</span>${r.lastError !== undefined && r.status !== 'sent' ? html` <span class="muted">${r.lastError}</span>` : ''}`)}`,
    };
  });
}

function preflightEntries(report: PreflightReport | undefined): TimelineEntry[] {
  if (report === undefined) return [];
  const notPassed = report.checks.filter((c) => c.status !== 'pass');
  return [
    {
      at: report.checkedAt,
      source: 'pre-flight',
      what: html`pre-flight ${report.verdict}`,
      detail: html`${notPassed.length === 0 ? 'every check passed' : notPassed.map((c) => `${c.id} ${c.status}`).join(', ')}`,
    },
  ];
}

function timeline(data: PlanPageData, now: Date): Html {
  const entries = [
    ...auditEntries(data.audit),
    ...eventEntries(data.events),
    ...noticeEntries(data.notices),
    ...preflightEntries(preflightOf(data.plan)),
  ].sort((a, b) => b.at.localeCompare(a.at));
  return html`<h2>Timeline</h2>
    <p class="muted">
      Newest first: the plan's audit trail, the cluster's AKS events since the plan was made, and the notices
      sent about it.
    </p>
    <div class="scroll">
      <table class="grid" id="timeline">
        <thead>
          <tr>
            <th scope="col">when</th>
            <th scope="col">source</th>
            <th scope="col">what</th>
            <th scope="col">detail</th>
          </tr>
        </thead>
        <tbody>
          ${entries.map(
            (e) =>
              html`<tr data-source="${e.source}">
                <td>${at(e.at, now, true)}</td>
                <td>${e.source}</td>
                <td>${e.what}</td>
                <td>${e.detail}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
}

/** Seconds between reloads: often while a step runs, less often while the plan waits, never once closed. */
export function refreshSeconds(plan: Plan): number | undefined {
  if (plan.status === 'running') return 10;
  if (isOpen(plan.status)) return 30;
  return undefined;
}

function refreshLine(plan: Plan, autoRefresh: boolean): Html {
  const seconds = refreshSeconds(plan);
  if (seconds === undefined) return html``;
  const here = planHref(plan.id);
  return autoRefresh
    ? html` · reloads every ${seconds} s (<a href="${here}?refresh=off">stop reloading</a>)`
    : html` · <a href="${here}">reload every ${seconds} s</a>`;
}

/** How the plan page is drawn for one request: who looks, and the form or outcome it shows. */
export interface PlanPageView {
  /** Reload while the plan moves (`?refresh=off` turns it off; an open form never reloads). */
  readonly autoRefresh?: boolean;
  readonly viewer?: PlanViewer;
  /** The form `?act=` opened. */
  readonly act?: PlanFormAction;
  /** The action a 303 came back from (`?done=`). */
  readonly done?: PlanDone;
}

/** The view a request asks for: who looks (`planViewer`), `?act=`, `?done=`, `?refresh=off`. */
export function planPageView(
  request: HttpRequest,
  settings: AccessSettings,
  keys: ApprovalKeys,
  planId: string,
  now: Date,
): PlanPageView {
  return {
    autoRefresh: request.query.get('refresh') !== 'off',
    viewer: planViewer(request, settings, keys, planId, now),
    ...pageMode(request),
  };
}

/** A viewer nothing is known of: the page lists what can be done, with no form. */
const READ_ONLY: PlanViewer = {
  mayAct: false,
  refusal: 'open the plan page signed in as a Warden operator',
  tokens: { cancel: '', abort: '' },
};

/**
 * The plan page as an answer. While the plan moves it reloads itself through the `Refresh` header (no
 * script needed), which the reader can turn off (`?refresh=off`): a page must not move under someone who
 * reads it slowly (WCAG 2.2.1), nor under a form being filled in.
 */
export function planPageResponse(data: PlanPageData, now: Date, view: PlanPageView = {}): HttpResponseInit {
  const autoRefresh = view.autoRefresh !== false && view.act === undefined;
  const answer = htmlPage(200, renderPlanPage(data, now, { ...view, autoRefresh }));
  const seconds = autoRefresh ? refreshSeconds(data.plan) : undefined;
  return seconds === undefined
    ? answer
    : { ...answer, headers: { ...answer.headers, refresh: String(seconds) } };
}

/** The plan page. `now` is the reader's clock (the page says "in 3 h", "since 14 min"). */
export function renderPlanPage(data: PlanPageData, now: Date, view: PlanPageView = {}): string {
  const { plan } = data;
  const next = whatNext(plan, now);
  const viewer = view.viewer ?? READ_ONLY;
  const body = html`${navLine(plan.cluster)}
    <h1>${planTitle(plan)}</h1>
    <p>
      ${statusBadge(plan.status)}
      <span class="muted"
        >updated
        ${when(plan.updatedAt, now)}${view.act === undefined ? refreshLine(plan, view.autoRefresh !== false) : ''}</span
      >
    </p>
    ${outcomeLine(data, view.done, now)}
    <p class="next ${next.tone}" id="next"><b>What happens next:</b> ${next.text}</p>
    ${actForm(plan, viewer, view.act)} ${factsTable(plan, now)}
    ${preflightOf(plan) !== undefined ? preflightSection(preflightOf(plan)) : ''} ${stepsTable(plan, now)}
    ${decisionsSection(plan, now)} ${actionsSection(plan, viewer, now)} ${timeline(data, now)}`;
  return page(planTitle(plan), body, { wide: true });
}

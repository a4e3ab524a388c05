import type { Plan } from '../domain/plan';
import { decided } from '../domain/plan';
import type { Wave, WaveDecision, WaveOutcome } from '../domain/wave';
import { bindingProblem, waveTitle } from '../domain/wave';
import type { Html } from './html';
import { commentField, html, page } from './html';
import { planChange, planHref, statusBadge } from './pageParts';
import { preflightOf } from './planPage';
import { preflightSection, verdictBadge } from './preflightView';
import { at, when } from './times';

/**
 * A wave's pages: the confirmation page its personal link opens (every plan with its evidence and
 * pre-flight verdict, a box per plan to leave it out, the buttons on the first screen), and the answer
 * to a decision. Plain forms, no script, as the plan's own approval page.
 */

/** The form field that keeps a plan in the decision (a checked box); a member without one is left out. */
export const KEEP_FIELD = 'keep.';

/**
 * What the approver chose to decide, from the posted fields: the page's checked boxes (`choose=1` and
 * one `keep.{planId}` per box), or a script's `leaveOut` (comma-separated plan ids).
 */
export function waveChoice(
  fields: Readonly<Record<string, string | undefined>>,
): { keep: string[] } | { leaveOut: string[] } {
  if (fields.choose !== undefined)
    return {
      keep: Object.keys(fields)
        .filter((k) => k.startsWith(KEEP_FIELD))
        .map((k) => k.slice(KEEP_FIELD.length)),
    };
  return {
    leaveOut: (fields.leaveOut ?? '')
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== ''),
  };
}

const bound = (
  wave: Wave,
  plans: ReadonlyMap<string, Plan>,
): { member: Wave['members'][number]; plan?: Plan; problem?: string }[] =>
  wave.members.map((member) => {
    const plan = plans.get(member.planId);
    if (plan === undefined) return { member, problem: 'the plan is gone' };
    const problem = bindingProblem(member, plan, wave.id);
    return { member, plan, ...(problem !== undefined && { problem }) };
  });

function verdictLine(rows: ReturnType<typeof bound>): Html {
  const live = rows.flatMap((r) => (r.plan !== undefined && r.problem === undefined ? [r.plan] : []));
  const counts = { go: 0, warn: 0, 'no-go': 0, none: 0 };
  for (const p of live) counts[preflightOf(p)?.verdict ?? 'none']++;
  const lowerBad = live.filter((p) => p.evidence?.allowed === false).length;
  const critical = live.filter((p) => p.findings.some((f) => f.severity === 'critical')).length;
  const tone = counts['no-go'] > 0 || lowerBad > 0 || critical > 0 ? 'bad' : 'ok';
  return html`<p class="next ${tone}" id="verdict">
    <b>${live.length} plan(s) to decide</b> · pre-flight ${counts.go} go, ${counts.warn} warn,
    <b>${counts['no-go']} no-go</b>${counts.none > 0 ? `, ${counts.none} not checked` : ''} · lower rings:
    ${lowerBad === 0 ? '✓ all' : html`<b>✗ ${lowerBad}</b>`} · ${critical} with a critical finding
    ${counts['no-go'] > 0 ? html`<br />A no-go plan may be approved: Warden starts it once its failing checks pass.` : ''}
  </p>`;
}

function membersTable(rows: ReturnType<typeof bound>, now: Date): Html {
  return html`<div class="scroll">
    <table class="grid" id="members">
      <caption class="muted">
        Uncheck a cluster to leave it out: it is not decided now and is asked again on its own.
      </caption>
      <tr>
        <th scope="col">Include</th>
        <th scope="col">Cluster</th>
        <th scope="col">Upgrade</th>
        <th scope="col">Window</th>
        <th scope="col">Lower rings</th>
        <th scope="col">Pre-flight</th>
        <th scope="col">Status</th>
      </tr>
      ${rows.map(({ member, plan, problem }, i) => {
        const name = plan?.cluster.name ?? member.clusterName;
        return html`<tr data-plan="${member.planId}" data-bound="${problem === undefined ? 'yes' : 'no'}">
          <td>
            ${
              problem === undefined
                ? html`<input
                    type="checkbox"
                    id="keep-${String(i)}"
                    name="${KEEP_FIELD}${member.planId}"
                    value="1"
                    checked
                    aria-label="Include ${name}"
                  />`
                : html`<span class="muted">not in this decision: ${problem}</span>`
            }
          </td>
          <td><a href="${planHref(member.planId)}">${name}</a></td>
          <td>${plan !== undefined ? planChange(plan) : ''}</td>
          <td>
            ${plan?.window?.description ?? 'any time'}${plan?.window?.start !== undefined ? html`<br /><span class="muted">next ${when(plan.window.start, now)}</span>` : ''}
          </td>
          <td>
            ${
              plan?.evidence === undefined
                ? html`<span class="muted">not checked</span>`
                : html`${plan.evidence.allowed ? '✓' : '✗'} ${plan.evidence.reason}`
            }
          </td>
          <td>${verdictBadge(plan !== undefined ? preflightOf(plan)?.verdict : undefined)}</td>
          <td>${plan !== undefined ? statusBadge(plan.status) : ''}</td>
        </tr>`;
      })}
    </table>
  </div>`;
}

function decisionsLine(decisions: readonly WaveDecision[], now: Date): Html {
  if (decisions.length === 0) return html``;
  return html`<h2>Decisions on this wave</h2>
    <ul id="wave-decisions">
      ${decisions.map(
        (d) =>
          html`<li>
            ${d.approver} ${decided(d.decision)} at
            ${at(d.at, now)}${d.leftOut.length > 0 ? `, leaving out ${d.leftOut.length}` : ''}${d.comment !== '' ? html`: “${d.comment}”` : ''}
          </li>`,
      )}
    </ul>`;
}

/** Each plan's evidence and pre-flight report, folded, below the decision. */
function details(rows: ReturnType<typeof bound>): Html {
  return html`<h2>Evidence and pre-flight, per cluster</h2>
    ${rows.map(({ member, plan }, i) =>
      plan === undefined
        ? ''
        : html`<details id="plan-${String(i)}">
            <summary>${plan.cluster.name}: ${planChange(plan)} · ${plan.cluster.resourceGroup}</summary>
            <p>${plan.evidence?.reason ?? 'Lower rings not checked yet.'}</p>
            ${
              plan.findings.length > 0
                ? html`<ul>
                    ${plan.findings.map((f) => html`<li>${f.severity}: ${f.message}</li>`)}
                  </ul>`
                : ''
            }
            ${preflightSection(preflightOf(plan), `-${String(i)}`)}
            <p><a href="${planHref(member.planId)}">The plan page</a></p>
          </details>`,
    )}`;
}

/** The wave's confirmation page: the verdict, the buttons and the members first, then each plan's details. */
export function wavePage(
  wave: Wave,
  plans: ReadonlyMap<string, Plan>,
  decisions: readonly WaveDecision[],
  approver: string,
  token: string,
  now: Date,
): string {
  const rows = bound(wave, plans);
  const live = rows.filter((r) => r.problem === undefined).length;
  const title = `Approve ${waveTitle(wave.group, wave.members.length)}?`;
  return page(
    title,
    html`<h1>${title}</h1>
      <p>
        One decision for ${live} plan(s), each in its own window. You decide as
        <b id="approver">${approver}</b>; nothing changes until you press a button. The request expires
        ${when(wave.expiresAt, now)}.
      </p>
      ${verdictLine(rows)}
      <form method="post" action="/api/waves/${encodeURIComponent(wave.id)}" id="decide">
        <input type="hidden" name="token" value="${token}" />
        <input type="hidden" name="choose" value="1" />
        <p class="decide">
          <button class="approve" type="submit" name="decision" value="approve">Approve</button
          ><button class="reject" type="submit" name="decision" value="reject">Reject</button>
        </p>
        ${commentField()} ${membersTable(rows, now)}
      </form>
      ${decisionsLine(decisions, now)} ${details(rows)}`,
    { wide: true },
  );
}

/** The answer to a wave decision: what it did to each plan. */
export function waveDecisionPage(
  wave: Wave,
  plans: ReadonlyMap<string, Plan>,
  decision: WaveDecision,
  outcome: WaveOutcome,
): string {
  const verb = decided(decision.decision);
  const title = `${verb === 'approved' ? 'Approved' : 'Rejected'}: ${outcome.decided.length} of ${wave.members.length} plans`;
  const name = (id: string): string => plans.get(id)?.cluster.name ?? id;
  const line = (id: string): Html => {
    const plan = plans.get(id);
    return html`<li data-plan="${id}">
      <a href="${planHref(id)}">${name(id)}</a>${plan !== undefined ? html` ${statusBadge(plan.status)}` : ''}
    </li>`;
  };
  return page(
    title,
    html`<h1 id="result">${title}</h1>
      <p>
        ${decision.approver} ${verb} ${waveTitle(wave.group, wave.members.length)}. Each plan runs in its own
        window.
      </p>
      <h2>Decided</h2>
      <ul id="decided">
        ${outcome.decided.map(line)}
      </ul>
      ${
        outcome.leftOut.length > 0
          ? html`<h2>Left out: asked again on their own</h2>
              <ul id="left-out">
                ${outcome.leftOut.map(line)}
              </ul>`
          : ''
      }
      ${
        outcome.skipped.length > 0
          ? html`<h2>Not decided by this decision</h2>
              <ul id="skipped">
                ${outcome.skipped.map((s) => html`<li data-plan="${s.planId}"><a href="${planHref(s.planId)}">${name(s.planId)}</a>: ${s.reason}</li>`)}
              </ul>`
          : ''
      }`,
  );
}

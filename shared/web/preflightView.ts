import type {
  PlanPreflight,
  PreflightNode,
  PreflightReport,
  PreflightStatus,
  PreflightVerdict,
} from '../domain/preflight';
import { notPassing } from '../domain/preflight';
import type { Html } from './html';
import { html, safeUrl } from './html';

/**
 * The pre-flight report as every page shows it (the approval page, the plan page): the verdict first,
 * then every check with its numbers and the Microsoft doc, then the node view the checks read. Pages
 * reuse this one renderer so a verdict reads the same everywhere.
 */

const VERDICT_CLASS: Record<PreflightVerdict, string> = { go: 'ok', warn: 'warn', 'no-go': 'bad' };
const STATUS_CLASS: Record<PreflightStatus, string> = {
  pass: 'ok',
  warn: 'warn',
  fail: 'bad',
  unknown: 'warn',
};

const VERDICT_TEXT: Record<PreflightVerdict, string> = {
  go: 'Go: every check passed.',
  warn: 'Warn: the upgrade can start; read what the checks found.',
  'no-go':
    'No-go: AKS would refuse or stall this upgrade. You may still approve it (you may be fixing the cause); Warden will not start a step until the failing checks pass, and then goes on by itself.',
};

/** The verdict as a badge (dashboards, lists); `label` replaces the verdict's own word. */
export function verdictBadge(
  verdict: PreflightVerdict | undefined,
  label: string = verdict ?? 'not checked',
): Html {
  if (verdict === undefined) return html`<span class="badge" data-preflight="none">${label}</span>`;
  return html`<span class="badge ${VERDICT_CLASS[verdict]}" data-preflight="${verdict}">${label}</span>`;
}

/**
 * The pre-flight section of a page; `undefined`: the plan has not been checked yet. `idSuffix` keeps the
 * ids unique on a page that shows several reports (a wave's page: one per plan).
 */
export function preflightSection(report: PreflightReport | undefined, idSuffix = ''): Html {
  const id = (name: string): string => `${name}${idSuffix}`;
  if (report === undefined)
    return html`<section id="${id('preflight')}">
      <h2>Pre-flight</h2>
      <p class="muted" data-verdict="none">Not checked yet: Warden checks before each step starts.</p>
    </section>`;
  const nodes = (report as PlanPreflight).nodes;
  const failing = notPassing(report);
  return html`<section id="${id('preflight')}" data-verdict="${report.verdict}">
    <h2>Pre-flight ${verdictBadge(report.verdict)}</h2>
    <p id="${id('preflight-verdict')}"><b>${VERDICT_TEXT[report.verdict]}</b></p>
    ${
      failing.length > 0
        ? html`<ul id="${id('preflight-failing')}">
            ${failing.map((c) => html`<li><b>${c.id}</b>${c.pool !== undefined ? html` (pool ${c.pool})` : ''}: ${c.detail}</li>`)}
          </ul>`
        : ''
    }
    <p class="muted">Checked at ${report.checkedAt}.</p>
    <table id="${id('preflight-checks')}">
      <tr>
        <th>Check</th>
        <th>Status</th>
        <th>Found</th>
      </tr>
      ${report.checks.map(
        (c) =>
          html`<tr
            data-check="${c.id}"
            data-status="${c.status}"
            ${c.pool !== undefined ? html` data-pool="${c.pool}"` : ''}
          >
            <td>${c.title}</td>
            <td><span class="badge ${STATUS_CLASS[c.status]}">${c.status}</span></td>
            <td>${c.detail} <a href="${safeUrl(c.guidance)}" rel="noopener noreferrer">guidance</a></td>
          </tr>`,
      )}
    </table>
    ${
      nodes !== undefined && nodes.length > 0
        ? html`<details id="${id('preflight-nodes')}">
            <summary>Nodes (${nodes.length})</summary>
            ${nodesTable(nodes)}
          </details>`
        : ''
    }
  </section>`;
}

/** The nodes pre-flight read, one row each (the plan page's report and the cluster page's node view). */
export function nodesTable(nodes: readonly PreflightNode[], id?: string): Html {
  return html`<div class="scroll">
    <table class="grid" ${id !== undefined ? html` id="${id}"` : ''}>
      <thead>
        <tr>
          <th scope="col">node</th>
          <th scope="col">pool</th>
          <th scope="col">state</th>
          <th scope="col">kubelet</th>
          <th scope="col">kernel</th>
          <th scope="col">OS image</th>
          <th scope="col">node image</th>
        </tr>
      </thead>
      <tbody>
        ${nodes.map(
          (n) =>
            html`<tr>
              <td>${n.name}</td>
              <td>${n.pool ?? ''}</td>
              <td>${n.ready ? 'Ready' : 'NotReady'}${n.cordoned ? ', cordoned' : ''}</td>
              <td>${n.kubelet}</td>
              <td>${n.kernel}</td>
              <td>${n.osImage}</td>
              <td>${n.nodeImage ?? '—'}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </div>`;
}

import type { PreflightReport } from '../domain/preflight';
import type { Html } from './html';
import { html, safeUrl } from './html';

const STATUS_CLASS: Readonly<Record<string, string>> = { pass: 'ok', warn: 'warn', fail: 'bad', unknown: '' };
const VERDICT_CLASS: Readonly<Record<string, string>> = { go: 'ok', warn: 'warn', 'no-go': 'bad' };

/**
 * The one rendering of a pre-flight report, for every page that shows one: the verdict, then each check
 * with what it found and the doc that says what to do. No report yet: a line saying so.
 */
export function preflightSection(report: PreflightReport | undefined): Html {
  if (report === undefined)
    return html`<h2>Pre-flight</h2>
      <p class="muted">No pre-flight checks have run for this plan yet.</p>`;
  return html`<h2>Pre-flight</h2>
    <p id="preflight-verdict">
      <span class="badge ${VERDICT_CLASS[report.verdict] ?? ''}">${report.verdict}</span>
      <span class="muted"
        >checked
        <time datetime="${report.checkedAt}"
          >${report.checkedAt.slice(0, 16).replace('T', ' ')} UTC</time
        ></span
      >
    </p>
    <ul>
      ${report.checks.map(
        (c) =>
          html`<li>
            <span class="badge ${STATUS_CLASS[c.status] ?? ''}">${c.status}</span>
            ${c.title}${c.pool !== undefined ? ` (pool ${c.pool})` : ''}: ${c.detail}
            <a href="${safeUrl(c.guidance)}" rel="noopener noreferrer">what to do</a>
          </li>`,
      )}
    </ul>`;
}

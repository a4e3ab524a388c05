import type { PlanReport } from '../usecases/pageViews';
import type { Html } from './html';
import { html } from './html';
import { planHref } from './pageParts';
import { nodesTable } from './preflightView';
import { when } from './times';

/**
 * The cluster page's per-node view: kernel, OS image, kubelet and node image of every node, as the
 * cluster's latest pre-flight read them through its Kubernetes API, with when; or why there is none
 * (no plan checked yet, or the API could not be read, with pre-flight's reason).
 */
export function nodeViewSection(latest: PlanReport | undefined, now: Date): Html {
  const heading = html`<h2>Nodes</h2>`;
  if (latest === undefined)
    return html`${heading}
      <p class="muted" id="nodes" data-nodes="none">
        No node view yet: pre-flight reads the nodes through the cluster's Kubernetes API when it checks a
        plan (at proposal for gated plans, and before each step), and no plan of this cluster has been
        checked.
      </p>`;
  const { report, planId } = latest;
  const from = html`the pre-flight of <a href="${planHref(planId)}">plan ${planId}</a>`;
  const nodes = report.nodes;
  if (nodes === undefined || nodes.length === 0) {
    const why = report.checks.find((c) => c.id === 'nodes-ready' && c.status === 'unknown')?.detail;
    return html`${heading}
      <p id="nodes" data-nodes="unreadable">
        The nodes could not be read ${when(report.checkedAt, now)} (${from}):
        ${why ?? (nodes === undefined ? 'the report carries no node list' : 'the API listed no node')}.
      </p>`;
  }
  return html`${heading}
    <p class="muted" id="nodes-read">
      ${nodes.length} node${nodes.length === 1 ? '' : 's'}, read ${when(report.checkedAt, now)} by ${from}.
      This is the cluster as it was then; the next pre-flight reads it again.
    </p>
    ${nodesTable(nodes, 'nodes')}`;
}

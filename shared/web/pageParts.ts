import type { HttpRequest } from '@azure/functions';

import type { Plan, PlanStatus, PlanWindow } from '../domain/plan';
import type { Html } from './html';
import { html } from './html';
import { at, when } from './times';

/**
 * Pieces every page of Warden shares: where a plan's and a cluster's pages are, the status badge, the
 * navigation line, and whether a request is a browser asking for a page.
 */

/** True for a browser (`Accept: text/html`); API clients (`*\/*`, `application/json`) keep getting JSON. */
export function wantsPage(request: Pick<HttpRequest, 'headers'>): boolean {
  return (request.headers.get('accept') ?? '').includes('text/html');
}

/** The plan page (and, for API clients, the plan's JSON). */
export const planHref = (planId: string): string => `/api/plans/${encodeURIComponent(planId)}`;

/** The cluster page at its ARM id, one path segment per id segment: `/api/clusters/subscriptions/…`. */
export function clusterHref(clusterId: string): string {
  return `/api/clusters${clusterId.startsWith('/') ? '' : '/'}${clusterId.split('/').map(encodeURIComponent).join('/')}`;
}

export const DASHBOARD_HREF = '/api/dashboard';

/** Badge colour of each plan status: green done, amber waiting or moving, red stopped. */
export const STATUS_CLASS: Readonly<Record<PlanStatus, string>> = {
  proposed: 'warn',
  'awaiting-approval': 'warn',
  approved: 'ok',
  scheduled: 'warn',
  running: 'run',
  blocked: 'bad',
  succeeded: 'ok',
  rejected: 'bad',
  expired: 'bad',
  failed: 'bad',
  cancelled: 'muted-badge',
  superseded: 'muted-badge',
};

export function statusBadge(status: PlanStatus): Html {
  return html`<span class="badge ${STATUS_CLASS[status]}" data-status="${status}">${status}</span>`;
}

/** `1.35.8 → 1.36.4`, or `node image → AKSUbuntu-…`. */
export function planChange(plan: Pick<Plan, 'kind' | 'from' | 'to' | 'nodeImage'>): string {
  return plan.kind === 'node-image' ? `node image → ${plan.nodeImage ?? '?'}` : `${plan.from} → ${plan.to}`;
}

/** The line at the top of every page: back to the dashboard, and the cluster when there is one. */
export function navLine(cluster?: { readonly id: string; readonly name: string }): Html {
  return html`<nav aria-label="Where you are" class="crumbs">
    <a href="${DASHBOARD_HREF}">Dashboard</a
    >${cluster !== undefined ? html` › <a href="${clusterHref(cluster.id)}">${cluster.name}</a>` : ''}
  </nav>`;
}

/** Under a window's description: "open now, until …" or "next opening …, closes …". */
export function windowLine(w: PlanWindow | undefined, now: Date): Html {
  if (w?.start === undefined) return html``;
  const open =
    Date.parse(w.start) <= now.getTime() && (w.end === undefined || Date.parse(w.end) > now.getTime());
  return open
    ? html`<br /><span class="muted"
          >open now${w.end !== undefined ? html`, until ${when(w.end, now)}` : ''}</span
        >`
    : html`<br /><span class="muted"
          >next opening
          ${when(w.start, now)}${w.end !== undefined ? html`, closes ${at(w.end, now)}` : ''}</span
        >`;
}

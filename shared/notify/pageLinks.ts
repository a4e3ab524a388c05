import type { Notice, NoticeAction } from '../domain/notice';
import { clusterHref, DASHBOARD_HREF, planHref } from '../web/pageParts';

/**
 * Every notice links to the pages that answer "what now?": the plan page when it is about a plan, the
 * cluster page when it is about a cluster, the dashboard when it is about neither. They come after the
 * notice's own links (a personal approval link stays the first button) and are added once, whatever
 * path the notice took (a channel's shared copy, a retry).
 */
export function withPageLinks(notice: Notice, baseUrl: string): Notice {
  const pages: NoticeAction[] = [];
  if (notice.planId !== undefined)
    pages.push({ label: 'Open the plan', url: `${baseUrl}${planHref(notice.planId)}` });
  if (notice.cluster !== undefined)
    pages.push({ label: `Open ${notice.cluster.name}`, url: `${baseUrl}${clusterHref(notice.cluster.id)}` });
  if (pages.length === 0 && !notice.actions.some((a) => a.url.startsWith(baseUrl)))
    pages.push({ label: 'Open Warden', url: `${baseUrl}${DASHBOARD_HREF}` });
  const known = new Set(notice.actions.map((a) => a.url));
  const added = pages.filter((p) => !known.has(p.url));
  return added.length === 0 ? notice : { ...notice, actions: [...notice.actions, ...added] };
}

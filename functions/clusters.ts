import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { isRing } from '../shared/domain/rings';
import { ValidationError } from '../shared/errors';
import { AmbiguousClusterError, findCluster, listClusters } from '../shared/usecases/fleetStatus';
import { clusterPageData, pageDeps } from '../shared/usecases/pageViews';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse } from '../shared/web/actionPages';
import { renderClusterPage } from '../shared/web/clusterPage';
import { errorResponse, htmlPage, json } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';

/**
 * `GET /api/clusters` (`?ring=`, `?subscription=`, `?deleted=true` to include clusters gone from the
 * inventory) and `GET /api/clusters/{name-or-id}` (an ARM id, URL-encoded or as path segments, or a
 * name). A name several live clusters carry is answered 409 with the candidates' ids to ask by.
 * A browser (`Accept: text/html`) asking for one cluster gets the cluster page.
 */
/**
 * ASP.NET Core routing (the Functions host) leaves an encoded `/` (`%2F`) encoded in route values, so an
 * ARM id sent URL-encoded arrives as `%2Fsubscriptions%2F…`; the local host decodes it. Accept both.
 */
function decodeSlashes(value: string): string {
  if (!/%2f/i.test(value)) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export type ClustersServices = Pick<Services, 'clusters' | 'plans' | 'events' | 'policy' | 'now'> & {
  readonly notifier: Pick<Services['notifier'], 'outbox'>;
};

export function clustersHandler(getServices: () => ClustersServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asPage = wantsPage(request);
    try {
      const s = getServices();
      const { clusters } = s;
      const nameOrId = decodeSlashes((request.params.nameOrId ?? '').trim());
      if (nameOrId !== '') {
        const id = nameOrId.startsWith('subscriptions/') ? `/${nameOrId}` : nameOrId;
        if (!asPage) return json(200, await findCluster(clusters, id));
        const data = await clusterPageData(pageDeps(s), id);
        return htmlPage(200, renderClusterPage(data, s.policy.windows[data.cluster.snapshot.ring], s.now()));
      }
      const ring = request.query.get('ring') ?? undefined;
      if (ring !== undefined && !isRing(ring))
        throw new ValidationError(
          'bad ring',
          `ring must be canary, dev, staging or production, got "${ring.slice(0, 40)}"`,
        );
      const subscription = request.query.get('subscription') ?? undefined;
      const deleted = request.query.get('deleted');
      if (deleted !== null && deleted !== 'true' && deleted !== 'false')
        throw new ValidationError(
          'bad deleted',
          `deleted must be true or false, got "${deleted.slice(0, 40)}"`,
        );
      const list = await listClusters(clusters, {
        ...(ring !== undefined && { ring }),
        ...(subscription !== undefined && { subscriptionId: subscription }),
        includeDeleted: deleted === 'true',
      });
      return json(200, { count: list.length, clusters: list });
    } catch (e) {
      if (e instanceof AmbiguousClusterError)
        return json(409, { error: 'ambiguous cluster name', detail: e.message, candidates: e.candidates });
      return asPage ? actionErrorResponse(e, context, false) : errorResponse(e, context);
    }
  };
}

httpRoute('clusters', {
  access: 'viewer',
  route: 'clusters/{*nameOrId}',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: clustersHandler(services),
});

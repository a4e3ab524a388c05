import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { findCluster, listClusters } from '../shared/usecases/fleetStatus';
import { clusterPageData, pageDeps } from '../shared/usecases/pageViews';
import { httpRoute } from '../shared/web/accessRoute';
import { clusterErrorResponse, clusterPageResponse } from '../shared/web/clusterPage';
import { json } from '../shared/web/http';
import { wantsPage } from '../shared/web/pageParts';
import { booleanParam, clusterParam, ringParam } from '../shared/web/queryParams';

/**
 * `GET /api/clusters` (`?ring=`, `?subscription=`, `?deleted=true` to include clusters gone from the
 * inventory) and `GET /api/clusters/{name-or-id}` (an ARM id, URL-encoded or as path segments, or a
 * name). A name several live clusters carry is answered 409 with the candidates' ids to ask by.
 * A browser (`Accept: text/html`) asking for one cluster gets the cluster page.
 */
export type ClustersServices = Pick<Services, 'clusters' | 'plans' | 'events' | 'policy' | 'now'> & {
  readonly notifier: Pick<Services['notifier'], 'outbox'>;
};

export function clustersHandler(getServices: () => ClustersServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asPage = wantsPage(request);
    try {
      const s = getServices();
      const id = clusterParam(request);
      if (id !== '' && asPage)
        return clusterPageResponse(await clusterPageData(pageDeps(s), id), s.policy, s.now());
      if (id !== '') return json(200, await findCluster(s.clusters, id));
      const ring = ringParam(request);
      const subscription = request.query.get('subscription') ?? undefined;
      const list = await listClusters(s.clusters, {
        ...(ring !== undefined && { ring }),
        ...(subscription !== undefined && { subscriptionId: subscription }),
        includeDeleted: booleanParam(request, 'deleted') === true,
      });
      return json(200, { count: list.length, clusters: list });
    } catch (e) {
      return clusterErrorResponse(e, context, asPage);
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

import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { isRing } from '../shared/domain/rings';
import { ValidationError } from '../shared/errors';
import { AmbiguousClusterError, findCluster, listClusters } from '../shared/usecases/fleetStatus';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json } from '../shared/web/http';

/**
 * `GET /api/clusters` (`?ring=`, `?subscription=`, `?deleted=true` to include clusters gone from the
 * inventory) and `GET /api/clusters/{name-or-id}` (an ARM id, URL-encoded or as path segments, or a
 * name). A name several live clusters carry is answered 409 with the candidates' ids to ask by.
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

export function clustersHandler(getServices: () => Pick<Services, 'clusters'>) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const { clusters } = getServices();
      const nameOrId = decodeSlashes((request.params.nameOrId ?? '').trim());
      if (nameOrId !== '') {
        const id = nameOrId.startsWith('subscriptions/') ? `/${nameOrId}` : nameOrId;
        return json(200, await findCluster(clusters, id));
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
      return errorResponse(e, context);
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

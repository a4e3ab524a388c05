import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import type { DeferDeps } from '../shared/usecases/deferUpgrade';
import { checkDeferLink, deferUpgrade } from '../shared/usecases/deferUpgrade';
import { httpRoute } from '../shared/web/accessRoute';
import { actionErrorResponse, deferDone, deferPage } from '../shared/web/actionPages';
import { htmlPage, json, readFields, requestSource, wantsJson } from '../shared/web/http';

type Deps = Pick<
  Services,
  'aks' | 'fleetReader' | 'policy' | 'runs' | 'notifier' | 'approvalKeys' | 'config' | 'now'
>;

function deps(s: Deps, context: InvocationContext): DeferDeps {
  return {
    aks: s.aks,
    fleet: s.fleetReader,
    policy: s.policy,
    runs: s.runs,
    outbox: s.notifier.outbox,
    keys: s.approvalKeys,
    baseUrl: s.config.publicBaseUrl,
    now: s.now,
    log: context,
  };
}

/**
 * Defer an AKS-run upgrade from the link in its advance notice (anonymous; the signed token is the
 * credential): `GET /api/defer/{clusterKey}?token=…` shows the cluster and the day and changes nothing;
 * `POST /api/defer/{clusterKey}` (form or JSON `token`) adds the day to the maintenance configuration's
 * `notAllowedDates`. 400 bad input, 401 bad or expired token, 403 foreign token or approver, 409 used.
 */
export function deferHandler(getServices: () => Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const asJson = wantsJson(request);
    const clusterKey = (request.params.clusterKey ?? '').toLowerCase();
    try {
      const d = deps(getServices(), context);
      if (request.method === 'GET' || request.method === 'HEAD') {
        const token = request.query.get('token') ?? undefined;
        const check = await checkDeferLink(d, clusterKey, token);
        return htmlPage(
          200,
          deferPage(
            check.cluster,
            check.claims.date,
            check.claims.configName,
            check.claims.approver,
            token ?? '',
            check.usedAt,
          ),
        );
      }
      const fields = await readFields(request);
      const out = await deferUpgrade(d, clusterKey, fields.token, requestSource(request));
      if (asJson) return json(200, out);
      return htmlPage(200, deferDone(out.cluster, out.date, out.configName, out.changed));
    } catch (e) {
      return actionErrorResponse(e, context, asJson);
    }
  };
}

httpRoute('defer', {
  access: 'signed-link',
  route: 'defer/{clusterKey}',
  methods: ['GET', 'POST'],
  authLevel: 'anonymous',
  handler: deferHandler(services),
});

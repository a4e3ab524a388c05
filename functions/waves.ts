import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { principalOf, signInRedirect } from '../shared/approvals/principal';
import type { Config } from '../shared/config';
import { ensureError, explain } from '../shared/errors';
import type { WaveDeps } from '../shared/usecases/waves';
import { checkWaveLink, decideWave } from '../shared/usecases/waves';
import { httpRoute } from '../shared/web/accessRoute';
import { problemPage } from '../shared/web/approvalPage';
import { errorResponse, htmlPage, json, readFields, requestSource, wantsJson } from '../shared/web/http';
import { waveChoice, waveDecisionPage, wavePage } from '../shared/web/wavePage';

type Deps = Pick<Services, 'plans' | 'links' | 'waves' | 'now'> & {
  readonly config: Pick<Config, 'easyAuth'>;
};

const deps = (s: Deps, log: InvocationContext): WaveDeps => ({
  ...s.waves(),
  plans: s.plans,
  links: s.links,
  log,
});

/**
 * `GET /api/waves/{waveId}?token=…`: a wave's confirmation page (only reads, as a plan's does).
 * `POST /api/waves/{waveId}` (`token`, `decision`, `comment`, the kept plans or `leaveOut`; form or
 * JSON): one decision applied to each plan of the wave; a page, or JSON with `Accept: application/json`.
 */
export function wavesHandler(getServices: () => Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const s = getServices();
    const waveId = request.params.waveId ?? '';
    const principal = principalOf(request, s.config.easyAuth);
    const asJson = wantsJson(request);
    try {
      if (request.method === 'GET' || request.method === 'HEAD') {
        const token = request.query.get('token') ?? undefined;
        const check = await checkWaveLink(deps(s, context), waveId, token, principal, s.now());
        if (!check.ok && check.signIn === true) return signInRedirect(request);
        if (!check.ok)
          return htmlPage(check.status, problemPage(check.status, check.title, check.detail, s.now()));
        return htmlPage(
          200,
          wavePage(check.wave, check.plans, check.decisions, check.approver, token ?? '', s.now()),
        );
      }
      const fields = await readFields(request);
      const r = await decideWave(
        deps(s, context),
        {
          waveId,
          token: fields.token,
          decision: fields.decision,
          comment: fields.comment,
          ...waveChoice(fields),
          ...(principal !== undefined && { principal }),
          source: requestSource(request),
        },
        s.now,
      );
      context.info(
        `wave ${waveId}: ${r.decision.approver} ${r.decision.decision}: ${r.outcome.decided.length} decided, ${r.outcome.leftOut.length} left out, ${r.outcome.skipped.length} skipped`,
      );
      if (asJson)
        return json(200, {
          waveId,
          decision: r.decision.decision,
          approver: r.decision.approver,
          ...r.outcome,
        });
      return htmlPage(200, waveDecisionPage(r.wave, r.plans, r.decision, r.outcome));
    } catch (thrown) {
      const e = ensureError(thrown);
      const answer = errorResponse(e, context);
      const status = answer.status ?? 500;
      if (asJson || ![400, 401, 403, 404, 409].includes(status)) return answer;
      const { title, detail } = explain(e, 'This did not go through');
      return htmlPage(status, problemPage(status, title, detail, s.now()));
    }
  };
}

httpRoute('waves', {
  access: 'signed-link',
  route: 'waves/{waveId}',
  methods: ['GET', 'HEAD', 'POST'],
  authLevel: 'anonymous',
  handler: wavesHandler(services),
});

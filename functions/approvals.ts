import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { principalOf, signInRedirect } from '../shared/approvals/principal';
import type { Config } from '../shared/config';
import type { Plan } from '../shared/domain/plan';
import { decided } from '../shared/domain/plan';
import { ensureError, explain } from '../shared/errors';
import type { ApprovalDeps } from '../shared/usecases/decideApproval';
import { checkApprovalLink, decideApproval } from '../shared/usecases/decideApproval';
import { settleGatePlan } from '../shared/usecases/fleetGates';
import { httpRoute } from '../shared/web/accessRoute';
import { approvalPage, decisionPage, problemPage } from '../shared/web/approvalPage';
import { errorResponse, htmlPage, json, readFields, requestSource, wantsJson } from '../shared/web/http';

type Deps = Pick<Services, 'plans' | 'links' | 'approvalKeys' | 'policy' | 'now'> &
  Partial<Pick<Services, 'fleetGates'>> & {
    readonly config: Pick<Config, 'easyAuth'>;
  };

function deps(s: Deps, context: InvocationContext): ApprovalDeps {
  const gates = s.fleetGates;
  return {
    plans: s.plans,
    links: s.links,
    keys: s.approvalKeys,
    policy: s.policy,
    log: context,
    ...(gates !== undefined && {
      afterDecision: (plan: Plan) => settleGatePlan({ ...gates(), log: context }, plan),
    }),
  };
}

/**
 * `GET /api/approvals/{planId}?token=…`: the confirmation page. It only reads: mail scanners (Defender
 * Safe Links) open every link and run its scripts, so nothing here changes state.
 * `POST /api/approvals/{planId}` (`token`, `decision`, `comment`; form or JSON): records the decision;
 * an HTML page, or JSON with `Accept: application/json`. 400 bad input, 401 bad or expired token,
 * 403 foreign token or approver, 404 no plan, 409 closed plan or token already used.
 */
export function approvalsHandler(getServices: () => Deps) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const s = getServices();
    const planId = request.params.planId ?? '';
    if (request.method === 'GET' || request.method === 'HEAD') {
      try {
        const token = request.query.get('token') ?? request.query.get('t') ?? undefined;
        const check = await checkApprovalLink(
          deps(s, context),
          planId,
          token,
          principalOf(request, s.config.easyAuth),
          s.now(),
        );
        // Easy Auth signs them in and brings them back to this very link.
        if (!check.ok && check.signIn === true) return signInRedirect(request);
        if (!check.ok)
          return htmlPage(
            check.status,
            problemPage(check.status, check.title, check.detail, s.now(), check.plan),
          );
        return htmlPage(200, approvalPage(check.plan, check.claims.approver, token ?? '', s.now()));
      } catch (e) {
        const r = errorResponse(e, context);
        return htmlPage(
          r.status ?? 500,
          problemPage(
            r.status ?? 500,
            'Something went wrong',
            'The failure was logged; try again in a minute.',
            s.now(),
          ),
        );
      }
    }
    const asJson = wantsJson(request);
    try {
      const fields = await readFields(request);
      const principal = principalOf(request, s.config.easyAuth);
      const outcome = await decideApproval(
        deps(s, context),
        {
          planId,
          token: fields.token,
          decision: fields.decision,
          comment: fields.comment,
          ...(principal !== undefined && { principal }),
          source: requestSource(request),
        },
        s.now,
      );
      context.info(
        `plan ${planId}: ${outcome.approver} ${decided(outcome.decision)}; plan is ${outcome.plan.status}`,
      );
      if (asJson)
        return json(200, {
          planId,
          decision: outcome.decision,
          approver: outcome.approver,
          status: outcome.plan.status,
          approvals: outcome.plan.approval?.decisions ?? [],
        });
      return htmlPage(200, decisionPage(outcome.plan, outcome.approver, outcome.decision, s.now()));
    } catch (thrown) {
      const e = ensureError(thrown);
      const answer = errorResponse(e, context);
      const status = answer.status ?? 500;
      // A person's mistake (bad, expired, foreign or used link; closed plan) gets a page; the rest JSON.
      if (asJson || ![400, 401, 403, 404, 409].includes(status)) return answer;
      const { title, detail } = explain(e, 'This did not go through');
      return htmlPage(status, problemPage(status, title, detail, s.now()));
    }
  };
}

httpRoute('approvals', {
  access: 'signed-link',
  route: 'approvals/{planId}',
  // HEAD: link checkers and scanners probe with it; it reads like GET and changes nothing.
  methods: ['GET', 'HEAD', 'POST'],
  authLevel: 'anonymous',
  handler: approvalsHandler(services),
});

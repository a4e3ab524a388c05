import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { principalOf } from '../shared/approvals/principal';
import type { Config } from '../shared/config';
import { approvalDeps } from '../shared/usecases/approvalPorts';
import { checkApprovalLink, decideApproval } from '../shared/usecases/decideApproval';
import { httpRoute } from '../shared/web/accessRoute';
import {
  approvalLinkAnswer,
  approvalLinkFailure,
  decisionAnswer,
  decisionFailure,
} from '../shared/web/approvalAnswers';
import { readFields, requestSource, wantsJson } from '../shared/web/http';

type Deps = Pick<Services, 'plans' | 'links' | 'approvalKeys' | 'policy' | 'now'> &
  Partial<Pick<Services, 'fleetGates'>> & {
    readonly config: Pick<Config, 'easyAuth'>;
  };

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
    const principal = principalOf(request, s.config.easyAuth);
    if (request.method === 'GET' || request.method === 'HEAD') {
      const token = request.query.get('token') ?? request.query.get('t') ?? undefined;
      try {
        const check = await checkApprovalLink(approvalDeps(s, context), planId, token, principal, s.now());
        return approvalLinkAnswer(request, check, token ?? '', s.now());
      } catch (e) {
        return approvalLinkFailure(e, context, s.now());
      }
    }
    const asJson = wantsJson(request);
    try {
      const fields = await readFields(request);
      const outcome = await decideApproval(
        approvalDeps(s, context),
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
      return decisionAnswer(outcome, planId, asJson, context, s.now());
    } catch (e) {
      return decisionFailure(e, context, asJson, s.now());
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

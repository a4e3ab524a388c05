import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import type { Config } from '../shared/config';
import { decided } from '../shared/domain/plan';
import { ensureError, ValidationError } from '../shared/errors';
import type { ApprovalDeps, Principal } from '../shared/usecases/decideApproval';
import { checkApprovalLink, decideApproval } from '../shared/usecases/decideApproval';
import { approvalPage, decisionPage, problemPage } from '../shared/web/approvalPage';
import { errorResponse, htmlPage, json, readFields, requestSource, wantsJson } from '../shared/web/http';

type Deps = Pick<Services, 'plans' | 'links' | 'approvalKeys' | 'policy' | 'now'> & {
  readonly config: Pick<Config, 'easyAuth'>;
};

/**
 * The principal App Service authentication put on the request (`x-ms-client-principal`), if any.
 * Without Easy Auth on the app those headers are whatever the caller sent, so they are not read.
 */
export function principalOf(request: HttpRequest, easyAuth: boolean): Principal | undefined {
  if (!easyAuth) return undefined;
  const user = request.user;
  if (!user || user.username === '') return undefined;
  const claims =
    (user.claimsPrincipalData as { claims?: { typ?: string; val?: string }[] } | undefined)?.claims ?? [];
  const groups = claims
    .filter((c) => c.typ === 'groups' && typeof c.val === 'string')
    .map((c) => c.val as string);
  return { name: user.username, id: user.id, groups };
}

/** A redirect to App Service's Entra sign-in, which returns to the same path and query. */
function signInFirst(request: HttpRequest): HttpResponseInit {
  const url = new URL(request.url);
  const back = encodeURIComponent(`${url.pathname}${url.search}`);
  return {
    status: 302,
    headers: { location: `/.auth/login/aad?post_login_redirect_uri=${back}`, 'cache-control': 'no-store' },
  };
}

function deps(s: Deps, context: InvocationContext): ApprovalDeps {
  return { plans: s.plans, links: s.links, keys: s.approvalKeys, policy: s.policy, log: context };
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
        if (!check.ok && check.signIn === true) return signInFirst(request);
        if (!check.ok)
          return htmlPage(check.status, problemPage(check.status, check.title, check.detail, check.plan));
        return htmlPage(200, approvalPage(check.plan, check.claims.approver, token ?? ''));
      } catch (e) {
        const r = errorResponse(e, context);
        return htmlPage(
          r.status ?? 500,
          problemPage(
            r.status ?? 500,
            'Something went wrong',
            'The failure was logged; try again in a minute.',
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
      return htmlPage(200, decisionPage(outcome.plan, outcome.approver, outcome.decision));
    } catch (thrown) {
      const e = ensureError(thrown);
      const answer = errorResponse(e, context);
      const status = answer.status ?? 500;
      // A person's mistake (bad, expired, foreign or used link; closed plan) gets a page; the rest JSON.
      if (asJson || ![400, 401, 403, 404, 409].includes(status)) return answer;
      const title = e instanceof ValidationError ? e.message : (e.message.split(': ')[0] ?? e.message);
      const detail =
        e instanceof ValidationError ? e.detail : e.message.split(': ').slice(1).join(': ') || e.message;
      return htmlPage(status, problemPage(status, title, detail));
    }
  };
}

app.http('approvals', {
  route: 'approvals/{planId}',
  // HEAD: link checkers and scanners probe with it; it reads like GET and changes nothing.
  methods: ['GET', 'HEAD', 'POST'],
  authLevel: 'anonymous',
  handler: approvalsHandler(services),
});

import type { HttpRequest, HttpResponseInit } from '@azure/functions';

import { signInRedirect } from '../approvals/principal';
import { decided } from '../domain/plan';
import { ensureError, explain } from '../errors';
import type { Logger } from '../logging';
import type { DecisionOutcome, LinkCheck } from '../usecases/decideApproval';
import { approvalPage, decisionPage, problemPage } from './approvalPage';
import { errorResponse, htmlPage, json } from './http';

/**
 * The answers of the approval route (`functions/approvals.ts`): the confirmation page a link opens,
 * the page or JSON after a decision, and what a person's mistake or a failure looks like.
 */

/** The link's page: the confirmation, a sign-in first (when the policy asks for it), or what is wrong. */
export function approvalLinkAnswer(
  request: HttpRequest,
  check: LinkCheck,
  token: string,
  now: Date,
): HttpResponseInit {
  // Easy Auth signs them in and brings them back to this very link.
  if (!check.ok && check.signIn === true) return signInRedirect(request);
  if (!check.ok)
    return htmlPage(check.status, problemPage(check.status, check.title, check.detail, now, check.plan));
  return htmlPage(200, approvalPage(check.plan, check.claims.approver, token, now));
}

/** The link's page when reading failed unexpectedly: logged, and a page that says to try again. */
export function approvalLinkFailure(thrown: unknown, log: Logger, now: Date): HttpResponseInit {
  const status = errorResponse(thrown, log).status ?? 500;
  return htmlPage(
    status,
    problemPage(status, 'Something went wrong', 'The failure was logged; try again in a minute.', now),
  );
}

/** After a decision: the decision page, or JSON with `Accept: application/json`. */
export function decisionAnswer(
  outcome: DecisionOutcome,
  planId: string,
  asJson: boolean,
  log: Logger,
  now: Date,
): HttpResponseInit {
  log.info(
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
  return htmlPage(200, decisionPage(outcome.plan, outcome.approver, outcome.decision, now));
}

/** A refused decision: a person's mistake (bad, expired, foreign or used link; closed plan) gets a page; the rest JSON. */
export function decisionFailure(thrown: unknown, log: Logger, asJson: boolean, now: Date): HttpResponseInit {
  const e = ensureError(thrown);
  const answer = errorResponse(e, log);
  const status = answer.status ?? 500;
  if (asJson || ![400, 401, 403, 404, 409].includes(status)) return answer;
  const { title, detail } = explain(e, 'This did not go through');
  return htmlPage(status, problemPage(status, title, detail, now));
}

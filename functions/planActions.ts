import type { HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import { services } from '../shared/app';
import { ensureError, ValidationError } from '../shared/errors';
import type { ActionSource } from '../shared/usecases/planActions';
import { abortStep, cancelPlan, requestAbort } from '../shared/usecases/planActions';
import { errorResponse, json, remoteAddress } from '../shared/web/http';
import type { RunnerServices } from './upgradeRunner';
import { runnerDeps } from './upgradeRunner';

const MAX_BODY_BYTES = 16 * 1024;

/** Reads a small JSON object body (or an empty one). */
export async function jsonFields(request: HttpRequest): Promise<Record<string, string | undefined>> {
  const bytes = Buffer.from(await request.arrayBuffer());
  if (bytes.length > MAX_BODY_BYTES)
    throw new ValidationError('body too large', `the body is over ${MAX_BODY_BYTES} bytes`);
  const text = bytes.toString('utf8').trim();
  if (text === '') return {};
  const type = request.headers.get('content-type') ?? '';
  if (type.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(text);
    return Object.fromEntries([...form.keys()].map((k) => [k, form.get(k) ?? undefined]));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ValidationError('bad body', 'the body is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ValidationError('bad body', 'the body must be a JSON object');
  return Object.fromEntries(
    Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : undefined,
    ]),
  );
}

export function sourceOf(request: HttpRequest): ActionSource {
  const ip = remoteAddress(request);
  const ua = request.headers.get('user-agent') ?? undefined;
  return { ...(ip !== undefined && { ip }), ...(ua !== undefined && { userAgent: ua }) };
}

/**
 * `POST /api/plans/{planId}/cancel` (function key) `{ actor, reason? }`: cancels a plan that has not
 * started a step; 409 once one has.
 */
export function planCancelHandler(getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const fields = await jsonFields(request);
      const plan = await cancelPlan(
        runnerDeps(getServices(), context),
        request.params.planId ?? '',
        fields.actor,
        fields.reason,
        sourceOf(request),
      );
      return json(200, { planId: plan.id, status: plan.status });
    } catch (e) {
      return errorResponse(ensureError(e), context);
    }
  };
}

/**
 * `POST /api/plans/{planId}/abort` (function key): with `{ requestedBy, reason? }`, asks a second person
 * to approve (signed links to the approvers, 202); with `{ token }` from such a link, aborts the running
 * step (`abortLatestOperation`) and the plan fails at it.
 */
export function planAbortHandler(getServices: () => RunnerServices) {
  return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const fields = await jsonFields(request);
      const deps = runnerDeps(getServices(), context);
      const planId = request.params.planId ?? '';
      if (fields.token !== undefined) {
        const plan = await abortStep(deps, planId, fields.token, fields.comment, sourceOf(request));
        return json(200, { planId: plan.id, status: plan.status, failure: plan.failure });
      }
      const asked = await requestAbort(deps, planId, fields.requestedBy, fields.reason);
      return json(202, { planId, status: asked.plan.status, approvalRequestedFrom: asked.approvers });
    } catch (e) {
      return errorResponse(ensureError(e), context);
    }
  };
}

app.http('planCancel', {
  route: 'plans/{planId}/cancel',
  methods: ['POST'],
  authLevel: 'function',
  handler: planCancelHandler(services),
});

app.http('planAbort', {
  route: 'plans/{planId}/abort',
  methods: ['POST'],
  authLevel: 'function',
  handler: planAbortHandler(services),
});

import { randomBytes } from 'node:crypto';

import { checkPlanAction } from '../../shared/approvals/actionTokens';
import { FORM_TOKEN_MS, formTokenProblem, signFormToken } from '../../shared/approvals/formTokens';
import { proposed } from '../helpers/plans';

/** The plan page's form tokens: bound to plan, action and viewer, short-lived, and no approval token. */
const keys = { current: randomBytes(32) };
const NOW = new Date('2026-11-25T10:00:00Z');

test('a token passes for its own plan, action and viewer only, until it expires', () => {
  const token = signFormToken('cancel', 'p1', 'Op@Contoso.com', keys, NOW);
  expect(formTokenProblem('cancel', 'p1', 'op@contoso.com', token, keys, NOW)).toBeUndefined();
  expect(formTokenProblem('abort', 'p1', 'op@contoso.com', token, keys, NOW)).toMatch(/another plan/);
  expect(formTokenProblem('cancel', 'p2', 'op@contoso.com', token, keys, NOW)).toMatch(/another plan/);
  expect(formTokenProblem('cancel', 'p1', '', token, keys, NOW)).toMatch(/another plan, action or person/);
  const late = new Date(NOW.getTime() + FORM_TOKEN_MS);
  expect(formTokenProblem('cancel', 'p1', 'op@contoso.com', token, keys, late)).toMatch(/too old/);
  expect(formTokenProblem('cancel', 'p1', 'op@contoso.com', undefined, keys, NOW)).toMatch(/missing/);
  const forged = signFormToken('cancel', 'p1', 'op@contoso.com', { current: randomBytes(32) }, NOW);
  expect(formTokenProblem('cancel', 'p1', 'op@contoso.com', forged, keys, NOW)).toMatch(/not valid/);
});

test('a form token is never accepted as a plan-action link', () => {
  const base = proposed();
  const plan = {
    ...base,
    status: 'running' as const,
    steps: base.steps.map((s, i) =>
      i === 0 ? { ...s, status: 'running' as const, startedAt: NOW.toISOString() } : s,
    ),
  };
  const token = signFormToken('abort', plan.id, 'oncall@contoso.com', keys, NOW);
  expect(checkPlanAction('abort', plan, token, keys, NOW).ok).toBe(false);
});

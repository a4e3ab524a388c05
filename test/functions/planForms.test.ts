import '../helpers/quietFunctions';

import { randomBytes } from 'node:crypto';

import type { HttpResponseInit } from '@azure/functions';
import { HttpRequest, InvocationContext } from '@azure/functions';

import { planAbortHandler, planCancelHandler } from '../../functions/planActions';
import { plansHandler } from '../../functions/plans';
import type { RunnerServices } from '../../functions/upgradeRunner';
import type { AksGateway } from '../../shared/azure/aksGateway';
import type { Config } from '../../shared/config';
import type { Plan } from '../../shared/domain/plan';
import { TableRunnerStore } from '../../shared/store/runnerStore';
import { toCommit } from '../../shared/usecases/planCommands';
import { pageServices, planningWorld } from '../helpers/planning';
import { proposed } from '../helpers/plans';

/**
 * Cancel and abort from the plan page: the page draws real forms for a viewer who may act, a form post
 * needs the page's form token (and a ticked confirmation to abort), a browser is sent back to the plan
 * page with the outcome, an API client gets JSON, and a refused post changes nothing.
 */
const world = planningWorld();
const noAks = new Proxy({} as AksGateway, {
  get: () => () => Promise.reject(new Error('ARM must not be called for this request')),
});
const OPERATOR_GROUP = '00000000-0000-0000-0000-00000000000a';
const access = { viewerGroups: [], operatorGroups: [OPERATOR_GROUP] };
function runner(easyAuth = false): RunnerServices {
  return {
    plans: world.plans,
    links: world.deps.links,
    aks: noAks,
    policy: world.policy,
    runs: new TableRunnerStore(world.tables),
    notifier: { outbox: world.outbox },
    approvalKeys: world.keys,
    config: { publicBaseUrl: 'http://warden.test', easyAuth, access } as unknown as Config,
    newId: () => randomBytes(4).toString('hex'),
    now: world.now,
    runnerOwner: 'forms-test',
  } as unknown as RunnerServices;
}
const ctx = (): InvocationContext => new InvocationContext({ logHandler: () => {} });
const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const FORM = { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' };

/** The headers App Service Authentication adds for a signed-in person. */
function principal(name: string, groups: string[]): Record<string, string> {
  const claims = groups.map((g) => ({ typ: 'groups', val: g }));
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify({ auth_typ: 'aad', claims })).toString('base64'),
    'x-ms-client-principal-name': name,
  };
}

async function newPlan(prefix: string, running = false): Promise<Plan> {
  const id = `${prefix}${randomBytes(4).toString('hex')}`;
  const base = proposed();
  let plan = proposed({ id, cluster: { ...base.cluster, key: `${base.cluster.key}-${id}`.toLowerCase() } });
  if (running)
    plan = {
      ...plan,
      status: 'running',
      steps: plan.steps.map((s, i) =>
        i === 0 ? { ...s, status: 'running', startedAt: world.now().toISOString() } : s,
      ),
    };
  await world.plans.create(toCommit(world.deps.links, [{ plan, effects: [] }]).commit);
  return plan;
}

async function planPage(planId: string, query = '', headers: Record<string, string> = {}, easyAuth = false) {
  const handler = plansHandler(() => ({
    ...pageServices(world),
    config: { easyAuth, access },
  }));
  return handler(
    new HttpRequest({
      method: 'GET',
      url: `http://warden.test/api/plans/${planId}${query}`,
      params: { planId },
      query: Object.fromEntries(new URLSearchParams(query.replace(/^\?/, ''))),
      headers: { ...BROWSER, ...headers },
    }),
    ctx(),
  );
}

const bodyOf = (r: HttpResponseInit): string => r.body as string;
const tokenIn = (page: string): string => /name="formToken" value="([^"]+)"/.exec(page)?.[1] ?? '';

function post(
  action: 'cancel' | 'abort',
  planId: string,
  body: string,
  headers: Record<string, string> = FORM,
  easyAuth = false,
) {
  const handler = action === 'cancel' ? planCancelHandler : planAbortHandler;
  return handler(() => runner(easyAuth))(
    new HttpRequest({
      method: 'POST',
      url: `http://warden.test/api/plans/${planId}/${action}`,
      params: { planId },
      headers,
      body: { string: body },
    }),
    ctx(),
  );
}

const status = async (planId: string) => (await world.plans.get(planId))?.plan.status;

test('the plan page links to a cancel form that does not reload, with the fields it needs; ?act= is checked', async () => {
  const plan = await newPlan('fp');
  const page = await planPage(plan.id);
  expect(page.headers).toMatchObject({ refresh: '30' });
  expect(bodyOf(page)).toContain(`href="/api/plans/${plan.id}?act=cancel"`);
  expect(bodyOf(page)).not.toContain('<form');
  const form = await planPage(plan.id, '?act=cancel');
  expect(form.status).toBe(200);
  expect((form.headers as Record<string, string>).refresh).toBeUndefined();
  const html = bodyOf(form);
  expect(html).toContain(`<form method="post" action="/api/plans/${plan.id}/cancel">`);
  expect(html).toMatch(/<input\s+id="actor"\s+name="actor"\s+type="email"\s+required/);
  expect(tokenIn(html)).toMatch(/^v1\./);
  // A proposed plan has no running step: the abort form says so instead of drawing a form.
  expect(bodyOf(await planPage(plan.id, '?act=abort'))).toContain('There is no running step to abort');
  const bad = await planPage(plan.id, '?act=explode');
  expect(bad.status).toBe(400);
  expect(bodyOf(bad)).toContain('act must be cancel or abort');
});

test("a form post without the page token, with another plan's, or as text/plain is a 400 and changes nothing", async () => {
  const plan = await newPlan('fc');
  const other = await newPlan('fo');
  const otherToken = tokenIn(bodyOf(await planPage(other.id, '?act=cancel')));
  const fields = 'actor=ops%40contoso.com&reason=not+now';
  const missing = await post('cancel', plan.id, fields);
  expect(missing.status).toBe(400);
  expect(bodyOf(missing)).toContain('the form token is missing');
  expect(bodyOf(missing)).toContain(`href="/api/plans/${plan.id}" id="back"`);
  const foreign = await post('cancel', plan.id, `${fields}&formToken=${otherToken}`);
  expect(bodyOf(foreign)).toContain('made for another plan, action or person');
  // What a cross-site page can send without a CORS preflight: JSON in a text/plain body.
  const plain = await post('cancel', plan.id, '{"actor":"ops@contoso.com"}', {
    'content-type': 'text/plain',
  });
  expect(plain).toMatchObject({ status: 400, jsonBody: { error: 'bad form' } });
  expect(await status(plan.id)).toBe('proposed');
  expect(await status(other.id)).toBe('proposed');
});

test('cancel from the form: 303 back to the plan page, which says it was cancelled; JSON clients get JSON', async () => {
  const plan = await newPlan('fk');
  const token = tokenIn(bodyOf(await planPage(plan.id, '?act=cancel')));
  const badActor = await post('cancel', plan.id, `actor=nobody&formToken=${token}`);
  expect(badActor.status).toBe(400);
  expect(bodyOf(badActor)).toContain('actor must be the email address of the person acting');
  const done = await post('cancel', plan.id, `actor=ops%40contoso.com&reason=freeze&formToken=${token}`);
  expect(done).toMatchObject({
    status: 303,
    headers: { location: `/api/plans/${plan.id}?done=cancelled` },
  });
  expect(await status(plan.id)).toBe('cancelled');
  const after = bodyOf(await planPage(plan.id, '?done=cancelled'));
  expect(after).toMatch(/id="outcome"[^>]*>\s*Done: the plan was cancelled by ops@contoso\.com <time/);
  expect(after).not.toContain('?act=cancel');
  expect((await world.plans.audit(plan.id)).at(-1)).toMatchObject({ actor: 'ops@contoso.com' });
  // The same token again: the plan is cancelled, so there is nothing to cancel.
  expect((await post('cancel', plan.id, `actor=ops%40contoso.com&formToken=${token}`)).status).toBe(409);

  const api = await newPlan('fj');
  const json = await post('cancel', api.id, '{"actor":"ops@contoso.com"}', {
    'content-type': 'application/json',
  });
  expect(json).toMatchObject({ status: 200, jsonBody: { planId: api.id, status: 'cancelled' } });
});

test('abort from the form needs the box ticked; then the second person is asked and the page says who', async () => {
  const plan = await newPlan('fa', true);
  const page = bodyOf(await planPage(plan.id));
  expect(page).toContain(`href="/api/plans/${plan.id}?act=abort"`);
  expect(page).not.toContain('?act=cancel');
  const html = bodyOf(await planPage(plan.id, '?act=abort'));
  expect(html).toMatch(/<input type="checkbox" id="confirm" name="confirm" value="yes" required/);
  const token = tokenIn(html);
  const notices = async () =>
    (await world.outbox.list({ limit: 500 })).filter((n) => n.noticeKey.startsWith(`plan:${plan.id}:abort:`));
  const unconfirmed = await post('abort', plan.id, `requestedBy=ops%40contoso.com&formToken=${token}`);
  expect(unconfirmed.status).toBe(400);
  expect(bodyOf(unconfirmed)).toContain('tick');
  expect(await notices()).toEqual([]);
  const asked = await post(
    'abort',
    plan.id,
    `requestedBy=ops%40contoso.com&reason=wrong+window&confirm=yes&formToken=${token}`,
  );
  expect(asked).toMatchObject({
    status: 303,
    headers: { location: `/api/plans/${plan.id}?done=abort-requested` },
  });
  const to = [...new Set((await notices()).map((n) => n.to))].sort();
  expect(to).toEqual(['lead@contoso.com', 'oncall@contoso.com']);
  expect(await status(plan.id)).toBe('running');
  const after = bodyOf(await planPage(plan.id, '?done=abort-requested'));
  expect(after).toContain('Abort requested: ');
  for (const a of to) expect(/id="outcome"[\s\S]*?<\/p>/.exec(after)?.[0]).toContain(a);
  expect((await planPage(plan.id, '?done=nope')).status).toBe(400);
});

test('with sign-in on: a viewer gets no form, an operator acts as themself, and a token is theirs alone', async () => {
  const plan = await newPlan('fe');
  const viewer = principal('viewer@contoso.com', []);
  const operator = principal('op@contoso.com', [OPERATOR_GROUP]);
  const asViewer = bodyOf(await planPage(plan.id, '?act=cancel', viewer, true));
  expect(asViewer).not.toContain('<form');
  expect(asViewer).toContain('viewer@contoso.com is not a Warden operator');
  const asOperator = bodyOf(await planPage(plan.id, '?act=cancel', operator, true));
  expect(asOperator).toContain('You act as <b id="acting-as">op@contoso.com</b>');
  expect(asOperator).not.toContain('name="actor"');
  const token = tokenIn(asOperator);
  const someoneElse = principal('other@contoso.com', [OPERATOR_GROUP]);
  const stolen = await post('cancel', plan.id, `formToken=${token}`, { ...FORM, ...someoneElse }, true);
  expect(stolen.status).toBe(400);
  expect(await status(plan.id)).toBe('proposed');
  // The body names someone else; the signed-in operator is who acts.
  const done = await post(
    'cancel',
    plan.id,
    `actor=mallory%40contoso.com&formToken=${token}`,
    { ...FORM, ...operator },
    true,
  );
  expect(done.status).toBe(303);
  expect((await world.plans.audit(plan.id)).at(-1)).toMatchObject({ actor: 'op@contoso.com' });
});

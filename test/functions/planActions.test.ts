import '../helpers/quietFunctions';

import { randomBytes } from 'node:crypto';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { deferHandler } from '../../functions/defer';
import { planActionLinksHandler } from '../../functions/planActionLinks';
import { planAbortHandler, planCancelHandler } from '../../functions/planActions';
import type { RunnerServices } from '../../functions/upgradeRunner';
import { signDefer } from '../../shared/approvals/actionTokens';
import type { AksGateway } from '../../shared/azure/aksGateway';
import type { Config } from '../../shared/config';
import { TableRunnerStore } from '../../shared/store/runnerStore';
import { toCommit } from '../../shared/usecases/planCommands';
import { planningWorld } from '../helpers/planning';
import { proposed } from '../helpers/plans';

/** The runner's HTTP surface: bad input is a 400 with `{ error, detail }`, never a 500; links are checked before anything changes. */
const world = planningWorld();
const noAks = new Proxy({} as AksGateway, {
  get: () => () => Promise.reject(new Error('ARM must not be called for this request')),
});
const services = (): RunnerServices & { fleetReader: { cluster: () => Promise<undefined> } } =>
  ({
    plans: world.plans,
    links: world.deps.links,
    aks: noAks,
    policy: world.policy,
    runs: new TableRunnerStore(world.tables),
    notifier: { outbox: world.outbox },
    approvalKeys: world.keys,
    config: { publicBaseUrl: 'http://warden.test' } as Config,
    newId: () => randomBytes(4).toString('hex'),
    now: world.now,
    runnerOwner: 'runner-test',
    fleetReader: { cluster: () => Promise.resolve(undefined) },
  }) as unknown as RunnerServices & { fleetReader: { cluster: () => Promise<undefined> } };

function request(method: string, url: string, params: Record<string, string>, body?: string, headers = {}) {
  return new HttpRequest({
    method,
    url,
    params,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body !== undefined && { body: { string: body } }),
  });
}
/** A proposed plan on a cluster of its own (one open plan per cluster and class). */
function freshPlan(prefix: string) {
  const id = `${prefix}${randomBytes(4).toString('hex')}`;
  const base = proposed();
  return proposed({ id, cluster: { ...base.cluster, key: `${base.cluster.key}-${id}`.toLowerCase() } });
}
const ctx = (): InvocationContext => new InvocationContext({ functionName: 'test' });

test('cancel: 400 without an actor or with a bad body, 404 for an unknown plan, 200 for a plan that has not started', async () => {
  const cancel = planCancelHandler(services);
  const url = 'http://localhost/api/plans/p/cancel';
  expect(await cancel(request('POST', url, { planId: 'x' }, '{}'), ctx())).toMatchObject({
    status: 400,
    jsonBody: { error: 'bad actor', detail: expect.stringMatching(/^actor must be/) },
  });
  const bad = await cancel(request('POST', url, { planId: 'x' }, '[1]'), ctx());
  expect(bad).toMatchObject({ status: 400, jsonBody: { error: 'bad body' } });
  expect(
    (await cancel(request('POST', url, { planId: 'nope' }, '{"actor":"ops@contoso.com"}'), ctx())).status,
  ).toBe(404);

  const plan = freshPlan('pc');
  await world.plans.create(toCommit(world.deps.links, [{ plan, effects: [] }]).commit);
  const ok = await cancel(
    request('POST', url, { planId: plan.id }, '{"actor":"ops@contoso.com","reason":"not now"}'),
    ctx(),
  );
  expect(ok).toMatchObject({ status: 200, jsonBody: { status: 'cancelled' } });
  const again = await cancel(request('POST', url, { planId: plan.id }, '{"actor":"ops@contoso.com"}'), ctx());
  expect(again.status).toBe(409);
});

test('abort: a plan without a running step answers 409; a forged token 401', async () => {
  const plan = freshPlan('pa');
  await world.plans.create(toCommit(world.deps.links, [{ plan, effects: [] }]).commit);
  const abort = planAbortHandler(services);
  const url = `http://localhost/api/plans/${plan.id}/abort`;
  expect(
    (await abort(request('POST', url, { planId: plan.id }, '{"requestedBy":"ops@contoso.com"}'), ctx()))
      .status,
  ).toBe(409);
  expect(
    (await abort(request('POST', url, { planId: plan.id }, '{"token":"v1.abc.def"}'), ctx())).status,
  ).toBe(401);
  // The field abort asks for is requestedBy, and that is what a bad one is called.
  expect(await abort(request('POST', url, { planId: plan.id }, '{}'), ctx())).toMatchObject({
    status: 400,
    jsonBody: { error: 'bad requestedBy', detail: expect.stringMatching(/^requestedBy must be/) },
  });
});

test('plan-action links: unknown action 400; a bad token shows a problem page and changes nothing', async () => {
  const links = planActionLinksHandler(services);
  const bad = await links(
    request('GET', 'http://localhost/api/plan-actions/p/explode?token=x', { planId: 'p', action: 'explode' }),
    ctx(),
  );
  expect(bad.status).toBe(400);
  const plan = freshPlan('pl');
  await world.plans.create(toCommit(world.deps.links, [{ plan, effects: [] }]).commit);
  const page = await links(
    request('GET', `http://localhost/api/plan-actions/${plan.id}/force-upgrade?token=nope`, {
      planId: plan.id,
      action: 'force-upgrade',
    }),
    ctx(),
  );
  expect(page.status).toBe(401);
  expect(page.body as string).toContain('id="problem"');
  expect((await world.plans.get(plan.id))?.plan.status).toBe('proposed');
});

test('defer: a missing, forged or foreign token is refused before anything is read or written', async () => {
  const defer = deferHandler(services as never);
  const key = 'sub:rg:aks-1';
  const url = `http://localhost/api/defer/${encodeURIComponent(key)}`;
  expect((await defer(request('GET', url, { clusterKey: key }), ctx())).status).toBe(400);
  expect((await defer(request('GET', `${url}?token=v1.a.b`, { clusterKey: key }), ctx())).status).toBe(401);
  const foreign = signDefer(
    {
      clusterKey: 'sub:rg:other',
      approver: 'oncall@contoso.com',
      date: '2026-12-05',
      configName: 'default',
      requestId: 'e',
      exp: 1_900_000_000,
    },
    world.keys,
  );
  const res = await defer(
    request('POST', url, { clusterKey: key }, JSON.stringify({ token: foreign }), {
      accept: 'application/json',
    }),
    ctx(),
  );
  expect(res).toMatchObject({ status: 403, jsonBody: { error: 'forbidden' } });
});

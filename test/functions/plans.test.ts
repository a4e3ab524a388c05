import '../helpers/quietFunctions';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { planApprovalLinksHandler } from '../../functions/planApprovalLinks';
import { plansHandler } from '../../functions/plans';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import { pageServices, planningWorld } from '../helpers/planning';
import { REGION, snapshot } from '../helpers/plans';

const quiet = () => new InvocationContext({ logHandler: () => {} });
const opts = { by: { actor: 'warden', source: { kind: 'sweep' as const } }, reason: 'sweep' };

describe('GET /api/plans', () => {
  const w = planningWorld(`gatedRings: [canary]\nroutes: { canary: { email: [oncall@contoso.com] } }`);
  const list = plansHandler(() => pageServices(w));
  const call = async (query: Record<string, string>, params: Record<string, string> = {}) => {
    const r = await list(
      new HttpRequest({ method: 'GET', url: 'http://warden.test/api/plans', query, params }),
      quiet(),
    );
    return { status: r.status ?? 200, body: r.jsonBody as Record<string, unknown> };
  };
  let canaryId = '';

  beforeAll(async () => {
    const [c] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-canary-api', 'canary'),
      REGION,
      w.now(),
      opts,
    );
    await proposePlansForCluster(w.deps, snapshot('aks-dev-api', 'dev'), REGION, w.now(), opts);
    canaryId = c!.planId!;
  });

  test('filters by status, ring and cluster; a cluster filter adds its audit trail', async () => {
    expect(((await call({})).body.plans as unknown[]).length).toBe(2);
    expect((await call({ status: 'awaiting-approval' })).body.plans).toEqual([
      expect.objectContaining({ id: canaryId }),
    ]);
    expect((await call({ ring: 'dev' })).body.plans).toEqual([
      expect.objectContaining({ status: 'proposed' }),
    ]);
    const byCluster = await call({ cluster: 'AKS-CANARY-API' });
    expect(byCluster.body.plans).toEqual([expect.objectContaining({ id: canaryId })]);
    expect((byCluster.body.audit as { event: string }[]).map((a) => a.event)).toEqual([
      'PromotionSatisfied',
      'PlanProposed',
    ]);
  });

  test('one plan with its audit trail and where operators find its links; 404 and 400 for bad input', async () => {
    const one = await call({}, { planId: canaryId });
    expect(one.body).toMatchObject({
      id: canaryId,
      status: 'awaiting-approval',
      approvalLinks: `/api/plans/${canaryId}/approval-links`,
    });
    expect((one.body.audit as unknown[]).length).toBe(2);
    expect((await call({}, { planId: 'nope' })).status).toBe(404);
    expect((await call({ status: 'done' })).status).toBe(400);
    expect((await call({ ring: 'prod' })).status).toBe(400);
    expect((await call({ limit: '0' })).status).toBe(400);
  });

  test('operators get the pending approval links, signed again on demand', async () => {
    const r = await planApprovalLinksHandler(() => ({ plans: w.plans, links: w.deps.links }))(
      new HttpRequest({ method: 'GET', url: 'http://warden.test/x', params: { planId: canaryId } }),
      quiet(),
    );
    expect(r.jsonBody).toMatchObject({
      planId: canaryId,
      links: [
        { approver: 'oncall@contoso.com', url: expect.stringMatching(/\/api\/approvals\/.+\?token=v1\./) },
      ],
    });
  });
});

describe('approvalTimer', () => {
  test('the timer function promotes a proposed plan once the ring below has soaked', async () => {
    const { approvalTimerHandler } = await import('../../functions/approvalTimer');
    const w = planningWorld('soak: { dev: PT1H }');
    const [c] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-canary-tm', 'canary'),
      REGION,
      w.now(),
      opts,
    );
    const [d] = await proposePlansForCluster(w.deps, snapshot('aks-dev-tm', 'dev'), REGION, w.now(), opts);
    const { runToSuccess } = await import('../helpers/planning');
    await runToSuccess(w, c!.planId!);
    w.advance(2 * 3_600_000);
    const timer = {
      isPastDue: false,
      schedule: { adjustForDST: false },
      scheduleStatus: { last: '', next: '', lastUpdated: '' },
    };
    await approvalTimerHandler(() => ({
      plans: w.plans,
      links: w.deps.links,
      policy: w.policy,
      newId: w.deps.newId,
      now: w.now,
    }))(timer, quiet());
    expect((await w.plans.get(d!.planId!))?.plan.status).toBe('approved');
  });
});

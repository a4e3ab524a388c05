import type { AksEvent } from '../../shared/domain/aksEvents';
import { parseClusterId } from '../../shared/domain/armId';
import { transition } from '../../shared/domain/planTransition';
import { silentLogger } from '../../shared/logging';
import { StalePlanError } from '../../shared/store/planStore';
import { applyPlanEvent, toCommit } from '../../shared/usecases/planCommands';
import { tickPlans } from '../../shared/usecases/planTimers';
import { planningReaction, proposePlansForCluster } from '../../shared/usecases/proposePlans';
import { fixedFleet, planningWorld, runToSuccess } from '../helpers/planning';
import { REGION, snapshot } from '../helpers/plans';

const HOUR = 3_600_000;
const byEvent = {
  actor: 'warden',
  source: { kind: 'event' as const, eventId: 'ev-1', eventType: 'NewKubernetesVersionAvailable' },
};
const opts = { by: byEvent, reason: 'NewKubernetesVersionAvailable (event ev-1)' };

describe('plans through the rings (Azurite)', () => {
  test('canary and dev are approved by policy once the ring below soaked; production waits for on-call', async () => {
    const w = planningWorld();
    const canary = snapshot('aks-canary-1', 'canary');
    const dev = snapshot('aks-dev-1', 'dev');
    const staging = snapshot('aks-staging-1', 'staging');
    const prod = snapshot('aks-prod-1', 'production');
    const propose = (s: typeof canary) => proposePlansForCluster(w.deps, s, REGION, w.now(), opts);

    const [c] = await propose(canary);
    expect(c).toMatchObject({ planClass: 'version', outcome: 'created', status: 'approved' });
    const [d] = await propose(dev);
    expect(d).toMatchObject({ outcome: 'created', status: 'proposed' });
    expect((await w.plans.get(d!.planId!))?.plan.evidence?.reason).toMatch(
      /1 plan\(s\) to 1.29.9 in canary have not finished \(aks-canary-1\)/,
    );
    const [s] = await propose(staging);
    const [p] = await propose(prod);

    await runToSuccess(w, c!.planId!);
    w.advance(30 * 60_000);
    await tickPlans(w.deps, w.now);
    expect((await w.plans.get(d!.planId!))?.plan.evidence?.reason).toMatch(/soaked 30 min of 1 h in canary/);
    w.advance(31 * 60_000);
    const tick = await tickPlans(w.deps, w.now);
    expect(tick.changed).toEqual([
      expect.objectContaining({ planId: d!.planId, from: 'proposed', to: 'approved' }),
    ]);

    await runToSuccess(w, d!.planId!);
    w.advance(2 * HOUR);
    await tickPlans(w.deps, w.now);
    expect((await w.plans.get(s!.planId!))?.plan.status).toBe('approved');
    await runToSuccess(w, s!.planId!);
    w.advance(25 * HOUR);
    await tickPlans(w.deps, w.now);

    const production = (await w.plans.get(p!.planId!))!.plan;
    expect(production.status).toBe('awaiting-approval');
    expect(production.evidence).toMatchObject({
      allowed: true,
      lowerRing: 'staging',
      plans: [expect.objectContaining({ clusterName: 'aks-staging-1', status: 'succeeded' })],
    });
    expect(production.approval?.approvers).toEqual(['oncall@contoso.com']);

    // The request went to on-call with a personal link; the notice reached the outbox with the state change.
    const rows = await w.outbox.list({ cluster: 'aks-prod-1' });
    const request = rows.find((r) => r.kind === 'approval-requested');
    expect(request).toMatchObject({ channel: 'email', to: 'oncall@contoso.com', planId: p!.planId });
    expect(request?.notice.actions[0]?.url).toMatch(
      new RegExp(`^http://warden.test/api/approvals/${p!.planId}\\?token=v1\\.`),
    );

    // Audit trail per plan and per cluster.
    const audit = await w.plans.audit(p!.planId!);
    const events = audit.map((a) => a.event);
    expect(events[0]).toBe('PlanProposed');
    expect(events.at(-1)).toBe('PromotionSatisfied');
    expect(new Set(events.slice(1, -1))).toEqual(new Set(['PromotionPending']));
    expect(audit[0]).toMatchObject({
      actor: 'warden',
      source: { kind: 'event', eventId: 'ev-1' },
      from: 'none',
      to: 'proposed',
    });
    const clusterAudit = await w.plans.clusterAudit(canary.key);
    expect(clusterAudit.map((a) => a.event)).toContain('PlanSucceeded');

    expect((await w.plans.list({ status: 'awaiting-approval' })).map((x) => x.id)).toEqual([p!.planId]);
    expect((await w.plans.list({ ring: 'dev' })).map((x) => x.id)).toEqual([d!.planId]);
    expect((await w.plans.list({ cluster: 'AKS-PROD-1' })).map((x) => x.id)).toEqual([p!.planId]);
    expect((await w.plans.list({ cluster: prod.id.toUpperCase() })).map((x) => x.id)).toEqual([p!.planId]);
  });

  test('one open plan per cluster and kind; a newer target supersedes one not started; a running one stays', async () => {
    const w = planningWorld();
    const s = snapshot('aks-canary-2', 'canary');
    const [first] = await proposePlansForCluster(w.deps, s, REGION, w.now(), opts);
    const [again] = await proposePlansForCluster(w.deps, s, REGION, w.now(), opts);
    expect(again).toMatchObject({ outcome: 'unchanged', planId: first!.planId });

    const newer = {
      ...REGION,
      minors: REGION.minors.map((m) =>
        m.minor === '1.29' ? { ...m, patches: [...m.patches, '1.29.10'] } : m,
      ),
    };
    const [replaced] = await proposePlansForCluster(w.deps, s, newer, w.now(), opts);
    expect(replaced).toMatchObject({ outcome: 'superseded' });
    expect((await w.plans.get(first!.planId!))?.plan).toMatchObject({
      status: 'superseded',
      supersededBy: replaced!.planId,
    });
    expect((await w.plans.openFor(s.key)).map((o) => o.plan.to)).toEqual(['1.29.10']);

    await applyPlanEvent(
      w.deps,
      replaced!.planId!,
      () => ({ type: 'StepStarted', step: 0, by: { actor: 'runner', source: { kind: 'runner' } } }),
      w.now,
    );
    const newest = {
      ...REGION,
      minors: REGION.minors.map((m) =>
        m.minor === '1.29' ? { ...m, patches: [...m.patches, '1.29.10', '1.29.11'] } : m,
      ),
    };
    const [busy] = await proposePlansForCluster(w.deps, s, newest, w.now(), opts);
    expect(busy).toMatchObject({ outcome: 'busy', planId: replaced!.planId, status: 'running' });

    const images = await proposePlansForCluster(w.deps, s, REGION, w.now(), {
      ...opts,
      latestNodeImage: () => 'AKSUbuntu-2204gen2containerd-202511.20.0',
    });
    expect(images.find((o) => o.planClass === 'node-image')).toMatchObject({ outcome: 'created' });
  });

  test('ten concurrent proposals for one cluster leave exactly one open plan', async () => {
    const w = planningWorld();
    const s = snapshot('aks-canary-3', 'canary');
    const outcomes = await Promise.all(
      Array.from({ length: 10 }, () => proposePlansForCluster(w.deps, s, REGION, w.now(), opts)),
    );
    expect(outcomes.flat().filter((o) => o.outcome === 'created')).toHaveLength(1);
    expect(await w.plans.openFor(s.key)).toHaveLength(1);
  });

  test('a save with a stale ETag is refused and changes nothing', async () => {
    const w = planningWorld();
    const s = snapshot('aks-prod-9', 'production');
    const [created] = await proposePlansForCluster(w.deps, s, REGION, w.now(), opts);
    const stored = (await w.plans.get(created!.planId!))!;
    const byTimer = { actor: 'warden', source: { kind: 'timer' as const, name: 't' } };
    await w.plans.save(
      stored,
      toCommit(w.deps.links, [
        transition(
          stored.plan,
          { type: 'UrgencyRaised', urgency: 'high', reason: 'x', by: byTimer },
          w.now(),
        ),
      ]).commit,
    );
    const late = transition(stored.plan, { type: 'Cancelled', reason: 'late writer', by: byTimer }, w.now());
    await expect(w.plans.save(stored, toCommit(w.deps.links, [late]).commit)).rejects.toBeInstanceOf(
      StalePlanError,
    );
    expect((await w.plans.get(created!.planId!))?.plan).toMatchObject({
      status: 'proposed',
      urgency: 'high',
    });
    expect((await w.plans.audit(created!.planId!)).map((a) => a.event)).not.toContain('Cancelled');
  });

  test('the timer reminds, escalates to the secondary list, then expires the request', async () => {
    const gated = planningWorld(
      `gatedRings: [dev]\nsoak: { dev: 0 }\nroutes: { dev: { email: [oncall@contoso.com], secondary: { email: [lead@contoso.com] } } }`,
    );
    const [canaryPlan] = await proposePlansForCluster(
      gated.deps,
      snapshot('aks-canary-8', 'canary'),
      REGION,
      gated.now(),
      opts,
    );
    await runToSuccess(gated, canaryPlan!.planId!);
    const [asked] = await proposePlansForCluster(
      gated.deps,
      snapshot('aks-dev-8', 'dev'),
      REGION,
      gated.now(),
      opts,
    );
    expect(asked?.status).toBe('awaiting-approval');

    gated.advance(12 * HOUR);
    await tickPlans(gated.deps, gated.now);
    gated.advance(6 * HOUR);
    await tickPlans(gated.deps, gated.now);
    gated.advance(6 * HOUR);
    const last = await tickPlans(gated.deps, gated.now);
    expect(last.changed).toEqual([expect.objectContaining({ to: 'expired' })]);
    const kinds = (await gated.outbox.list({ cluster: 'aks-dev-8' })).map((r) => `${r.kind}:${r.to}`).sort();
    expect(kinds).toEqual(
      expect.arrayContaining([
        'approval-requested:oncall@contoso.com',
        'approval-reminder:oncall@contoso.com',
        'approval-escalated:oncall@contoso.com',
        'approval-escalated:lead@contoso.com',
        'approval-expired:oncall@contoso.com',
        'approval-expired:lead@contoso.com',
      ]),
    );
    expect((await gated.plans.audit(asked!.planId!)).map((a) => a.event)).toEqual([
      'PlanProposed',
      'PromotionSatisfied',
      'ApprovalReminderDue',
      'ApprovalEscalationDue',
      'ApprovalExpired',
    ]);
  });

  test('intake reaction: a new version plans the cluster; support ended makes it critical with a deadline and tells people', async () => {
    const w = planningWorld();
    const s = snapshot('aks-canary-5', 'canary');
    const react = planningReaction(() => ({
      ...w.deps,
      fleet: fixedFleet([s], REGION),
      outbox: w.outbox,
      now: w.now,
    }));
    const ref = parseClusterId(s.id)!;
    const event = (kind: 'NewKubernetesVersionAvailable' | 'ClusterSupportEnded', id: string): AksEvent => ({
      schema: 'eventgrid',
      id,
      type: `Microsoft.ContainerService.${kind}`,
      source: s.id,
      subject: s.name,
      time: w.now().toISOString(),
      handled: true,
      data:
        kind === 'ClusterSupportEnded'
          ? { kind, kubernetesVersion: '1.29.7' }
          : { kind, latestSupportedKubernetesVersion: '1.30.3' },
      clusters: [ref],
    });
    await react(event('NewKubernetesVersionAvailable', 'e1'), silentLogger);
    await react(event('NewKubernetesVersionAvailable', 'e1'), silentLogger);
    expect(await w.plans.openFor(s.key)).toHaveLength(1);
    await react(event('ClusterSupportEnded', 'e2'), silentLogger);
    const [open] = await w.plans.openFor(s.key);
    expect(open?.plan).toMatchObject({ urgency: 'critical', deadline: w.now().toISOString() });
    expect(open?.plan.findings).toEqual([
      { severity: 'warning', message: 'aks-canary-5: node OS upgrade channel unset' },
    ]);
    const audit = await w.plans.audit(open!.plan.id);
    expect(audit.at(-1)).toMatchObject({ event: 'UrgencyRaised', source: { kind: 'event', eventId: 'e2' } });
    const notices = await w.outbox.list({ cluster: 'aks-canary-5' });
    expect(notices.filter((n) => n.kind === 'support-ended').map((n) => n.to)).toContain('team@contoso.com');

    const unknown = {
      ...event('NewKubernetesVersionAvailable', 'e3'),
      clusters: [parseClusterId(s.id.replace('aks-canary-5', 'nope'))!],
    };
    await expect(react(unknown, silentLogger)).resolves.toBeUndefined();
  });

  test('fleet history: a staging cluster already running the version lets production have it after the soak', async () => {
    const w = planningWorld();
    await proposePlansForCluster(
      w.deps,
      snapshot('aks-staging-h', 'staging', '1.29.9'),
      REGION,
      w.now(),
      opts,
    );
    const [p] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-prod-h', 'production'),
      REGION,
      w.now(),
      opts,
    );
    expect(p).toMatchObject({ status: 'proposed' });
    w.advance(25 * HOUR);
    await tickPlans(w.deps, w.now);
    const plan = (await w.plans.get(p!.planId!))!.plan;
    expect(plan.status).toBe('awaiting-approval');
    expect(plan.evidence?.plans).toEqual([
      expect.objectContaining({ clusterName: 'aks-staging-h', status: 'observed' }),
    ]);
  });

  test('the open-plan index follows every status change and lets go of closed plans', async () => {
    const w = planningWorld();
    const [c] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-canary-idx', 'canary'),
      REGION,
      w.now(),
      opts,
    );
    const [d] = await proposePlansForCluster(w.deps, snapshot('aks-dev-idx', 'dev'), REGION, w.now(), opts);
    const ids = async (...s: Parameters<typeof w.plans.openPlans>[0][number][]) =>
      (await w.plans.openPlans(s)).map((x) => x.plan.id).sort();
    expect(await ids('approved')).toEqual([c!.planId]);
    expect(await ids('proposed')).toEqual([d!.planId]);
    await applyPlanEvent(
      w.deps,
      c!.planId!,
      () => ({ type: 'StepStarted', step: 0, by: { actor: 'runner', source: { kind: 'runner' } } }),
      w.now,
    );
    expect(await ids('approved')).toEqual([]);
    expect(await ids('running', 'proposed')).toEqual([c!.planId, d!.planId].sort());
    await applyPlanEvent(
      w.deps,
      d!.planId!,
      () => ({
        type: 'Cancelled',
        reason: 'test',
        by: { actor: 'ops@contoso.com', source: { kind: 'http' } },
      }),
      w.now,
    );
    expect(await ids('proposed', 'running', 'approved', 'scheduled', 'awaiting-approval')).toEqual([
      c!.planId,
    ]);
  });

  test('a gated ring with no approver configured tells the platform team instead of waiting silently', async () => {
    const w = planningWorld(`gatedRings: [canary]\nplatform: { email: [platform@contoso.com] }`);
    const [p] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-canary-none', 'canary'),
      REGION,
      w.now(),
      opts,
    );
    expect(p?.status).toBe('awaiting-approval');
    const rows = await w.outbox.list({ cluster: 'aks-canary-none' });
    expect(rows.map((r) => `${r.kind}:${r.to}`)).toContain('plan-blocked:platform@contoso.com');
  });

  test('no deadlock when a lower ring skipped a version: canary already past it lets dev have it after the soak', async () => {
    const w = planningWorld();
    await proposePlansForCluster(
      w.deps,
      snapshot('aks-canary-past', 'canary', '1.30.3'),
      REGION,
      w.now(),
      opts,
    );
    const [dev] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-dev-past', 'dev'),
      REGION,
      w.now(),
      opts,
    );
    const [staging] = await proposePlansForCluster(
      w.deps,
      snapshot('aks-staging-past', 'staging'),
      REGION,
      w.now(),
      opts,
    );
    expect(dev?.status).toBe('proposed');
    w.advance(61 * 60_000);
    await tickPlans(w.deps, w.now);
    const devPlan = (await w.plans.get(dev!.planId!))!.plan;
    expect(devPlan.status).toBe('approved');
    expect(devPlan.evidence?.reason).toMatch(
      /every cluster in canary already runs a newer version \(1.30.3\)/,
    );
    // Staging waits for dev's plan to run; it is not blocked by plans that never started.
    expect((await w.plans.get(staging!.planId!))!.plan.evidence?.reason).toMatch(
      /have not finished \(aks-dev-past\)/,
    );
  });

  test('a plan with very many findings is stored within one Table property and reads back', async () => {
    const w = planningWorld();
    const findings = Array.from({ length: 400 }, (_, i) => ({
      severity: 'warning' as const,
      message: `finding ${i} ${'x'.repeat(200)}`,
    }));
    const [c] = await proposePlansForCluster(w.deps, snapshot('aks-canary-big', 'canary'), REGION, w.now(), {
      ...opts,
      findings,
    });
    const plan = (await w.plans.get(c!.planId!))!.plan;
    expect(plan.status).toBe('approved');
    expect(plan.findings).toHaveLength(20);
  });
});

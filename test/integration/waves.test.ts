import { WaveLinks } from '../../shared/approvals/waveLinks';
import type { By } from '../../shared/domain/plan';
import { silentLogger } from '../../shared/logging';
import { TableWaveStore } from '../../shared/store/waveStore';
import { applyPlanEvent } from '../../shared/usecases/planCommands';
import { tickPlans } from '../../shared/usecases/planTimers';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import type { WaveDeps } from '../../shared/usecases/waves';
import { decideWave, tickWaves } from '../../shared/usecases/waves';
import type { PlanningWorld } from '../helpers/planning';
import { planningWorld } from '../helpers/planning';
import { REGION, snapshot } from '../helpers/plans';

/**
 * Wave approvals through the real SDK on Azurite: gated plans that share a wave are asked for with one
 * request per approver, decided with one decision, and each plan keeps its own round and checks.
 * Canary is the gated ring here (no ring below it: the plans await approval as soon as they exist).
 */
const policy = (required = 1, extra = '') => `
gatedRings: [canary]
approvals: { required: { canary: ${required} }, expiry: PT24H }
routes:
  canary: { email: [alice@contoso.com, bob@contoso.com], secondary: { email: [lead@contoso.com] } }
platform: { email: [platform@contoso.com] }
waves: { largest: 50 }
${extra}
`;

const by: By = { actor: 'warden', source: { kind: 'sweep' } };
const opts = { by, reason: 'sweep' };
const click = { ip: '203.0.113.9', userAgent: 'test' };

interface WaveWorld extends PlanningWorld {
  readonly waveDeps: WaveDeps;
}

function world(text: string): WaveWorld {
  const w = planningWorld(text);
  const waveDeps: WaveDeps = {
    ...w.deps,
    waves: new TableWaveStore(w.tables),
    waveLinks: new WaveLinks(w.keys, 'http://warden.test'),
    outbox: w.outbox,
    log: silentLogger,
  };
  return { ...w, waveDeps };
}

async function proposeCanaries(w: WaveWorld, names: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const name of names) {
    const [o] = await proposePlansForCluster(w.deps, snapshot(name, 'canary'), REGION, w.now(), opts);
    expect(o).toMatchObject({ outcome: 'created', status: 'awaiting-approval' });
    ids.push(o!.planId!);
  }
  return ids;
}

/** The wave link each approver got, from the outbox (one request per wave per approver). */
async function waveLinks(w: WaveWorld): Promise<Map<string, string>> {
  const rows = (await w.outbox.list({})).filter(
    (r) => r.kind === 'approval-requested' && r.channel === 'email',
  );
  return new Map(rows.map((r) => [r.to, r.notice.actions[0]?.url ?? '']));
}

const tokenOf = (url: string): string => new URL(url).searchParams.get('token') ?? '';
const waveIdOf = (url: string): string => decodeURIComponent(new URL(url).pathname.split('/').at(-1) ?? '');
const statusOf = async (w: WaveWorld, id: string) => (await w.plans.get(id))?.plan.status;

describe('wave approvals (Azurite)', () => {
  test('one request per approver for the wave, no per-plan request; approve-all decides every plan', async () => {
    const w = world(policy());
    const ids = await proposeCanaries(w, ['aks-c-1', 'aks-c-2', 'aks-c-3']);
    expect((await w.outbox.list({})).filter((r) => r.kind === 'approval-requested')).toEqual([]);

    const tick = await tickWaves(w.waveDeps, w.now);
    expect(tick).toMatchObject({ asked: 1, alone: 0, failed: 0 });
    const links = await waveLinks(w);
    expect([...links.keys()].sort()).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    const alice = links.get('alice@contoso.com')!;
    expect(alice).toMatch(/^http:\/\/warden\.test\/api\/waves\/wave-[\w-]+\?token=v1\./);
    // Asking again changes nothing: no second wave, no second request.
    await tickWaves(w.waveDeps, w.now);
    expect((await waveLinks(w)).size).toBe(2);
    expect((await w.outbox.list({})).filter((r) => r.kind === 'approval-requested')).toHaveLength(2);

    const r = await decideWave(
      w.waveDeps,
      {
        waveId: waveIdOf(alice),
        token: tokenOf(alice),
        decision: 'approve',
        comment: 'ship it',
        source: click,
      },
      w.now,
    );
    expect([...r.outcome.decided].sort()).toEqual([...ids].sort());
    expect(r.outcome).toMatchObject({ leftOut: [], skipped: [] });
    for (const id of ids) expect(await statusOf(w, id)).toBe('approved');
    // Each plan's audit trail names the wave it was asked in and the wave decision.
    const audit = await w.plans.audit(ids[0]!);
    expect(audit.find((a) => a.event === 'ApprovalAsked')).toMatchObject({ wave: waveIdOf(alice) });
    expect(audit.at(-1)).toMatchObject({
      event: 'ApprovalGranted',
      actor: 'alice@contoso.com',
      comment: 'ship it',
      wave: `${waveIdOf(alice)}/alice@contoso.com`,
      source: expect.objectContaining({ kind: 'http', ip: '203.0.113.9' }),
    });

    // The same POST again (a redelivery): the link is used, nothing changes.
    await expect(
      decideWave(
        w.waveDeps,
        { waveId: waveIdOf(alice), token: tokenOf(alice), decision: 'approve', comment: '', source: click },
        w.now,
      ),
    ).rejects.toMatchObject({ name: 'ConflictError', title: 'This link was already used' });
    expect((await w.plans.audit(ids[0]!)).filter((a) => a.event === 'ApprovalGranted')).toHaveLength(1);
  });

  test('a plan left out is not approved and is asked again on its own, with its own link', async () => {
    const w = world(policy());
    const [a, b, c] = await proposeCanaries(w, ['aks-l-1', 'aks-l-2', 'aks-l-3']);
    await tickWaves(w.waveDeps, w.now);
    const link = (await waveLinks(w)).get('bob@contoso.com')!;
    const r = await decideWave(
      w.waveDeps,
      {
        waveId: waveIdOf(link),
        token: tokenOf(link),
        decision: 'approve',
        comment: '',
        keep: [a!, c!],
        source: click,
      },
      w.now,
    );
    expect(r.outcome.leftOut).toEqual([b]);
    expect(await statusOf(w, a!)).toBe('approved');
    expect(await statusOf(w, c!)).toBe('approved');
    const left = (await w.plans.get(b!))!.plan;
    expect(left.status).toBe('awaiting-approval');
    expect(left.approval?.wave).toBeUndefined();
    expect((await w.plans.audit(b!)).at(-1)).toMatchObject({
      event: 'ApprovalAsked',
      reason: expect.stringContaining(`left out of ${waveIdOf(link)}/bob@contoso.com`),
    });
    // Its own request: personal links to the plan's approval page.
    const own = (await w.outbox.list({ cluster: 'aks-l-2' })).filter(
      (x) => x.kind === 'approval-requested' && x.channel === 'email',
    );
    expect(own.map((x) => x.to).sort()).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(own[0]?.notice.actions[0]?.url).toMatch(new RegExp(`/api/approvals/${b}\\?token=`));
  });

  test('a plan whose window or pre-flight verdict changed since the request is left out and asked again', async () => {
    const w = world(policy());
    const [a, b, c] = await proposeCanaries(w, ['aks-x-1', 'aks-x-2', 'aks-x-3']);
    await tickWaves(w.waveDeps, w.now);
    const link = (await waveLinks(w)).get('alice@contoso.com')!;
    // b's window changed: a new round, earlier approvals void.
    await applyPlanEvent(
      w.deps,
      b!,
      () => ({
        type: 'WindowChanged',
        window: { source: 'aks', description: 'every Sunday at 02:00 UTC+00:00 for 4 h' },
        requestId: 'new-round',
        by,
      }),
      w.now,
    );
    // c's pre-flight went from unchecked to no-go.
    await applyPlanEvent(
      w.deps,
      c!,
      () => ({
        type: 'PreflightChecked',
        report: { verdict: 'no-go', checkedAt: w.now().toISOString(), checks: [] },
        by,
      }),
      w.now,
    );
    const r = await decideWave(
      w.waveDeps,
      { waveId: waveIdOf(link), token: tokenOf(link), decision: 'approve', comment: '', source: click },
      w.now,
    );
    expect(r.outcome.decided).toEqual([a]);
    expect(r.outcome.skipped.map((s) => s.planId).sort()).toEqual([b, c].sort());
    expect(await statusOf(w, a!)).toBe('approved');
    expect((await w.plans.get(b!))!.plan).toMatchObject({
      status: 'awaiting-approval',
      approval: { round: 2 },
    });
    // c: asked again on its own at once; b: its new round waits for the next assembly, alone.
    const cPlan = (await w.plans.get(c!))!.plan;
    expect(cPlan.status).toBe('awaiting-approval');
    expect(cPlan.approval?.wave).toBeUndefined();
    expect(cPlan.approval?.askedAt).toBeDefined();
    const tick = await tickWaves(w.waveDeps, w.now);
    expect(tick).toMatchObject({ asked: 0, alone: 1 });
    const requests = (await w.outbox.list({})).filter(
      (x) => x.kind === 'approval-requested' && x.channel === 'email',
    );
    expect(
      requests
        .filter((x) => x.planId === b)
        .map((x) => x.to)
        .sort(),
    ).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(requests.filter((x) => x.planId === c)).toHaveLength(2);
  });

  test('quorum across two approvers: the first approval waits, the second approves the wave', async () => {
    const w = world(policy(2));
    const ids = await proposeCanaries(w, ['aks-q-1', 'aks-q-2']);
    await tickWaves(w.waveDeps, w.now);
    const links = await waveLinks(w);
    const decide = (who: string) => {
      const url = links.get(who)!;
      return decideWave(
        w.waveDeps,
        { waveId: waveIdOf(url), token: tokenOf(url), decision: 'approve', comment: '', source: click },
        w.now,
      );
    };
    await decide('alice@contoso.com');
    for (const id of ids) expect(await statusOf(w, id)).toBe('awaiting-approval');
    await decide('bob@contoso.com');
    for (const id of ids) {
      const p = (await w.plans.get(id))!.plan;
      expect(p.status).toBe('approved');
      expect(p.approval?.decisions.map((d) => d.approver)).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    }
  });

  test('reject closes every plan of the wave, each audit entry naming the wave decision', async () => {
    const w = world(policy());
    const ids = await proposeCanaries(w, ['aks-r-1', 'aks-r-2']);
    await tickWaves(w.waveDeps, w.now);
    const url = (await waveLinks(w)).get('alice@contoso.com')!;
    const r = await decideWave(
      w.waveDeps,
      {
        waveId: waveIdOf(url),
        token: tokenOf(url),
        decision: 'reject',
        comment: 'not this week',
        source: click,
      },
      w.now,
    );
    expect(r.outcome.decided.length).toBe(2);
    for (const id of ids) expect(await statusOf(w, id)).toBe('rejected');
    expect((await w.plans.audit(ids[1]!)).at(-1)).toMatchObject({
      event: 'ApprovalRejected',
      comment: 'not this week',
      wave: `${waveIdOf(url)}/alice@contoso.com`,
    });
  });

  test('an expired wave link is refused and changes nothing; the plans expire on their own', async () => {
    const w = world(policy());
    const ids = await proposeCanaries(w, ['aks-e-1', 'aks-e-2']);
    await tickWaves(w.waveDeps, w.now);
    const url = (await waveLinks(w)).get('alice@contoso.com')!;
    w.advance(25 * 3_600_000);
    await expect(
      decideWave(
        w.waveDeps,
        { waveId: waveIdOf(url), token: tokenOf(url), decision: 'approve', comment: '', source: click },
        w.now,
      ),
    ).rejects.toMatchObject({ name: 'UnauthorizedError', title: 'This link has expired' });
    await tickPlans(w.deps, w.now);
    for (const id of ids) expect(await statusOf(w, id)).toBe('expired');
    await tickWaves(w.waveDeps, w.now);
    expect(await w.waveDeps.waves.open()).toEqual([]);
  });

  test('a decision cut short by a crash is finished by the timer, once', async () => {
    const w = world(policy());
    const ids = await proposeCanaries(w, ['aks-k-1', 'aks-k-2', 'aks-k-3']);
    await tickWaves(w.waveDeps, w.now);
    const url = (await waveLinks(w)).get('alice@contoso.com')!;
    const waveId = waveIdOf(url);
    // The crash: the decision was recorded, one plan was decided, then the process died.
    await w.waveDeps.waves.recordDecision({
      waveId,
      approver: 'alice@contoso.com',
      decision: 'approve',
      comment: '',
      leftOut: [],
      at: w.now().toISOString(),
    });
    await applyPlanEvent(
      w.deps,
      ids[0]!,
      (p) => ({
        type: 'ApprovalGranted',
        approver: 'alice@contoso.com',
        comment: '',
        round: p.approval!.round,
        wave: `${waveId}/alice@contoso.com`,
        by,
      }),
      w.now,
    );
    w.advance(2 * 60_000);
    const tick = await tickWaves(w.waveDeps, w.now);
    expect(tick.resumed).toBe(1);
    for (const id of ids) expect(await statusOf(w, id)).toBe('approved');
    for (const id of ids)
      expect((await w.plans.audit(id)).filter((a) => a.event === 'ApprovalGranted')).toHaveLength(1);
    const [d] = await w.waveDeps.waves.decisions(waveId);
    expect(d?.decision.appliedAt).toBeDefined();
    expect(await tickWaves(w.waveDeps, w.now)).toMatchObject({ resumed: 0 });
  });

  test('a lone plan is asked on its own, exactly as without waves', async () => {
    const w = world(policy());
    const [only] = await proposeCanaries(w, ['aks-solo-1']);
    expect(await tickWaves(w.waveDeps, w.now)).toMatchObject({ asked: 0, alone: 1 });
    const rows = (await w.outbox.list({})).filter(
      (r) => r.kind === 'approval-requested' && r.channel === 'email',
    );
    expect(rows.map((r) => r.to).sort()).toEqual(['alice@contoso.com', 'bob@contoso.com']);
    expect(rows[0]?.notice.actions[0]?.url).toMatch(new RegExp(`/api/approvals/${only}\\?token=`));
  });

  test('plans with nobody to ask are asked one by one, so each tells the platform team what to set', async () => {
    const w = world(`
gatedRings: [canary]
platform: { email: [platform@contoso.com] }
waves: {}
`);
    const ids = await proposeCanaries(w, ['aks-n-1', 'aks-n-2']);
    expect(await tickWaves(w.waveDeps, w.now)).toMatchObject({ asked: 0, alone: 2 });
    const told = (await w.outbox.list({})).filter((r) => r.kind === 'plan-blocked' && r.channel === 'email');
    expect(told.map((r) => r.planId).sort()).toEqual([...ids].sort());
    expect(await w.waveDeps.waves.open()).toEqual([]);
  });
});

import { randomBytes } from 'node:crypto';

import type { FleetFile, RunningSimulator } from '../../local/sim';
import { ApprovalLinks } from '../../shared/approvals/links';
import { ArmAksGateway, ArmClients } from '../../shared/azure/armAksGateway';
import { StaticTokenCredential } from '../../shared/azure/credentials';
import { ArmFleetManagerGateway } from '../../shared/azure/fleetManagerGateway';
import { parseClusterId } from '../../shared/domain/armId';
import type { ClusterSnapshot } from '../../shared/domain/cluster';
import { parsePolicy } from '../../shared/domain/policy';
import { ringFromTags } from '../../shared/domain/rings';
import { silentLogger } from '../../shared/logging';
import { routeNotice } from '../../shared/notify/routing';
import { TableClusterStore } from '../../shared/store/clusterStore';
import { TableFleetGateStore } from '../../shared/store/fleetGateStore';
import { TableOutbox } from '../../shared/store/outboxStore';
import { TablePlanStore } from '../../shared/store/planStore';
import { decideApproval } from '../../shared/usecases/decideApproval';
import type { FleetGateDeps } from '../../shared/usecases/fleetGates';
import { fleetGateReaction, settleGatePlan, sweepFleetGates } from '../../shared/usecases/fleetGates';
import { ingestDelivery } from '../../shared/usecases/ingestEvents';
import { inProcessQueue, storeClusterRow, sweepFleet } from '../../shared/usecases/sweepFleet';
import { MemoryEventStore } from '../helpers/memoryEventStore';
import { simFetch, startTestSimulator } from '../helpers/sim';
import { testTables } from '../helpers/storage';
import { waitFor } from '../helpers/waitFor';

/**
 * Fleet Manager gates decided by Warden, through the real REST pipeline (the ARM clients' core pipeline,
 * https with the loopback certificate), the simulator's Fleet Manager and Azurite: an update run reaches
 * its production gate → FleetGateCreated through the intake → an approval request by email and Teams to
 * two approvers → both approve → one gate PATCH in the call log, the run goes on; a reject → the run stopped.
 */
const SUB = '6b1c2d3e-0000-4000-8000-00000000000f';
const POLICY = `
approvals: { expiry: PT24H, required: { production: 2 } }
routes:
  production: { email: [oncall-a@contoso.com, oncall-b@contoso.com], teams: [production] }
platform: { email: [platform@contoso.com] }
fleetGateRefusal: stop
`;

function fleetFile(): FleetFile {
  const cluster = (name: string, ring: string, version: string) => ({
    subscriptionId: SUB,
    resourceGroup: 'rg-aks',
    name,
    location: 'westeurope',
    kubernetesVersion: version,
    tags: { environment: ring, 'owner-email': `${name}@contoso.com` },
    pools: [{ name: 'system', mode: 'System' as const, count: 1 }],
  });
  return {
    versions: [
      { version: '1.35', patches: ['1.35.6', '1.35.8'] },
      { version: '1.36', patches: ['1.36.1', '1.36.3'] },
    ],
    regions: [{ name: 'westeurope' }],
    subscriptions: [{ id: SUB }],
    clusters: [
      cluster('aks-canary', 'canary', '1.35.8'),
      cluster('aks-prod-a', 'production', '1.35.8'),
      cluster('aks-prod-b', 'production', '1.35.6'),
    ],
    fleetManager: {
      fleets: [
        {
          subscriptionId: SUB,
          resourceGroup: 'rg-fleet',
          name: 'fleet-1',
          location: 'westeurope',
          members: [
            { name: 'canary', cluster: 'aks-canary', group: 'canary' },
            { name: 'prod-a', cluster: 'aks-prod-a', group: 'production' },
            { name: 'prod-b', cluster: 'aks-prod-b', group: 'production' },
          ],
          updateStrategies: [
            {
              name: 'rings',
              stages: [
                { name: 'canary', groups: [{ name: 'canary' }] },
                {
                  name: 'production',
                  groups: [{ name: 'production' }],
                  beforeGates: [{ displayName: 'on-call', type: 'Approval' }],
                },
              ],
            },
          ],
          autoUpgradeProfiles: [
            { name: 'stable', channel: 'Stable', updateStrategy: 'rings' },
            { name: 'images', channel: 'NodeImage' },
            { name: 'rapid', channel: 'Rapid', disabled: true },
          ],
        },
      ],
    },
  };
}

interface World {
  sim: RunningSimulator;
  deps: Omit<FleetGateDeps, 'log'>;
  outbox: TableOutbox;
  keys: { current: Buffer };
  links: ApprovalLinks;
  plans: TablePlanStore;
  events: MemoryEventStore;
}

async function world(policyText = POLICY): Promise<World> {
  const sim = await startTestSimulator({ fleet: fleetFile(), throttle: false, fleetMemberMs: 30 });
  const clients = new ArmClients({
    endpoint: sim.armUrl,
    credential: new StaticTokenCredential(),
    caCertPem: sim.caCertPem ?? '',
    maxRetries: 0,
  });
  const aks = new ArmAksGateway(clients);
  const policy = parsePolicy(policyText);
  const tables = testTables();
  const outbox = new TableOutbox(
    tables,
    (n) =>
      routeNotice(n, { routes: policy, teamsWorkflows: new Set(['production']), webhook: false }).deliveries,
  );
  const plans = new TablePlanStore(tables, outbox);
  const keys = { current: randomBytes(32) };
  const links = new ApprovalLinks(keys, 'http://warden.test');
  // What the sweep would have stored of each member.
  const snapshot = async (id: string): Promise<ClusterSnapshot | undefined> => {
    const ref = parseClusterId(id);
    if (!ref) return undefined;
    const c = await aks.getCluster(ref);
    return {
      ...c,
      key: ref.key,
      ring: ringFromTags(c.tags),
      maintenanceConfigurations: [],
      lastSeen: new Date().toISOString(),
    };
  };
  let n = 0;
  const deps: Omit<FleetGateDeps, 'log'> = {
    plans,
    links,
    policy,
    newId: () => `r${++n}${randomBytes(4).toString('hex')}`,
    gates: new TableFleetGateStore(tables),
    fleetManager: new ArmFleetManagerGateway(clients),
    operations: aks,
    fleet: {
      cluster: (ref) => snapshot(ref.id),
      regionVersions: (sub, location) => aks.listKubernetesVersions(sub, location),
    },
    outbox,
    now: () => new Date(),
    listFleets: () =>
      new ArmFleetManagerGateway(clients).listFleets({ kind: 'subscriptions', subscriptionIds: [SUB] }),
  };
  return { sim, deps, outbox, keys, links, plans, events: new MemoryEventStore() };
}

/** Posts every gate event the simulator emitted to Warden's intake, as Event Grid would (one array each). */
async function deliverGateEvents(w: World, seen: Set<string>): Promise<void> {
  for (const d of w.sim.deliveries()) {
    if (!d.eventType.toLowerCase().includes('fleetgate') || seen.has(d.id)) continue;
    seen.add(d.id);
    const body = JSON.stringify([
      {
        topic: d.topic,
        subject: d.subject,
        eventType: d.eventType,
        id: d.id,
        data: d.data,
        dataVersion: '1',
        metadataVersion: '1',
        eventTime: d.time,
      },
    ]);
    await ingestDelivery(
      {
        events: w.events,
        now: () => new Date(),
        log: silentLogger,
        reactions: [fleetGateReaction(() => w.deps)],
      },
      { body, bodyBytes: Buffer.byteLength(body), contentType: 'application/json' },
    );
  }
}

function productionGate(w: World): { state: string; id?: string } | undefined {
  const run = w.sim.fleetRuns()[0] as
    { stages: { name: string; gates: { state: string; id?: string }[] }[] } | undefined;
  return run?.stages.find((s) => s.name === 'production')?.gates[0];
}

const gatePending = (w: World) =>
  waitFor(
    () => Promise.resolve(productionGate(w)?.state),
    (s) => s === 'Pending',
    { what: 'the production gate' },
  );

async function linkFor(w: World, planId: string, approver: string): Promise<string> {
  const rows = await w.outbox.list({ cluster: 'fleet-1/production' });
  const row = rows.find(
    (r) =>
      r.kind === 'approval-requested' && r.channel === 'email' && r.to === approver && r.planId === planId,
  );
  const url = row?.notice.actions.find((a) => a.url.includes('/api/approvals/'))?.url;
  if (url === undefined) throw new Error(`no approval link for ${approver}`);
  return new URL(url).searchParams.get('token') ?? '';
}

const decide = (w: World, planId: string, token: string, decision: 'approve' | 'reject') =>
  decideApproval(
    {
      plans: w.plans,
      links: w.links,
      keys: w.keys,
      policy: w.deps.policy,
      log: silentLogger,
      afterDecision: (plan) => settleGatePlan({ ...w.deps, log: silentLogger }, plan),
    },
    { planId, token, decision, comment: '', source: {} },
    () => new Date(),
  );

const gateCalls = (w: World, method: string, suffix: RegExp) =>
  w.sim.calls().filter((c) => c.method === method && suffix.test(c.path));

describe('Fleet Manager gates decided in Warden (REST pipeline + simulator + Azurite)', () => {
  let w: World;
  afterEach(async () => w.sim.close());

  it('a run at its production gate asks two approvers by email and Teams; both approve; the gate is PATCHed once', async () => {
    w = await world();
    w.sim.startFleetRun({ version: '1.36.3' });
    await gatePending(w);
    const seen = new Set<string>();
    await deliverGateEvents(w, seen);
    // Event Grid delivers at least once: the same event again changes nothing.
    seen.clear();
    await deliverGateEvents(w, seen);

    const [plan] = await w.plans.list({ status: 'awaiting-approval' });
    expect(plan).toMatchObject({
      kind: 'fleet-gate',
      to: '1.36.3',
      initiator: 'platform-lead@contoso.example',
      cluster: { name: 'fleet-1/production', ring: 'production' },
      approval: { approvers: ['oncall-a@contoso.com', 'oncall-b@contoso.com'] },
      fleetGate: { fleetName: 'fleet-1', target: { stage: 'production', timing: 'Before' } },
    });
    expect(
      plan?.fleetGate?.members.map((m) => [m.name, m.ring, m.kubernetesVersion, m.versionInRegion]),
    ).toEqual([
      ['aks-prod-a', 'production', '1.35.8', true],
      ['aks-prod-b', 'production', '1.35.6', true],
    ]);
    expect(await w.plans.list({ cluster: 'fleet-1/production' })).toHaveLength(1);
    const requests = (await w.outbox.list({ cluster: 'fleet-1/production' })).filter(
      (r) => r.kind === 'approval-requested',
    );
    expect(requests.map((r) => `${r.channel}:${r.to}`).sort()).toEqual([
      'email:oncall-a@contoso.com',
      'email:oncall-b@contoso.com',
      'teams:production',
    ]);

    const planId = plan?.id ?? '';
    const first = await decide(w, planId, await linkFor(w, planId, 'oncall-a@contoso.com'), 'approve');
    expect(first.plan.status).toBe('awaiting-approval');
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(0);
    const second = await decide(w, planId, await linkFor(w, planId, 'oncall-b@contoso.com'), 'approve');
    expect(second.plan.status).toBe('approved');

    // The PATCH answered 202 + Location; the timer polls it to the end and the run goes on.
    await waitFor(
      async () => {
        await sweepFleetGates({ ...w.deps, log: silentLogger });
        return (await w.plans.get(planId))?.plan.status;
      },
      (s) => s === 'succeeded',
      { what: 'the gate plan to succeed' },
    );
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(1);
    expect(productionGate(w)?.state).toBe('Completed');
    await waitFor(
      () => Promise.resolve((w.sim.fleetRuns()[0] as { state: string }).state),
      (s) => s === 'Completed',
      { what: 'the run' },
    );
    expect(gateCalls(w, 'POST', /\/stop$/)).toHaveLength(0);
  });

  it('the sweep reads the fleets once (1 query, 2 lists a fleet, 1 read a strategy) and finds the profile that bypasses every gate', async () => {
    w = await world();
    const gateway = w.deps.fleetManager;
    w.sim.clearCalls();
    const fleets = await gateway.listFleets({ kind: 'subscriptions', subscriptionIds: [SUB] });
    expect(fleets.map((f) => f.key)).toEqual([`fleet:${SUB}:rg-fleet:fleet-1`]);
    const coverage = await gateway.fleetCoverage(fleets[0]!);
    expect(coverage.members.map((m) => `${m.clusterId.split('/').at(-1) ?? ''}:${m.group ?? ''}`)).toEqual([
      'aks-canary:canary',
      'aks-prod-a:production',
      'aks-prod-b:production',
    ]);
    expect(coverage.autoUpgradeProfiles.map((p) => [p.name, p.disabled, p.strategy?.stages.length])).toEqual([
      ['stable', false, 2],
      ['images', false, undefined],
      ['rapid', true, undefined],
    ]);
    expect(w.sim.stats().byApi).toMatchObject({ resourcegraph: 1, arm: 3 });

    // The sweep: the same reads once, whatever the number of clusters.
    const store = new TableClusterStore(testTables());
    const aks = w.deps.operations as ArmAksGateway;
    const shardDeps = { gateway: aks, store, policy: w.deps.policy };
    w.sim.clearCalls();
    const summary = await sweepFleet({
      ...shardDeps,
      queue: inProcessQueue(shardDeps),
      scope: { kind: 'subscriptions', subscriptionIds: [SUB] },
      fleets: gateway,
      now: () => new Date(),
    });
    expect(summary).toMatchObject({ clusters: 3, fleets: 1, problems: [] });
    const fleetCalls = w.sim.calls().filter((c) => /\/fleets\//i.test(c.path));
    expect(
      fleetCalls.map((c) => c.path.replace(/^.*\/fleets\/fleet-1\//i, '').replace(/\?.*$/, '')).sort(),
    ).toEqual(['autoUpgradeProfiles', 'members', 'updateStrategies/rings']);

    const findings = async (name: string) => {
      const c = await store.get(SUB, `${SUB}:rg-aks:${name}`);
      return (c?.findings ?? []).filter((f) => f.subject === 'fleet-auto-upgrade');
    };
    // Production: the gated 'stable' profile and the disabled 'rapid' one are no path; 'images' is.
    const [prod] = await findings('aks-prod-a');
    expect(prod).toMatchObject({ code: 'upgrade-path', severity: 'critical' });
    expect(prod?.message).toContain(
      'Fleet Manager auto-upgrade profile images (fleet fleet-1, channel NodeImage) can upgrade it: it has no update strategy',
    );
    expect(prod?.message).toContain(
      'az fleet autoupgradeprofile create -g rg-fleet -f fleet-1 -n images --channel NodeImage --disabled',
    );
    expect(await findings('aks-prod-b')).toHaveLength(1);
    // Canary is not gated: no path finding, though both enabled profiles reach it.
    expect(await findings('aks-canary')).toEqual([]);
    expect(
      (await store.get(SUB, `${SUB}:rg-aks:aks-canary`))?.snapshot.fleetAutoUpgrade?.map((c) => c.profile),
    ).toEqual(['stable', 'images']);

    // A one-cluster write (the runner's read after a plan) reads no fleets and keeps what the sweep saw.
    const ref = parseClusterId((await store.get(SUB, `${SUB}:rg-aks:aks-prod-a`))!.snapshot.id)!;
    await storeClusterRow({ ...shardDeps, now: () => new Date() }, await aks.getCluster(ref), undefined, {
      readWindows: false,
    });
    expect(await findings('aks-prod-a')).toHaveLength(1);

    // The fleets cannot be read: the sweep says so and goes on (the clusters are written).
    w.sim.addFault({ path: 'autoUpgradeProfiles', status: 500, count: 1 });
    const faulty = await sweepFleet({
      ...shardDeps,
      queue: inProcessQueue(shardDeps),
      scope: { kind: 'subscriptions', subscriptionIds: [SUB] },
      fleets: gateway,
      now: () => new Date(),
    });
    expect(faulty).toMatchObject({ clusters: 3, fleets: 0 });
    expect(faulty.problems.join()).toMatch(/Fleet Manager fleets: .*not known this sweep/);
  });

  it('a gate completed outside Warden, its event lost, cancels the request at the next listing', async () => {
    w = await world();
    w.sim.startFleetRun({ version: '1.36.3' });
    await gatePending(w);
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    const [plan] = await w.plans.list({ status: 'awaiting-approval' });
    const id = productionGate(w)?.id ?? '';
    const patched = await simFetch(w.sim, 'PATCH', `${id}?api-version=2026-06-01`, {
      properties: { state: 'Completed' },
    });
    expect(patched.status).toBe(202);
    await waitFor(
      () => Promise.resolve(productionGate(w)?.state),
      (s) => s === 'Completed',
      { what: 'the gate completed outside Warden' },
    );
    await new Promise((r) => setTimeout(r, 5));
    const swept = await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect(swept.settled).toEqual([
      { gate: expect.any(String), outcome: 'closed: no longer pending in Fleet' },
    ]);
    expect((await w.plans.get(plan?.id ?? ''))?.plan.status).toBe('cancelled');
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(1);
  });

  it('a run deleted while its gate waits: FleetGateDeleted withdraws the request, approvers told once, nothing sent to Fleet later', async () => {
    w = await world();
    w.sim.startFleetRun({ version: '1.36.3' });
    await gatePending(w);
    const seen = new Set<string>();
    await deliverGateEvents(w, seen);
    const [plan] = await w.plans.list({ status: 'awaiting-approval' });
    const planId = plan?.id ?? '';
    const token = await linkFor(w, planId, 'oncall-a@contoso.com');
    // One of two approvals is in when the run is deleted.
    await decide(w, planId, token, 'approve');

    const runId = (w.sim.fleetRuns()[0] as { id: string }).id;
    expect((await simFetch(w.sim, 'DELETE', `${runId}?api-version=2026-06-01`)).status).toBe(200);
    expect(w.sim.fleetRuns()).toEqual([]);
    await deliverGateEvents(w, seen);
    const deleted = w.sim.deliveries().filter((d) => d.eventType.endsWith('FleetGateDeleted'));
    expect(deleted).toHaveLength(1);
    // Event Grid delivers at least once: the same FleetGateDeleted again changes nothing.
    seen.delete(deleted[0]?.id ?? '');
    await deliverGateEvents(w, seen);

    const after = (await w.plans.get(planId))?.plan;
    expect(after?.status).toBe('cancelled');
    const cancelled = (await w.outbox.list({ cluster: 'fleet-1/production' })).filter(
      (r) => r.kind === 'plan-cancelled',
    );
    expect(cancelled.map((r) => `${r.channel}:${r.to}`).sort()).toEqual(
      expect.arrayContaining([
        'email:oncall-a@contoso.com',
        'email:oncall-b@contoso.com',
        'teams:production',
      ]),
    );
    expect(new Set(cancelled.map((r) => `${r.channel}:${r.to}`)).size).toBe(cancelled.length);
    expect(cancelled[0]?.notice.summary).toContain('the approval request is withdrawn');

    // The second approver's link no longer decides anything, and the timer sends nothing.
    await expect(
      decide(w, planId, await linkFor(w, planId, 'oncall-b@contoso.com'), 'approve'),
    ).rejects.toThrow();
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect((await w.plans.get(planId))?.plan.status).toBe('cancelled');
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(0);
    expect(gateCalls(w, 'POST', /\/(stop|skip)$/)).toHaveLength(0);
  });

  it('fleetGateRefusal skip: a reject skips the production stage, the 202 is polled to its end, and the skip is sent once', async () => {
    w = await world(POLICY.replace('fleetGateRefusal: stop', 'fleetGateRefusal: skip'));
    w.sim.startFleetRun({ version: '1.36.3' });
    await gatePending(w);
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    const [plan] = await w.plans.list({ status: 'awaiting-approval' });
    const planId = plan?.id ?? '';
    await decide(w, planId, await linkFor(w, planId, 'oncall-b@contoso.com'), 'reject');

    const skips = () => gateCalls(w, 'POST', /\/updateruns\/[^/]+\/skip$/i);
    expect(skips().map((c) => c.status)).toEqual([202]);
    const row = await w.deps.gates.get(`fleet:${SUB}:rg-fleet:fleet-1`, plan?.fleetGate?.gateName ?? '');
    expect(row).toMatchObject({ action: 'skip', httpStatus: 202, attempt: 1 });
    expect(row?.pollUrl).toMatch(/\/operations\/[0-9a-f-]+\?api-version=/);
    expect(row?.doneAt).toBeUndefined();

    const stopped = () =>
      w.outbox
        .list({ cluster: 'fleet-1/production' })
        .then((rows) => rows.filter((r) => r.kind === 'fleet-run-stopped'));
    await waitFor(
      async () => {
        await sweepFleetGates({ ...w.deps, log: silentLogger });
        return (await w.deps.gates.get(row?.fleetKey ?? '', row?.gateName ?? ''))?.doneAt;
      },
      (done) => done !== undefined,
      { what: 'the skip polled to its end' },
    );
    // The poll URL was read until the operation ended.
    expect(
      w.sim.calls().filter((c) => c.method === 'GET' && /\/operations\//.test(c.path)).length,
    ).toBeGreaterThan(0);
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect(skips()).toHaveLength(1);
    expect(gateCalls(w, 'POST', /\/stop$/)).toHaveLength(0);
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(0);

    const run = await waitFor(
      () =>
        Promise.resolve(
          w.sim.fleetRuns()[0] as {
            state: string;
            stages: { name: string; state: string; members: { name: string; state: string }[] }[];
          },
        ),
      (r) => r.state === 'Completed',
      { what: 'the run past the skipped stage' },
    );
    const production = run.stages.find((s) => s.name === 'production');
    expect(production?.state).toBe('Skipped');
    expect(production?.members.map((m) => m.state)).toEqual(['Skipped', 'Skipped']);
    // The members behind the gate kept their versions.
    const versions = [...w.sim.fleet.clusters.values()]
      .filter((c) => c.name.startsWith('aks-prod-'))
      .map((c) => `${c.name}:${c.currentKubernetesVersion}`)
      .sort();
    expect(versions).toEqual(['aks-prod-a:1.35.8', 'aks-prod-b:1.35.6']);
    const told = await stopped();
    expect(told.length).toBeGreaterThan(0);
    expect(told.every((r) => r.notice.title.endsWith('Fleet stage skipped'))).toBe(true);
    expect(told[0]?.notice.summary).toContain('Warden skipped stage production of update run');
    expect(new Set(told.map((r) => `${r.channel}:${r.to}`)).size).toBe(told.length);
  });

  it('a reject stops the run and tells on-call and the owners; a lost event is found by the timer', async () => {
    w = await world();
    w.sim.startFleetRun({ version: '1.36.3' });
    await gatePending(w);
    // No event delivered: the timer's listing finds the pending gate.
    const swept = await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect(swept).toMatchObject({ fleets: 1, pending: 1, created: 1 });
    const [plan] = await w.plans.list({ status: 'awaiting-approval' });
    const planId = plan?.id ?? '';
    const out = await decide(w, planId, await linkFor(w, planId, 'oncall-a@contoso.com'), 'reject');
    expect(out.plan.status).toBe('rejected');
    await sweepFleetGates({ ...w.deps, log: silentLogger });
    expect(gateCalls(w, 'POST', /\/updateruns\/[^/]+\/stop$/i)).toHaveLength(1);
    expect(gateCalls(w, 'PATCH', /\/gates\/[^/]+$/)).toHaveLength(0);
    await waitFor(
      () => Promise.resolve((w.sim.fleetRuns()[0] as { state: string }).state),
      (s) => s === 'Stopped',
      { what: 'the run to stop' },
    );
    const stopped = (await w.outbox.list({ cluster: 'fleet-1/production' })).filter(
      (r) => r.kind === 'fleet-run-stopped',
    );
    expect(stopped.map((r) => r.to).sort()).toEqual(
      [
        'aks-prod-a@contoso.com',
        'aks-prod-b@contoso.com',
        'oncall-a@contoso.com',
        'oncall-b@contoso.com',
        'production',
      ].sort(),
    );
  });
});

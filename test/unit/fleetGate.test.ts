import { updateRunFromWire } from '../../shared/azure/fleetManagerGateway';
import type { AksEvent } from '../../shared/domain/aksEvents';
import { parseDelivery } from '../../shared/domain/eventDelivery';
import type { GateTarget, UpdateRunView } from '../../shared/domain/fleetGate';
import {
  asksForDecision,
  decodeFleetGate,
  gateFindings,
  gateRing,
  membersBehind,
  parseFleetId,
  refusalRequest,
} from '../../shared/domain/fleetGate';
import { transition } from '../../shared/domain/planTransition';
import { ConflictError, IllegalTransitionError } from '../../shared/errors';
import { recheckPreflight } from '../../shared/usecases/preflight';
import { fixture, fixtureText } from '../helpers/fixtures';
import { proposed } from '../helpers/plans';

/** The published gate events (events/FleetGate*.docs.json) and the 2026-06-01 gate and run examples (arm/fleet/). */
function onlyEvent(body: string, contentType: string): AksEvent {
  const d = parseDelivery(body, contentType);
  if (d.kind !== 'events') throw new Error(`not events: ${JSON.stringify(d)}`);
  const item = d.items[0];
  if (!item?.ok) throw new Error(`rejected: ${item?.problem ?? 'no item'}`);
  if (!item.event.handled) throw new Error('ignored');
  return item.event;
}

const KINDS = ['FleetGateCreated', 'FleetGateUpdated', 'FleetGateDeleted'] as const;

describe('Fleet gate events, as published', () => {
  test.each(KINDS)('%s in the Event Grid schema decodes to its gate and fleet', (kind) => {
    const event = onlyEvent(`[${fixtureText(`events/${kind}.eventgrid.docs.json`)}]`, 'application/json');
    expect(event.data.kind).toBe(kind);
    expect(event.clusters.map((c) => c.key)).toEqual(['fleet:{subscription-id}:{rg-name}:{fleet-name}']);
    const gate = 'gate' in event.data ? event.data.gate : undefined;
    expect(gate?.fleet.name).toBe('{fleet-name}');
    expect(gate?.target.runId).toMatch(/\/updateRuns\/run-/);
  });

  test('the published type spells AksResources; the doc table AKSResources: both are taken', () => {
    const text = fixtureText('events/FleetGateCreated.eventgrid.docs.json');
    const upper = text.replace('AksResources', 'AKSResources');
    for (const body of [text, upper])
      expect(onlyEvent(`[${body}]`, 'application/json').data.kind).toBe('FleetGateCreated');
  });

  test('the published CloudEvents samples spell specVersion, which is not CloudEvents 1.0: rejected as sent, taken once spelled right', () => {
    const text = fixtureText('events/FleetGateCreated.cloudevents.docs.json');
    const d = parseDelivery(text, 'application/cloudevents+json');
    const problem =
      d.kind === 'events'
        ? d.items[0]?.ok === false
          ? d.items[0].problem
          : ''
        : d.kind === 'malformed'
          ? d.problem
          : '';
    expect(problem).toMatch(/specversion/);
    for (const kind of KINDS) {
      const fixed = fixtureText(`events/${kind}.cloudevents.docs.json`).replace(
        '"specVersion"',
        '"specversion"',
      );
      const event = onlyEvent(fixed, 'application/cloudevents+json');
      expect(event).toMatchObject({ schema: 'cloudevents', data: { kind } });
    }
  });

  test('only an Approval gate in Pending asks for a decision', () => {
    const created = onlyEvent(
      `[${fixtureText('events/FleetGateCreated.eventgrid.docs.json')}]`,
      'application/json',
    );
    const updated = onlyEvent(
      `[${fixtureText('events/FleetGateUpdated.eventgrid.docs.json')}]`,
      'application/json',
    );
    const gateOf = (e: AksEvent) => ('gate' in e.data ? e.data.gate : undefined);
    expect(asksForDecision(gateOf(created)!)).toBe(true);
    expect(asksForDecision(gateOf(updated)!)).toBe(false);
    expect(asksForDecision({ gateType: 'Health', state: 'Pending' })).toBe(false);
    expect(gateOf(updated)?.target).toEqual({
      runId: expect.stringMatching(/updateRuns\/run-1$/),
      runName: 'run-1',
      stage: 'stage-1',
      group: 'group-1',
      timing: 'Before',
    });
  });

  test('a gate event without a gate id, state or timing is refused, saying which field', () => {
    const raw = fixture<{ data: { resourceInfo: Record<string, unknown> } }>(
      'events/FleetGateCreated.eventgrid.docs.json',
    );
    const bad = (mutate: (r: Record<string, unknown>) => void): string => {
      const copy = structuredClone(raw);
      mutate(copy.data.resourceInfo);
      const d = parseDelivery(JSON.stringify([copy]), 'application/json');
      return d.kind === 'events' && d.items[0]?.ok === false ? d.items[0].problem : 'accepted';
    };
    expect(bad((r) => (r.id = '/subscriptions/x/resourceGroups/y'))).toMatch(/Fleet gate id/);
    expect(bad((r) => delete (r.properties as Record<string, unknown>).state)).toMatch(/properties\.state/);
    expect(
      bad((r) => {
        const t = (r.properties as { target: { updateRunProperties: Record<string, unknown> } }).target;
        t.updateRunProperties.timing = 'During';
      }),
    ).toMatch(/timing must be Before or After/);
  });
});

describe('gates and update runs from the 2026-06-01 examples', () => {
  const run = updateRunFromWire(
    fixture<{ responses: { 200: { body: unknown } } }>('arm/fleet/UpdateRuns_Get.json').responses[200].body,
  ) as UpdateRunView;

  test('the run: version, node image selection, stages, groups and members', () => {
    expect(run).toMatchObject({
      name: 'run1',
      state: 'Pending',
      upgradeType: 'Full',
      kubernetesVersion: '1.26.1',
      nodeImageSelection: 'Latest',
      createdBy: '@contoso.com',
    });
    expect(run.stages[0]?.groups[0]?.members).toEqual([
      {
        name: 'member-one',
        clusterId:
          '/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/myClusters/providers/Microsoft.ContainerService/managedClusters/myCluster',
        state: 'NotStarted',
      },
    ]);
  });

  test('the listed gate decodes with its eTag', () => {
    const list = fixture<{ responses: { 200: { body: { value: unknown[] } } } }>(
      'arm/fleet/Gates_ListByFleet.json',
    );
    const g = decodeFleetGate(list.responses[200].body.value[0], 'gate');
    expect(g).toMatchObject({
      ok: true,
      value: { eTag: 'kd30rkdfo49=', state: 'Pending', target: { timing: 'After', group: 'group1' } },
    });
  });

  const target = (t: Partial<GateTarget>): GateTarget => ({
    runId: run.id,
    runName: 'run1',
    stage: 'stage1',
    timing: 'Before',
    ...t,
  });
  const two: UpdateRunView = {
    ...run,
    stages: [
      {
        name: 'test',
        state: 'Completed',
        groups: [
          { name: 'a', state: 'Completed', members: [{ name: 't1', clusterId: 'c-t1', state: 'Completed' }] },
        ],
      },
      {
        name: 'prod',
        state: 'NotStarted',
        groups: [
          {
            name: 'eu',
            state: 'NotStarted',
            members: [{ name: 'p1', clusterId: 'c-p1', state: 'NotStarted' }],
          },
          {
            name: 'us',
            state: 'NotStarted',
            members: [{ name: 'p2', clusterId: 'c-p2', state: 'NotStarted' }],
          },
        ],
      },
    ],
  };

  test('the members behind a gate: before a stage, before a group, after a group, after a stage', () => {
    const names = (t: Partial<GateTarget>) => membersBehind(two, target(t)).map((m) => m.name);
    expect(names({ stage: 'prod' })).toEqual(['p1', 'p2']);
    expect(names({ stage: 'prod', group: 'us' })).toEqual(['p2']);
    expect(names({ stage: 'prod', group: 'eu', timing: 'After' })).toEqual(['p2']);
    expect(names({ stage: 'test', timing: 'After' })).toEqual(['p1', 'p2']);
    expect(names({ stage: 'prod', timing: 'After' })).toEqual([]);
    expect(names({ stage: 'nope' })).toEqual([]);
  });

  test('a refusal stops the run, or skips what a before-gate holds; an after-gate can only stop', () => {
    expect(refusalRequest(target({ stage: 'prod' }), 'stop')).toEqual({ kind: 'stop' });
    expect(refusalRequest(target({ stage: 'prod' }), 'skip')).toEqual({
      kind: 'skip',
      targets: [{ type: 'Stage', name: 'prod' }],
    });
    expect(refusalRequest(target({ stage: 'prod', group: 'us' }), 'skip')).toEqual({
      kind: 'skip',
      targets: [{ type: 'Group', name: 'us' }],
    });
    expect(refusalRequest(target({ stage: 'prod', timing: 'After' }), 'skip')).toEqual({ kind: 'stop' });
  });

  test('the gate is as sensitive as its most sensitive member; a member whose region lacks the version is a critical finding', () => {
    expect(
      gateRing(
        [
          { name: 'a', clusterId: 'a', ring: 'dev' },
          { name: 'b', clusterId: 'b', ring: 'staging' },
        ],
        'production',
      ),
    ).toBe('staging');
    expect(gateRing([{ name: 'a', clusterId: 'a' }], 'production')).toBe('production');
    const findings = gateFindings({
      gateId: 'g',
      gateName: 'g',
      fleetId: 'f',
      fleetName: 'f',
      displayName: '',
      target: target({}),
      upgradeType: 'Full',
      kubernetesVersion: '1.36.4',
      nodeImageSelection: 'Latest',
      onReject: 'stop',
      members: [
        { name: 'p1', clusterId: 'c', ring: 'production', location: 'northeurope', versionInRegion: false },
        { name: 'p2', clusterId: 'c', ring: 'production', location: 'westeurope', versionInRegion: true },
      ],
    });
    expect(findings).toEqual([
      {
        severity: 'critical',
        message: expect.stringMatching(/^p1: Kubernetes 1\.36\.4 is not offered in northeurope/),
      },
    ]);
  });

  test('fleet ids, and the fleet of a gate or run id, without case', () => {
    expect(
      parseFleetId(
        '/subscriptions/S/resourcegroups/RG/providers/microsoft.containerservice/fleets/F/gates/g1',
      ),
    ).toEqual({
      id: '/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/fleets/F',
      subscriptionId: 'S',
      resourceGroup: 'RG',
      name: 'F',
      key: 'fleet:s:rg:f',
    });
    expect(
      parseFleetId(
        '/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/c',
      ),
    ).toBeUndefined();
  });
});

describe('a fleet-gate plan in the state machine', () => {
  const by = { actor: 'warden', source: { kind: 'runner' as const } };
  test('FleetGateCompleted closes an approved gate plan as succeeded and tells owners and on-call; any other plan refuses it', () => {
    const base = proposed();
    const gatePlan = { ...base, kind: 'fleet-gate' as const, steps: [], status: 'approved' as const };
    const { plan, effects } = transition(
      gatePlan,
      { type: 'FleetGateCompleted', by },
      new Date('2026-11-25T11:00:00Z'),
    );
    expect(plan).toMatchObject({ status: 'succeeded', closedAt: '2026-11-25T11:00:00.000Z' });
    expect(effects.map((e) => e.type)).toEqual(['audit', 'notify']);
    expect(effects[1]).toMatchObject({ notice: { kind: 'plan-succeeded', audience: ['owners', 'oncall'] } });
    expect(() =>
      transition({ ...base, status: 'approved' }, { type: 'FleetGateCompleted', by }, new Date()),
    ).toThrow(IllegalTransitionError);
    expect(() =>
      transition(
        { ...gatePlan, status: 'awaiting-approval' },
        { type: 'FleetGateCompleted', by },
        new Date(),
      ),
    ).toThrow(IllegalTransitionError);
  });
});

describe('pre-flight on demand for a fleet-gate plan', () => {
  test('is a conflict naming why, and checks nothing: Fleet runs the upgrade, each member plan has its own', async () => {
    const gatePlan = { ...proposed(), kind: 'fleet-gate' as const, steps: [] };
    const check = jest.fn();
    const deps = {
      plans: { get: () => Promise.resolve({ plan: gatePlan, etag: '"1"' }) },
      preflight: { check, newRun: () => ({}) },
      now: () => new Date('2026-11-25T11:00:00Z'),
    } as unknown as Parameters<typeof recheckPreflight>[0];
    const by = { actor: 'op@contoso.example', source: { kind: 'http' as const, route: 'preflight' } };
    await expect(recheckPreflight(deps, gatePlan.id, by as never)).rejects.toThrow(ConflictError);
    await expect(recheckPreflight(deps, gatePlan.id, by as never)).rejects.toThrow(/Fleet Manager gate/);
    expect(check).not.toHaveBeenCalled();
  });
});

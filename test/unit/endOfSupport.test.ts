import type { AksEvent, EndOfSupportNotice } from '../../shared/domain/aksEvents';
import { endOfSupportDecision } from '../../shared/domain/aksEvents';
import type { TimelineEntry } from '../../shared/domain/clusterTimeline';
import { timelineFindings } from '../../shared/domain/compliance';
import { parseDelivery } from '../../shared/domain/eventDelivery';
import { fixtureText } from '../helpers/fixtures';
import { snapshotOf } from '../helpers/memoryClusterStore';

/**
 * AKS's end-of-support notice (ScheduledEventEmitted, `eventSource: EOLNotification`): decoded from
 * the published payloads in both schemas, with `eventDetails` as an object or as JSON text, and judged
 * per cluster.
 */
type Schema = 'eventgrid' | 'cloudevents';

function body(schema: Schema, edit?: (props: Record<string, unknown>) => void): [string, string] {
  const event = JSON.parse(fixtureText(`events/ScheduledEventEmitted.eol.${schema}.json`)) as {
    data: { resourceInfo: { properties: Record<string, unknown> } };
  };
  edit?.(event.data.resourceInfo.properties);
  return schema === 'eventgrid'
    ? [JSON.stringify([event]), 'application/json']
    : [JSON.stringify(event), 'application/cloudevents+json'];
}

function decode(schema: Schema, edit?: (props: Record<string, unknown>) => void) {
  const d = parseDelivery(...body(schema, edit));
  if (d.kind !== 'events') throw new Error(d.kind);
  return d.items[0];
}

const FIXTURE_NOTICE: EndOfSupportNotice = {
  notice: 'KubernetesVersionEOLOneWeek',
  kubernetesVersion: '1.32.3',
  eolDate: '2026-03-01T00:00:00.000Z',
  supportType: 'Community',
  daysUntilEOL: 5,
  region: 'eastus',
};

describe('decoding the EOLNotification form', () => {
  test.each([
    ['eventgrid', 'an object'],
    ['eventgrid', 'JSON text'],
    ['cloudevents', 'an object'],
    ['cloudevents', 'JSON text'],
  ] as const)('%s schema, eventDetails as %s', (schema, form) => {
    const item = decode(schema, (p) => {
      if (form === 'JSON text') p.eventDetails = JSON.stringify(p.eventDetails);
    });
    expect(item?.ok).toBe(true);
    const event = (item as { event: AksEvent }).event;
    expect(event.data).toMatchObject({
      kind: 'ScheduledEventEmitted',
      eventSource: 'EOLNotification',
      eventStatus: 'Scheduled',
      endOfSupport: FIXTURE_NOTICE,
    });
    expect(event.clusters.map((c) => c.name)).toEqual(['{managedcluster-name}']);
  });

  test('the maintenance form keeps its text eventDetails and carries no notice', () => {
    const d = parseDelivery(
      `[${fixtureText('events/ScheduledEventEmitted.eventgrid.json')}]`,
      'application/json',
    );
    const item = d.kind === 'events' ? d.items[0] : undefined;
    expect(item?.ok && item.event.handled && item.event.data).toMatchObject({
      eventDetails: 'Start to upgrade security vhd',
    });
    expect(item?.ok && item.event.handled && item.event.data).not.toHaveProperty('endOfSupport');
  });

  test.each([
    [
      'text that is not JSON',
      (p: Record<string, unknown>) => (p.eventDetails = 'soon'),
      /object or its JSON text/,
    ],
    [
      'no version',
      (p: Record<string, unknown>) => (p.eventDetails = { eolDate: '2026-03-01T00:00:00Z' }),
      /eventDetails.kubernetesVersion must be a Kubernetes version/,
    ],
    [
      'a date that is not one',
      (p: Record<string, unknown>) => (p.eventDetails = { kubernetesVersion: '1.32.3', eolDate: 'March' }),
      /eventDetails.eolDate must be a date/,
    ],
    [
      'an unknown support type',
      (p: Record<string, unknown>) =>
        (p.eventDetails = { kubernetesVersion: '1.32.3', eolDate: '2026-03-01', supportType: 'Extended' }),
      /supportType must be Community or LTS/,
    ],
  ])('rejects %s, saying what is wrong', (_what, edit, problem) => {
    const item = decode('eventgrid', edit);
    expect(item).toMatchObject({ ok: false, problem: expect.stringMatching(problem) });
  });
});

describe('endOfSupportDecision', () => {
  const now = new Date('2026-02-23T00:00:00Z');
  const cluster = (
    kubernetesVersion: string,
    supportPlan = 'KubernetesOfficial',
    pool = kubernetesVersion,
  ) => ({
    kubernetesVersion,
    supportPlan,
    nodePools: [{ orchestratorVersion: pool }],
  });

  test('before the date: high, the deadline the end-of-support date', () => {
    expect(endOfSupportDecision(FIXTURE_NOTICE, cluster('1.32.3'), now)).toEqual({
      applies: true,
      urgency: 'high',
      deadline: '2026-03-01T00:00:00.000Z',
      ended: false,
    });
  });

  test('out of support (by the notice, the days, or the date): critical', () => {
    for (const n of [
      { ...FIXTURE_NOTICE, notice: 'KubernetesVersionOutOfSupport' },
      { ...FIXTURE_NOTICE, daysUntilEOL: -3 },
      { ...FIXTURE_NOTICE, daysUntilEOL: undefined, eolDate: '2026-02-01T00:00:00.000Z' },
    ])
      expect(endOfSupportDecision(n, cluster('1.32.3'), now)).toMatchObject({
        urgency: 'critical',
        ended: true,
      });
  });

  test('a pool still on the minor keeps it applying; a minor no longer run is stale', () => {
    expect(
      endOfSupportDecision(FIXTURE_NOTICE, cluster('1.33.1', 'KubernetesOfficial', '1.32.3'), now).applies,
    ).toBe(true);
    expect(endOfSupportDecision(FIXTURE_NOTICE, cluster('1.33.1'), now)).toMatchObject({
      applies: false,
      why: expect.stringContaining('no longer runs 1.32'),
    });
  });

  test('an LTS cluster is held to its LTS date, not the community one', () => {
    expect(endOfSupportDecision(FIXTURE_NOTICE, cluster('1.32.3', 'AKSLongTermSupport'), now)).toMatchObject({
      applies: false,
    });
    expect(
      endOfSupportDecision(
        { ...FIXTURE_NOTICE, supportType: 'LTS' },
        cluster('1.32.3', 'AKSLongTermSupport'),
        now,
      ),
    ).toMatchObject({ applies: true, urgency: 'high' });
  });
});

describe('timelineFindings', () => {
  const entry = (notice: EndOfSupportNotice, applies = true): TimelineEntry => ({
    kind: 'end-of-support',
    key: `eol:${notice.kubernetesVersion}:${notice.notice}`,
    at: '2026-02-23T00:00:00Z',
    eventId: 'e',
    notice,
    applies,
  });

  test('the latest applicable notice for the minor the cluster runs is a finding, until it moves on', () => {
    const on = snapshotOf({
      subscriptionId: 's',
      name: 'c',
      kubernetesVersion: '1.32.3',
      lastSeen: '2026-02-24T00:00:00Z',
    });
    expect(timelineFindings(on, [entry(FIXTURE_NOTICE)])).toEqual([
      expect.objectContaining({ code: 'end-of-support', severity: 'warning' }),
    ]);
    expect(timelineFindings(on, [entry(FIXTURE_NOTICE, false)])).toEqual([]);
    expect(timelineFindings({ ...on, kubernetesVersion: '1.33.0' }, [entry(FIXTURE_NOTICE)])).toEqual([]);
    expect(timelineFindings({ ...on, lastSeen: '2026-03-02T00:00:00Z' }, [entry(FIXTURE_NOTICE)])).toEqual([
      expect.objectContaining({ severity: 'critical' }),
    ]);
  });
});

import type { AksEvent } from '../../shared/domain/aksEvents';
import { parseDelivery } from '../../shared/domain/eventDelivery';
import { eventFixtures, fixture, fixtureText } from '../helpers/fixtures';

const CLUSTER =
  '/subscriptions/{subscription-id}/resourceGroups/{resource-group}/providers/Microsoft.ContainerService/managedClusters/{cluster}';

function onlyEvent(body: string, contentType?: string): AksEvent {
  const d = parseDelivery(body, contentType);
  if (d.kind !== 'events') throw new Error(`expected events, got ${d.kind}`);
  const [item] = d.items;
  if (!item?.ok) throw new Error(`expected a decoded event, got ${JSON.stringify(item)}`);
  if (!item.event.handled) throw new Error('expected a handled event');
  return item.event;
}

describe('parseDelivery: the real payloads', () => {
  const expectedKind = (file: string): string => file.split('.')[0] ?? '';

  test.each(eventFixtures('eventgrid').filter((f) => !f.includes('.docs.')))(
    'Event Grid schema %s, posted as Event Grid does (an array), decodes to its kind and cluster',
    (file) => {
      const event = onlyEvent(`[${fixtureText(`events/${file}`)}]`, 'application/json');
      expect(event.data.kind).toBe(expectedKind(file));
      expect(event.schema).toBe('eventgrid');
      expect(event.clusters).toHaveLength(1);
      expect(event.clusters[0]?.name.toLowerCase()).toMatch(/cluster/);
    },
  );

  test.each(eventFixtures('cloudevents').filter((f) => !f.includes('.docs.')))(
    'CloudEvents %s, one structured-mode object, decodes to its kind and cluster',
    (file) => {
      const event = onlyEvent(fixtureText(`events/${file}`), 'application/cloudevents+json; charset=utf-8');
      expect(event.data.kind).toBe(expectedKind(file));
      expect(event.schema).toBe('cloudevents');
      expect(event.clusters[0]?.name.toLowerCase()).toMatch(/cluster/);
    },
  );

  test('the cluster of an AKS event comes from topic/source, compared without case', () => {
    const event = onlyEvent(
      `[${fixtureText('events/NodePoolRollingFailed.eventgrid.json')}]`,
      'application/json',
    );
    expect(event.clusters[0]?.id).toBe(CLUSTER);
    expect(event.clusters[0]?.key).toBe('{subscription-id}:{resource-group}:{cluster}');
    expect(event.data).toEqual({ kind: 'NodePoolRollingFailed', nodePoolName: 'nodepool1' });
  });

  test('ScheduledEventEmitted names its cluster in data.resourceInfo.properties.resources', () => {
    const event = onlyEvent(
      `[${fixtureText('events/ScheduledEventEmitted.eventgrid.json')}]`,
      'application/json',
    );
    expect(event.source).toBe('/subscriptions/{subscription-id}');
    expect(event.clusters.map((c) => c.key)).toEqual(['{subscription-id}:{rg-name}:{managedcluster-name}']);
    expect(event.data).toMatchObject({
      kind: 'ScheduledEventEmitted',
      eventStatus: 'Started',
      scheduledTime: '2024-04-16T22:17:12.103268606Z',
    });
  });

  test('NewKubernetesVersionAvailable keeps every version the event carries', () => {
    const event = onlyEvent(
      fixtureText('events/NewKubernetesVersionAvailable.cloudevents.json'),
      'application/cloudevents+json',
    );
    expect(event.data).toEqual({
      kind: 'NewKubernetesVersionAvailable',
      latestSupportedKubernetesVersion: '1.20.7',
      latestStableKubernetesVersion: '1.19.11',
      lowestMinorKubernetesVersion: '1.18.19',
      latestPreviewKubernetesVersion: '1.21.1',
    });
  });

  test('a missing latestPreviewKubernetesVersion (no preview published) is fine', () => {
    const e = fixture<Record<string, Record<string, unknown>>>(
      'events/NewKubernetesVersionAvailable.eventgrid.json',
    );
    delete e.data!.latestPreviewKubernetesVersion;
    const event = onlyEvent(JSON.stringify([e]), 'application/json');
    expect(event.data).not.toHaveProperty('latestPreviewKubernetesVersion');
  });

  test('the docs samples have a typo in topic (resourceGroups<rg>) and are refused, naming the field', () => {
    const d = parseDelivery(
      `[${fixtureText('events/NewKubernetesVersionAvailable.eventgrid.docs.json')}]`,
      'application/json',
    );
    expect(d).toMatchObject({ kind: 'events', items: [{ ok: false }] });
    if (d.kind === 'events' && !d.items[0]!.ok)
      expect(d.items[0]!.problem).toMatch(/^topic must be a managed-cluster ARM id/);
  });

  test('the SubscriptionValidationEvent handshake yields the code the fixture response carries', () => {
    const d = parseDelivery(
      fixtureText('events/SubscriptionValidationEvent.eventgrid.json'),
      'application/json',
    );
    const expected = fixture<{ validationResponse: string }>('events/SubscriptionValidationResponse.json');
    expect(d).toMatchObject({ kind: 'validation', validationCode: expected.validationResponse });
  });

  test('a CloudEvents batch (application/cloudevents-batch+json) decodes each event', () => {
    const body = `[${fixtureText('events/ClusterSupportEnding.cloudevents.json')},${fixtureText('events/ClusterSupportEnded.cloudevents.json')}]`;
    const d = parseDelivery(body, 'application/cloudevents-batch+json');
    expect(d.kind === 'events' && d.items.map((i) => i.ok && i.event.handled && i.event.data.kind)).toEqual([
      'ClusterSupportEnding',
      'ClusterSupportEnded',
    ]);
  });

  test('an event type Warden does not handle decodes as ignored, not as an error', () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/NodePoolRollingStarted.eventgrid.json'),
      eventType: 'Microsoft.Storage.BlobCreated',
    };
    const d = parseDelivery(JSON.stringify([e]), 'application/json');
    expect(d).toMatchObject({
      kind: 'events',
      items: [{ ok: true, event: { handled: false, type: 'Microsoft.Storage.BlobCreated' } }],
    });
  });
});

describe('parseDelivery: bad input says what is wrong', () => {
  const eg = (): Record<string, unknown> => fixture('events/NodePoolRollingStarted.eventgrid.json');
  const ce = (): Record<string, unknown> => fixture('events/NodePoolRollingStarted.cloudevents.json');
  const problemOf = (body: unknown, contentType = 'application/json'): string => {
    const d = parseDelivery(typeof body === 'string' ? body : JSON.stringify(body), contentType);
    if (d.kind === 'malformed') return d.problem;
    if (d.kind === 'events') {
      const bad = d.items.find((i) => !i.ok);
      if (bad && !bad.ok) return bad.problem;
    }
    throw new Error(`no problem found in ${JSON.stringify(d)}`);
  };

  test.each([
    ['malformed JSON', '[{"id": ', /not JSON/],
    ['an empty body', '', /empty/],
    ['an empty batch', [], /batch is empty/],
    ['a JSON string', '"hello"', /JSON array of events or one event object/],
    ['a batch entry that is not an object', [42], /must be a JSON object/],
  ])('%s', (_name, body, expected) => {
    expect(problemOf(body)).toMatch(expected);
  });

  test('Event Grid envelope: missing eventType and a bad eventTime are both named', () => {
    const e = eg();
    delete e.eventType;
    e.eventTime = 'yesterday';
    const problem = problemOf([e]);
    expect(problem).toMatch(/eventType is missing/);
    expect(problem).toMatch(/eventTime is not an ISO-8601 time/);
  });

  test('Event Grid envelope: metadataVersion other than "1"', () => {
    expect(problemOf([{ ...eg(), metadataVersion: '2' }])).toMatch(/metadataVersion must be "1"/);
  });

  test('CloudEvents: a wrong specversion', () => {
    expect(problemOf({ ...ce(), specversion: '0.3' }, 'application/cloudevents+json')).toMatch(
      /specversion must be "1.0", got "0.3"/,
    );
  });

  test('CloudEvents: a missing source', () => {
    const e = ce();
    delete e.source;
    expect(problemOf(e, 'application/cloudevents+json')).toMatch(/source is missing/);
  });

  test('a cloudevents-batch that is not an array', () => {
    expect(problemOf(ce(), 'application/cloudevents-batch+json')).toMatch(/must be a JSON array/);
  });

  test.each([
    [
      'a node pool name that is a number',
      { nodePoolName: 7 },
      /data.nodePoolName must be a node pool name, got 7/,
    ],
    ['no data fields at all', {}, /nodePoolName/],
  ])('invalid data: %s', (_name, data, expected) => {
    expect(problemOf([{ ...eg(), data }])).toMatch(expected);
  });

  test('NewKubernetesVersionAvailable with no version at all', () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/NewKubernetesVersionAvailable.eventgrid.json'),
      data: { latestPreviewKubernetesVersion: '1.31.0' },
    };
    expect(problemOf([e])).toMatch(/carries no version/);
  });

  test('NewKubernetesVersionAvailable with a version that is not one', () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/NewKubernetesVersionAvailable.eventgrid.json'),
      data: { latestSupportedKubernetesVersion: 'latest' },
    };
    expect(problemOf([e])).toMatch(/latestSupportedKubernetesVersion must be a Kubernetes version/);
  });

  test('ScheduledEventEmitted whose resources name no cluster', () => {
    const e = fixture<{ data: { resourceInfo: { properties: { resources: string[] } } } }>(
      'events/ScheduledEventEmitted.eventgrid.json',
    );
    e.data.resourceInfo.properties.resources = [
      '/subscriptions/x/resourceGroups/y/providers/Microsoft.Compute/virtualMachines/z',
    ];
    expect(problemOf([e])).toMatch(/resources\[0\] is not a managed-cluster id/);
  });

  test('in a batch, the good events are decoded and only the bad one is refused', () => {
    const d = parseDelivery(
      JSON.stringify([eg(), { ...eg(), data: { nodePoolName: '' } }, eg()]),
      'application/json',
    );
    expect(d.kind === 'events' && d.items.map((i) => i.ok)).toEqual([true, false, true]);
  });
});

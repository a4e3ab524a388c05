import { eventFixtures, fixture, fixtureText } from '../helpers/fixtures';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';

interface EventsAnswer {
  events: { eventId: string; eventType: string; clusterName?: string; schema: string; status: string }[];
  rejected: { status: number; error: string; detail: string; body: string }[];
}

describe('event intake over real HTTP, through the local runtime and Azurite', () => {
  let warden: LocalWarden;
  beforeAll(async () => {
    warden = await startLocalWarden();
  });
  afterAll(async () => {
    await warden.stop();
  });

  const post = (body: string, contentType = 'application/json') =>
    fetch(`${warden.url}/api/aks-events`, { method: 'POST', headers: { 'content-type': contentType }, body });
  const events = async (query = ''): Promise<EventsAnswer> =>
    (await (await fetch(`${warden.url}/api/events${query}`)).json()) as EventsAnswer;

  test('every Event Grid fixture, posted as an array, is accepted and listed for its cluster', async () => {
    for (const file of eventFixtures('eventgrid').filter((f) => !f.includes('.docs.'))) {
      const res = await post(`[${fixtureText(`events/${file}`)}]`);
      expect({ file, status: res.status }).toEqual({ file, status: 200 });
    }
    const listed = await events('?cluster=%7Bcluster%7D');
    const types = listed.events
      .filter((e) => e.schema === 'eventgrid')
      .map((e) => e.eventType.split('.').pop());
    expect(types.sort()).toEqual([
      'ClusterSupportEnded',
      'ClusterSupportEnding',
      'NewKubernetesVersionAvailable',
      'NodePoolRollingFailed',
      'NodePoolRollingStarted',
      'NodePoolRollingSucceeded',
    ]);
    const scheduled = await events('?cluster=%7Bmanagedcluster-name%7D');
    expect(scheduled.events.map((e) => e.eventType)).toContain(
      'Microsoft.ResourceNotifications.ContainerServiceEventResources.ScheduledEventEmitted',
    );
  });

  test('every CloudEvents fixture, posted in structured mode, is the same event as its Event Grid twin', async () => {
    // The two fixture sets describe the same events (same source, type and id), so after the Event
    // Grid test above each CloudEvent is a redelivery: 200, nothing new.
    const before = (await events('?cluster=%7Bcluster%7D')).events.length;
    for (const file of eventFixtures('cloudevents').filter((f) => !f.includes('.docs.'))) {
      const res = await post(fixtureText(`events/${file}`), 'application/cloudevents+json; charset=utf-8');
      const body = (await res.json()) as { recorded: number; duplicates: number };
      expect({ file, status: res.status, duplicates: body.duplicates }).toEqual({
        file,
        status: 200,
        duplicates: 1,
      });
    }
    expect((await events('?cluster=%7Bcluster%7D')).events).toHaveLength(before);
  });

  test('a CloudEvent of its own is recorded with its schema', async () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/NodePoolRollingFailed.cloudevents.json'),
      id: 'ce-only-1',
    };
    const res = await post(JSON.stringify([e]), 'application/cloudevents-batch+json');
    expect(await res.json()).toMatchObject({ recorded: 1 });
    const listed = await events('?cluster=%7Bcluster%7D');
    expect(listed.events.find((x) => x.eventId === 'ce-only-1')).toMatchObject({
      schema: 'cloudevents',
      status: 'recorded',
    });
  });

  test('the docs samples (topic typo) are refused with 400 and kept for operators', async () => {
    const res = await post(`[${fixtureText('events/NewKubernetesVersionAvailable.eventgrid.docs.json')}]`);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string };
    expect(body.detail).toMatch(/topic must be a managed-cluster ARM id/);
    const { rejected } = await events();
    expect(rejected.some((r) => r.body.includes('resourceGroups<rg>'))).toBe(true);
  });

  test('the same delivery three times at once is recorded once', async () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/NodePoolRollingStarted.eventgrid.json'),
      id: 'concurrent-1',
      topic:
        '/subscriptions/s1/resourceGroups/rg1/providers/Microsoft.ContainerService/managedClusters/concurrent',
    };
    const body = JSON.stringify([e]);
    const answers = await Promise.all([post(body), post(body), post(body)]);
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
    const outcomes = await Promise.all(
      answers.map(async (a) => ((await a.json()) as { recorded: number }).recorded),
    );
    expect(outcomes.reduce((a, b) => a + b, 0)).toBe(1);
    const listed = await events('?cluster=concurrent');
    expect(listed.events).toHaveLength(1);
    const byId = await events(
      `?cluster=${encodeURIComponent('/SUBSCRIPTIONS/s1/resourcegroups/RG1/providers/microsoft.containerservice/managedclusters/CONCURRENT')}`,
    );
    expect(byId.events.map((x) => x.eventId)).toEqual(['concurrent-1']);
  });

  test('both handshakes work over HTTP', async () => {
    const v = await post(fixtureText('events/SubscriptionValidationEvent.eventgrid.json'));
    expect(await v.json()).toEqual(fixture('events/SubscriptionValidationResponse.json'));
    const o = await fetch(`${warden.url}/api/aks-events`, {
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net' },
    });
    expect(o.status).toBe(200);
    expect(o.headers.get('webhook-allowed-origin')).toBe('eventgrid.azure.net');
  });

  test('an oversized body is a 413 and a malformed one a 400 with error and detail', async () => {
    const big = await post(JSON.stringify([{ pad: 'y'.repeat(1_100_000) }]));
    expect(big.status).toBe(413);
    const bad = await post('not json');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'malformed delivery',
      detail: expect.stringMatching(/not JSON/),
    });
  });

  test('the native trigger endpoint of the local host takes Event Grid posts too', async () => {
    const e = {
      ...fixture<Record<string, unknown>>('events/ClusterSupportEnding.eventgrid.json'),
      id: 'via-trigger-1',
    };
    const res = await fetch(`${warden.url}/runtime/webhooks/eventgrid?functionName=aksEventGrid`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'aeg-event-type': 'Notification' },
      body: JSON.stringify([e]),
    });
    expect(res.status).toBe(202);
    const listed = await events('?cluster=%7Bcluster%7D');
    expect(listed.events.map((x) => x.eventId)).toContain('via-trigger-1');
  });

  test('a bad limit is a 400, not a 500', async () => {
    const res = await fetch(`${warden.url}/api/events?limit=lots`);
    expect(res.status).toBe(400);
  });
});

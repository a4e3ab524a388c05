import { HttpRequest, InvocationContext } from '@azure/functions';

import { aksEventsHandler } from '../../functions/aksEvents';
import { fixture, fixtureText } from '../helpers/fixtures';
import { MemoryEventStore } from '../helpers/memoryEventStore';

const NOW = new Date('2026-11-25T12:00:00Z');

function setup() {
  const events = new MemoryEventStore();
  const handler = aksEventsHandler(() => ({ events, reactions: [], now: () => NOW }));
  const context = new InvocationContext({ functionName: 'aksEvents', logHandler: () => {} });
  const call = async (init: {
    method?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
  }) => {
    const body =
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? { string: init.body }
          : { bytes: init.body };
    const request = new HttpRequest({
      method: init.method ?? 'POST',
      url: 'http://127.0.0.1:7071/api/aks-events',
      headers: { 'content-type': 'application/json', ...init.headers },
      ...(body !== undefined && { body }),
    });
    const response = await handler(request, context);
    return {
      status: response.status ?? 200,
      body: response.jsonBody as Record<string, unknown> | undefined,
      headers: (response.headers ?? {}) as Record<string, string>,
    };
  };
  return { events, call };
}

describe('POST /api/aks-events handler', () => {
  test('answers the Event Grid validation handshake with the fixture response, recording nothing', async () => {
    const { events, call } = setup();
    const r = await call({
      body: fixtureText('events/SubscriptionValidationEvent.eventgrid.json'),
      headers: { 'aeg-event-type': 'SubscriptionValidation' },
    });
    expect(r.status).toBe(200);
    expect(r.body).toEqual(fixture('events/SubscriptionValidationResponse.json'));
    expect(events.records.size).toBe(0);
  });

  test('answers the CloudEvents OPTIONS handshake, echoing the origin', async () => {
    const { call } = setup();
    const r = await call({
      method: 'OPTIONS',
      headers: { 'WebHook-Request-Origin': 'eventgrid.azure.net', 'WebHook-Request-Rate': '120' },
    });
    expect(r.status).toBe(200);
    expect(r.headers['WebHook-Allowed-Origin']).toBe('eventgrid.azure.net');
    expect(r.headers['WebHook-Allowed-Rate']).toBe('*');
  });

  test('an OPTIONS without WebHook-Request-Origin is a 400 saying so', async () => {
    const { call } = setup();
    const r = await call({ method: 'OPTIONS' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'bad handshake',
      detail: expect.stringMatching(/WebHook-Request-Origin/),
    });
  });

  test('records an event once; the redelivery gets 200 and changes nothing', async () => {
    const { events, call } = setup();
    const body = `[${fixtureText('events/NodePoolRollingSucceeded.eventgrid.json')}]`;
    const first = await call({ body });
    const second = await call({ body });
    expect(first).toMatchObject({ status: 200, body: { recorded: 1, duplicates: 0 } });
    expect(second).toMatchObject({ status: 200, body: { recorded: 0, duplicates: 1 } });
    expect(events.records.size).toBe(1);
  });

  test('a CloudEvent without its optional time is dated by its arrival', async () => {
    const { events, call } = setup();
    const { time: _time, ...untimed } = fixture<Record<string, unknown>>(
      'events/ClusterSupportEnding.cloudevents.json',
    );
    const r = await call({
      body: JSON.stringify(untimed),
      headers: { 'content-type': 'application/cloudevents+json' },
    });
    expect(r).toMatchObject({ status: 200, body: { recorded: 1 } });
    expect([...events.records.values()][0]).toMatchObject({ eventTime: NOW.toISOString() });
  });

  test('the same id with another type is another event (the spec examples reuse ids)', async () => {
    const { events, call } = setup();
    await call({ body: `[${fixtureText('events/NodePoolRollingStarted.eventgrid.json')}]` });
    await call({ body: `[${fixtureText('events/NodePoolRollingSucceeded.eventgrid.json')}]` });
    expect(events.records.size).toBe(2);
  });

  test('an unknown event type is recorded as ignored with 200, so Event Grid does not retry it', async () => {
    const { events, call } = setup();
    const e = {
      ...fixture<Record<string, unknown>>('events/NodePoolRollingStarted.eventgrid.json'),
      eventType: 'Microsoft.Resources.ResourceWriteSuccess',
    };
    const r = await call({ body: JSON.stringify([e]) });
    expect(r).toMatchObject({ status: 200, body: { ignored: 1, recorded: 0 } });
    expect([...events.records.values()][0]).toMatchObject({ status: 'ignored' });
  });

  test.each([
    ['malformed JSON', '{"eventType":', /not JSON/],
    ['an empty batch', '[]', /batch is empty/],
    [
      'a wrong specversion',
      JSON.stringify({
        ...fixture<object>('events/ClusterSupportEnded.cloudevents.json'),
        specversion: '2.0',
      }),
      /specversion must be "1.0"/,
    ],
    [
      'a missing envelope field',
      JSON.stringify([{ ...fixture<object>('events/ClusterSupportEnded.eventgrid.json'), id: undefined }]),
      /id is missing/,
    ],
    [
      'invalid data',
      JSON.stringify([
        {
          ...fixture<object>('events/ClusterSupportEnded.eventgrid.json'),
          data: { kubernetesVersion: 'soon' },
        },
      ]),
      /kubernetesVersion must be a Kubernetes version/,
    ],
  ])(
    '%s: 400 with error and detail, nothing recorded, the body kept for operators',
    async (_name, body, detail) => {
      const { events, call } = setup();
      const r = await call({ body });
      expect(r.status).toBe(400);
      expect(r.body).toEqual({ error: expect.any(String), detail: expect.stringMatching(detail) });
      expect(events.records.size).toBe(0);
      expect(events.rejected).toHaveLength(1);
      expect(events.rejected[0]).toMatchObject({ status: 400, body: body.slice(0, 16_000) });
    },
  );

  test('a body over 1 MB is a 413, and its first part is kept', async () => {
    const { events, call } = setup();
    const huge = JSON.stringify([
      { ...fixture<object>('events/ClusterSupportEnded.eventgrid.json'), pad: 'x'.repeat(1024 * 1024) },
    ]);
    const r = await call({ body: huge });
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: 'payload too large' });
    expect(events.records.size).toBe(0);
    expect(events.rejected[0]).toMatchObject({ status: 413, bodyBytes: Buffer.byteLength(huge) });
  });

  test('a batch with one bad event: 400 naming it, and the good events are kept', async () => {
    const { events, call } = setup();
    const good = fixture<Record<string, unknown>>('events/NodePoolRollingStarted.eventgrid.json');
    const bad = {
      ...fixture<Record<string, unknown>>('events/NodePoolRollingFailed.eventgrid.json'),
      data: { nodePoolName: 42 },
    };
    const r = await call({ body: JSON.stringify([good, bad]) });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      error: 'invalid event',
      recorded: 1,
      rejected: 1,
      detail: expect.stringMatching(/event\[1\]: data.nodePoolName/),
    });
    expect(events.records.size).toBe(1);
  });

  test('binary garbage is a 400, never a 500', async () => {
    const { call } = setup();
    const r = await call({ body: Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80]) });
    expect(r.status).toBe(400);
  });

  test('storage unavailable: 503 with Retry-After, so Event Grid retries (README, Event intake)', async () => {
    const { events, call } = setup();
    events.record = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:10002'));
    const r = await call({
      body: `[${fixtureText('events/NodePoolRollingFailed.eventgrid.json')}]`,
    });
    expect(r.status).toBe(503);
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(r.body).toMatchObject({ error: 'temporarily unavailable' });
  });
});

import { RestError } from '@azure/core-rest-pipeline';
import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';

import { aksEventsHandler } from '../../functions/aksEvents';
import { MAX_CLUSTERS_PER_EVENT } from '../../shared/domain/eventDelivery';
import type { EventStore, Rejection } from '../../shared/store/eventStore';
import { TableEventStore } from '../../shared/store/eventStore';
import type { Tables } from '../../shared/store/tables';
import { fixture } from '../helpers/fixtures';
import { testTables } from '../helpers/storage';

type Json = Record<string, unknown>;

const NOW = new Date('2026-11-25T12:00:00Z');
const CLUSTER_ID = (name: string) =>
  `/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/rg-fleet/providers/Microsoft.ContainerService/managedClusters/${name}`;

const rolling = (): Json => fixture<Json>('events/NodePoolRollingStarted.eventgrid.json');
const scheduled = (): Json => fixture<Json>('events/ScheduledEventEmitted.cloudevents.json');
const ignored = (): Json => ({ ...rolling(), eventType: 'Contoso.Items.ItemReceived', data: { item: 1 } });

/**
 * Stands for `depth` arrays inside each other, as `data` nested thousands deep: `JSON.stringify` of
 * the real thing overflows the stack, so the body text is spliced in by `bodyOf`.
 */
const deepMarker = (depth: number): string => `\u0001DEEP${depth}\u0001`;
const deepText = (depth: number): string => `${'['.repeat(depth)}"bottom"${']'.repeat(depth)}`;

/** The JSON text of a value whose deep markers become the nested arrays they stand for. */
function bodyOf(value: unknown): string {
  return JSON.stringify(value).replace(/"\\u0001DEEP(\d+)\\u0001"/g, (_m, n: string) => deepText(Number(n)));
}

/** The event store on Azurite, counting the rejections it kept. */
function world(store = new TableEventStore(testTables())) {
  const kept: Rejection[] = [];
  const events: EventStore = {
    record: (e, at) => store.record(e, at),
    list: (q) => store.list(q),
    rejections: (n) => store.rejections(n),
    reject: async (r) => {
      await store.reject(r);
      kept.push(r);
    },
  };
  const handler = aksEventsHandler(() => ({ events, reactions: [], now: () => NOW }));
  const context = new InvocationContext({ functionName: 'aksEvents', logHandler: () => {} });
  const post = async (body: string, contentType = 'application/json') => {
    const r = await handler(
      new HttpRequest({
        method: 'POST',
        url: 'http://127.0.0.1:7071/api/aks-events',
        headers: { 'content-type': contentType },
        body: { string: body },
      }),
      context,
    );
    return { status: r.status ?? 200, body: (r as { jsonBody?: Json }).jsonBody ?? {} };
  };
  return { store, kept, post, events };
}

describe('events that can never be stored are the sender’s problem, not an outage', () => {
  const big = 'x'.repeat(40_000);
  const cases: [string, Json][] = [
    ['an id over 32K characters', { ...rolling(), id: big }],
    ['a subject over 32K characters', { ...rolling(), subject: big }],
    ['an (ignored) event type over 32K characters', { ...rolling(), eventType: `Contoso.${big}` }],
    ['a topic over 32K characters', { ...ignored(), topic: `/subscriptions/${big}` }],
    ['a cluster name carrying U+0085', { ...rolling(), topic: CLUSTER_ID('aks\u0085prod') }],
    ['a cluster name carrying U+0007', { ...rolling(), topic: CLUSTER_ID('aks\u0007prod') }],
    ['a cluster name carrying #', { ...rolling(), topic: CLUSTER_ID('aks#prod') }],
    ['a cluster name of 900 characters', { ...rolling(), topic: CLUSTER_ID('a'.repeat(900)) }],
  ];

  test.each(cases)(
    '%s: 400 { error, detail }, kept, and the rest of the batch recorded',
    async (_what, bad) => {
      const w = world();
      const good = { ...rolling(), id: `good-${Math.random()}` };
      const r = await w.post(JSON.stringify([bad, good]));
      expect(r.status).toBe(400);
      expect(r.body).toMatchObject({
        error: 'invalid event',
        detail: expect.stringMatching(/^event\[0\]/),
        recorded: 1,
        rejected: 1,
      });
      expect(w.kept).toHaveLength(1);
      expect(w.kept[0]).toMatchObject({ status: 400, error: 'invalid event' });
      expect((await w.store.list({})).map((e) => e.eventId)).toEqual([good.id]);
      expect((await w.store.rejections(10)).length).toBe(1);
    },
  );

  test('alone in its delivery, such an event is a 400 saying why, kept among the rejections', async () => {
    const w = world();
    const r = await w.post(JSON.stringify([{ ...rolling(), subject: big }]));
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'invalid event',
      detail: expect.stringContaining(
        'subject is 40000 characters long; a stored property holds at most 32000',
      ),
    });
    expect(await w.store.rejections(10)).toHaveLength(1);
  });

  test('data nested 5,000 deep is clipped without recursion: an ignored type and a data_base64 CloudEvent are recorded', async () => {
    const w = world();
    const r1 = await w.post(bodyOf([{ ...ignored(), data: deepMarker(5_000) }]));
    expect(r1.status).toBe(200);
    expect(r1.body).toMatchObject({ ignored: 1 });
    const cloud = {
      specversion: '1.0',
      id: 'deep-base64',
      source: '/contoso/items',
      type: 'Contoso.Items.ItemReceived',
      data_base64: Buffer.from(deepText(5_000)).toString('base64'),
    };
    const r2 = await w.post(JSON.stringify(cloud), 'application/cloudevents+json');
    expect(r2.status).toBe(200);
    // Read back, the data is clipped text: answering it as JSON recurses no deeper than the text.
    const stored = await w.store.list({});
    expect(stored.map((e) => typeof e.data)).toEqual(['string', 'string']);
    expect(stored.map((e) => String(e.data).slice(0, 3) + String(e.data).slice(-10))).toEqual([
      '[[[…[clipped]',
      '[[[…[clipped]',
    ]);
    expect(JSON.stringify(stored).length).toBeLessThan(1_000);
  });

  test('Table Storage refusing a write as bad input (400) is that event’s rejection; a refused connection is still a 503', async () => {
    let answer: Error = new RestError('The property value exceeds the maximum allowed size (64KB).', {
      statusCode: 400,
    });
    // The events table refuses every write; the rejections table is Azurite's.
    const real = testTables();
    const refusing = {
      table: (name: string) =>
        name === 'events'
          ? Promise.resolve({ createEntity: () => Promise.reject(answer) })
          : real.table(name),
    } as unknown as Tables;
    const w = world(new TableEventStore(refusing));
    const refused = await w.post(JSON.stringify([rolling()]));
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({
      error: 'invalid event',
      detail: expect.stringContaining('Table Storage refused it'),
    });
    answer = new RestError('connect ECONNREFUSED 127.0.0.1:10002', { code: 'ECONNREFUSED' });
    expect((await w.post(JSON.stringify([rolling()]))).status).toBe(503);
  });
});

describe('ScheduledEventEmitted names at most a few clusters', () => {
  const naming = (count: number): Json => {
    const e = scheduled();
    const props = ((e.data as Json).resourceInfo as Json).properties as Json;
    props.resources = Array.from({ length: count }, (_, i) => CLUSTER_ID(`aks-${i}`));
    return { ...e, id: `scheduled-${count}` };
  };

  test(`up to ${MAX_CLUSTERS_PER_EVENT} clusters are recorded for each`, async () => {
    const w = world();
    const r = await w.post(JSON.stringify(naming(MAX_CLUSTERS_PER_EVENT)), 'application/cloudevents+json');
    expect(r.status).toBe(200);
    expect(await w.store.list({})).toHaveLength(MAX_CLUSTERS_PER_EVENT);
  });

  test('2,000 clusters are refused with a 400 that names the cap, writing nothing for them', async () => {
    const w = world();
    const r = await w.post(JSON.stringify(naming(2_000)), 'application/cloudevents+json');
    expect(r.status).toBe(400);
    expect(r.body).toEqual({
      error: 'invalid event',
      detail: expect.stringContaining(
        `data.resourceInfo.properties.resources lists 2000 clusters; Warden takes at most ${MAX_CLUSTERS_PER_EVENT} per event (AKS lists one)`,
      ),
    });
    expect(await w.store.list({})).toHaveLength(0);
    expect(w.kept).toHaveLength(1);
  });
});

/** A hostile value for one field of an event. */
const hostile: fc.Arbitrary<unknown> = fc.oneof(
  fc.integer({ min: 32_001, max: 40_000 }).map((n) => 'y'.repeat(n)),
  fc
    .constantFrom('\u0000', '\u001f', '\u007f', '\u0085', '\u009f', '/', '\\', '#', '?', '\ud800')
    .map((c) => `aks${c}x`),
  fc.integer({ min: 500, max: 1_200 }).map((n) => CLUSTER_ID('n'.repeat(n))),
  fc.constantFrom('\u0085', '\u0000', '#', '\\').map((c) => CLUSTER_ID(`aks${c}prod`)),
  fc.integer({ min: 1_000, max: 6_000 }).map(deepMarker),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ maxLength: 40 }),
  fc.constant(null),
);

const FIELDS = [
  'id',
  'subject',
  'eventType',
  'topic',
  'eventTime',
  'data',
  'dataVersion',
  'type',
  'source',
  'time',
  'data_base64',
];
const BASES = [
  'events/NodePoolRollingStarted.eventgrid.json',
  'events/NewKubernetesVersionAvailable.eventgrid.json',
  'events/ClusterSupportEnding.cloudevents.json',
  'events/ScheduledEventEmitted.cloudevents.json',
  'events/ScheduledEventEmitted.eventgrid.json',
];

/** One fuzzed delivery: up to three real events, each with up to three fields made hostile. */
const delivery: fc.Arbitrary<string> = fc
  .array(
    fc.record({
      base: fc.constantFrom(...BASES),
      id: fc.uuid(),
      mutations: fc.array(fc.tuple(fc.constantFrom(...FIELDS), hostile), { maxLength: 3 }),
      base64: fc.boolean(),
      resources: fc.option(fc.integer({ min: 0, max: 40 }), { nil: undefined }),
    }),
    { minLength: 1, maxLength: 3 },
  )
  .map((events) =>
    bodyOf(
      events.map(({ base, id, mutations, base64, resources }) => {
        const e: Json = { ...fixture<Json>(base), id };
        if (resources !== undefined && e.data !== undefined) {
          const props = ((e.data as Json).resourceInfo as Json | undefined)?.properties as Json | undefined;
          if (props !== undefined)
            props.resources = Array.from({ length: resources }, (_, i) => CLUSTER_ID(`f-${i}`));
        }
        for (const [field, value] of mutations) {
          if (field === 'data_base64' || (base64 && field === 'data')) {
            delete e.data;
            e.data_base64 = Buffer.from(bodyOf(value ?? null)).toString('base64');
          } else e[field] = value;
        }
        return e;
      }),
    ),
  );

/**
 * How many fuzzed deliveries this test posts: 300 in the suite; `WARDEN_FUZZ_RUNS=10000 npx jest
 * test/integration/intakeLimits.test.ts -t fuzzed` posts the 10,000 the intake promises (same seed).
 */
const FUZZ_RUNS = Number(process.env.WARDEN_FUZZ_RUNS ?? 300);

test(
  `${FUZZ_RUNS} fuzzed deliveries: never a 5xx, and every refused body kept`,
  async () => {
    const w = world();
    await fc.assert(
      fc.asyncProperty(delivery, async (body) => {
        const before = w.kept.length;
        const r = await w.post(body);
        expect(r.status).toBeLessThan(500);
        if (r.status >= 400) {
          expect(r.body).toMatchObject({ error: expect.any(String), detail: expect.any(String) });
          expect(w.kept.length).toBe(before + 1);
        } else expect(w.kept.length).toBe(before);
      }),
      { numRuns: FUZZ_RUNS, seed: 20261201 },
    );
  },
  120_000 + FUZZ_RUNS * 100,
);

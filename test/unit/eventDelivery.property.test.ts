import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';

import { aksEventsHandler } from '../../functions/aksEvents';
import { parseClusterId } from '../../shared/domain/armId';
import { parseDelivery } from '../../shared/domain/eventDelivery';
import { eventFixtures, fixture } from '../helpers/fixtures';
import { MemoryEventStore } from '../helpers/memoryEventStore';

/**
 * Bad input never breaks intake: whatever arrives, the parser answers (never throws), an event it
 * accepts is well-formed, and the webhook answers 200 or 400 with `{ error, detail }`, never a 500,
 * recording only events of the delivery. The inputs are arbitrary JSON, and the real event fixtures
 * of both schemas with fields removed or replaced by arbitrary values (top level and `data`).
 */
type Json = Record<string, unknown>;
const FIXTURES: { schema: 'eventgrid' | 'cloudevents'; event: Json }[] = (
  ['eventgrid', 'cloudevents'] as const
)
  .flatMap((schema) => eventFixtures(schema).map((file) => ({ schema, file })))
  .filter(({ file }) => !file.includes('.docs.'))
  .map(({ schema, file }) => ({ schema, event: fixture<Json>(`events/${file}`) }));

const CONTENT_TYPES = [
  undefined,
  'application/json',
  'application/cloudevents+json',
  'application/cloudevents-batch+json; charset=utf-8',
];

/** Removes or replaces one field (picked among those present) at the top or in `data`. */
const mutation = fc.record({
  inData: fc.boolean(),
  pick: fc.nat(),
  remove: fc.boolean(),
  value: fc.jsonValue({ maxDepth: 2 }),
});

function mutate(
  event: Json,
  steps: readonly { inData: boolean; pick: number; remove: boolean; value: unknown }[],
): Json {
  const copy = structuredClone(event);
  for (const step of steps) {
    const target =
      step.inData && typeof copy.data === 'object' && copy.data !== null ? (copy.data as Json) : copy;
    const keys = Object.keys(target);
    if (keys.length === 0) continue;
    const key = keys[step.pick % keys.length]!;
    if (step.remove) delete target[key];
    else target[key] = step.value;
  }
  return copy;
}

const mutatedFixture = fc
  .tuple(fc.constantFrom(...FIXTURES), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([f, steps]) => ({ schema: f.schema, event: mutate(f.event, steps) }));

const body = fc.oneof(
  fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
  fc.string(),
  fc
    .array(mutatedFixture, { minLength: 1, maxLength: 3 })
    .map((list) => JSON.stringify(list.map((f) => f.event))),
  mutatedFixture.map((f) => JSON.stringify(f.event)),
);

describe('event intake under arbitrary input', () => {
  it('the unmutated fixtures are all accepted (the baseline the mutations depart from)', () => {
    expect(FIXTURES.length).toBeGreaterThanOrEqual(14);
    for (const f of FIXTURES) {
      const d = parseDelivery(JSON.stringify([f.event]), undefined);
      expect(d.kind === 'events' && d.items.every((i) => i.ok)).toBe(true);
    }
  });

  it('parseDelivery never throws, and what it accepts is well-formed', () => {
    fc.assert(
      fc.property(body, fc.constantFrom(...CONTENT_TYPES), (text, contentType) => {
        const d = parseDelivery(text, contentType);
        if (d.kind === 'malformed') return d.problem.length > 0;
        if (d.kind === 'validation') return d.validationCode.length > 0;
        for (const item of d.items) {
          if (!item.ok) {
            expect(item.problem.length).toBeGreaterThan(0);
            continue;
          }
          const e = item.event;
          expect(typeof e.id === 'string' && e.id.trim() !== '').toBe(true);
          expect(typeof e.type === 'string' && e.type !== '').toBe(true);
          // CloudEvents may leave `time` out (intake then dates the event by its arrival).
          expect(e.time === '' ? e.schema : Number.isNaN(Date.parse(e.time))).toBe(
            e.time === '' ? 'cloudevents' : false,
          );
          if (e.handled) {
            expect(e.clusters.length).toBeGreaterThan(0);
            for (const c of e.clusters) expect(parseClusterId(c.id)?.key).toBe(c.key);
          }
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('the webhook answers 200 or 400 with { error, detail }, never a 500, and records only events it was sent', async () => {
    const context = new InvocationContext({ functionName: 'aksEvents', logHandler: () => {} });
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(...CONTENT_TYPES), async (text, contentType) => {
        const events = new MemoryEventStore();
        // What the reactions are handed is dated: deadlines and notices are computed from it.
        const dated = (event: { time: string }): Promise<void> => {
          expect(Number.isNaN(Date.parse(event.time))).toBe(false);
          return Promise.resolve();
        };
        const handler = aksEventsHandler(() => ({
          events,
          reactions: [dated],
          now: () => new Date('2026-11-25T12:00:00Z'),
        }));
        const response = await handler(
          new HttpRequest({
            method: 'POST',
            url: 'http://127.0.0.1:7071/api/aks-events',
            headers: contentType !== undefined ? { 'content-type': contentType } : {},
            body: { string: text },
          }),
          context,
        );
        const status = response.status ?? 200;
        expect([200, 400]).toContain(status);
        if (status === 400) {
          // A partial batch also lists what became of each event (README: the good ones are kept).
          expect(response.jsonBody).toMatchObject({ error: expect.any(String), detail: expect.any(String) });
          expect(events.rejected).toHaveLength(1);
        }
        for (const r of events.records.values()) expect(text).toContain(JSON.stringify(r.eventId));
      }),
      { numRuns: 300 },
    );
  });
});

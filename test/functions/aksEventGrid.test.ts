import type { EventGridEvent } from '@azure/functions';
import { InvocationContext } from '@azure/functions';

import { aksEventGridHandler } from '../../functions/aksEventGrid';
import { TableEventStore } from '../../shared/store/eventStore';
import { Tables } from '../../shared/store/tables';
import { eventFixtures, fixture } from '../helpers/fixtures';
import { testTables } from '../helpers/storage';

const NOW = new Date('2026-11-25T12:00:00Z');

function context(logs: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: 'aksEventGrid',
    logHandler: (_level, ...args) => logs.push(args.join(' ')),
  });
}

describe('aksEventGrid (native Event Grid trigger) against Azurite', () => {
  const events = new TableEventStore(testTables());
  const handler = aksEventGridHandler(() => ({ events, reactions: [], now: () => NOW }));

  test.each(eventFixtures('eventgrid').filter((f) => !f.includes('.docs.')))(
    '%s is recorded for its cluster',
    async (file) => {
      const event = fixture<EventGridEvent>(`events/${file}`);
      await handler(event, context());
      const kind = file.split('.')[0]!;
      const listed = await events.list({ type: event.eventType });
      expect(
        listed.some((r) => r.eventId === event.id && r.status === 'recorded' && r.eventType.endsWith(kind)),
      ).toBe(true);
    },
  );

  test('an invalid event is logged and kept, not thrown (Event Grid would only retry it)', async () => {
    const logs: string[] = [];
    const bad = {
      ...fixture<EventGridEvent>('events/ClusterSupportEnding.eventgrid.json'),
      id: 'bad-1',
      data: { kubernetesVersion: 12 },
    };
    await expect(handler(bad, context(logs))).resolves.toBeUndefined();
    expect(logs.join('\n')).toMatch(/bad-1 rejected: .*kubernetesVersion/);
    expect((await events.list({})).some((r) => r.eventId === 'bad-1')).toBe(false);
    expect((await events.rejections(10)).some((r) => r.body.includes('bad-1'))).toBe(true);
  });

  test('when storage is down the trigger throws, so the delivery is retried', async () => {
    const down = new TableEventStore(
      new Tables(
        {
          kind: 'connectionString',
          connectionString:
            'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:9/devstoreaccount1;',
        },
        'down',
      ),
    );
    const failing = aksEventGridHandler(() => ({ events: down, reactions: [], now: () => NOW }));
    await expect(
      failing(fixture<EventGridEvent>('events/ClusterSupportEnded.eventgrid.json'), context()),
    ).rejects.toThrow(/could not (record|keep)/);
  });
});

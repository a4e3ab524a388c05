import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fixture } from '../helpers/fixtures';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';

type EventGridEvent = { id: string; subject: string } & Record<string, unknown>;

async function hardKill(warden: LocalWarden): Promise<void> {
  const exited = new Promise((r) => warden.process.once('exit', r));
  warden.process.kill('SIGKILL');
  await exited;
}

describe('npm start after kill -9', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'warden-hardkill-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('every write answered before the kill is there after the restart', async () => {
    const event = fixture<EventGridEvent>('events/NodePoolRollingFailed.eventgrid.json');
    const ids = [1, 2, 3].map((n) => `${event.id}-hardkill-${n}`);
    const first = await startLocalWarden({ dataDir });
    try {
      for (const id of ids) {
        const r = await fetch(`${first.url}/api/aks-events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify([{ ...event, id }]),
        });
        expect(r.status).toBe(200);
        expect(await r.json()).toMatchObject({ recorded: 1 });
      }
    } finally {
      await hardKill(first);
    }

    const second = await startLocalWarden({ dataDir });
    try {
      const r = await fetch(`${second.url}/api/events?cluster=${encodeURIComponent('{cluster}')}`);
      expect(r.status).toBe(200);
      const body = (await r.json()) as { events: { eventId: string }[] };
      expect(body.events.map((e) => e.eventId).sort()).toEqual(ids.sort());
      const again = await fetch(`${second.url}/api/aks-events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ ...event, id: ids[0] }]),
      });
      expect(await again.json()).toMatchObject({ recorded: 0, duplicates: 1 });
    } finally {
      await second.stop();
    }
  }, 120_000);
});

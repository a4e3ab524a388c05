import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

describe('the fleet dashboard, over the local runtime with the demo fleet', () => {
  let warden: LocalWarden;
  beforeAll(async () => {
    warden = await startLocalWarden();
  });
  afterAll(async () => {
    await warden.stop();
  });

  test('the front page leads to the dashboard, which is HTML that changes nothing', async () => {
    const front = await fetch(`${warden.url}/`, { redirect: 'manual' });
    expect(front.status).toBe(302);
    expect(front.headers.get('location')).toBe('/api/dashboard');
    const page = await fetch(`${warden.url}/api/dashboard`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
    expect(await page.text()).toMatch(/No clusters yet/);
  });

  test('after a sweep it lists every cluster the sweep found, with ring, version and support', async () => {
    const sweep = await fetch(`${warden.url}/api/sweep`, { method: 'POST' });
    expect(sweep.status).toBeLessThan(300);
    const sweepAnswer = (await sweep.json()) as { clusters: number };
    // The sweep fans out by subscription through a Storage Queue; shards land shortly after.
    const { clusters: list } = await waitFor(
      async () =>
        (await (await fetch(`${warden.url}/api/clusters`)).json()) as { clusters: { name: string }[] },
      (answer) => answer.clusters.length === sweepAnswer.clusters,
      { what: 'the sweep shards to write every cluster' },
    );
    expect(list.length).toBeGreaterThan(2);
    const text = await (await fetch(`${warden.url}/api/dashboard`)).text();
    for (const c of list) expect(text).toContain(`>${c.name}</a>`);
    expect(text).toMatch(new RegExp(`${list.length} clusters`));
    expect(text).toMatch(/class="badge">production</);

    // The fleet table narrowed to one ring, from the form's own query; a ring that is none is a 400.
    const production = await (await fetch(`${warden.url}/api/dashboard?ring=production`)).text();
    const rows = [...production.matchAll(/<td><span class="badge">(\w+)<\/span><\/td>/g)].map((m) => m[1]);
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows)).toEqual(new Set(['production']));
    expect(production).toContain('matching the filter');
    const bad = await fetch(`${warden.url}/api/dashboard?ring=prod`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      error: 'bad ring',
      detail: expect.stringContaining('canary, dev, staging, production'),
    });
  });
});

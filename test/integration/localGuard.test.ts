import { request } from 'node:http';

import { fixtureText } from '../helpers/fixtures';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';

/** A raw request, so the test can send the `Host` a browser sends after DNS rebinding. */
function send(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the local runtime answers only this machine', () => {
  let warden: LocalWarden;
  let port: string;
  beforeAll(async () => {
    warden = await startLocalWarden();
    port = new URL(warden.url).port;
  });
  afterAll(() => warden.stop());

  test('a DNS-rebinding Host is refused, on reads as on writes; loopback names are served', async () => {
    for (const path of ['/api/plans', '/api/dashboard', '/_local/outbox.json', '/_sim/deliveries']) {
      const r = await send(`${warden.url}${path}`, { headers: { host: `rebind.attacker.example:${port}` } });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({
        error: 'forbidden',
        detail: expect.stringContaining('rebind.attacker.example'),
      });
    }
    const run = await send(`${warden.url}/admin/functions/upgradeRunner`, {
      method: 'POST',
      headers: { host: `rebind.attacker.example:${port}`, 'content-type': 'application/json' },
      body: '{"input":""}',
    });
    expect(run.status).toBe(403);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await send(`${warden.url}/api/plans`, { headers: { host } })).status).toBe(200);
    }
    // Same name, another port: the page of another local server is not this origin either.
    expect((await send(`${warden.url}/api/plans`, { headers: { host: '127.0.0.1:1' } })).status).toBe(403);
  });

  test('a cross-site form post changes nothing; the same page posting to itself goes through', async () => {
    const form = 'comment=pwned';
    const crossSite: Record<string, string>[] = [
      { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
      { origin: 'null' },
      { origin: 'http://localhost:3000', 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of crossSite) {
      const r = await send(`${warden.url}/api/plans/nope/cancel`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
        body: form,
      });
      expect(r.status).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ error: 'forbidden' });
    }
    const release = await fetch(`${warden.url}/_sim/release`, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ location: 'westeurope', version: '1.36.9' }),
    });
    expect(release.status).toBe(403);
    const deliveries = (await (await fetch(`${warden.url}/_sim/deliveries`)).json()) as unknown[];
    expect(JSON.stringify(deliveries)).not.toContain('1.36.9');
    // The page's own form: same origin, so it reaches the route (which answers that there is no such plan).
    const own = await send(`${warden.url}/api/plans/nope/cancel`, {
      method: 'POST',
      headers: {
        origin: warden.url,
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'requestedBy=me%40example.com&reason=test',
    });
    expect(own.status).not.toBe(403);
    // The same form from a page served with Referrer-Policy: no-referrer: Origin null, vouched for by Sec-Fetch-Site.
    const noReferrer = await send(`${warden.url}/api/plans/nope/cancel`, {
      method: 'POST',
      headers: {
        origin: 'null',
        'sec-fetch-site': 'same-origin',
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'requestedBy=me%40example.com&reason=test',
    });
    expect(noReferrer.status).not.toBe(403);
  });

  test('JSON sent as text/plain (a cross-site fetch without preflight) is refused with 415', async () => {
    for (const path of ['/_sim/release', '/admin/functions/upgradeRunner', '/api/plans/nope/cancel']) {
      const r = await fetch(`${warden.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
        body: '{"location":"westeurope","version":"1.36.9","input":""}',
      });
      expect(r.status).toBe(415);
      expect(await r.json()).toMatchObject({
        error: 'unsupported media type',
        detail: expect.stringContaining('text/plain'),
      });
    }
    const noType = await send(`${warden.url}/_sim/release`, {
      method: 'POST',
      body: '{"location":"westeurope","version":"1.36.9"}',
    });
    expect(noType.status).toBe(415);
  });

  test("the webhook still takes Event Grid's and CloudEvents' content types", async () => {
    const eg = await fetch(`${warden.url}/api/aks-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'aeg-event-type': 'Notification' },
      body: `[${fixtureText('events/NodePoolRollingStarted.eventgrid.json')}]`,
    });
    expect(eg.status).toBe(200);
    const ce = await fetch(`${warden.url}/api/aks-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: fixtureText('events/NodePoolRollingStarted.cloudevents.json'),
    });
    expect(ce.status).toBe(200);
    const batch = await fetch(`${warden.url}/api/aks-events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: `[${fixtureText('events/NodePoolRollingSucceeded.cloudevents.json')}]`,
    });
    expect(batch.status).toBe(200);
    const handshake = await fetch(`${warden.url}/api/aks-events`, {
      method: 'OPTIONS',
      headers: { 'webhook-request-origin': 'eventgrid.azure.net' },
    });
    expect(handshake.status).toBe(200);
  });
});

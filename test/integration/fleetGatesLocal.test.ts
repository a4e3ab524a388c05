import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * The Fleet gate demo as `npm start` runs it (demo fleet, demo policy, the simulator's Event Grid
 * deliveries to the webhook): `POST /_sim/fleet-runs` → the run reaches its production gate → the
 * approval request in the outbox → on-call approves from the link → one gate PATCH in the simulator's
 * call log, and the run goes on to production.
 */
interface Run {
  state: string;
  stages: { name: string; gates: { state: string }[] }[];
}

describe('npm start: a Fleet update run gated by Warden', () => {
  let warden: LocalWarden;
  afterEach(async () => warden.stop());

  test('the production gate asks on-call, the approval completes the gate once', async () => {
    warden = await startLocalWarden({ timeoutMs: 40_000 });
    const get = async <T>(path: string): Promise<T> =>
      (await (await fetch(`${warden.url}${path}`)).json()) as T;
    const started = await fetch(`${warden.url}/_sim/fleet-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version: '1.36.3' }),
    });
    expect(started.status).toBe(201);
    const bad = await fetch(`${warden.url}/_sim/fleet-runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"version":"soon"}',
    });
    expect(bad.status).toBe(400);

    const production = async () =>
      (await get<Run[]>('/_sim/fleet-runs'))[0]?.stages.find((s) => s.name === 'production');
    await waitFor(production, (s) => s?.gates[0]?.state === 'Pending', {
      timeoutMs: 40_000,
      what: 'the production gate',
    });

    type Sent = { to: string; subject: string; links: string[] };
    const request = await waitFor(
      async () => {
        await fetch(`${warden.url}/admin/functions/notificationDispatcher`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return (await get<Sent[]>('/_local/outbox.json')).find(
          (m) => m.to === 'oncall@contoso.example' && m.subject.includes('fleet-weu/production'),
        );
      },
      (m) => m !== undefined,
      { timeoutMs: 20_000, what: 'the approval request email' },
    );
    const link = request?.links.find((l) => l.includes('/api/approvals/')) ?? '';
    const token = new URL(link).searchParams.get('token') ?? '';
    // The page shows the members behind the gate, whether their region offers the version, their pre-flight.
    const page = await (await fetch(`${warden.url}${new URL(link).pathname}${new URL(link).search}`)).text();
    expect(page).toMatch(/id="fleet-members"/);
    expect(page).toMatch(
      /<th>aks-prod-weu-1<\/th>\s*<td>production<\/td>\s*<td>1\.35\.8<\/td>\s*<td>yes \(westeurope\)<\/td>/,
    );
    const decided = await fetch(new URL(link).pathname.replace(/^/, warden.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ token, decision: 'approve' }),
    });
    expect(decided.status).toBe(200);
    expect(await decided.json()).toMatchObject({ status: 'approved' });

    await waitFor(
      async () => {
        await fetch(`${warden.url}/admin/functions/fleetGateTimer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        return (await production())?.gates[0]?.state;
      },
      (s) => s === 'Completed',
      { timeoutMs: 20_000, what: 'the gate to complete' },
    );
    await fetch(`${warden.url}/admin/functions/fleetGateTimer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const calls = await get<{ calls: { method: string; path: string }[] }>('/_sim/calls?api=arm');
    expect(
      calls.calls.filter((c) => c.method === 'PATCH' && /\/fleets\/fleet-weu\/gates\//i.test(c.path)),
    ).toHaveLength(1);
    const plans = await get<{ plans: { kind: string; status: string }[] }>('/api/plans?status=succeeded');
    expect(plans.plans.filter((p) => p.kind === 'fleet-gate')).toHaveLength(1);
  }, 120_000);
});

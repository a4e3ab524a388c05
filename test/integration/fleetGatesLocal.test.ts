import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

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
  afterEach(async () => warden?.stop());

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

  test('the demo with two production approvers: a reject stops one run; on the next, email + Teams, two approvals, one PATCH', async () => {
    // The demo policy, asking two of two on-call people in production.
    const policy = readFileSync(resolve(__dirname, '../../local/policy.demo.yaml'), 'utf8')
      .replace('required: { production: 1 }', 'required: { production: 2 }')
      .replace(
        'email: [oncall@contoso.example]',
        'email: [oncall@contoso.example, oncall-2@contoso.example]',
      );
    expect(policy).toContain('oncall-2@contoso.example');
    warden = await startLocalWarden({ timeoutMs: 90_000, env: { WARDEN_POLICY: policy } });
    const post = (path: string, body: unknown) =>
      fetch(`${warden.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
    const get = async <T>(path: string): Promise<T> =>
      (await (await fetch(`${warden.url}${path}`)).json()) as T;
    type FleetRun = Run & { name: string };
    const runs = () => get<FleetRun[]>('/_sim/fleet-runs');
    const atGate = async (name: string) => {
      await waitFor(
        async () => (await runs()).find((r) => r.name === name)?.stages.find((s) => s.name === 'production'),
        (s) => s?.gates[0]?.state === 'Pending',
        { timeoutMs: 60_000, what: `run ${name} at its production gate` },
      );
    };
    type Sent = { channel: string; to: string; subject: string; links: string[] };
    const sent = async (): Promise<Sent[]> => {
      await post('/admin/functions/notificationDispatcher', {});
      return get<Sent[]>('/_local/outbox.json');
    };
    /** The approval requests of the gate plan still waiting, by recipient. */
    const requests = async (count: number) => {
      const open = await waitFor(
        () => get<{ plans: { id: string; kind: string }[] }>('/api/plans?status=awaiting-approval'),
        (l) => l.plans.some((p) => p.kind === 'fleet-gate'),
        { timeoutMs: 20_000, what: 'the gate plan' },
      );
      const planId = open.plans.find((p) => p.kind === 'fleet-gate')?.id ?? '';
      return waitFor(
        async () =>
          (await sent()).filter(
            (m) => m.subject.includes('fleet-weu/production') && m.links.some((l) => l.includes(planId)),
          ),
        (l) => l.length >= count,
        { timeoutMs: 20_000, what: 'the approval requests' },
      );
    };
    const decide = async (link: string, decision: 'approve' | 'reject') => {
      const url = new URL(link);
      const res = await post(url.pathname, { token: url.searchParams.get('token'), decision });
      expect(res.status).toBe(200);
      return ((await res.json()) as { status: string }).status;
    };
    const timer = async () => post('/admin/functions/fleetGateTimer', {});
    const armCalls = async (method: string, path: RegExp) =>
      (await get<{ calls: { method: string; path: string }[] }>('/_sim/calls?api=arm')).calls.filter(
        (c) => c.method === method && path.test(c.path),
      );

    // A first run: on-call rejects at the gate, Warden stops the run and says so.
    const first = (await (await post('/_sim/fleet-runs', { version: '1.36.3' })).json()) as { name: string };
    await atGate(first.name);
    const asked = await requests(3);
    const link = (to: string) =>
      asked
        .find((m) => m.channel === 'email' && m.to === to)
        ?.links.find((l) => l.includes('/api/approvals/')) ?? '';
    expect(await decide(link('oncall-2@contoso.example'), 'reject')).toBe('rejected');
    await waitFor(
      async () => {
        await timer();
        return (await runs()).find((r) => r.name === first.name)?.state;
      },
      (s) => s === 'Stopped',
      { timeoutMs: 20_000, what: 'the first run stopped' },
    );
    expect(await armCalls('POST', /\/updateRuns\/[^/]+\/stop$/i)).toHaveLength(1);
    await waitFor(
      async () => (await sent()).filter((m) => m.subject.includes('Fleet run stopped')),
      (l) => l.some((m) => m.to === 'oncall@contoso.example'),
      { timeoutMs: 20_000, what: 'the stop notice' },
    );

    // A second run: the request goes by email to both and to the production Teams channel; both approve.
    await new Promise((r) => setTimeout(r, 1_100)); // run names carry the second
    const second = (await (await post('/_sim/fleet-runs', { version: '1.36.3' })).json()) as { name: string };
    await atGate(second.name);
    const again = await requests(3);
    expect(again.map((m) => `${m.channel}:${m.to}`).sort()).toEqual(
      expect.arrayContaining([
        'email:oncall-2@contoso.example',
        'email:oncall@contoso.example',
        'teams:production',
      ]),
    );
    const linkOf = (to: string) =>
      again
        .find((m) => m.channel === 'email' && m.to === to)
        ?.links.find((l) => l.includes('/api/approvals/')) ?? '';
    expect(await decide(linkOf('oncall@contoso.example'), 'approve')).toBe('awaiting-approval');
    expect(await armCalls('PATCH', /\/fleets\/fleet-weu\/gates\//i)).toHaveLength(0);
    expect(await decide(linkOf('oncall-2@contoso.example'), 'approve')).toBe('approved');
    await waitFor(
      async () => {
        await timer();
        return (await runs()).find((r) => r.name === second.name)?.stages.find((s) => s.name === 'production')
          ?.gates[0]?.state;
      },
      (s) => s === 'Completed',
      { timeoutMs: 20_000, what: 'the gate completed' },
    );
    await timer();
    expect(await armCalls('PATCH', /\/fleets\/fleet-weu\/gates\//i)).toHaveLength(1);
    expect(await armCalls('POST', /\/updateRuns\/[^/]+\/stop$/i)).toHaveLength(1);
  }, 240_000);
});

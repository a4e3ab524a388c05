import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * The `npm start` demo (its fleet and policy, `waves: { by: [kind, target], tag: team }`): a node image
 * released to every region reaches every production cluster at once, and on-call gets one approval
 * request per team in the outbox, not one per cluster; one decision from the wave's link approves the
 * team's plans.
 */
const IMAGE = '202612.01.0';
let warden: LocalWarden;

beforeAll(async () => {
  warden = await startLocalWarden();
}, 60_000);

afterAll(async () => {
  await warden?.stop();
});

interface PlanJson {
  id: string;
  status: string;
  kind: string;
  nodeImage?: string;
  cluster: { name: string; ring: string; tags: Record<string, string> };
}
interface Sent {
  channel: string;
  to?: string;
  subject?: string;
  text?: string;
}

const get = async <T>(path: string): Promise<T> => (await fetch(`${warden.url}${path}`)).json() as Promise<T>;
const post = (path: string, body?: unknown) =>
  fetch(`${warden.url}${path}`, {
    method: 'POST',
    ...(body !== undefined && {
      body: JSON.stringify(body),
      headers: { 'content-type': 'application/json' },
    }),
  });

const released = (p: PlanJson): boolean =>
  p.kind === 'node-image' && (p.nodeImage ?? '').includes(IMAGE) && p.cluster.ring === 'production';

test('a node image release to production becomes one approval request per team, decided per wave', async () => {
  const release = await post('/_sim/node-images', { family: 'AKSUbuntu-2204gen2containerd', version: IMAGE });
  expect(release.status).toBe(200);
  expect((await post('/api/sweep')).status).toBe(202);
  // The shards plan as they go: wait until the count of released plans stops moving.
  let seen = -1;
  const production = await waitFor(
    async () =>
      (await get<{ plans: PlanJson[] }>('/api/plans?ring=production&limit=1000')).plans.filter(released),
    (plans) => {
      const settled = plans.length === seen && plans.length >= 8;
      seen = plans.length;
      return settled && plans.every((p) => p.status === 'awaiting-approval');
    },
    { what: 'the release planned for the production clusters', timeoutMs: 60_000, intervalMs: 1_500 },
  );
  const teamOf = new Map(production.map((p) => [p.cluster.name, p.cluster.tags.team ?? '']));
  const teams = new Set(teamOf.values());
  expect(teams.size).toBeGreaterThanOrEqual(3);

  // Nothing asked per plan before the wave's assembly; then one request per team.
  expect((await post('/admin/functions/approvalTimer', {})).status).toBe(202);
  expect((await post('/admin/functions/notificationDispatcher', {})).status).toBe(202);
  const requests = await waitFor(
    async () =>
      (await get<Sent[]>('/_local/outbox.json')).filter(
        (m) =>
          m.channel === 'email' && (m.subject ?? '').includes(IMAGE) && / approve /.test(m.subject ?? ''),
      ),
    (m) => m.length >= teams.size,
    { what: 'the approval requests of the release', timeoutMs: 30_000 },
  );
  const perTeam = new Map<string, string[]>();
  for (const m of requests) {
    const subject = m.subject ?? '';
    const team =
      /\(team=([^)]*)\)/.exec(subject)?.[1] ??
      teamOf.get([...teamOf.keys()].find((name) => subject.includes(`${name}:`)) ?? '') ??
      '?';
    perTeam.set(team, [...(perTeam.get(team) ?? []), subject]);
  }
  expect([...perTeam.keys()].sort()).toEqual([...teams].sort());
  for (const [team, subjects] of perTeam)
    expect({ team, subjects: subjects.length }).toEqual({ team, subjects: 1 });
  expect(requests.length).toBeLessThan(production.length);

  // The payments wave: one link, every payments cluster on its page, one decision for all of them.
  const payments = requests.find((m) => (m.subject ?? '').includes('(team=payments)'));
  const link = /(http:\/\/\S+\/api\/waves\/\S+)/.exec(payments?.text ?? '')?.[1] ?? '';
  expect(link).toMatch(/\/api\/waves\/wave-/);
  const paymentsPlans = production.filter((p) => p.cluster.tags.team === 'payments');
  const page = await (await fetch(link, { headers: { accept: 'text/html' } })).text();
  for (const p of paymentsPlans) expect(page).toContain(p.cluster.name);
  const decided = await fetch(link.split('?')[0]!, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ token: new URL(link).searchParams.get('token'), decision: 'approve' }),
  });
  expect(decided.status).toBe(200);
  const outcome = (await decided.json()) as { decided: string[]; skipped: unknown[] };
  expect(outcome.decided.sort()).toEqual(paymentsPlans.map((p) => p.id).sort());
  for (const p of paymentsPlans)
    expect((await get<PlanJson>(`/api/plans/${p.id}`)).status).toMatch(/^(approved|scheduled|running)$/);
}, 180_000);

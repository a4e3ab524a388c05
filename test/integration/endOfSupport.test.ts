import { fixtureText } from '../helpers/fixtures';
import type { LocalWarden } from '../helpers/localWarden';
import { startLocalWarden } from '../helpers/localWarden';
import { waitFor } from '../helpers/waitFor';

/**
 * AKS's end-of-support notices (ScheduledEventEmitted from `EOLNotification`) on `npm start`: the
 * published payloads (test/fixtures/events/ScheduledEventEmitted.eol.*), addressed to demo clusters,
 * in both schemas and with `eventDetails` as an object or as JSON text, raise the cluster's plan to a
 * deadline, tell the owners once per notice, and show on the cluster. The same event again and the
 * weekly repeat change nothing.
 */
let warden: LocalWarden;
const DAY = 86_400_000;

beforeAll(async () => {
  warden = await startLocalWarden();
  const clusters = (await json<unknown[]>('/_sim/clusters')).length;
  await json('/api/sweep', { method: 'POST' });
  await waitFor(
    () => json<{ count: number }>('/api/clusters'),
    (l) => l.count === clusters,
    { what: 'the swept demo fleet' },
  );
});

afterAll(async () => {
  await warden.stop();
});

async function json<T>(path: string, init?: RequestInit): Promise<T> {
  const res = await fetch(`${warden.url}${path}`, init);
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

interface ClusterView {
  id: string;
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  controlPlaneVersion: string;
  findings: { code: string; severity: string; message: string }[];
  timeline: { kind: string; key: string; applies: boolean; notice: { notice: string } }[];
}

/** A fixture addressed to a demo cluster; `details` replaces its eventDetails (object or text). */
async function eolEvent(
  schema: 'eventgrid' | 'cloudevents',
  cluster: string,
  options: { id: string; notice: string; days: number; asText?: boolean; eolDate?: string },
): Promise<{ body: string; contentType: string; eolDate: string }> {
  const c = await json<ClusterView>(`/api/clusters/${cluster}`);
  const text = fixtureText(`events/ScheduledEventEmitted.eol.${schema}.json`)
    .replace(/\{subscription-id\}/g, c.subscriptionId)
    .replace(/\{rg-name\}/g, c.resourceGroup)
    .replace(/\{managedcluster-name\}/g, c.name);
  const event = JSON.parse(text) as Record<string, unknown> & {
    data: { resourceInfo: { properties: Record<string, unknown> } };
  };
  const eolDate =
    options.eolDate ?? new Date(Math.floor((Date.now() + options.days * DAY) / DAY) * DAY).toISOString();
  const details = {
    ...(event.data.resourceInfo.properties.eventDetails as Record<string, unknown>),
    kubernetesVersion: c.controlPlaneVersion,
    eolDate,
    daysUntilEOL: options.days,
  };
  Object.assign(event.data.resourceInfo.properties, {
    description: options.notice,
    eventId: options.id,
    eventDetails: options.asText === true ? JSON.stringify(details) : details,
  });
  event.id = options.id;
  return schema === 'eventgrid'
    ? { body: JSON.stringify([event]), contentType: 'application/json', eolDate }
    : { body: JSON.stringify(event), contentType: 'application/cloudevents+json', eolDate };
}

async function post(e: { body: string; contentType: string }): Promise<{ results: { outcome: string }[] }> {
  return json('/api/aks-events', {
    method: 'POST',
    headers: { 'content-type': e.contentType },
    body: e.body,
  });
}

async function eolNotices(cluster: string): Promise<string[]> {
  const { notifications } = await json<{ notifications: { noticeKey: string; channel: string }[] }>(
    '/api/notifications',
  );
  return [
    ...new Set(
      notifications
        .filter((n) => n.noticeKey.includes(`:${cluster}:`) && n.noticeKey.startsWith('eol:'))
        .map((n) => n.noticeKey),
    ),
  ];
}

interface PlanRow {
  id: string;
  kind: string;
  urgency: string;
  deadline?: string;
  reason: string;
  status: string;
}

const plansOf = async (cluster: string): Promise<PlanRow[]> =>
  (await json<{ plans: PlanRow[] }>(`/api/plans?cluster=${cluster}`)).plans.filter(
    (p) => p.kind !== 'node-image' && !['superseded', 'cancelled', 'rejected', 'expired'].includes(p.status),
  );

test.each([
  ['eventgrid', 'aks-prod-neu-1', false],
  ['eventgrid', 'aks-staging-weu-1', true],
  ['cloudevents', 'aks-legacy-eus', true],
  ['cloudevents', 'aks-prod-eus-2', false],
] as const)(
  '%s schema (%s, eventDetails as text: %s): a deadline plan, one notice, shown on the cluster; again and weekly, nothing more',
  async (schema, cluster, asText) => {
    const twoWeeks = await eolEvent(schema, cluster, {
      id: `eol-${schema}-${cluster}-1`,
      notice: 'KubernetesVersionEOLTwoWeeks',
      days: 14,
      asText,
    });
    expect((await post(twoWeeks)).results).toEqual([expect.objectContaining({ outcome: 'recorded' })]);

    const [plan] = await waitFor(
      () => plansOf(cluster),
      (p) => p.some((x) => x.deadline === twoWeeks.eolDate),
      { what: `${cluster}'s plan raised to the end-of-support date` },
    );
    expect(plan).toMatchObject({ urgency: 'high', deadline: twoWeeks.eolDate });
    expect(await eolNotices(cluster)).toHaveLength(1);

    const view = await json<ClusterView>(`/api/clusters/${cluster}`);
    expect(view.findings).toContainEqual(
      expect.objectContaining({
        code: 'end-of-support',
        message: expect.stringContaining('KubernetesVersionEOLTwoWeeks'),
      }),
    );
    expect(view.timeline).toEqual([
      expect.objectContaining({
        kind: 'end-of-support',
        applies: true,
        notice: expect.objectContaining({ notice: 'KubernetesVersionEOLTwoWeeks' }),
      }),
    ]);
    // The dashboard lists the cluster's first findings: the notice is among them.
    expect(await (await fetch(`${warden.url}/`)).text()).toContain('KubernetesVersionEOLTwoWeeks');

    // The same delivery again, and the same notice under a new id: nothing changes twice.
    expect((await post(twoWeeks)).results).toEqual([expect.objectContaining({ outcome: 'duplicate' })]);
    await post(
      await eolEvent(schema, cluster, {
        id: `eol-${schema}-${cluster}-1b`,
        notice: 'KubernetesVersionEOLTwoWeeks',
        days: 14,
        asText,
      }),
    );
    expect(await eolNotices(cluster)).toHaveLength(1);
    expect((await json<ClusterView>(`/api/clusters/${cluster}`)).timeline).toHaveLength(1);
    expect(await plansOf(cluster)).toEqual([expect.objectContaining({ id: plan?.id, urgency: 'high' })]);

    // Out of support: critical, a second notice; its weekly repeat (same date, a week on) adds nothing.
    const out = await eolEvent(schema, cluster, {
      id: `eol-${schema}-${cluster}-2`,
      notice: 'KubernetesVersionOutOfSupport',
      days: -1,
      asText,
    });
    await post(out);
    await waitFor(
      () => plansOf(cluster),
      (p) => p.some((x) => x.urgency === 'critical' && x.deadline === out.eolDate),
      { what: 'the plan raised to critical' },
    );
    const audit = async (): Promise<number> =>
      (await json<{ audit: unknown[] }>(`/api/plans/${plan?.id ?? ''}`)).audit.length;
    const before = await audit();
    await post(
      await eolEvent(schema, cluster, {
        id: `eol-${schema}-${cluster}-3`,
        notice: 'KubernetesVersionOutOfSupport',
        days: -8,
        eolDate: out.eolDate,
        asText,
      }),
    );
    expect(await audit()).toBe(before);
    expect(await eolNotices(cluster)).toHaveLength(2);
    expect((await json<ClusterView>(`/api/clusters/${cluster}`)).timeline).toHaveLength(2);
  },
);

test('an LTS cluster is held to its LTS date: a Community notice is recorded, not planned or sent', async () => {
  const notice = await eolEvent('eventgrid', 'aks-prod-eus-1', {
    id: 'eol-lts-1',
    notice: 'KubernetesVersionEOLOneWeek',
    days: 7,
  });
  await post(notice);
  const view = await waitFor(
    () => json<ClusterView>('/api/clusters/aks-prod-eus-1'),
    (v) => v.timeline.length > 0,
    { what: 'the notice on the LTS cluster' },
  );
  expect(view.timeline).toEqual([expect.objectContaining({ applies: false })]);
  expect(await eolNotices('aks-prod-eus-1')).toEqual([]);
  expect((await plansOf('aks-prod-eus-1')).some((p) => p.deadline === notice.eolDate)).toBe(false);
});

test('the simulator emits the notice for a demo cluster (POST /_sim/events), and it is planned', async () => {
  const res = await fetch(`${warden.url}/_sim/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      cluster: 'aks-staging-neu-1',
      eventType: 'ScheduledEventEmitted',
      data: { eventSource: 'EOLNotification', eventDetails: { daysUntilEOL: 7 } },
    }),
  });
  expect(res.status).toBe(202);
  await waitFor(
    () => eolNotices('aks-staging-neu-1'),
    (n) => n.length === 1,
    {
      what: 'the notice for the simulated event',
    },
  );
  const view = await json<ClusterView>('/api/clusters/aks-staging-neu-1');
  expect(view.timeline).toEqual([
    expect.objectContaining({ notice: expect.objectContaining({ notice: 'KubernetesVersionEOLOneWeek' }) }),
  ]);
});

test('the next sweep keeps the timeline and its finding', async () => {
  const before = await json<ClusterView & { lastSeen: string }>('/api/clusters/aks-prod-neu-1');
  expect(before.timeline.length).toBeGreaterThan(0);
  const started = await json<{ at: string }>('/api/sweep', { method: 'POST' });
  const after = await waitFor(
    () => json<ClusterView & { lastSeen: string }>('/api/clusters/aks-prod-neu-1'),
    (v) => v.lastSeen >= started.at,
    { what: 'aks-prod-neu-1 swept again' },
  );
  expect(after.timeline).toEqual(before.timeline);
  expect(after.findings.map((f) => f.code)).toContain('end-of-support');
});

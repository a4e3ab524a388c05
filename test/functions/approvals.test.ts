import '../helpers/quietFunctions';

import { HttpRequest, InvocationContext } from '@azure/functions';
import fc from 'fast-check';

import { approvalsHandler } from '../../functions/approvals';
import { plansHandler } from '../../functions/plans';
import { signToken } from '../../shared/approvals/tokens';
import type { ClusterSnapshot } from '../../shared/domain/cluster';
import { proposePlansForCluster } from '../../shared/usecases/proposePlans';
import type { PlanningWorld } from '../helpers/planning';
import { pageServices, planningWorld } from '../helpers/planning';
import { REGION, snapshot } from '../helpers/plans';

const APPROVERS = ['a1@contoso.com', 'a2@contoso.com', 'a3@contoso.com', 'a4@contoso.com', 'a5@contoso.com'];
const policy = (required = 1, approvals = '') => `
gatedRings: [canary]
approvals: { required: { canary: ${required} }, expiry: PT24H ${approvals} }
routes: { canary: { email: [${APPROVERS.join(', ')}] } }
`;
const byEvent = {
  actor: 'warden',
  source: { kind: 'event' as const, eventId: 'ev', eventType: 'NewKubernetesVersionAvailable' },
};
const quiet = () => new InvocationContext({ logHandler: () => {} });

interface Setup {
  readonly w: PlanningWorld;
  readonly planId: string;
  link(approver: string): string;
  token(approver: string): string;
}

async function awaiting(
  w: PlanningWorld,
  s: ClusterSnapshot = snapshot(`aks-canary-${Math.random().toString(36).slice(2, 8)}`, 'canary'),
): Promise<Setup> {
  const [o] = await proposePlansForCluster(w.deps, s, REGION, w.now(), { by: byEvent, reason: 'test' });
  if (o?.status !== 'awaiting-approval')
    throw new Error(`expected awaiting-approval, got ${JSON.stringify(o)}`);
  const planId = o.planId!;
  const plan = (await w.plans.get(planId))!.plan;
  const link = (a: string) => w.deps.links.linkFor(plan, a)!;
  return { w, planId, link, token: (a) => new URL(link(a)).searchParams.get('token')! };
}

/** The handler as deployed; `easyAuth` says whether App Service Authentication is on (WEBSITE_AUTH_ENABLED). */
function handler(w: PlanningWorld, easyAuth = true) {
  return approvalsHandler(() => ({
    plans: w.plans,
    links: w.deps.links,
    approvalKeys: w.keys,
    policy: w.policy,
    now: w.now,
    config: { easyAuth },
  }));
}

function easyAuth(name: string, groups: string[] = []): Record<string, string> {
  const principal = {
    auth_typ: 'aad',
    claims: [{ typ: 'preferred_username', val: name }, ...groups.map((g) => ({ typ: 'groups', val: g }))],
    name_typ: 'preferred_username',
    role_typ: 'roles',
  };
  return {
    'x-ms-client-principal': Buffer.from(JSON.stringify(principal)).toString('base64'),
    'x-ms-client-principal-id': '00000000-0000-0000-0000-00000000abcd',
    'x-ms-client-principal-name': name,
    'x-ms-client-principal-idp': 'aad',
  };
}

async function get(
  w: PlanningWorld,
  planId: string,
  token: string | undefined,
  headers: Record<string, string> = {},
) {
  const r = await handler(w)(
    new HttpRequest({
      method: 'GET',
      url: `http://warden.test/api/approvals/${planId}`,
      params: { planId },
      query: token === undefined ? {} : { token },
      headers,
    }),
    quiet(),
  );
  return {
    status: r.status ?? 200,
    body: (r.body as string | undefined) ?? '',
    headers: new Headers(r.headers),
  };
}

async function post(
  w: PlanningWorld,
  planId: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
  easyAuthOn = true,
) {
  const r = await handler(w, easyAuthOn)(
    new HttpRequest({
      method: 'POST',
      url: `http://warden.test/api/approvals/${planId}`,
      params: { planId },
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'user-agent': 'jest',
        'x-forwarded-for': '10.1.2.3',
        ...headers,
      },
      body: { string: new URLSearchParams(fields).toString() },
    }),
    quiet(),
  );
  return {
    status: r.status ?? 200,
    body: r.jsonBody !== undefined ? JSON.stringify(r.jsonBody) : ((r.body as string | undefined) ?? ''),
    json: r.jsonBody as Record<string, unknown> | undefined,
  };
}

/** The plan's state as a person would compare it: status, sequence, decisions, audit length. */
async function state(w: PlanningWorld, planId: string) {
  const stored = (await w.plans.get(planId))!;
  return {
    status: stored.plan.status,
    seq: stored.plan.seq,
    etag: stored.etag,
    audit: (await w.plans.audit(planId)).length,
  };
}

function tamper(token: string, index: number, value: unknown): string {
  const [v, body, sig] = token.split('.');
  const arr = JSON.parse(Buffer.from(body!, 'base64url').toString()) as unknown[];
  arr[index] = value;
  return `${v}.${Buffer.from(JSON.stringify(arr)).toString('base64url')}.${sig}`;
}

describe('approval page and decision: security', () => {
  test('the page shows the plan, evidence, findings, window and release notes, with a plain POST form; GETs change nothing', async () => {
    const { w, planId, token } = await awaiting(planningWorld(policy()));
    const before = await state(w, planId);
    const page = await get(w, planId, token('a1@contoso.com'));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    expect(page.headers.get('referrer-policy')).toBe('no-referrer');
    expect(page.body).toMatch(/<form method="post" action="\/api\/approvals\//);
    expect(page.body).toContain('value="approve"');
    expect(page.body).toContain('value="reject"');
    expect(page.body).toContain('name="comment"');
    expect(page.body).toMatch(/1\.29\.7 → 1\.29\.9/);
    expect(page.body).toContain('canary is the first ring');
    expect(page.body).toContain('https://github.com/Azure/AKS/releases');
    expect(page.body).toContain('CHANGELOG-1.29.md');
    expect(page.body).not.toMatch(/<script/i);
    // A mail scanner opens the link many times, also with HEAD-like tools.
    for (let i = 0; i < 20; i++) expect((await get(w, planId, token('a1@contoso.com'))).status).toBe(200);
    const head = await handler(w)(
      new HttpRequest({
        method: 'HEAD',
        url: `http://warden.test/api/approvals/${planId}`,
        params: { planId },
        query: { token: token('a1@contoso.com') },
      }),
      quiet(),
    );
    expect(head.status ?? 200).toBe(200);
    expect(await state(w, planId)).toEqual(before);
  });

  test('forged, tampered, expired, other-plan, other-approver and missing tokens: 400/401/403 and no state change', async () => {
    const w = planningWorld(
      policy(1, ', allow: [a1@contoso.com, a2@contoso.com, a3@contoso.com, a4@contoso.com, a5@contoso.com]'),
    );
    const { planId, token } = await awaiting(w);
    const other = await awaiting(w);
    const before = await state(w, planId);
    const good = token('a1@contoso.com');
    const claims = JSON.parse(Buffer.from(good.split('.')[1]!, 'base64url').toString()) as [
      string,
      string,
      string,
      string,
      string,
      number,
      string,
      number,
    ];
    const cases: [string, string | undefined, number, Record<string, string>?][] = [
      ['missing', undefined, 400],
      ['garbage', 'hello', 401],
      ['forged signature', `${good.slice(0, good.lastIndexOf('.'))}.${'A'.repeat(43)}`, 401],
      ['tampered plan id', tamper(good, 0, other.planId), 401],
      ['tampered approver', tamper(good, 1, 'a2@contoso.com'), 401],
      ['tampered target', tamper(good, 2, '1.30.3'), 401],
      ['tampered node image', tamper(good, 3, 'AKSUbuntu-x-202612.01.0'), 401],
      ['tampered window', tamper(good, 4, 'x'), 401],
      ['tampered round', tamper(good, 5, 2), 401],
      ['tampered nonce', tamper(good, 6, 'other'), 401],
      ['tampered expiry', tamper(good, 7, claims[7] + 86_400), 401],
      [
        'signed with another key',
        signToken(
          {
            planId,
            approver: 'a1@contoso.com',
            target: claims[2],
            nodeImage: claims[3],
            window: claims[4],
            round: claims[5],
            requestId: claims[6],
            exp: claims[7],
          },
          { current: Buffer.alloc(32, 7) },
        ),
        401,
      ],
      [
        'expired',
        signToken(
          {
            planId,
            approver: 'a1@contoso.com',
            target: claims[2],
            nodeImage: claims[3],
            window: claims[4],
            round: claims[5],
            requestId: claims[6],
            exp: Math.floor(w.now().getTime() / 1000) - 1,
          },
          w.keys,
        ),
        401,
      ],
      ['other plan', other.token('a1@contoso.com'), 403],
      [
        'not on the allow-list',
        signToken(
          {
            planId,
            approver: 'mallory@contoso.com',
            target: claims[2],
            nodeImage: claims[3],
            window: claims[4],
            round: claims[5],
            requestId: claims[6],
            exp: claims[7],
          },
          w.keys,
        ),
        403,
      ],
      ['signed in as someone else', good, 403, easyAuth('a2@contoso.com')],
      [
        'an earlier round',
        signToken(
          {
            planId,
            approver: 'a1@contoso.com',
            target: claims[2],
            nodeImage: claims[3],
            window: claims[4],
            round: 0,
            requestId: 'old',
            exp: claims[7],
          },
          w.keys,
        ),
        409,
      ],
    ];
    for (const [name, t, status, headers] of cases) {
      const fields: Record<string, string> = { decision: 'approve', comment: name };
      if (t !== undefined) fields.token = t;
      const page = await get(w, planId, t, headers);
      expect([name, 'GET', page.status]).toEqual([name, 'GET', status]);
      expect(page.body).not.toContain('<form');
      const decided = await post(w, planId, fields, headers);
      expect([name, 'POST', decided.status]).toEqual([name, 'POST', status]);
      const asJson = await post(w, planId, fields, { ...headers, accept: 'application/json' });
      expect([name, 'JSON', asJson.status, typeof asJson.json?.error]).toEqual([
        name,
        'JSON',
        status,
        'string',
      ]);
    }
    expect(await state(w, planId)).toEqual(before);
    expect((await post(w, planId, { token: good, decision: 'maybe' })).status).toBe(400);
    expect(
      (await post(w, planId, { token: good, decision: 'approve', comment: 'x'.repeat(20_000) })).status,
    ).toBe(413);
    expect(
      (await post(w, planId, { token: good, decision: 'approve', comment: 'x'.repeat(2_001) })).status,
    ).toBe(400);
    expect(await state(w, planId)).toEqual(before);
    expect((await get(w, 'no-such-plan', good)).status).toBe(403);
  });

  test('the expired page says why; a used link says by whom; a closed plan answers 409', async () => {
    const { w, planId, token } = await awaiting(planningWorld(policy()));
    const t = token('a1@contoso.com');
    const ok = await post(
      w,
      planId,
      { token: t, decision: 'approve', comment: 'ship it' },
      easyAuth('A1@contoso.com'),
    );
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('Approved: ');
    const again = await post(w, planId, { token: t, decision: 'approve' });
    expect(again.status).toBe(409);
    expect(
      (
        await post(
          w,
          planId,
          { token: token('a2@contoso.com'), decision: 'reject' },
          { accept: 'application/json' },
        )
      ).status,
    ).toBe(409);
    const closed = await get(w, planId, t);
    expect(closed.status).toBe(409);
    expect(closed.body).toContain('This plan is approved');
    expect(closed.body).toContain('a1@contoso.com approved');
    const audit = await w.plans.audit(planId);
    expect(audit.at(-1)).toMatchObject({
      event: 'ApprovalGranted',
      actor: 'a1@contoso.com',
      comment: 'ship it',
      source: { kind: 'http', ip: '10.1.2.3', userAgent: 'jest' },
    });

    const later = await awaiting(w);
    w.advance(25 * 3_600_000);
    const expired = await get(w, later.planId, later.token('a1@contoso.com'));
    expect(expired.status).toBe(401);
    expect(expired.body).toContain('This link has expired');
    expect(expired.body).toMatch(/could be used until 2026-11-2\dT/);
  });

  test("the audit's address is the one App Service's front end saw; what the caller wrote in X-Forwarded-For is kept apart, as a claim", async () => {
    const { w, planId, token } = await awaiting(planningWorld(policy(1)));
    // As the front end forwards a caller that wrote X-Forwarded-For itself: CLIENT-IP is the front
    // end's own, and its hop is appended after the caller's claim.
    const r = await post(
      w,
      planId,
      { token: token('a1@contoso.com'), decision: 'approve' },
      { 'x-forwarded-for': '203.0.113.66, 198.51.100.7:50123', 'client-ip': '198.51.100.7:50123' },
    );
    expect(r.status).toBe(200);
    expect((await w.plans.audit(planId)).at(-1)?.source).toEqual({
      kind: 'http',
      ip: '198.51.100.7',
      claimedForwardedFor: '203.0.113.66',
      userAgent: 'jest',
    });
  });

  test('a quorum of two distinct approvers; the same person twice does not count; any reject vetoes', async () => {
    const { w, planId, token } = await awaiting(planningWorld(policy(2)));
    expect((await post(w, planId, { token: token('a1@contoso.com'), decision: 'approve' })).status).toBe(200);
    expect((await w.plans.get(planId))?.plan.status).toBe('awaiting-approval');
    expect((await post(w, planId, { token: token('a1@contoso.com'), decision: 'approve' })).status).toBe(409);
    expect((await post(w, planId, { token: token('a2@contoso.com'), decision: 'approve' })).status).toBe(200);
    expect((await w.plans.get(planId))?.plan.status).toBe('approved');

    const vetoed = await awaiting(w);
    expect(
      (await post(w, vetoed.planId, { token: vetoed.token('a1@contoso.com'), decision: 'approve' })).status,
    ).toBe(200);
    const r = await post(w, vetoed.planId, {
      token: vetoed.token('a2@contoso.com'),
      decision: 'reject',
      comment: 'freeze',
    });
    expect(r.status).toBe(200);
    expect(r.body).toContain('Rejected: ');
    // The page speaks English: "a2 rejected", not "rejectd".
    expect(r.body).toContain('a2@contoso.com rejected. The plan is closed.');
    expect(r.body).toContain('a2@contoso.com rejected at ');
    expect(r.body).toContain('a1@contoso.com approved at ');
    expect(r.body).not.toContain('rejectd');
    expect((await w.plans.get(vetoed.planId))?.plan.status).toBe('rejected');
    // The closed plan's 409 lists the decisions in the same words.
    const closed = await post(w, vetoed.planId, {
      token: vetoed.token('a3@contoso.com'),
      decision: 'approve',
    });
    expect(closed.status).toBe(409);
    expect(closed.body).toContain('a2@contoso.com rejected at ');
    expect(closed.body).not.toContain('rejectd');
  });

  test("without Easy Auth on the app the principal headers are the caller's: a forged group or name changes nothing", async () => {
    const group = '1b4f0d2e-3a5c-4e6f-8a9b-0c1d2e3f4a5b';
    const { w, planId, token } = await awaiting(
      planningWorld(policy(1, `, allow: [a1@contoso.com], groups: [${group}]`)),
    );
    const forgedGroup = await post(
      w,
      planId,
      { token: token('a3@contoso.com'), decision: 'approve' },
      easyAuth('a3@contoso.com', [group]),
      false,
    );
    expect(forgedGroup.status).toBe(403);
    const forgedName = await post(
      w,
      planId,
      { token: token('a1@contoso.com'), decision: 'approve' },
      easyAuth('mallory@contoso.com'),
      false,
    );
    expect(forgedName.status).toBe(200);
    expect((await w.plans.get(planId))!.plan.status).toBe('approved');
  });

  describe('approvals.requireSignIn', () => {
    const signInPolicy = policy(1, ', requireSignIn: true');

    test('the link sends someone not signed in to Entra sign-in and back to the same link, changing nothing', async () => {
      const { w, planId, token } = await awaiting(planningWorld(signInPolicy));
      const before = await state(w, planId);
      const link = `http://warden.test/api/approvals/${planId}?token=${encodeURIComponent(token('a1@contoso.com'))}`;
      const r = await handler(w)(
        new HttpRequest({
          method: 'GET',
          url: link,
          params: { planId },
          query: { token: token('a1@contoso.com') },
        }),
        quiet(),
      );
      expect(r.status).toBe(302);
      const location = new URL(String((r.headers as Record<string, string>).location), 'http://warden.test');
      expect(location.pathname).toBe('/.auth/login/aad');
      expect(location.searchParams.get('post_login_redirect_uri')).toBe(
        new URL(link).pathname + new URL(link).search,
      );
      expect(await state(w, planId)).toEqual(before);
    });

    test('signed in as the approver the page opens and the decision counts; unsigned or as someone else it does not', async () => {
      const { w, planId, token } = await awaiting(planningWorld(signInPolicy));
      expect((await get(w, planId, token('a1@contoso.com'), easyAuth('a1@contoso.com'))).status).toBe(200);
      const before = await state(w, planId);
      const unsigned = await post(w, planId, { token: token('a1@contoso.com'), decision: 'approve' });
      expect(unsigned.status).toBe(401);
      expect(unsigned.body).toContain('Sign in to decide');
      const someoneElse = await post(
        w,
        planId,
        { token: token('a1@contoso.com'), decision: 'approve' },
        easyAuth('a2@contoso.com'),
      );
      expect(someoneElse.status).toBe(403);
      expect(await state(w, planId)).toEqual(before);
      const signed = await post(
        w,
        planId,
        { token: token('a1@contoso.com'), decision: 'approve' },
        easyAuth('a1@contoso.com'),
      );
      expect(signed.status).toBe(200);
      expect((await w.plans.get(planId))!.plan.status).toBe('approved');
    });
  });

  test('an Entra group in the allow-list admits its members when Easy Auth is on', async () => {
    const group = '1b4f0d2e-3a5c-4e6f-8a9b-0c1d2e3f4a5b';
    const { w, planId, token } = await awaiting(
      planningWorld(policy(1, `, allow: [someone@contoso.com], groups: [${group}]`)),
    );
    expect((await post(w, planId, { token: token('a3@contoso.com'), decision: 'approve' })).status).toBe(403);
    expect(
      (
        await post(
          w,
          planId,
          { token: token('a3@contoso.com'), decision: 'approve' },
          easyAuth('a3@contoso.com', [group]),
        )
      ).status,
    ).toBe(200);
  });

  test.each([1, 3])(
    '50 concurrent approve/reject POSTs (quorum %i): one consistent outcome, an audit row per accepted decision',
    async (required) => {
      const { w, planId, token } = await awaiting(planningWorld(policy(required)));
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) => {
          const approver = APPROVERS[i % APPROVERS.length]!;
          const decision = i % 7 === 3 ? 'reject' : 'approve';
          return post(
            w,
            planId,
            { token: token(approver), decision, comment: `click ${i}` },
            { accept: 'application/json' },
          ).then((r) => ({ ...r, approver, decision }));
        }),
      );
      expect(results.every((r) => r.status === 200 || r.status === 409)).toBe(true);
      const accepted = results.filter((r) => r.status === 200);
      const plan = (await w.plans.get(planId))!.plan;
      const decisions = plan.approval!.decisions;
      expect(decisions).toHaveLength(accepted.length);
      expect(new Set(decisions.map((d) => d.approver)).size).toBe(decisions.length);
      const rejected = decisions.some((d) => d.decision === 'reject');
      expect(plan.status).toBe(rejected ? 'rejected' : 'approved');
      if (!rejected) expect(decisions.filter((d) => d.decision === 'approve')).toHaveLength(required);
      if (rejected) expect(decisions.at(-1)?.decision).toBe('reject');
      const audit = (await w.plans.audit(planId)).filter(
        (a) => a.event === 'ApprovalGranted' || a.event === 'ApprovalRejected',
      );
      expect(audit).toHaveLength(accepted.length);
      expect(audit.map((a) => a.actor).sort()).toEqual(accepted.map((r) => r.approver).sort());
    },
  );

  test('XSS through cluster names, tags and comments is escaped on every page and in JSON', async () => {
    const evil = '<script>alert(1)</script>';
    const s = {
      ...snapshot('aks-canary-x', 'canary'),
      name: `aks"><img src=x onerror=alert(1)>`,
      tags: { environment: 'canary', team: evil, [`"><svg onload=alert(1)>`]: 'x' },
    };
    const { w, planId, token } = await awaiting(planningWorld(policy(2)), s);
    const pages = [(await get(w, planId, token('a1@contoso.com'))).body];
    const decided = await post(w, planId, {
      token: token('a1@contoso.com'),
      decision: 'approve',
      comment: `${evil}<b>bold</b>`,
    });
    pages.push(decided.body);
    pages.push((await get(w, planId, token('a1@contoso.com'))).body);
    pages.push(
      (await post(w, planId, { token: token('a2@contoso.com'), decision: 'reject', comment: evil })).body,
    );
    pages.push((await get(w, planId, token('a3@contoso.com'))).body);
    for (const body of pages) {
      expect(body).not.toContain('<script>alert');
      expect(body).not.toContain('<img src=x');
      expect(body).not.toContain('<svg onload');
      expect(body).not.toContain('<b>bold');
    }
    expect(pages.join('')).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    const api = await plansHandler(() => pageServices(w))(
      new HttpRequest({ method: 'GET', url: `http://warden.test/api/plans/${planId}`, params: { planId } }),
      quiet(),
    );
    expect(api.headers).toMatchObject({ 'cache-control': 'no-store' });
    expect(JSON.stringify(api.jsonBody)).toContain('<script>alert(1)</script>');
    expect((api.jsonBody as { audit: unknown[] }).audit.length).toBeGreaterThan(2);
  });
});

describe('an approval is bound to the window', () => {
  test('a new maintenance window voids the approvals given and sends a new request; old links answer 409', async () => {
    const w = planningWorld(policy(2));
    const s = snapshot('aks-canary-win', 'canary');
    const { planId, token } = await awaiting(w, s);
    expect((await post(w, planId, { token: token('a1@contoso.com'), decision: 'approve' })).status).toBe(200);
    const old = token('a2@contoso.com');

    const withWindow = {
      ...s,
      maintenanceConfigurations: [
        {
          name: 'aksManagedAutoUpgradeSchedule',
          properties: {
            maintenanceWindow: {
              schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
              durationHours: 4,
              startTime: '02:00',
              utcOffset: '+00:00',
              startDate: '2026-01-01',
            },
          },
        },
      ],
    };
    const [o] = await proposePlansForCluster(w.deps, withWindow, REGION, w.now(), {
      by: byEvent,
      reason: 'sweep',
    });
    expect(o).toMatchObject({ outcome: 'window-changed', planId });
    const plan = (await w.plans.get(planId))!.plan;
    expect(plan).toMatchObject({
      status: 'awaiting-approval',
      window: { source: 'aks' },
      approval: { round: 2, decisions: [] },
    });
    const stale = await post(w, planId, { token: old, decision: 'approve' });
    expect(stale.status).toBe(409);
    expect(stale.body).toContain('earlier request');
    const fresh = w.deps.links.linkFor(plan, 'a2@contoso.com')!;
    expect((await get(w, planId, new URL(fresh).searchParams.get('token')!)).body).toContain('Saturday');
    const requests = (await w.outbox.list({ cluster: 'aks-canary-win' })).filter(
      (r) => r.kind === 'approval-requested',
    );
    expect(new Set(requests.map((r) => r.noticeKey)).size).toBe(2);
  });
});

describe('arbitrary input to the approval routes', () => {
  /** A valid token with one character changed, cut short, or its parts reordered; never the token itself. */
  const spoiled = (valid: string) =>
    fc
      .oneof(
        fc.tuple(fc.nat(), fc.string({ minLength: 1, maxLength: 1 })).map(([i, ch]) => {
          const at = i % valid.length;
          return valid.slice(0, at) + ch + valid.slice(at + 1);
        }),
        fc.nat().map((n) => valid.slice(0, n % valid.length)),
        fc.constant(valid.split('.').reverse().join('.')),
        fc.string().map((s) => `${valid}${s}`),
        fc.string(),
      )
      // decideApproval trims the token on purpose (a link pasted with a space still works), so the valid
      // token with whitespace around it is not spoiled.
      .filter((t) => t.trim() !== valid);

  it('a spoiled token or a bad decision gets 4xx and changes nothing, whatever the fields', async () => {
    const s = await awaiting(planningWorld(policy(2)));
    const valid = s.token('a1@contoso.com');
    const before = await state(s.w, s.planId);
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({ token: spoiled(valid), decision: fc.constantFrom('approve', 'reject') }),
          fc.record({
            token: fc.constant(valid),
            decision: fc.string().filter((d) => d !== 'approve' && d !== 'reject'),
          }),
        ),
        fc.string({ maxLength: 300 }),
        fc.constantFrom(
          'application/x-www-form-urlencoded',
          'application/json',
          'text/plain',
          'multipart/form-data',
        ),
        async (fields, comment, contentType) => {
          const viewed = await get(s.w, s.planId, fields.token);
          expect([200, 400, 401, 403, 404, 409]).toContain(viewed.status);
          const r = await post(s.w, s.planId, { ...fields, comment }, { 'content-type': contentType });
          expect([400, 401, 403, 404, 409, 413, 415]).toContain(r.status);
        },
      ),
      { numRuns: 60 },
    );
    expect(await state(s.w, s.planId)).toEqual(before);
    // And the link still works afterwards.
    expect((await post(s.w, s.planId, { token: valid, decision: 'approve' })).status).toBe(200);
  });
});

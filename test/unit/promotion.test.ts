import fc from 'fast-check';

import type { RingPlanRecord } from '../../shared/domain/promotion';
import { needsLowerRingClusters, promotionEvidence } from '../../shared/domain/promotion';

const DAY = 86_400_000;
const now = new Date('2026-11-25T12:00:00Z');
const rec = (over: Partial<RingPlanRecord>): RingPlanRecord => ({
  planId: 'p',
  clusterName: 'aks-staging-1',
  ring: 'staging',
  to: '1.30.3',
  status: 'succeeded',
  succeededAt: '2026-11-10T00:00:00Z',
  ...over,
});

describe('promotion: given the plans to a version in the ring below', () => {
  test('canary needs nothing', () => {
    expect(promotionEvidence('canary', '1.30.3', [], 0, now)).toMatchObject({ allowed: true });
  });
  test('no plan there yet: wait', () => {
    const e = promotionEvidence('production', '1.30.3', [], 7 * DAY, now);
    expect(e).toMatchObject({ allowed: false, lowerRing: 'staging' });
    expect(e.reason).toMatch(/no plan to 1.30.3 has succeeded in staging/);
  });
  test('every plan succeeded and the first success is older than the soak: allowed, with evidence', () => {
    const e = promotionEvidence(
      'production',
      '1.30.3',
      [rec({ planId: 'a' }), rec({ planId: 'b', succeededAt: '2026-11-20T00:00:00Z' })],
      7 * DAY,
      now,
    );
    expect(e.allowed).toBe(true);
    expect(e.firstSuccessAt).toBe('2026-11-10T00:00:00Z');
    expect(e.plans.map((p) => p.planId)).toEqual(['a', 'b']);
    // The reason is read later, in an email: an absolute time, never "… ago".
    expect(e.reason).toContain('the first since 2026-11-10 00:00 UTC (soak 7 d)');
    expect(e.reason).not.toMatch(/ ago\b/);
  });
  test('still soaking', () => {
    const e = promotionEvidence(
      'production',
      '1.30.3',
      [rec({ succeededAt: '2026-11-24T12:00:00Z' })],
      7 * DAY,
      now,
    );
    expect(e.allowed).toBe(false);
    expect(e.reason).toMatch(/soaked 1 d of 7 d in staging/);
  });
  test('a ring of thousands is named by its first ten clusters and how many more, in every reason', () => {
    const many = (status: RingPlanRecord['status']) =>
      Array.from({ length: 1237 }, (_, i) =>
        rec({
          planId: `p${i}`,
          clusterName: `aks-staging-${i}`,
          status,
          ...(status === 'failed' && { failedAt: '2026-11-20T00:00:00Z' }),
        }),
      );
    const open = promotionEvidence('production', '1.30.3', many('approved'), 7 * DAY, now);
    expect(open.reason).toBe(
      `1237 plan(s) to 1.30.3 in staging have not finished (${Array.from({ length: 10 }, (_, i) => `aks-staging-${i}`).join(', ')} and 1227 more)`,
    );
    const failed = promotionEvidence('production', '1.30.3', many('failed'), 7 * DAY, now);
    expect(failed.reason).toMatch(
      /^1237 plan\(s\) to 1\.30\.3 failed in staging \(aks-staging-0, .*aks-staging-9 and 1227 more\)$/,
    );
    const some = promotionEvidence('production', '1.30.3', many('approved').slice(0, 10), 7 * DAY, now);
    expect(some.reason).toMatch(/\(aks-staging-0, .*, aks-staging-9\)$/);
  });
  test('a failure blocks, whenever it happened', () => {
    const e = promotionEvidence(
      'production',
      '1.30.3',
      [rec({}), rec({ planId: 'x', status: 'failed', failedAt: '2026-11-20T00:00:00Z' })],
      7 * DAY,
      now,
    );
    expect(e.allowed).toBe(false);
    expect(e.reason).toMatch(/failed in staging/);
  });
  test('an unfinished plan blocks; plans that never ran do not count', () => {
    expect(
      promotionEvidence(
        'production',
        '1.30.3',
        [rec({}), rec({ planId: 'y', status: 'approved', succeededAt: undefined })],
        7 * DAY,
        now,
      ).allowed,
    ).toBe(false);
    expect(
      promotionEvidence(
        'production',
        '1.30.3',
        [rec({}), rec({ planId: 'y', status: 'rejected', succeededAt: undefined })],
        7 * DAY,
        now,
      ).allowed,
    ).toBe(true);
  });
  test('other versions and other rings say nothing', () => {
    expect(
      promotionEvidence('production', '1.30.3', [rec({ to: '1.30.1' }), rec({ ring: 'dev' })], 7 * DAY, now)
        .allowed,
    ).toBe(false);
  });
  test('fleet history: a lower-ring cluster seen running the version counts from when it was first seen', () => {
    const seen = rec({ planId: 'obs:x', status: 'observed', succeededAt: '2026-11-20T00:00:00Z' });
    expect(promotionEvidence('production', '1.30.3', [seen], 7 * DAY, now).allowed).toBe(false);
    expect(promotionEvidence('production', '1.30.3', [seen], 5 * DAY, now)).toMatchObject({
      allowed: true,
      firstSuccessAt: '2026-11-20T00:00:00Z',
    });
  });
  test('plans still waiting for their own promotion in the lower ring do not block', () => {
    const waiting = rec({ planId: 'w', status: 'proposed', succeededAt: undefined });
    expect(promotionEvidence('production', '1.30.3', [rec({}), waiting], 7 * DAY, now).allowed).toBe(true);
  });

  test('a lower ring that already moved past the version stops blocking after the soak, counted from its last cluster', () => {
    const ahead = [
      { clusterName: 'c1', version: '1.31.2', since: '2026-11-20T00:00:00Z' },
      { clusterName: 'c2', version: '1.30.5', since: '2026-11-24T12:00:00Z' },
    ];
    const soaking = promotionEvidence('production', '1.30.3', [], 2 * DAY, now, { lowerRingClusters: ahead });
    expect(soaking).toMatchObject({ allowed: false, firstSuccessAt: '2026-11-24T12:00:00Z' });
    expect(soaking.reason).toMatch(/runs a newer version/);
    expect(
      promotionEvidence('production', '1.30.3', [], 1 * DAY, now, { lowerRingClusters: ahead }).allowed,
    ).toBe(true);
    const oneBehind = [...ahead, { clusterName: 'c3', version: '1.30.1', since: '2026-11-01T00:00:00Z' }];
    expect(
      promotionEvidence('production', '1.30.3', [], 0, now, { lowerRingClusters: oneBehind }).allowed,
    ).toBe(false);
    expect(promotionEvidence('production', '1.30.3', [], 0, now, { lowerRingClusters: [] }).allowed).toBe(
      false,
    );
  });
});

describe('promotion: when what the lower ring runs matters', () => {
  const statuses = ['succeeded', 'failed', 'observed', 'approved', 'running', 'proposed', 'cancelled'];
  const record = fc.record({
    planId: fc.constantFrom('a', 'b', 'c'),
    clusterName: fc.constantFrom('aks-staging-1', 'aks-staging-2'),
    ring: fc.constantFrom('dev' as const, 'staging' as const),
    to: fc.constantFrom('1.30.3', '1.30.1'),
    status: fc.constantFrom(...statuses),
    succeededAt: fc.option(fc.constantFrom('2026-11-10T00:00:00Z', '2026-11-24T00:00:00Z'), {
      nil: undefined,
    }),
  });
  const cluster = fc.record({
    clusterName: fc.constantFrom('aks-staging-1', 'aks-staging-2'),
    version: fc.constantFrom('1.30.1', '1.30.3', '1.31.2'),
    since: fc.constantFrom('2026-11-01T00:00:00Z', '2026-11-25T11:00:00Z'),
  });
  const clean = (r: RingPlanRecord): RingPlanRecord =>
    r.succeededAt === undefined ? (({ succeededAt: _, ...rest }) => rest)(r) : r;

  test('when the plans decide alone, the answer is the same whatever the lower ring runs', () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 5 }), fc.array(cluster, { maxLength: 4 }), (raw, below) => {
        const plans = raw.map(clean);
        const without = promotionEvidence('production', '1.30.3', plans, 7 * DAY, now);
        const withClusters = promotionEvidence('production', '1.30.3', plans, 7 * DAY, now, {
          lowerRingClusters: below,
        });
        if (!needsLowerRingClusters('staging', '1.30.3', plans)) expect(withClusters).toEqual(without);
      }),
    );
  });

  test('no plan there, or only plans that never ran: the lower ring is needed', () => {
    expect(needsLowerRingClusters('staging', '1.30.3', [])).toBe(true);
    expect(needsLowerRingClusters('staging', '1.30.3', [rec({ status: 'proposed' })])).toBe(true);
    expect(needsLowerRingClusters('staging', '1.30.3', [rec({ to: '1.30.1' })])).toBe(true);
    expect(needsLowerRingClusters('staging', '1.30.3', [rec({})])).toBe(false);
    expect(needsLowerRingClusters('staging', '1.30.3', [rec({ status: 'approved' })])).toBe(false);
  });
});

import type { Plan } from '../../shared/domain/plan';
import { nextRunnerRun } from '../../shared/domain/runner';
import { renderPlanPage, whatNext } from '../../shared/web/planPage';
import { absoluteTime, duration, relativeTime, whenText } from '../../shared/web/times';
import { proposed } from '../helpers/plans';

const NOW = new Date('2026-12-04T23:00:00Z');
const text = (plan: Plan, now = NOW): string =>
  whatNext(plan, now)
    .text.value.replace(/<[^>]+>/g, '')
    .replace(/\s+/g, ' ')
    .trim();

describe('times as people read them', () => {
  test('absolute with the zone; the year only when it is not the reader’s', () => {
    expect(absoluteTime('2026-12-05T02:00:00Z', NOW)).toBe('Sat 5 Dec 02:00 UTC');
    expect(absoluteTime('2027-01-02T02:00:00Z', NOW)).toBe('Sat 2 Jan 2027 02:00 UTC');
    expect(absoluteTime('2026-12-05T02:00:07Z')).toBe('Sat 5 Dec 2026 02:00 UTC');
    expect(absoluteTime('2026-12-05T02:00:07Z', NOW, true)).toBe('Sat 5 Dec 02:00:07 UTC');
    expect(absoluteTime('not a time', NOW)).toBe('not a time');
  });

  test('relative in the largest units that matter', () => {
    expect(whenText('2026-12-05T02:00:00Z', NOW)).toBe('Sat 5 Dec 02:00 UTC, in 3 h');
    expect(relativeTime('2026-12-04T22:46:00Z', NOW)).toBe('14 min ago');
    expect(relativeTime('2026-12-04T23:00:02Z', NOW)).toBe('now');
    expect(duration(5_000)).toBe('5 s');
    expect(duration(200 * 60_000)).toBe('3 h 20 min');
    expect(duration(52 * 3_600_000)).toBe('2 d 4 h');
  });
});

describe('what the plan page says happens next', () => {
  test('a proposed plan soaking in the ring below says how far it is', () => {
    const plan: Plan = {
      ...proposed(),
      evidence: {
        ring: 'production',
        lowerRing: 'staging',
        version: '1.29.9',
        allowed: false,
        reason: '1.29.9 has soaked 5 s of 30 s in staging',
        soakMs: 30_000,
        firstSuccessAt: '2026-12-04T22:59:55Z',
        plans: [
          { planId: 'p0', clusterName: 'aks-staging-1', status: 'succeeded', at: '2026-12-04T22:59:55Z' },
        ],
        checkedAt: '2026-12-04T23:00:00Z',
      },
    };
    expect(text(plan)).toBe(
      'Soaking in staging: 5 s of 30 s, done Fri 4 Dec 23:00 UTC, in 25 s. Then on-call is asked to approve.',
    );
  });

  test('a plan awaiting approval names who may still decide and when the request expires', () => {
    const plan: Plan = {
      ...proposed(),
      status: 'awaiting-approval',
      approval: {
        round: 1,
        requestId: 'r',
        requestedAt: '2026-12-04T22:00:00Z',
        expiresAt: '2026-12-05T22:00:00Z',
        approvers: ['oncall@contoso.com', 'second@contoso.com'],
        decisions: [],
      },
    };
    expect(text(plan)).toMatch(
      /^Waits for 1 more approval from oncall@contoso\.com, second@contoso\.com .*expires Sat 5 Dec 22:00 UTC, in 23 h\.$/,
    );
  });

  test('a scheduled plan says when its window opens, in the reader’s terms', () => {
    const plan: Plan = {
      ...proposed(),
      status: 'scheduled',
      window: {
        source: 'policy',
        description: 'every week on Saturday at 02:00 UTC+00:00 for 4 h',
        start: '2026-12-05T02:00:00Z',
        end: '2026-12-05T06:00:00Z',
      },
    };
    expect(text(plan)).toMatch(
      /^Scheduled: waits for the window opening Sat 5 Dec 02:00 UTC, in 3 h \(every week/,
    );
  });

  test('a running plan says which step, of how many, since when', () => {
    const base = proposed();
    const plan: Plan = {
      ...base,
      status: 'running',
      steps: base.steps.map((s, i) =>
        i === 0
          ? {
              ...s,
              status: 'succeeded',
              startedAt: '2026-12-04T22:30:00Z',
              finishedAt: '2026-12-04T22:46:00Z',
            }
          : { ...s, status: 'running', startedAt: '2026-12-04T22:46:00Z' },
      ),
    };
    expect(text(plan)).toMatch(/^Running step 2 of 2, pool system 1\.29\.7 → 1\.29\.9, since 14 min\./);
    const page = renderPlanPage({ plan, audit: [], events: [], notices: [] }, NOW);
    expect(page).toContain('16 min');
    expect(page).toContain('14 min so far');
  });

  test('a failed plan says at which step and why, and that nothing more runs', () => {
    const plan: Plan = { ...proposed(), status: 'failed', failure: { step: 1, reason: 'QuotaExceeded' } };
    expect(text(plan)).toMatch(/^Failed at step 2: QuotaExceeded\. Nothing more runs/);
  });

  test('the runner’s next run is 5 s past the next minute', () => {
    expect(nextRunnerRun(new Date('2026-12-04T23:01:10Z')).toISOString()).toBe('2026-12-04T23:02:05.000Z');
    expect(nextRunnerRun(new Date('2026-12-04T23:02:00Z')).toISOString()).toBe('2026-12-04T23:02:05.000Z');
    expect(nextRunnerRun(new Date('2026-12-04T23:02:05Z')).toISOString()).toBe('2026-12-04T23:03:05.000Z');
  });
});

import { randomBytes } from 'node:crypto';

import { checkDefer, checkPlanAction, signDefer, signPlanAction } from '../../shared/approvals/actionTokens';
import type { Plan, PlanStep } from '../../shared/domain/plan';
import {
  backoffMs,
  deprecatedApisOf,
  handleFailure,
  stepState,
  stepWindow,
} from '../../shared/domain/runner';
import { deferTarget } from '../../shared/usecases/deferUpgrade';
import { clusterQueue } from '../../shared/usecases/runUpgrades';
import { proposed } from '../helpers/plans';

/** The runner's pure decisions: windows per step, ARM-only resume rules, failure handling, signed action links. */

const weekly = {
  name: 'aksManagedAutoUpgradeSchedule',
  properties: {
    maintenanceWindow: {
      schedule: { weekly: { intervalWeeks: 1, dayOfWeek: 'Saturday' } },
      durationHours: 4,
      startDate: '2026-01-01',
      startTime: '02:00',
      utcOffset: '+00:00',
    },
  },
};
const policy = { windows: {}, minimumWindowRemainingMs: 3_600_000 };
const at = (iso: string): Date => new Date(iso);

describe('stepWindow', () => {
  test('inside the AKS window with more than the minimum left: a step may start', () => {
    const w = stepWindow([weekly], 'minor', 'production', policy, at('2026-11-28T04:59:00Z'));
    expect(w.canStart).toBe(true);
    expect(w.window.source).toBe('aks');
  });

  test('59 minutes before the end it waits, and shows the next opening', () => {
    const w = stepWindow([weekly], 'minor', 'production', policy, at('2026-11-28T05:01:00Z'));
    expect(w.canStart).toBe(false);
    expect(w.window.start).toBe('2026-12-05T02:00:00.000Z');
    expect(w.window.end).toBe('2026-12-05T06:00:00.000Z');
  });

  test('no AKS configuration: the policy window for the ring; none at all: any time', () => {
    const withPolicy = {
      windows: {
        production: { days: ['Sunday'], startTime: '03:00', durationHours: 4, utcOffset: '+00:00' },
      },
      minimumWindowRemainingMs: 3_600_000,
    };
    const w = stepWindow([], 'patch', 'production', withPolicy, at('2026-11-25T12:00:00Z'));
    expect(w).toMatchObject({
      canStart: false,
      window: { source: 'policy', start: '2026-11-29T03:00:00.000Z' },
    });
    expect(stepWindow([], 'patch', 'production', policy, at('2026-11-25T12:00:00Z'))).toMatchObject({
      canStart: true,
      window: { source: 'none' },
    });
  });

  test('an unreadable applicable configuration is closed, never the policy window', () => {
    const broken = {
      name: 'aksManagedAutoUpgradeSchedule',
      properties: { maintenanceWindow: { durationHours: 4 } },
    };
    const withPolicy = {
      windows: { production: { days: [], startTime: '00:00', durationHours: 24, utcOffset: '+00:00' } },
      minimumWindowRemainingMs: 3_600_000,
    };
    const w = stepWindow([broken], 'minor', 'production', withPolicy, at('2026-11-28T03:00:00Z'));
    expect(w.canStart).toBe(false);
    expect(w.problem).toBeDefined();
    expect(w.window.description).toMatch(/^closed: unreadable maintenance configuration/);
  });

  test('node-image plans follow the node-OS schedule', () => {
    const nodeOs = { ...weekly, name: 'aksManagedNodeOSUpgradeSchedule' };
    const daily = {
      name: 'aksManagedNodeOSUpgradeSchedule',
      properties: {
        maintenanceWindow: {
          ...weekly.properties.maintenanceWindow,
          schedule: { daily: { intervalDays: 1 } },
        },
      },
    };
    expect(
      stepWindow([weekly, daily], 'node-image', 'production', policy, at('2026-11-25T03:00:00Z')).canStart,
    ).toBe(true);
    expect(
      stepWindow([nodeOs], 'node-image', 'production', policy, at('2026-11-25T03:00:00Z')).canStart,
    ).toBe(false);
  });
});

describe('stepState: resume rules from ARM alone', () => {
  const cp: PlanStep = { kind: 'control-plane', from: '1.29.7', to: '1.30.3', status: 'running' };
  const pool: PlanStep = {
    kind: 'node-pool',
    pool: 'system',
    mode: 'System',
    from: '1.29.7',
    to: '1.29.9',
    status: 'running',
  };
  const image: PlanStep = {
    kind: 'node-image',
    pool: 'system',
    mode: 'System',
    from: 'AKSUbuntu-2204gen2containerd-202510.01.0',
    to: 'AKSUbuntu-2204gen2containerd-202511.10.0',
    status: 'running',
  };
  test.each([
    [
      'not requested: desired is still the old version',
      cp,
      { desired: '1.29.7', current: '1.29.7', provisioningState: 'Succeeded' },
      'not-requested',
    ],
    [
      'requested, upgrading',
      cp,
      { desired: '1.30.3', current: '1.29.7', provisioningState: 'Upgrading' },
      'in-flight',
    ],
    [
      'done while we were down',
      cp,
      { desired: '1.30.3', current: '1.30.3', provisioningState: 'Succeeded' },
      'done',
    ],
    [
      'failed after our request',
      cp,
      { desired: '1.30.3', current: '1.29.7', provisioningState: 'Failed' },
      'failed',
    ],
    [
      'a major.minor desired value is not a patch target',
      pool,
      { desired: '1.29', current: '1.29.7', provisioningState: 'Succeeded' },
      'not-requested',
    ],
    [
      'pool in flight',
      pool,
      { desired: '1.29.9', current: '1.29.7', provisioningState: 'Upgrading' },
      'in-flight',
    ],
    [
      'image upgrading',
      image,
      { desired: '', current: image.from, provisioningState: 'UpgradingNodeImageVersion' },
      'in-flight',
    ],
    [
      'image reached (or newer)',
      image,
      { desired: '', current: 'AKSUbuntu-2204gen2containerd-202511.12.0', provisioningState: 'Succeeded' },
      'done',
    ],
    [
      'image not requested',
      image,
      { desired: '', current: image.from, provisioningState: 'Succeeded' },
      'not-requested',
    ],
  ] as const)('%s', (_name, step, seen, expected) => {
    expect(stepState(step, seen)).toBe(expected);
  });

  test('a desired value that moved since the intent write counts as requested', () => {
    const withBefore: PlanStep = { ...pool, desiredBefore: '1.29' };
    expect(
      stepState(withBefore, { desired: '1.29.8', current: '1.29.7', provisioningState: 'Upgrading' }),
    ).toBe('in-flight');
  });
});

describe('handleFailure', () => {
  const now = at('2026-11-28T03:00:00Z');
  const message =
    'Control Plane upgrade is blocked due to recent usage of a Kubernetes API deprecated in the specified version. Usage details: 2 errors occurred:\n' +
    '\t* usage has been detected on API flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list, and was recently seen at: 2026-11-28 02:00:00 +0000 UTC, which will be removed in 1.32\n' +
    '\t* usage has been detected on API policy.v1beta1.poddisruptionbudgets.list, and was recently seen at: 2026-11-28 01:00:00 +0000 UTC, which will be removed in 1.32\n';

  test('the deprecated-API block lists the APIs', () => {
    expect(
      handleFailure(
        { status: 400, code: 'ValidationError', subcode: 'UpgradeBlockedOnDeprecatedAPIUsage', message },
        1,
        now,
      ),
    ).toEqual({
      kind: 'blocked',
      reason: 'AKS blocked the upgrade on recent deprecated API usage',
      deprecatedApis: [
        'flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list',
        'policy.v1beta1.poddisruptionbudgets.list',
      ],
    });
    expect(deprecatedApisOf('nothing here')).toEqual([]);
  });

  test('409 OperationNotAllowed retries later; 429 and 5xx back off honouring Retry-After; 404 is gone; other 400 fails', () => {
    expect(handleFailure({ status: 409, code: 'OperationNotAllowed', message: 'busy' }, 1, now)).toEqual({
      kind: 'retry-later',
      reason: 'busy',
      notBefore: at('2026-11-28T03:05:00Z'),
    });
    expect(handleFailure({ status: 429, message: 'slow down', retryAfterMs: 90_000 }, 1, now)).toMatchObject({
      kind: 'back-off',
      notBefore: at('2026-11-28T03:01:30Z'),
    });
    expect(handleFailure({ status: 503, message: 'x' }, 3, now)).toMatchObject({
      kind: 'back-off',
      notBefore: at('2026-11-28T03:02:00Z'),
    });
    expect(handleFailure({ status: 404, message: 'gone' }, 1, now).kind).toBe('gone');
    expect(handleFailure({ status: 400, code: 'VersionNotSupported', message: 'no' }, 1, now)).toEqual({
      kind: 'failed',
      reason: 'no',
    });
  });

  test('backoff doubles from 30 s and stops at 30 min', () => {
    expect([1, 2, 3, 7, 20].map((a) => backoffMs(a))).toEqual([
      30_000, 60_000, 120_000, 1_800_000, 1_800_000,
    ]);
  });
});

describe('signed action links', () => {
  const keys = { current: randomBytes(32) };
  const now = at('2026-11-28T03:00:00Z');
  const base = proposed();
  const blocked: Plan = {
    ...base,
    status: 'blocked',
    blocked: {
      step: 0,
      reason: 'x',
      deprecatedApis: ['a.v1.b.list'],
      at: now.toISOString(),
      requestId: 'req-1',
    },
  };

  test('a force-upgrade link is valid for this block only', () => {
    const token = signPlanAction('force-upgrade', blocked, 'Oncall@contoso.com', keys, now) ?? '';
    expect(checkPlanAction('force-upgrade', blocked, token, keys, now)).toMatchObject({
      ok: true,
      claims: { approver: 'oncall@contoso.com' },
    });
    const reblocked = { ...blocked, blocked: { ...blocked.blocked!, requestId: 'req-2' } };
    expect(checkPlanAction('force-upgrade', reblocked, token, keys, now)).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(
      checkPlanAction('force-upgrade', { ...blocked, status: 'approved' }, token, keys, now),
    ).toMatchObject({
      ok: false,
      status: 409,
    });
    expect(checkPlanAction('force-upgrade', blocked, `${token.slice(0, -2)}xx`, keys, now)).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(checkPlanAction('force-upgrade', blocked, token, keys, at('2026-11-30T03:00:00Z'))).toMatchObject({
      ok: false,
      status: 401,
    });
    expect(checkPlanAction('abort', blocked, token, keys, now)).toMatchObject({ ok: false, status: 409 });
  });

  test('an abort link names the running step; none is issued without one', () => {
    expect(signPlanAction('abort', base, 'lead@contoso.com', keys, now)).toBeUndefined();
    const running: Plan = {
      ...base,
      status: 'running',
      steps: base.steps.map((s, i) =>
        i === 0 ? { ...s, status: 'running' as const, startedAt: now.toISOString() } : s,
      ),
    };
    const token = signPlanAction('abort', running, 'lead@contoso.com', keys, now) ?? '';
    expect(checkPlanAction('abort', running, token, keys, now).ok).toBe(true);
    expect(checkPlanAction('abort', { ...running, id: 'other' }, token, keys, now)).toMatchObject({
      ok: false,
      status: 403,
    });
  });

  test('a Defer link names the cluster, the day and the configuration', () => {
    const token = signDefer(
      {
        clusterKey: 'sub:rg:aks-1',
        approver: 'oncall@contoso.com',
        date: '2026-12-05',
        configName: 'default',
        requestId: 'e1',
        exp: 1_800_000_000,
      },
      keys,
    );
    expect(checkDefer('SUB:rg:aks-1', token, keys, now)).toMatchObject({
      ok: true,
      claims: { date: '2026-12-05', configName: 'default', approver: 'oncall@contoso.com' },
    });
    expect(checkDefer('sub:rg:aks-2', token, keys, now)).toMatchObject({ ok: false, status: 403 });
    expect(checkDefer('sub:rg:aks-1', undefined, keys, now)).toMatchObject({ ok: false, status: 400 });
  });

  test('Defer blocks the scheduled day on the configuration’s own clock', () => {
    const plus = {
      name: 'aksManagedAutoUpgradeSchedule',
      properties: { maintenanceWindow: { ...weekly.properties.maintenanceWindow, utcOffset: '+05:30' } },
    };
    expect(deferTarget([plus], 'AutoUpgrader upgrade', at('2026-12-04T20:00:00Z'))).toEqual({
      configName: 'aksManagedAutoUpgradeSchedule',
      date: '2026-12-05',
    });
    const nodeOs = { ...weekly, name: 'aksManagedNodeOSUpgradeSchedule' };
    expect(deferTarget([plus, nodeOs], 'Start to upgrade security vhd', at('2026-12-04T20:00:00Z'))).toEqual({
      configName: 'aksManagedNodeOSUpgradeSchedule',
      date: '2026-12-04',
    });
    expect(deferTarget([], 'x', at('2026-12-04T20:00:00Z'))).toBeUndefined();
  });
});

describe("the runner's queue", () => {
  const plan = (
    n: number,
    status: 'approved' | 'scheduled' | 'running',
    createdAt = '2026-11-01T00:00:00Z',
  ) => ({
    id: `p${n}`,
    status,
    createdAt,
    cluster: { key: `sub:rg:c${n}`, name: `c${n}`, subscriptionId: 'sub' },
  });

  test('clusters with no plan running come before clusters with one, each part in a random order', () => {
    const plans = Array.from({ length: 40 }, (_, n) =>
      plan(n, n % 2 === 0 ? 'running' : n % 3 === 0 ? 'scheduled' : 'approved'),
    );
    const queue = clusterQueue(plans);
    const running = queue.map((ps) => ps[0]?.status === 'running');
    expect(running.slice(0, 20)).toEqual(Array(20).fill(false));
    expect(running.slice(20)).toEqual(Array(20).fill(true));
    expect(
      queue
        .flat()
        .map((p) => p.id)
        .sort(),
    ).toEqual(plans.map((p) => p.id).sort());
  });

  test("a cluster's running plan leads its group, then its oldest", () => {
    const same = (id: string, status: 'approved' | 'running', createdAt: string) => ({
      ...plan(0, status, createdAt),
      id,
    });
    const queue = clusterQueue([
      same('new', 'approved', '2026-11-03T00:00:00Z'),
      same('old', 'approved', '2026-11-01T00:00:00Z'),
      same('run', 'running', '2026-11-02T00:00:00Z'),
    ]);
    expect(queue.map((ps) => ps.map((p) => p.id))).toEqual([['run', 'old', 'new']]);
  });
});

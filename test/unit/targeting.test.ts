import fc from 'fast-check';

import {
  compareNodeImages,
  nodeImageTarget,
  targetVersion,
  versionTarget,
} from '../../shared/domain/targeting';
import type { OfferedMinor, RegionVersions } from '../../shared/domain/versions';
import { compareVersions, minorDistance, minorOf } from '../../shared/domain/versions';
import { REGION, snapshot } from '../helpers/plans';

const official = { allowPreview: false };

describe('targeting: examples', () => {
  test('latest patch of the current minor first', () => {
    expect(targetVersion('1.29.7', REGION, 'KubernetesOfficial', official)).toEqual({
      kind: 'patch',
      version: '1.29.9',
    });
  });
  test('then the next minor latest patch, never skipping one', () => {
    expect(targetVersion('1.29.9', REGION, 'KubernetesOfficial', official)).toEqual({
      kind: 'minor',
      version: '1.30.3',
    });
    expect(targetVersion('1.28.12', REGION, 'KubernetesOfficial', official)).toEqual({
      kind: 'minor',
      version: '1.29.9',
    });
  });
  test('no preview unless allowed', () => {
    expect(targetVersion('1.30.3', REGION, 'KubernetesOfficial', official)).toBeUndefined();
    expect(targetVersion('1.30.3', REGION, 'KubernetesOfficial', { allowPreview: true })).toEqual({
      kind: 'minor',
      version: '1.31.1',
    });
  });
  test('LTS clusters stay on their minor while it is offered with LTS, patches only', () => {
    expect(targetVersion('1.28.10', REGION, 'AKSLongTermSupport', official)).toEqual({
      kind: 'patch',
      version: '1.28.12',
    });
    expect(targetVersion('1.28.12', REGION, 'AKSLongTermSupport', official)).toBeUndefined();
    const noLts: RegionVersions = {
      ...REGION,
      minors: REGION.minors.map((m) =>
        m.minor === '1.28' ? { ...m, supportPlans: ['KubernetesOfficial'] } : m,
      ),
    };
    expect(targetVersion('1.28.12', noLts, 'AKSLongTermSupport', official)).toEqual({
      kind: 'minor',
      version: '1.29.9',
    });
  });
  test('pools follow the control plane, system pools first', () => {
    const t = versionTarget(snapshot('c', 'dev', '1.29.7'), REGION, official);
    expect(t?.steps.map((s) => (s.kind === 'control-plane' ? 'cp' : s.pool))).toEqual([
      'cp',
      'system',
      'user1',
    ]);
    expect(t?.to).toBe('1.29.9');
  });
  test('pools that trail an up-to-date control plane are planned alone', () => {
    const s = snapshot('c', 'dev', '1.30.3');
    const t = versionTarget(
      {
        ...s,
        nodePools: s.nodePools.map((p) => (p.name === 'user1' ? { ...p, orchestratorVersion: '1.29.9' } : p)),
      },
      REGION,
      official,
    );
    expect(t).toMatchObject({ kind: 'minor', from: '1.30.3', to: '1.30.3' });
    expect(t?.steps).toEqual([
      { kind: 'node-pool', pool: 'user1', mode: 'User', from: '1.29.9', to: '1.30.3' },
    ]);
  });
  test('the policy may put a pool first: named pools lead, the rest follow system-first', () => {
    const s = snapshot('c', 'dev', '1.29.7', {
      nodePools: [
        ...snapshot('c', 'dev').nodePools,
        { name: 'canarypool', mode: 'User', osType: 'Linux', orchestratorVersion: '1.29.7', count: 1 },
      ],
    });
    const byDefault = versionTarget(s, REGION, official);
    expect(byDefault?.steps.map((x) => (x.kind === 'control-plane' ? 'cp' : x.pool))).toEqual([
      'cp',
      'system',
      'canarypool',
      'user1',
    ]);
    const ordered = versionTarget(s, REGION, { ...official, poolOrder: ['canarypool'] });
    expect(ordered?.steps.map((x) => (x.kind === 'control-plane' ? 'cp' : x.pool))).toEqual([
      'cp',
      'canarypool',
      'system',
      'user1',
    ]);
  });
  test('node-image plans are their own kind, per pool with an older image', () => {
    const s = snapshot('c', 'dev', '1.30.3');
    const t = nodeImageTarget(s, (p) =>
      p.name === 'system'
        ? 'AKSUbuntu-2204gen2containerd-202506.02.0'
        : 'AKSUbuntu-2204gen2containerd-202501.01.0',
    );
    expect(t).toMatchObject({
      kind: 'node-image',
      from: '1.30.3',
      to: '1.30.3',
      nodeImage: 'AKSUbuntu-2204gen2containerd-202506.02.0',
    });
    expect(t?.steps).toHaveLength(1);
    expect(
      compareNodeImages(
        'AKSUbuntu-2204gen2containerd-202506.02.0',
        'AKSUbuntu-2204gen2containerd-202511.01.0',
      ),
    ).toBeLessThan(0);
  });
});

const minorArb = fc.record({
  minor: fc.integer({ min: 24, max: 34 }),
  patches: fc.uniqueArray(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 5 }),
  isPreview: fc.boolean(),
  lts: fc.boolean(),
});
const regionArb = fc
  .uniqueArray(minorArb, { selector: (m) => m.minor, minLength: 1, maxLength: 6 })
  .map((ms): RegionVersions => ({
    location: 'x',
    minors: ms.map((m): OfferedMinor => ({
      minor: `1.${m.minor}`,
      isPreview: m.isPreview,
      patches: m.patches.map((p) => `1.${m.minor}.${p}`),
      supportPlans: m.lts ? ['KubernetesOfficial', 'AKSLongTermSupport'] : ['KubernetesOfficial'],
    })),
  }));
const currentArb = fc
  .tuple(fc.integer({ min: 22, max: 35 }), fc.integer({ min: 0, max: 20 }))
  .map(([m, p]) => `1.${m}.${p}`);
const planArb = fc.constantFrom('KubernetesOfficial', 'AKSLongTermSupport');

describe('targeting: properties', () => {
  test('the target is offered, newer, at most one minor ahead, and GA unless preview is allowed', () => {
    fc.assert(
      fc.property(regionArb, currentArb, planArb, fc.boolean(), (region, current, plan, allowPreview) => {
        const t = targetVersion(current, region, plan, { allowPreview });
        if (t === undefined) return;
        const offered = region.minors.find((m) => m.minor === minorOf(t.version));
        expect(offered?.patches).toContain(t.version);
        expect(compareVersions(t.version, current)).toBeGreaterThan(0);
        expect([0, 1]).toContain(minorDistance(current, t.version));
        if (!allowPreview) expect(offered?.isPreview).toBe(false);
        expect(t.kind).toBe(minorDistance(current, t.version) === 0 ? 'patch' : 'minor');
      }),
    );
  });

  test('a newer patch of the current minor always wins, and it is the latest one', () => {
    fc.assert(
      fc.property(regionArb, currentArb, planArb, fc.boolean(), (region, current, plan, allowPreview) => {
        const same = region.minors.find(
          (m) => m.minor === minorOf(current) && (allowPreview || !m.isPreview),
        );
        const newer = (same?.patches ?? [])
          .filter((p) => compareVersions(p, current) > 0)
          .sort(compareVersions);
        const t = targetVersion(current, region, plan, { allowPreview });
        if (newer.length > 0) expect(t).toEqual({ kind: 'patch', version: newer.at(-1) });
        else if (t !== undefined) expect(t.kind).toBe('minor');
      }),
    );
  });

  test('a minor target is the latest patch of the next minor', () => {
    fc.assert(
      fc.property(regionArb, currentArb, planArb, (region, current, plan) => {
        const t = targetVersion(current, region, plan, official);
        if (t?.kind !== 'minor') return;
        const next = region.minors.find((m) => m.minor === minorOf(t.version));
        expect(t.version).toBe([...(next?.patches ?? [])].sort(compareVersions).at(-1));
      }),
    );
  });

  test('repeated targeting climbs one minor at a time and ends', () => {
    fc.assert(
      fc.property(regionArb, currentArb, (region, start) => {
        let current = start;
        for (let i = 0; i < 100; i++) {
          const t = targetVersion(current, region, 'KubernetesOfficial', official);
          if (t === undefined) return;
          expect(minorDistance(current, t.version)).toBeLessThanOrEqual(1);
          current = t.version;
        }
        throw new Error('targeting did not converge');
      }),
    );
  });

  test('plans put the control plane first and every pool after it at the same version', () => {
    fc.assert(
      fc.property(regionArb, currentArb, (region, current) => {
        const t = versionTarget(snapshot('c', 'dev', current), region, official);
        if (t === undefined) return;
        const [first, ...rest] = t.steps;
        expect(first?.kind).toBe('control-plane');
        expect(rest.every((s) => s.kind === 'node-pool' && s.to === t.to)).toBe(true);
        expect(rest[0]?.kind === 'node-pool' && rest[0].mode).toBe('System');
      }),
    );
  });
});

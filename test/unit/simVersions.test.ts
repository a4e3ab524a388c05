import { channelTarget } from '../../local/sim/arm/autoUpgrade';
import type { MinorSpec } from '../../local/sim/arm/versions';
import {
  addRelease,
  kubernetesVersionsBody,
  upgradeTargets,
  versionAnnouncement,
} from '../../local/sim/arm/versions';
import { CURRENT_VERSIONS } from '../../local/sim/fleetFile/generate';

/** The simulator's version arithmetic over the late-2026 catalogue (1.33 LTS only … 1.37 preview). */
const catalogue = (): MinorSpec[] => CURRENT_VERSIONS.map((m) => ({ ...m, patches: [...m.patches] }));

test('upgrade targets: later patches of the minor and every patch of the next minor only', () => {
  expect(upgradeTargets(catalogue(), '1.34.7').map((t) => t.version)).toEqual([
    '1.34.9',
    '1.35.3',
    '1.35.6',
    '1.35.8',
  ]);
  expect(upgradeTargets(catalogue(), '1.36.3')).toEqual([{ version: '1.37.0', isPreview: true }]);
  expect(upgradeTargets(catalogue(), '1.37.0')).toEqual([]);
});

test('listKubernetesVersions body: values, patch upgrade paths, preview and support plans', () => {
  const body = kubernetesVersionsBody(catalogue()) as {
    values: {
      version: string;
      isPreview?: boolean;
      isDefault?: boolean;
      capabilities: { supportPlan: string[] };
      patchVersions: Record<string, { upgrades: string[] }>;
    }[];
  };
  expect(body.values.map((v) => v.version)).toEqual(['1.33', '1.34', '1.35', '1.36', '1.37']);
  expect(body.values.find((v) => v.version === '1.35')).toMatchObject({
    isDefault: true,
    patchVersions: { '1.35.8': { upgrades: ['1.36.1', '1.36.3'] } },
  });
  expect(body.values.find((v) => v.version === '1.34')?.capabilities.supportPlan).toEqual([
    'KubernetesOfficial',
    'AKSLongTermSupport',
  ]);
  expect(body.values.find((v) => v.version === '1.37')?.isPreview).toBe(true);
});

test('a release adds a patch or a minor once; the announcement follows the support plan', () => {
  const minors = catalogue();
  expect(addRelease(minors, '1.36.4', false)).toBe(true);
  expect(addRelease(minors, '1.36.4', false)).toBe(false);
  expect(addRelease(minors, '1.38.0', true)).toBe(true);
  expect(versionAnnouncement(minors)).toEqual({
    latestSupportedKubernetesVersion: '1.36.4',
    latestStableKubernetesVersion: '1.35.8',
    lowestMinorKubernetesVersion: '1.34.9',
    latestPreviewKubernetesVersion: '1.38.0',
  });
  expect(versionAnnouncement(minors, 'AKSLongTermSupport')).toMatchObject({
    latestSupportedKubernetesVersion: '1.34.9',
    lowestMinorKubernetesVersion: '1.33.8',
    latestPreviewKubernetesVersion: '',
  });
});

test('auto-upgrade channels: patch stays on the minor, stable goes to N-1, rapid to N, one minor at a time', () => {
  const minors = catalogue();
  expect(channelTarget(minors, 'patch', '1.35.3')).toBe('1.35.8');
  expect(channelTarget(minors, 'patch', '1.35.8')).toBeUndefined();
  expect(channelTarget(minors, 'stable', '1.34.4')).toBe('1.35.8');
  expect(channelTarget(minors, 'stable', '1.35.8')).toBeUndefined();
  expect(channelTarget(minors, 'rapid', '1.35.8')).toBe('1.36.3');
  expect(channelTarget(minors, 'rapid', '1.34.4')).toBe('1.35.8');
  expect(channelTarget(minors, 'none', '1.34.4')).toBeUndefined();
  expect(channelTarget(minors, 'node-image', '1.34.4')).toBeUndefined();
});

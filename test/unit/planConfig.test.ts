import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig, requireApprovalKeys } from '../../shared/config';
import { BASE_ENV, configFailure } from '../helpers/config';

describe('the approval and plan settings', () => {
  test('WARDEN_POLICY: unset is the default policy; inline JSON or YAML; a file path', () => {
    expect(loadConfig(BASE_ENV).policy.gatedRings).toEqual(['production']);
    expect(
      loadConfig({ ...BASE_ENV, WARDEN_POLICY: '{"gatedRings":["staging","production"]}' }).policy.gatedRings,
    ).toEqual(['staging', 'production']);
    expect(loadConfig({ ...BASE_ENV, WARDEN_POLICY: 'allowPreview: true' }).policy.allowPreview).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    writeFileSync(join(dir, 'policy.yaml'), 'soak:\n  production: P14D\n');
    expect(
      loadConfig({ ...BASE_ENV, WARDEN_POLICY: join(dir, 'policy.yaml') }).policy.soakMs.production,
    ).toBe(14 * 86_400_000);
  });

  test('a bad policy fails naming the setting and the field; a missing file names the path', () => {
    const bad = configFailure({ WARDEN_POLICY: 'gatedRings: [prod]' });
    expect(bad.setting).toBe('WARDEN_POLICY');
    expect(bad.message).toMatch(/\/gatedRings\/0/);
    expect(configFailure({ WARDEN_POLICY: '/nonexistent/policy.yaml' }).message).toMatch(
      /cannot read the policy file "\/nonexistent\/policy.yaml"/,
    );
  });

  test('WARDEN_APPROVAL_KEYS: required to run, validated when given', () => {
    expect(() => requireApprovalKeys(loadConfig(BASE_ENV))).toThrow(/WARDEN_APPROVAL_KEYS: is required/);
    const key = randomBytes(32).toString('base64');
    expect(
      requireApprovalKeys(loadConfig({ ...BASE_ENV, WARDEN_APPROVAL_KEYS: `${key},${key}` })).previous,
    ).toBeDefined();
    expect(configFailure({ WARDEN_APPROVAL_KEYS: 'c2hvcnQ=' }).setting).toBe('WARDEN_APPROVAL_KEYS');
  });
});

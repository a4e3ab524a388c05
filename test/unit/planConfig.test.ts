import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ConfigError, loadConfig, requireApprovalKeys } from '../../shared/config';

const base = { AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

function failure(env: Record<string, string>): ConfigError {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('settings of issue 4', () => {
  test('WARDEN_POLICY: unset is the default policy; inline JSON or YAML; a file path', () => {
    expect(loadConfig(base).policy.gatedRings).toEqual(['production']);
    expect(
      loadConfig({ ...base, WARDEN_POLICY: '{"gatedRings":["staging","production"]}' }).policy.gatedRings,
    ).toEqual(['staging', 'production']);
    expect(loadConfig({ ...base, WARDEN_POLICY: 'allowPreview: true' }).policy.allowPreview).toBe(true);
    const dir = mkdtempSync(join(tmpdir(), 'policy-'));
    writeFileSync(join(dir, 'policy.yaml'), 'soak:\n  production: P14D\n');
    expect(loadConfig({ ...base, WARDEN_POLICY: join(dir, 'policy.yaml') }).policy.soakMs.production).toBe(
      14 * 86_400_000,
    );
  });

  test('a bad policy fails naming the setting and the field; a missing file names the path', () => {
    const bad = failure({ WARDEN_POLICY: 'gatedRings: [prod]' });
    expect(bad.setting).toBe('WARDEN_POLICY');
    expect(bad.message).toMatch(/\/gatedRings\/0/);
    expect(failure({ WARDEN_POLICY: '/nonexistent/policy.yaml' }).message).toMatch(
      /cannot read the policy file "\/nonexistent\/policy.yaml"/,
    );
  });

  test('WARDEN_APPROVAL_KEYS: required to run, validated when given', () => {
    expect(() => requireApprovalKeys(loadConfig(base))).toThrow(/WARDEN_APPROVAL_KEYS: is required/);
    const key = randomBytes(32).toString('base64');
    expect(
      requireApprovalKeys(loadConfig({ ...base, WARDEN_APPROVAL_KEYS: `${key},${key}` })).previous,
    ).toBeDefined();
    expect(failure({ WARDEN_APPROVAL_KEYS: 'c2hvcnQ=' }).setting).toBe('WARDEN_APPROVAL_KEYS');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import {
  allowedApprovers,
  DEFAULT_POLICY,
  ownersFromTags,
  parseDuration,
  parsePolicy,
  PolicyError,
} from '../../shared/domain/policy';

function problems(text: string): string[] {
  try {
    parsePolicy(text);
  } catch (e) {
    if (e instanceof PolicyError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('policy', () => {
  test('an empty document is the default policy a platform team would pick', () => {
    const p = parsePolicy('');
    expect(p.ringTag).toBe('environment');
    expect(p.soakMs).toEqual({
      canary: 0,
      dev: 86_400_000,
      staging: 2 * 86_400_000,
      production: 7 * 86_400_000,
    });
    expect(p.gatedRings).toEqual(['production']);
    expect(p.approvals.required.production).toBe(1);
    expect(p.approvals.expiryMs).toBe(24 * 3_600_000);
    expect(p.approvals.reminderAt).toBe(0.5);
    expect(p.allowPreview).toBe(false);
    expect(p.minimumWindowRemainingMs).toBe(3_600_000);
    expect(p.ownerTag).toBe('owner-email');
    expect(p.autoExecute).toEqual({ canary: true, dev: true, staging: true, production: true });
    expect(p).toEqual(DEFAULT_POLICY);
  });

  test('YAML and JSON documents with ISO-8601 durations and fractional days', () => {
    const yaml = parsePolicy(`
soak: { dev: PT30S, staging: 0.5, production: P1DT12H }
gatedRings: [staging, production]
approvals:
  required: { production: 2 }
  allow: [OnCall@Contoso.com]
  groups: [1b4f0d2e-3a5c-4e6f-8a9b-0c1d2e3f4a5b]
  expiry: PT2H
routes:
  production: { email: [oncall@contoso.com], teams: [prod-oncall], secondary: { email: [lead@contoso.com] } }
windows:
  production: { days: [Saturday], startTime: '02:00', durationHours: 4 }
`);
    expect(yaml.soakMs).toMatchObject({ dev: 30_000, staging: 43_200_000, production: 36 * 3_600_000 });
    expect(yaml.gatedRings).toEqual(['staging', 'production']);
    expect(yaml.approvals.required).toMatchObject({ production: 2, staging: 1 });
    expect(yaml.approvals.allow).toEqual(['oncall@contoso.com']);
    expect(yaml.approvals.expiryMs).toBe(7_200_000);
    expect(yaml.routes.production.secondary.email).toEqual(['lead@contoso.com']);
    expect(yaml.windows.production).toEqual({
      days: ['Saturday'],
      startTime: '02:00',
      durationHours: 4,
      utcOffset: '+00:00',
    });
    const json = parsePolicy(JSON.stringify({ allowPreview: true, soak: { production: 'P2W' } }));
    expect(json.allowPreview).toBe(true);
    expect(json.soakMs.production).toBe(14 * 86_400_000);
  });

  test('errors name the field path', () => {
    expect(problems('soak: { dev: soon }')).toEqual([expect.stringContaining('/soak/dev')]);
    expect(problems('gatedRings: [prod]')).toEqual([
      expect.stringMatching(/^\/gatedRings\/0: must be one of/),
    ]);
    expect(problems('approvals: { required: { production: 0 } }')).toEqual([
      expect.stringContaining('/approvals/required/production'),
    ]);
    expect(problems('approvals: { allow: [not-an-email] }')).toEqual([
      expect.stringContaining('/approvals/allow/0'),
    ]);
    expect(problems('routes: { production: { emails: [] } }')).toEqual([
      '/routes/production/emails: is not a policy field',
    ]);
    expect(problems('soak: { dev: P }')).toEqual([expect.stringContaining('/soak/dev')]);
    expect(problems('{ not yaml')).toEqual([expect.stringMatching(/^\/: not JSON or YAML/)]);
    expect(problems('approvals: { reminderAt: 0.9, escalateAt: 0.5 }')).toEqual([
      expect.stringContaining('/approvals/escalateAt'),
    ]);
    expect(problems('approvals: { requireSignIn: sometimes }')).toEqual([
      expect.stringContaining('/approvals/requireSignIn'),
    ]);
  });

  test('durations', () => {
    expect(parseDuration('PT30S')).toBe(30_000);
    expect(parseDuration('P1D')).toBe(86_400_000);
    expect(parseDuration('PT1.5H')).toBe(5_400_000);
    expect(parseDuration(0.25)).toBe(21_600_000);
    expect(parseDuration('2')).toBe(172_800_000);
    expect(parseDuration('PT')).toBeUndefined();
    expect(parseDuration('1 day')).toBeUndefined();
  });

  test('approvers: the allow-list, else the ring on-call routes; owners from the owner tag', () => {
    const routed = parsePolicy('routes: { production: { email: [a@x.io], secondary: { email: [b@x.io] } } }');
    expect(allowedApprovers(routed, 'production')).toEqual(['a@x.io', 'b@x.io']);
    const listed = parsePolicy('approvals: { allow: [c@x.io] }\nroutes: { production: { email: [a@x.io] } }');
    expect(allowedApprovers(listed, 'production')).toEqual(['c@x.io']);
    expect(ownersFromTags(DEFAULT_POLICY, { 'Owner-Email': 'A@x.io; b@y.io, nonsense' })).toEqual([
      'a@x.io',
      'b@y.io',
    ]);
  });
});

describe('policy: pool order', () => {
  test('names are kept lower-case, and a name AKS could not have is refused with its path', () => {
    expect(parsePolicy('poolOrder: [CanaryPool, system]').poolOrder).toEqual(['canarypool', 'system']);
    expect(parsePolicy('').poolOrder).toEqual([]);
    expect(() => parsePolicy('poolOrder: ["pool-with-dash"]')).toThrow(/\/poolOrder\/0/);
  });
});

describe('documented policies', () => {
  test('the full example in docs/policy.md and the demo policy are valid', () => {
    const root = join(__dirname, '../..');
    const doc = readFileSync(join(root, 'docs/policy.md'), 'utf8');
    const example = /```yaml\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
    const p = parsePolicy(example);
    expect(p.approvals.allow).toHaveLength(3);
    expect(p.windows.production?.days).toEqual(['Saturday']);
    expect(p.routes.production.secondary.teams).toEqual(['platform-leads']);
    const demo = parsePolicy(readFileSync(join(root, 'local/policy.demo.yaml'), 'utf8'));
    expect(demo.soakMs.production).toBe(30_000);
  });
});

import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';

import { ConfigError, loadConfig } from '../../shared/config';
import { BASE_ENV } from '../helpers/config';

/**
 * "A missing or invalid setting fails at start naming the setting." For every setting
 * shared/config.ts reads, an arbitrary value (text, JSON, a path that is not there) either loads or
 * fails with a ConfigError that names that setting — or, for a setting that only matters with a
 * partner (ACS sender and endpoint, webhook URL and secret), the partner — never another kind of
 * error and never a setting that was not touched.
 */
const SOURCE = readFileSync(join(__dirname, '../../shared/config.ts'), 'utf8');
const SETTINGS = [
  ...new Set([...SOURCE.matchAll(/\b(?:optional|url|jsonSetting)\(env, '([A-Za-z_]+)'/g)].map((m) => m[1]!)),
];
const PARTNERS: Record<string, readonly string[]> = {
  WARDEN_ACS_ENDPOINT: ['WARDEN_ACS_SENDER'],
  WARDEN_ACS_CONNECTION_STRING: ['WARDEN_ACS_SENDER', 'WARDEN_ACS_ENDPOINT'],
  WARDEN_WEBHOOK_URL: ['WARDEN_WEBHOOK_SECRET'],
  WARDEN_WEBHOOK_SECRET: ['WARDEN_WEBHOOK_URL'],
  WARDEN_SCOPE_MANAGEMENT_GROUP: ['WARDEN_SCOPE_SUBSCRIPTIONS'],
  // Identity-based storage settings stand in for the connection string, which the base env has.
  AzureWebJobsStorage__accountName: ['AzureWebJobsStorage'],
  AzureWebJobsStorage__tableServiceUri: ['AzureWebJobsStorage'],
  AzureWebJobsStorage__queueServiceUri: ['AzureWebJobsStorage'],
  AzureWebJobsStorage__clientId: ['AzureWebJobsStorage'],
};

const BASE = {
  ...BASE_ENV,
  WARDEN_APPROVAL_KEYS: randomBytes(32).toString('base64'),
};

const value = fc.oneof(
  fc.string(),
  fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
  fc.constantFrom('/no/such/file.yaml', 'http://', 'https://example.com', 'a=b', '{}', '[]', 'null', ' '),
);

describe('settings under arbitrary values', () => {
  it('finds the settings config.ts reads (the list the property runs over)', () => {
    expect(SETTINGS).toEqual(
      expect.arrayContaining([
        'AzureWebJobsStorage',
        'WARDEN_POLICY',
        'WARDEN_APPROVAL_KEYS',
        'WARDEN_SCOPE_SUBSCRIPTIONS',
        'WARDEN_TEAMS_WORKFLOWS',
        'WARDEN_ACS_SENDER',
      ]),
    );
  });

  it('each loads, or fails with a ConfigError naming it (or its partner)', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SETTINGS), value, (setting, text) => {
        try {
          loadConfig({ ...BASE, [setting]: text });
          return true;
        } catch (e) {
          expect(e).toBeInstanceOf(ConfigError);
          const named = (e as ConfigError).setting;
          expect([setting, ...(PARTNERS[setting] ?? [])]).toContain(named);
          expect((e as Error).message).toContain(named);
          return true;
        }
      }),
      { numRuns: 600 },
    );
  });
});

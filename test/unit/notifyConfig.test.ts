import { loadConfig } from '../../shared/config';
import { BASE_ENV, configFailure } from '../helpers/config';

const KEY = Buffer.alloc(32, 7).toString('base64');

const problem = (env: Record<string, string>): string => configFailure(env).message;

describe('notification settings', () => {
  it("has no channel when nothing is set, and ACS Email's initial sending limits", () => {
    expect(loadConfig(BASE_ENV).notify).toEqual({
      teamsWorkflows: {},
      emailRate: { perMinute: 30, perHour: 100 },
    });
  });

  it('reads the email sending rate, and refuses one that is not a whole number of at least 1', () => {
    const rate = loadConfig({ ...BASE_ENV, WARDEN_EMAIL_PER_MINUTE: '5', WARDEN_EMAIL_PER_HOUR: '10' }).notify
      .emailRate;
    expect(rate).toEqual({ perMinute: 5, perHour: 10 });
    expect(problem({ WARDEN_EMAIL_PER_MINUTE: '0' })).toMatch(/^setting WARDEN_EMAIL_PER_MINUTE: /);
    expect(problem({ WARDEN_EMAIL_PER_HOUR: '2.5' })).toMatch(/^setting WARDEN_EMAIL_PER_HOUR: /);
  });

  it('reads ACS by connection string or by endpoint, with a sender', () => {
    const local = loadConfig({
      ...BASE_ENV,
      WARDEN_ACS_CONNECTION_STRING: `endpoint=http://127.0.0.1:9999/;accesskey=${KEY}`,
      WARDEN_ACS_SENDER: 'DoNotReply@warden.example',
    }).notify.email;
    expect(local).toMatchObject({ kind: 'connectionString', sender: 'DoNotReply@warden.example' });
    const azure = loadConfig({
      ...BASE_ENV,
      WARDEN_ACS_ENDPOINT: 'https://acs-warden.communication.azure.com/',
      WARDEN_ACS_SENDER: 'DoNotReply@contoso.com',
    }).notify.email;
    expect(azure).toEqual({
      kind: 'endpoint',
      endpoint: 'https://acs-warden.communication.azure.com',
      sender: 'DoNotReply@contoso.com',
    });
  });

  it('names the bad setting', () => {
    expect(problem({ WARDEN_ACS_CONNECTION_STRING: 'endpoint=nope' })).toMatch(
      /^setting WARDEN_ACS_CONNECTION_STRING: /,
    );
    expect(problem({ WARDEN_ACS_CONNECTION_STRING: `endpoint=https://a.example/;accesskey=${KEY}` })).toMatch(
      /^setting WARDEN_ACS_SENDER: is required/,
    );
    expect(problem({ WARDEN_ACS_SENDER: 'not an address' })).toMatch(/^setting WARDEN_ACS_SENDER: /);
    expect(problem({ WARDEN_TEAMS_WORKFLOWS: '{nope' })).toBe(
      'setting WARDEN_TEAMS_WORKFLOWS: is not valid JSON',
    );
    expect(problem({ WARDEN_TEAMS_WORKFLOWS: '["https://x.example"]' })).toMatch(
      /^setting WARDEN_TEAMS_WORKFLOWS: /,
    );
    expect(problem({ WARDEN_TEAMS_WORKFLOWS: '{"ops":"ftp://x.example"}' })).toBe(
      'setting WARDEN_TEAMS_WORKFLOWS: the URL of "ops" is not an http(s) URL',
    );
    expect(problem({ WARDEN_TEAMS_WORKFLOWS: '{"a b":"https://x.example"}' })).toMatch(
      /is not a workflow name/,
    );
    expect(problem({ WARDEN_WEBHOOK_URL: 'https://hooks.example/warden' })).toMatch(
      /^setting WARDEN_WEBHOOK_SECRET: /,
    );
    expect(
      problem({ WARDEN_WEBHOOK_URL: 'https://hooks.example/warden', WARDEN_WEBHOOK_SECRET: 'short' }),
    ).toMatch(/at least 16 characters/);
    expect(problem({ WARDEN_WEBHOOK_URL: 'not a url', WARDEN_WEBHOOK_SECRET: 'x'.repeat(20) })).toMatch(
      /^setting WARDEN_WEBHOOK_URL: /,
    );
  });

  it('keeps Teams workflows by name', () => {
    const notify = loadConfig({
      ...BASE_ENV,
      WARDEN_TEAMS_WORKFLOWS:
        '{"platform":"https://prod-00.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=x"}',
    }).notify;
    expect(Object.keys(notify.teamsWorkflows)).toEqual(['platform']);
  });
});

import { HttpRequest, InvocationContext } from '@azure/functions';

import { healthHandler } from '../../functions/health';
import { ConfigError } from '../../shared/config';
import { testTables } from '../helpers/storage';

const NOW = new Date('2026-11-25T12:00:00Z');

function context(logs: string[] = []): InvocationContext {
  return new InvocationContext({
    functionName: 'health',
    logHandler: (_level, ...args) => logs.push(args.join(' ')),
  });
}

const request = () => new HttpRequest({ method: 'GET', url: 'http://warden.test/api/health' });

describe('GET /api/health', () => {
  test('200 with storage reachable', async () => {
    const res = await healthHandler(() => ({ tables: testTables(), now: () => NOW }))(request(), context());
    expect(res.status).toBe(200);
    expect(res.jsonBody).toMatchObject({ status: 'ok', storage: 'reachable' });
  });

  test('a bad setting answers 503 naming it (docs/deploy.md "Check it runs"), not a 500', async () => {
    const logs: string[] = [];
    const res = await healthHandler(() => {
      throw new ConfigError('WARDEN_POLICY', '/soak/dev: "soon" is not an ISO-8601 duration');
    })(request(), context(logs));
    expect(res.status).toBe(503);
    expect(res.jsonBody).toMatchObject({
      status: 'misconfigured',
      setting: 'WARDEN_POLICY',
      detail: expect.stringContaining('setting WARDEN_POLICY: /soak/dev: "soon"') as unknown,
    });
    expect(logs.join('\n')).toContain('setting WARDEN_POLICY');
  });
});

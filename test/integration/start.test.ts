import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';

import { startLocalWarden } from '../helpers/localWarden';

describe('npm start (the local runtime)', () => {
  test('comes up on a free port, answers /api/health, and stops cleanly on Ctrl-C', async () => {
    const warden = await startLocalWarden();
    const health = await fetch(`${warden.url}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', storage: 'reachable' });
    expect(warden.output()).toMatch(/http +POST,OPTIONS +http:\/\/127\.0\.0\.1:\d+\/api\/aks-events/);
    expect(await warden.stop()).toBe(0);
    await expect(fetch(`${warden.url}/api/health`)).rejects.toThrow();
  });

  test('a malformed path or admin body is a 400, never a host error', async () => {
    const warden = await startLocalWarden();
    try {
      for (const path of ['/api/plans/%', '/api/clusters/abc%ZZ']) {
        const r = await fetch(`${warden.url}${path}`);
        expect(r.status).toBe(400);
        expect(await r.json()).toMatchObject({ error: 'bad request', detail: expect.stringContaining('%') });
      }
      const admin = await fetch(`${warden.url}/admin/functions/upgradeRunner`, {
        method: 'POST',
        body: 'now',
      });
      expect(admin.status).toBe(400);
      expect(await admin.json()).toMatchObject({ error: 'bad request' });
      const ok = await fetch(`${warden.url}/admin/functions/upgradeRunner`, {
        method: 'POST',
        body: '{"input":""}',
      });
      expect(ok.status).toBe(202);
      expect(warden.output()).not.toMatch(/host error/);
    } finally {
      await warden.stop();
    }
  });

  test('a taken port gives a one-line message, not a stack trace', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      await expect(startLocalWarden({ env: { PORT: String(port) } })).rejects.toThrow(
        new RegExp(
          `warden: port ${port} is already in use; stop what uses it or set PORT to another port\\n?$`,
        ),
      );
    } finally {
      blocker.close();
    }
  });

  test('an invalid setting stops the start with a one-line message naming it', () => {
    const result = spawnSync(
      process.execPath,
      [resolve(__dirname, '../../dist/local/start.js'), '--memory'],
      {
        env: { ...process.env, PORT: '0', WARDEN_TIMERS: 'off', WARDEN_POLICY: '{"soak": {"dev": "soon"}}' },
        encoding: 'utf8',
        timeout: 30_000,
      },
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'warden: setting WARDEN_POLICY: /soak/dev: "soon" is not an ISO-8601 duration (PT30S, P1D) or a number of days',
    );
    expect(result.stdout).not.toMatch(/Warden is running/);
  });

  test('an unwritable data folder gives a one-line message', () => {
    const result = spawnSync(process.execPath, [resolve(__dirname, '../../dist/local/start.js')], {
      env: { ...process.env, PORT: '0', WARDEN_DATA_DIR: '/dev/null/warden' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe(
      'warden: cannot write to the data folder /dev/null/warden (ENOTDIR); set WARDEN_DATA_DIR to a writable folder',
    );
  });
});

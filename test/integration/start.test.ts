import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

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
        headers: { 'content-type': 'application/json' },
        body: 'now',
      });
      expect(admin.status).toBe(400);
      expect(await admin.json()).toMatchObject({ error: 'bad request' });
      const ok = await fetch(`${warden.url}/admin/functions/upgradeRunner`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
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

  const start = (args: string[], env: Record<string, string> = {}): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [resolve(__dirname, '../../dist/local/start.js'), ...args], {
      env: { ...process.env, PORT: '0', WARDEN_TIMERS: 'off', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });

  test.each([
    [['--memroy'], {}, /^warden: unknown flag "--memroy" \(flags: --memory, --fleet, .*--help/],
    [['--memory', '--fleet'], {}, /^warden: flag --fleet needs a file path$/],
    [
      ['--memory'],
      { WARDEN_TIMERS: 'maybe' },
      /^warden: setting WARDEN_TIMERS: "maybe" is not one of on, off$/,
    ],
    [
      ['--memory'],
      { WARDEN_LOG: 'loud' },
      /^warden: setting WARDEN_LOG: "loud" is not one of normal, quiet$/,
    ],
    [['--memory'], { PORT: '70x1' }, /^warden: setting PORT: "70x1" is not a port number \(0-65535\)$/],
    [['--memory'], { WARDEN_DATA_DIR: ' ' }, /^warden: setting WARDEN_DATA_DIR: is empty/],
    [
      ['--memory'],
      { WARDEN_SIM_OPERATION_SECONDS: 'fast' },
      /^warden: setting WARDEN_SIM_OPERATION_SECONDS: "fast" is not a whole number of seconds from 1 to 600$/,
    ],
  ])('%j %j stops the start with one line naming it', (args, env, message) => {
    const result = start(args, env);
    expect(result.status).toBe(1);
    expect(String(result.stderr).trim()).toMatch(message);
    expect(String(result.stderr).trim().split('\n')).toHaveLength(1);
    expect(result.stdout).not.toMatch(/Warden is running/);
  });

  test('--help lists every flag and local setting and starts nothing', () => {
    const result = start(['--help']);
    expect(result.status).toBe(0);
    for (const name of ['--memory', '--fleet', '--auto-upgrade', '--cloudevents', '--quiet', '--help'])
      expect(result.stdout).toContain(name);
    for (const name of [
      'PORT',
      'WARDEN_DATA_DIR',
      'WARDEN_FLEET',
      'WARDEN_TIMERS',
      'WARDEN_LOG',
      'WARDEN_SIM_OPERATION_SECONDS',
    ])
      expect(result.stdout).toContain(name);
    expect(result.stdout).not.toMatch(/Warden is running/);
  });

  test('a second instance on the same data folder is refused, naming the folder; a crashed one leaves no stuck lock', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'warden-lock-'));
    try {
      const first = await startLocalWarden({ dataDir });
      try {
        const second = start([], { WARDEN_DATA_DIR: dataDir });
        expect(second.status).toBe(1);
        expect(String(second.stderr).trim()).toEqual(
          expect.stringMatching(
            new RegExp(
              `^warden: the data folder ${dataDir} is in use by another Warden \\(pid ${first.process.pid}, started [^)]+\\); stop it, or set WARDEN_DATA_DIR to another folder$`,
            ),
          ),
        );
      } finally {
        const exited = new Promise((r) => first.process.once('exit', r));
        first.process.kill('SIGKILL');
        await exited;
      }
      // kill -9 left its lock behind: the next start takes it over, since its process is gone.
      const again = await startLocalWarden({ dataDir });
      expect(await again.stop()).toBe(0);
      // A lock naming a process that does not exist (pid reused by nobody) is stale too.
      writeFileSync(join(dataDir, 'warden.lock'), JSON.stringify({ pid: 2 ** 22 + 1, startedAt: 'x' }));
      const third = await startLocalWarden({ dataDir });
      expect(await third.stop()).toBe(0);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 120_000);
});

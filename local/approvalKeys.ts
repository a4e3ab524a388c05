import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Local defaults for the approval settings, so `npm start` needs none: an approval signing key generated
 * once into `.warden/approval-keys` (in memory with `--memory`), and the demo policy.
 * Both are only defaults; settings given in the environment win.
 */
export function ensureLocalApprovalSettings(env: NodeJS.ProcessEnv, dataDir: string, memory: boolean): void {
  if ((env.WARDEN_APPROVAL_KEYS ?? '').trim() === '') {
    if (memory) {
      env.WARDEN_APPROVAL_KEYS = randomBytes(32).toString('base64');
    } else {
      const file = join(dataDir, 'approval-keys');
      if (!existsSync(file)) {
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
      }
      env.WARDEN_APPROVAL_KEYS = readFileSync(file, 'utf8').trim();
    }
  }
  if ((env.WARDEN_POLICY ?? '').trim() === '') {
    env.WARDEN_POLICY = resolve(__dirname, '../../local/policy.demo.yaml');
  }
}

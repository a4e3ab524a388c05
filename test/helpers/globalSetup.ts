import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

import { startAzurite } from '../../local/azurite';

/**
 * Once per `jest` run: build the local runtime (tests spawn it like `npm start` does) and start one
 * in-memory Azurite that test files share, each under its own table prefix.
 */
export default async function globalSetup(): Promise<void> {
  const root = resolve(__dirname, '../..');
  execFileSync(process.execPath, [resolve(root, 'scripts/build.mjs'), '--local'], {
    cwd: root,
    stdio: 'inherit',
  });
  const azurite = await startAzurite();
  (globalThis as { __wardenAzurite?: unknown }).__wardenAzurite = azurite;
  process.env.WARDEN_TEST_STORAGE = azurite.connectionString;
  process.env.WARDEN_TEST_QUEUE_URL = azurite.queueUrl;
  process.env.WARDEN_TEST_TABLE_URL = azurite.tableUrl;
}

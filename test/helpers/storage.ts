import { randomBytes } from 'node:crypto';

import { Tables } from '../../shared/store/tables';

/** Tables in the shared test Azurite under a fresh prefix, so test files never see each other's rows. */
export function testTables(): Tables {
  const connectionString = process.env.WARDEN_TEST_STORAGE;
  if (connectionString === undefined)
    throw new Error('WARDEN_TEST_STORAGE is not set: run through jest (globalSetup starts Azurite)');
  return new Tables({ kind: 'connectionString', connectionString }, `t${randomBytes(5).toString('hex')}`);
}

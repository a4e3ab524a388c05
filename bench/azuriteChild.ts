import { startAzurite } from '../local/azurite';

/**
 * Azurite in a process of its own for the bench, so storage has the second core as a remote
 * service would, instead of sharing the event loop with the app and the load generator.
 * Talks over IPC: sends its endpoints once ready, answers `count` with the table requests served.
 * `argv[2]`, when given, is the JSON of `startAzurite`'s options (a location on disk, durable or not).
 * It exits when the bench goes away (the IPC channel closes), however the bench ended.
 */
async function main(): Promise<void> {
  const options = process.argv[2] === undefined ? {} : (JSON.parse(process.argv[2]) as object);
  const azurite = await startAzurite(options);
  process.on('message', (message: unknown) => {
    if (message === 'count') process.send?.({ count: azurite.tableRequests() });
    if (message === 'close') void azurite.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send?.({
    tableUrl: azurite.tableUrl,
    queueUrl: azurite.queueUrl,
    connectionString: azurite.connectionString,
  });
}

void main();

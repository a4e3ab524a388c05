import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import type { ShardMessage } from '../shared/usecases/sweepFleet';
import { parseShardMessage, runShard } from '../shared/usecases/sweepFleet';

/**
 * One subscription's part of a sweep, from the `warden-sweep-shards` queue. A malformed message is
 * logged and dropped (retrying cannot fix it); any other failure is rethrown so the queue redelivers it
 * (up to host.json `maxDequeueCount`, then the poison queue). Shards are idempotent, so a redelivery
 * only finishes what was left.
 */
export function sweepShardHandler(getServices: () => Pick<Services, 'aks' | 'clusters' | 'sweepPolicy'>) {
  return async (input: unknown, context: InvocationContext): Promise<void> => {
    let message: ShardMessage;
    try {
      message = parseShardMessage(input);
    } catch (e) {
      context.warn(`sweepShard: dropped a malformed message: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const s = getServices();
    const result = await runShard(
      { gateway: s.aks, store: s.clusters, policy: s.sweepPolicy, log: (line) => context.log(line) },
      message,
    );
    context.log(
      `sweep ${message.sweepId} ${message.subscriptionId} part ${message.part}/${message.parts}: ` +
        `${result.written} written, ${result.skipped} already done, ${result.windowReads} window reads`,
    );
  };
}

app.storageQueue('sweepShard', {
  queueName: SWEEP_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: sweepShardHandler(services),
});

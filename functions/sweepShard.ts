import type { InvocationContext } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { SWEEP_QUEUE } from '../shared/store/sweepQueue';
import { planSweptClusters } from '../shared/usecases/planSwept';
import type { ShardMessage } from '../shared/usecases/sweepFleet';
import { parseShardMessage, runShard } from '../shared/usecases/sweepFleet';

/**
 * One subscription's part of a sweep, from the `warden-sweep-shards` queue; every cluster written is then
 * planned (versions and node images no event announced), each gated plan with its pre-flight report. A malformed message is
 * logged and dropped (retrying cannot fix it); any other failure is rethrown so the queue redelivers it
 * (up to host.json `maxDequeueCount`, then the poison queue). Shards are idempotent, so a redelivery
 * only finishes what was left.
 */
export function sweepShardHandler(
  getServices: () => Pick<Services, 'aks' | 'clusters' | 'sweepPolicy'> &
    Partial<
      Pick<
        Services,
        'plans' | 'links' | 'policy' | 'newId' | 'now' | 'notifier' | 'preflight' | 'fleetSummary'
      >
    >,
) {
  return async (input: unknown, context: InvocationContext): Promise<void> => {
    let message: ShardMessage;
    try {
      message = parseShardMessage(input);
    } catch (e) {
      context.warn(`sweepShard: dropped a malformed message: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    const s = getServices();
    const { plans, links, policy, newId, now, notifier, preflight } = s;
    const outside = notifier && { clusters: s.clusters, outbox: notifier.outbox };
    const planning =
      plans && links && policy && newId && now
        ? planSweptClusters(() => ({
            plans,
            links,
            policy,
            newId,
            now,
            log: context,
            ...(preflight && { preflight }),
            ...(outside && { outside }),
          }))
        : undefined;
    const result = await runShard(
      {
        gateway: s.aks,
        store: s.clusters,
        ...(s.fleetSummary !== undefined && { summary: s.fleetSummary }),
        policy: s.sweepPolicy,
        log: (line) => context.log(line),
        ...(planning !== undefined && { afterWrite: planning }),
      },
      message,
    );
    context.log(
      `sweep ${message.sweepId} ${message.subscriptionId} part ${message.part}/${message.parts}: ` +
        `${result.written} written, ${result.skipped} already done, ${result.windowReads} window reads` +
        (result.afterWriteFailures > 0 ? `, planning failed for ${result.afterWriteFailures}` : ''),
    );
  };
}

app.storageQueue('sweepShard', {
  queueName: SWEEP_QUEUE,
  connection: 'AzureWebJobsStorage',
  handler: sweepShardHandler(services),
});

import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { sendDailyDigest } from '../shared/usecases/sendDailyDigest';

/** Timer (07:00 UTC daily): the fleet digest for the platform team and one per cluster owner. */
export function dailyDigestHandler(
  getServices: () => Pick<Services, 'notifier' | 'digestSources' | 'config' | 'now'>,
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { notifier, digestSources, config, now } = getServices();
    const result = await sendDailyDigest(
      { sources: digestSources, outbox: notifier.outbox, baseUrl: config.publicBaseUrl },
      now(),
    );
    context.info(`daily digest: ${result.notices} digests enqueued`);
  };
}

app.timer('dailyDigest', {
  schedule: '0 0 7 * * *',
  handler: dailyDigestHandler(services),
});

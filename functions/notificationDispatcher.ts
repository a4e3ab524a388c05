import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { dispatchNotifications } from '../shared/usecases/dispatchNotifications';

/**
 * Timer (every minute): delivers what is due in the notification outbox. Store failures leave rows
 * as they were (the next run takes them again), so they are logged rather than rethrown.
 */
export function notificationDispatcherHandler(getServices: () => Pick<Services, 'notifier' | 'now'>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const { notifier, now } = getServices();
    const report = await dispatchNotifications(
      { outbox: notifier.outbox, channels: notifier.channels, log: context },
      now(),
      notifier.dispatch,
    );
    if (report.due > 0 || report.relayed > 0 || report.batches > 0)
      context.info(
        `notifications: ${report.due} due, ${report.sent} sent, ${report.deferred} deferred (sending rate), ` +
          `${report.retrying} to retry, ${report.dead} dead, ${report.relayed} relayed, ` +
          `${report.batches} batches closed`,
      );
    for (const error of report.errors) context.warn(`notifications: ${error}`);
  };
}

app.timer('notificationDispatcher', {
  schedule: '0 */1 * * * *',
  handler: notificationDispatcherHandler(services),
});

import { EmailClient } from '@azure/communication-email';
import type { TokenCredential } from '@azure/core-auth';

import type { Config } from '../config';
import type { Notice } from '../domain/notice';
import { ensureError } from '../errors';
import type { Logger } from '../logging';
import { TableOutbox } from '../store/outboxStore';
import type { Tables } from '../store/tables';
import type { DispatchOptions } from '../usecases/dispatchNotifications';
import { DEFAULT_DISPATCH, dispatchNotifications } from '../usecases/dispatchNotifications';
import type { Channels, Fetch } from './channels';
import type { ChannelSender } from './channels';
import { AcsEmailSender, TeamsWorkflowSender, WebhookSender } from './channels';
import { withPageLinks } from './pageLinks';
import type { NotificationRoutes } from './routing';
import { routeNotice } from './routing';

/** The outbox (for producers and the dispatcher) and the channels it delivers on. */
export interface Notifier {
  readonly outbox: TableOutbox;
  readonly channels: Channels;
  /** How the dispatcher delivers: the defaults, with the sending rate the settings give email. */
  readonly dispatch: DispatchOptions;
}

const LOOPBACK = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/i;

/** An ACS Email client from the settings: a connection string (local), or the endpoint with an identity. */
export function emailClient(
  email: NonNullable<Config['notify']['email']>,
  credential: () => TokenCredential,
): EmailClient {
  // The outbox owns retries (with backoff persisted in the row), so the SDK must not retry on its own.
  const retryOptions = { maxRetries: 0 };
  if (email.kind === 'connectionString') {
    const endpoint = /endpoint=([^;]*)/i.exec(email.connectionString)?.[1] ?? '';
    return new EmailClient(email.connectionString, {
      retryOptions,
      allowInsecureConnection: LOOPBACK.test(endpoint),
    });
  }
  return new EmailClient(email.endpoint, credential(), { retryOptions });
}

/**
 * What a channel gets of a personal notice (an approval request to one approver): the same facts, the
 * personal links replaced by the plan page (else the cluster page, else the dashboard), and a line
 * saying where the decision is made.
 */
export function sharedCopy(notice: Notice, baseUrl: string): Notice {
  const { recipient: _personal, ...shared } = notice;
  return withPageLinks(
    {
      ...shared,
      // Every personal notice (approval, Defer, force upgrade, abort) says where its links went.
      facts:
        notice.recipient !== undefined
          ? [...notice.facts, { label: 'Decide', value: 'with the personal link each approver got by email' }]
          : notice.facts,
      actions: [],
    },
    baseUrl,
  );
}

/** An enqueue's dispatch starts this soon after it, unless the spacing below holds it longer. */
export const DISPATCH_SOON_MS = 50;
/**
 * Dispatches after enqueues start at least this far apart. Each one reads the due rows and the sending
 * rate across the outbox, so a release's burst of notices dispatched back to back would read the whole
 * outbox several times a second, a cost that grows with it. A second is still "at once" for an approval
 * request.
 */
export const DISPATCH_SPACING_MS = 1_000;

/**
 * `kick()` runs `run` {@link DISPATCH_SOON_MS} later, or {@link DISPATCH_SPACING_MS} after the last run
 * started if that is later; kicks meanwhile join that run, and runs never overlap.
 */
export function soonAndSpaced(run: () => Promise<unknown>, failed: (e: unknown) => void): () => void {
  let pending: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  let lastStart = Number.NEGATIVE_INFINITY;
  return () => {
    if (pending !== undefined) return;
    const wait = Math.max(DISPATCH_SOON_MS, lastStart + DISPATCH_SPACING_MS - performance.now());
    pending = setTimeout(() => {
      pending = undefined;
      running = running
        .then(() => {
          lastStart = performance.now();
          return run();
        })
        .catch(failed);
    }, wait);
    pending.unref();
  };
}

/** A sender that adds the page links to every notice it sends (see `withPageLinks`). */
function linkingPages(sender: ChannelSender, baseUrl: string): ChannelSender {
  return {
    send: (notice, delivery, attempt) => sender.send(withPageLinks(notice, baseUrl), delivery, attempt),
  };
}

/**
 * Wires the notification side from the settings. `routes` is read on every enqueue, so a policy
 * reload takes effect without a restart.
 */
export function buildNotifier(
  config: Config,
  tables: Tables,
  routes: () => NotificationRoutes,
  credential: () => TokenCredential,
  fetchFn: Fetch = fetch,
  /** Dispatch soon after each enqueue (in this process, debounced) instead of waiting for the timer. */
  dispatchSoon?: { readonly now: () => Date; readonly log: Logger },
): Notifier {
  const { notify } = config;
  const base = config.publicBaseUrl;
  const channels: Channels = {
    ...(notify.email !== undefined && {
      email: linkingPages(
        new AcsEmailSender(emailClient(notify.email, credential), notify.email.sender),
        base,
      ),
    }),
    ...(Object.keys(notify.teamsWorkflows).length > 0 && {
      teams: linkingPages(new TeamsWorkflowSender(notify.teamsWorkflows, fetchFn), base),
    }),
    ...(notify.webhook !== undefined && {
      webhook: linkingPages(
        new WebhookSender(notify.webhook.url, notify.webhook.secret, `${base}/api/notifications`, fetchFn),
        base,
      ),
    }),
  };
  const dispatch: DispatchOptions = { ...DEFAULT_DISPATCH, rates: { email: notify.emailRate } };
  const teamsWorkflows = new Set(Object.keys(notify.teamsWorkflows));
  // Safe to race with the timer and other instances: every row is claimed with an ETag lease, and a
  // dispatch cut short by the platform leaves a leased row the next run retries with the same id.
  const kick =
    dispatchSoon === undefined
      ? () => {}
      : soonAndSpaced(
          () =>
            dispatchNotifications({ outbox, channels, log: dispatchSoon.log }, dispatchSoon.now(), dispatch),
          (e) => dispatchSoon.log.warn(`notifications: ${ensureError(e).message}`),
        );
  const outbox: TableOutbox = new TableOutbox(
    tables,
    (notice) =>
      routeNotice(notice, { routes: routes(), teamsWorkflows, webhook: notify.webhook !== undefined })
        // A channel that is not configured gets no rows: nothing would ever deliver them.
        .deliveries.filter((d) => channels[d.channel] !== undefined),
    kick,
    (notice) => sharedCopy(notice, config.publicBaseUrl),
    config.policy.batchWindowMs,
  );
  return { outbox, channels, dispatch };
}

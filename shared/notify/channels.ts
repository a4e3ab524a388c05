import type { EmailClient, EmailMessage } from '@azure/communication-email';

import type { Notice } from '../domain/notice';
import { ensureError, TransientError, ValidationError } from '../errors';
import type { Channel, Delivery } from './outbox';
import {
  CLOUDEVENTS_CONTENT_TYPE,
  renderCloudEvent,
  SIGNATURE_HEADER,
  signWebhook,
} from './templates/cloudEvent';
import { renderEmail } from './templates/email';
import { messageBytes, renderTeamsMessage, TEAMS_MAX_BYTES } from './templates/teamsCard';

/**
 * Sends one delivery of one notice on one channel. Throws `TransientError` (with `retryAfterMs` when
 * the service said) for what is worth retrying — throttling, 5xx, network — and `ValidationError`
 * for what never will succeed (the service refused the payload, an unknown workflow name).
 */
export interface ChannelSender {
  send(notice: Notice, delivery: Delivery, attempt: SendAttempt): Promise<void>;
}

export interface SendAttempt {
  /** Stable for the delivery row: ACS `Operation-Id`, CloudEvent `id`. */
  readonly operationId: string;
  readonly now: Date;
}

export type Channels = Partial<Readonly<Record<Channel, ChannelSender>>>;

/** Retry-After (seconds or an HTTP date) / retry-after-ms, in milliseconds. */
export function retryAfterMs(
  get: (name: string) => string | null | undefined,
  now: Date,
): number | undefined {
  const ms = get('retry-after-ms') ?? get('x-ms-retry-after-ms');
  if (ms !== null && ms !== undefined && /^\d+$/.test(ms.trim())) return Number(ms);
  const ra = get('retry-after');
  if (ra === null || ra === undefined) return undefined;
  if (/^\d+$/.test(ra.trim())) return Number(ra) * 1000;
  const at = Date.parse(ra);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}

/**
 * The service is throttling (429): the message is fine and so is the service. The dispatcher stops
 * using that channel for the rest of the run and does not count the attempt.
 */
export class ThrottledError extends TransientError {}

function classifyStatus(
  status: number,
  what: string,
  retryAfter: number | undefined,
  cause?: unknown,
): Error {
  if (status === 429)
    return new ThrottledError(`${what}: HTTP 429`, {
      cause,
      ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
    });
  if (status === 408 || status >= 500)
    return new TransientError(`${what}: HTTP ${status}`, {
      cause,
      ...(retryAfter !== undefined && { retryAfterMs: retryAfter }),
    });
  return new ValidationError(`${what}: HTTP ${status}`, `${what} refused the message with HTTP ${status}`, {
    cause,
  });
}

/** ACS Email through `@azure/communication-email`, with the row's operation id as `Operation-Id`. */
export class AcsEmailSender implements ChannelSender {
  constructor(
    private readonly client: EmailClient,
    private readonly senderAddress: string,
  ) {}

  async send(notice: Notice, delivery: Delivery, attempt: SendAttempt): Promise<void> {
    const email = renderEmail(notice);
    const message: EmailMessage = {
      senderAddress: this.senderAddress,
      content: { subject: email.subject, plainText: email.plainText, html: email.html },
      recipients: { to: [{ address: delivery.to }] },
      headers: { 'X-Warden-Notice': notice.kind },
      // Approval links must reach the page untouched; click tracking would rewrite them.
      disableUserEngagementTracking: true,
    };
    try {
      // beginSend posts once (202 = accepted, the service delivers from there) and reads the status once.
      const poller = await this.client.beginSend(message, { operationId: attempt.operationId });
      const state = poller.getOperationState();
      if (state.status === 'failed' || state.result?.status === 'Failed')
        throw new ValidationError('ACS refused the email', state.result?.error?.message ?? 'status Failed');
    } catch (e) {
      if (e instanceof ValidationError) throw e;
      const err = e as {
        statusCode?: number;
        response?: { headers?: { get(n: string): string | undefined } };
      };
      if (typeof err.statusCode === 'number') {
        const headers = err.response?.headers;
        throw classifyStatus(
          err.statusCode,
          'ACS Email',
          headers ? retryAfterMs((n) => headers.get(n), attempt.now) : undefined,
          e,
        );
      }
      const error = ensureError(e);
      if (/long-running operation has failed/i.test(error.message))
        throw new ValidationError('ACS did not deliver the email', error.message, { cause: e });
      throw new TransientError(`ACS Email: ${error.message}`, { cause: e });
    }
  }
}

export type Fetch = typeof fetch;

async function post(
  fetchFn: Fetch,
  url: string,
  body: string,
  headers: Record<string, string>,
  what: string,
  now: Date,
): Promise<void> {
  let res: Response;
  try {
    res = await fetchFn(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(30_000) });
  } catch (e) {
    throw new TransientError(`${what}: ${ensureError(e).message}`, { cause: e });
  }
  await res.arrayBuffer().catch(() => undefined);
  if (res.status >= 200 && res.status < 300) return;
  throw classifyStatus(
    res.status,
    what,
    retryAfterMs((n) => res.headers.get(n), now),
  );
}

/**
 * Teams through a Workflows webhook. The recipient is a workflow NAME; its URL comes only from
 * configuration. 202 means the workflow accepted the card (it posts asynchronously).
 */
export class TeamsWorkflowSender implements ChannelSender {
  constructor(
    private readonly workflows: Readonly<Record<string, string>>,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  async send(notice: Notice, delivery: Delivery, attempt: SendAttempt): Promise<void> {
    const url = this.workflows[delivery.to];
    if (url === undefined)
      throw new ValidationError(
        'unknown Teams workflow',
        `no Teams workflow named "${delivery.to}" in WARDEN_TEAMS_WORKFLOWS`,
      );
    const message = renderTeamsMessage(notice);
    if (messageBytes(message) > TEAMS_MAX_BYTES)
      throw new ValidationError('card too large', `the card is over Teams' ${TEAMS_MAX_BYTES}-byte limit`);
    await post(
      this.fetchFn,
      url,
      JSON.stringify(message),
      { 'content-type': 'application/json' },
      `Teams workflow ${delivery.to}`,
      attempt.now,
    );
  }
}

/** The outbound webhook: the notice as a CloudEvent, signed (see `SIGNATURE_HEADER`). */
export class WebhookSender implements ChannelSender {
  constructor(
    private readonly url: string,
    private readonly secret: string,
    private readonly source: string,
    private readonly fetchFn: Fetch = fetch,
  ) {}

  async send(notice: Notice, _delivery: Delivery, attempt: SendAttempt): Promise<void> {
    const body = JSON.stringify(renderCloudEvent(notice, attempt.operationId, this.source));
    await post(
      this.fetchFn,
      this.url,
      body,
      {
        'content-type': CLOUDEVENTS_CONTENT_TYPE,
        [SIGNATURE_HEADER]: signWebhook(this.secret, body, attempt.now),
      },
      'webhook',
      attempt.now,
    );
  }
}

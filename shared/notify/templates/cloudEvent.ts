import { createHmac, timingSafeEqual } from 'node:crypto';

import type { Notice } from '../../domain/notice';
import { safeActions } from './common';

/** A notice as a CloudEvents 1.0 event (structured mode JSON). */
export interface NoticeCloudEvent {
  readonly specversion: '1.0';
  readonly id: string;
  readonly source: string;
  readonly type: `warden.${Notice['kind']}`;
  readonly subject?: string;
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: {
    readonly key: string;
    readonly kind: Notice['kind'];
    readonly severity: Notice['severity'];
    readonly title: string;
    readonly summary: string;
    readonly facts: Notice['facts'];
    readonly actions: Notice['actions'];
    readonly audience: Notice['audience'];
    readonly cluster?: Notice['cluster'];
    readonly planId?: string;
  };
}

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=utf-8';
/** `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the timestamp lets a receiver refuse replays. */
export const SIGNATURE_HEADER = 'warden-signature';

/**
 * Renders a notice as a CloudEvent of type `warden.<kind>`. `id` is stable for the notice, so a
 * receiver deduplicates a redelivery; `source` identifies this Warden instance.
 */
export function renderCloudEvent(notice: Notice, id: string, source: string): NoticeCloudEvent {
  return {
    specversion: '1.0',
    id,
    source,
    type: `warden.${notice.kind}`,
    ...((notice.cluster?.id ?? notice.planId) !== undefined && {
      subject: notice.cluster?.id ?? notice.planId,
    }),
    time: notice.at,
    datacontenttype: 'application/json',
    data: {
      key: notice.key,
      kind: notice.kind,
      severity: notice.severity,
      title: notice.title,
      summary: notice.summary,
      facts: notice.facts,
      // Personal (per-approver) links never leave by webhook.
      actions: notice.recipient !== undefined ? [] : safeActions(notice.actions),
      audience: notice.audience,
      ...(notice.cluster !== undefined && { cluster: notice.cluster }),
      ...(notice.planId !== undefined && { planId: notice.planId }),
    },
  };
}

/** The signature header value for a body sent at `at`. */
export function signWebhook(secret: string, body: string, at: Date): string {
  const t = Math.floor(at.getTime() / 1000);
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** Checks a signature header (for receivers and tests); `toleranceS` bounds the age of `t`. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string,
  now: Date,
  toleranceS = 300,
): boolean {
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header.trim());
  if (!m) return false;
  const t = Number(m[1]);
  if (Math.abs(now.getTime() / 1000 - t) > toleranceS) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return timingSafeEqual(Buffer.from(expected, 'hex'), Buffer.from(m[2] ?? '', 'hex'));
}

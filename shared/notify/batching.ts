import type { Notice, NoticeKind } from '../domain/notice';
import type { Delivery } from './outbox';

/**
 * Batched notices: per recipient, the informational ones (plan scheduled, started, approved by
 * policy, succeeded; a pool done) wait for the end of their batch window and go out as one message listing
 * them; everything a person must act on or know now (approval requests and reminders, failures,
 * holds, support ending, AKS notices, an approval by a person) goes at once. Windows are aligned to the clock (every
 * `windowMs` since midnight UTC), so every notice for one recipient within one window joins the same
 * batch whoever enqueues it. Personal notices (approval links) and the machine webhook are never batched.
 */
export const BATCHED_KINDS: ReadonlySet<NoticeKind> = new Set<NoticeKind>([
  'plan-scheduled',
  'plan-started',
  'plan-approved',
  'pool-succeeded',
  'plan-succeeded',
]);

export function batchable(notice: Notice, delivery: Delivery, windowMs: number): boolean {
  return (
    windowMs > 0 &&
    BATCHED_KINDS.has(notice.kind) &&
    notice.urgent !== true &&
    notice.recipient === undefined &&
    delivery.channel !== 'webhook'
  );
}

/** The end of the batch window `at` falls in (a notice exactly at a boundary opens the next one). */
export function batchWindowEnd(at: Date, windowMs: number): Date {
  return new Date((Math.floor(at.getTime() / windowMs) + 1) * windowMs);
}

const COUNT_LABEL: Partial<Record<NoticeKind, string>> = {
  'plan-scheduled': 'scheduled',
  'plan-started': 'started',
  'plan-approved': 'approved',
  'pool-succeeded': 'node pools upgraded',
  'plan-succeeded': 'finished',
};

/** The one message a batch sends: what happened, counted by kind, one line per notice (newest last). */
export function batchNotice(
  key: string,
  notices: readonly Notice[],
  window: { readonly from: Date; readonly to: Date },
): Notice {
  const sorted = [...notices].sort((a, b) => a.at.localeCompare(b.at) || a.key.localeCompare(b.key));
  const counts = new Map<string, number>();
  for (const n of sorted) {
    const label = COUNT_LABEL[n.kind] ?? n.kind;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  const tally = [...counts].map(([label, n]) => `${n} ${label}`).join(', ');
  const hhmm = (d: Date): string => d.toISOString().slice(11, 16);
  return {
    kind: 'notice-batch',
    key,
    severity: 'info',
    title: `${sorted.length} upgrade ${sorted.length === 1 ? 'update' : 'updates'}: ${tally}`,
    summary:
      `What happened between ${hhmm(window.from)} and ${hhmm(window.to)} UTC on ` +
      `${window.to.toISOString().slice(0, 10)}, in one message instead of ${sorted.length}. ` +
      'Approval requests, failures and holds are never held back: they arrive on their own.',
    facts: sorted.map((n) => ({ label: n.at.slice(11, 16), value: n.title })),
    actions: [],
    audience: [],
    at: window.to.toISOString(),
  };
}

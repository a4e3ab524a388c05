import type { Ring } from './rings';

/**
 * A fact worth telling people, as data. Use cases and the plan state machine produce notices;
 * shared/notify renders them (email, Teams card, outbound CloudEvent) and the outbox delivers them,
 * once per (key, recipient).
 */
export type NoticeKind =
  | 'approval-requested'
  | 'approval-reminder'
  | 'approval-escalated'
  | 'plan-approved'
  | 'plan-rejected'
  | 'approval-expired'
  | 'plan-scheduled'
  | 'plan-started'
  | 'pool-succeeded'
  | 'pool-failed'
  | 'plan-succeeded'
  | 'plan-failed'
  | 'plan-blocked'
  | 'plan-cancelled'
  | 'support-ending'
  | 'support-ended'
  | 'aks-advance-notice'
  | 'auto-upgrade-conflict'
  | 'fleet-run-stopped'
  | 'upgraded-outside-warden'
  | 'daily-digest'
  /** Informational notices of one batch window, for one recipient (shared/notify/batching.ts). */
  | 'notice-batch';

/** Who should hear of it; routing (shared/notify) turns these into addresses from the policy and tags. */
export type Audience = 'oncall' | 'oncall-secondary' | 'owners' | 'platform';

export interface NoticeAction {
  readonly label: string;
  readonly url: string;
  /** `positive` / `destructive` render as such in Teams; links stay plain links in email. */
  readonly style?: 'default' | 'positive' | 'destructive';
}

export interface NoticeFact {
  readonly label: string;
  readonly value: string;
}

export interface Notice {
  readonly kind: NoticeKind;
  /**
   * Idempotency key: one notice per key and recipient, ever. Build it from what makes the fact
   * unique, e.g. `plan:{planId}:{auditSeq}:approval-requested` or `support-ending:{clusterKey}:{version}`.
   */
  readonly key: string;
  readonly severity: 'info' | 'warning' | 'critical';
  /** One line, e.g. "prod-weu-1: approve 1.29.7 → 1.30.3". The email subject is "[Warden] " + title. */
  readonly title: string;
  /** A few sentences of plain text. */
  readonly summary: string;
  readonly facts: readonly NoticeFact[];
  readonly actions: readonly NoticeAction[];
  readonly audience: readonly Audience[];
  readonly cluster?: {
    readonly id: string;
    readonly name: string;
    readonly ring: Ring;
    readonly tags: Readonly<Record<string, string>>;
  };
  readonly planId?: string;
  /** Approval links are per approver: when set, this notice goes only to this address. */
  readonly recipient?: string;
  /**
   * A notice for one team's Teams channel (its daily digest): when set, it goes only to this configured
   * workflow name (the `teams-channel` tag's value), as `recipient` does for one email address.
   */
  readonly teamsChannel?: string;
  /** ISO time the fact happened. */
  readonly at: string;
  /**
   * Goes at once even when its kind is informational: a person's decision that others are waiting
   * to hear (an approval by a person, unlike one by policy).
   */
  readonly urgent?: boolean;
}

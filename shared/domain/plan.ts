import type { ClusterSnapshot } from './cluster';
import type { FleetGatePlan } from './fleetGate';
import type { Notice } from './notice';
import type { PlanPreflight } from './preflight';
import type { PromotionEvidence } from './promotion';
import type { Ring } from './rings';
import type { PlanKind, StepTarget } from './targeting';

/**
 * An upgrade plan: its statuses, steps, approval rounds and audit entries, the events it
 * accepts and the effects a transition returns, with small pure helpers over them:
 *
 * ```
 * proposed → awaiting-approval → approved → scheduled → running → succeeded
 *                     ↘ rejected | expired          ↘ failed (step, reason) | cancelled | superseded
 * ```
 *
 * The state machine that moves a plan, `transition(plan, event, now)`, is ./planTransition.ts.
 */

export type PlanStatus =
  | 'proposed'
  | 'awaiting-approval'
  | 'approved'
  | 'scheduled'
  | 'running'
  | 'blocked'
  | 'succeeded'
  | 'rejected'
  | 'expired'
  | 'failed'
  | 'cancelled'
  | 'superseded';

/** Every status, and whether a plan in it is still open (exhaustive by type). */
export const PLAN_STATUSES: Readonly<Record<PlanStatus, 'open' | 'closed'>> = {
  proposed: 'open',
  'awaiting-approval': 'open',
  approved: 'open',
  scheduled: 'open',
  running: 'open',
  blocked: 'open',
  succeeded: 'closed',
  rejected: 'closed',
  expired: 'closed',
  failed: 'closed',
  cancelled: 'closed',
  superseded: 'closed',
};

export const isOpen = (status: PlanStatus): boolean => PLAN_STATUSES[status] === 'open';

/** Open and not started: a newer target may still replace it. */
export const NOT_STARTED: readonly PlanStatus[] = ['proposed', 'awaiting-approval', 'approved', 'scheduled'];

export function isPlanStatus(value: string): value is PlanStatus {
  return Object.hasOwn(PLAN_STATUSES, value);
}

/** `version` plans (patch, minor) and `node-image` plans: one open plan per cluster and class. */
export type PlanClass = 'version' | 'node-image';
export const classOf = (kind: PlanKind): PlanClass => (kind === 'node-image' ? 'node-image' : 'version');

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed';

export type PlanStep = StepTarget & {
  readonly status: StepStatus;
  readonly startedAt?: string;
  readonly finishedAt?: string;
  readonly operationId?: string;
  readonly error?: string;
  /** The ARM operation the runner started for this step (docs/design/runner.md §3); kept by the runner. */
  readonly operation?: StepOperation;
  /** Requests the runner decided to send for this step (the intent write precedes each; docs/design/runner.md §4). */
  readonly attempt?: number;
  readonly intentAt?: string;
  /** The desired version (or node image) ARM showed before the first request: "already requested" is judged against it. */
  readonly desiredBefore?: string;
  /** Not before: the next poll of the operation, the next request after a 409 / 429 / 5xx. */
  readonly nextPollAt?: string;
  readonly nextAttemptAt?: string;
  readonly lastError?: string;
};

/** A started ARM operation: where to poll it, and since when it runs. */
export interface StepOperation {
  readonly pollUrl?: string;
  readonly pollKind?: 'azure-async-operation' | 'location';
  readonly startedAt: string;
  /** HTTP status of the initial answer (304: nothing started, the pool was already on the latest image). */
  readonly httpStatus?: number;
}

/** Why a plan is `blocked`: AKS refused the upgrade on recent use of deprecated APIs (docs/design/runner.md §6). */
export interface PlanBlock {
  readonly step: number;
  readonly reason: string;
  /** As AKS lists them, e.g. `flowcontrol.apiserver.k8s.io.v1beta3.prioritylevelconfigurations.list`. */
  readonly deprecatedApis: readonly string[];
  readonly at: string;
  /** Random id the force-upgrade links of this block carry (a new block voids older links). */
  readonly requestId: string;
}

/** The window a plan will run in: bound into every approval. */
export interface PlanWindow {
  readonly source: 'aks' | 'policy' | 'none';
  /** Human description, e.g. "Saturday 02:00 +00:00 for 4 h" or "any time (no window configured)". */
  readonly description: string;
  /** Next occurrence, when known. */
  readonly start?: string;
  readonly end?: string;
}

/**
 * What an approval is bound to: the schedule, not its next occurrence (which moves on as time passes).
 * A different schedule (AKS configuration or policy window changed) voids the approval.
 */
export const windowKey = (w: PlanWindow | undefined): string =>
  w === undefined ? 'none' : `${w.source}|${w.description}`;

export interface Finding {
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
}

/** What the policy decided for this plan when it was made. */
export interface PlanGate {
  readonly gated: boolean;
  readonly required: number;
  readonly autoExecute: boolean;
  readonly expiryMs: number;
  readonly reminderAt: number;
  readonly escalateAt: number;
  /** Who gets the approval links (primary), and who is added on escalation. */
  readonly approvers: readonly string[];
  readonly secondary: readonly string[];
  /**
   * Asked in a wave (the policy's `waves`): the request waits for the wave's assembly, which asks for
   * this plan together with its wave (one request per approver), or on its own when it has no company.
   */
  readonly waves?: boolean;
}

export interface ApprovalDecision {
  readonly approver: string;
  readonly decision: 'approve' | 'reject';
  readonly comment: string;
  readonly at: string;
  readonly round: number;
}

/** A decision in the past tense, as pages, notices and logs say it (`${decision}d` gives "rejectd"). */
export function decided(decision: ApprovalDecision['decision']): 'approved' | 'rejected' {
  return decision === 'approve' ? 'approved' : 'rejected';
}

/** One round of asking for approval. A changed window voids it and starts the next round. */
export interface ApprovalRound {
  readonly round: number;
  /** Random id of this round; every token of the round carries it. */
  readonly requestId: string;
  readonly requestedAt: string;
  readonly expiresAt: string;
  /** Everyone a link was sent to in this round (secondary added on escalation). */
  readonly approvers: readonly string[];
  readonly remindedAt?: string;
  readonly escalatedAt?: string;
  readonly decisions: readonly ApprovalDecision[];
  /** When the request of this round went out (a plan asked in waves is asked once its wave is assembled). */
  readonly askedAt?: string;
  /** The wave this round was asked in; its reminders and escalation go per wave. */
  readonly wave?: string;
}

export type Urgency = 'normal' | 'high' | 'critical';

export interface PlanCluster {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly subscriptionId: string;
  readonly resourceGroup: string;
  readonly location: string;
  readonly ring: Ring;
  readonly tags: Readonly<Record<string, string>>;
}

/** The cluster as a plan keeps it: who and where, from the snapshot it was planned from. */
export function planCluster(s: ClusterSnapshot): PlanCluster {
  return {
    id: s.id,
    key: s.key,
    name: s.name,
    subscriptionId: s.subscriptionId,
    resourceGroup: s.resourceGroup,
    location: s.location,
    ring: s.ring,
    tags: s.tags,
  };
}

export interface Plan {
  readonly id: string;
  readonly cluster: PlanCluster;
  readonly kind: PlanKind;
  readonly from: string;
  readonly to: string;
  readonly nodeImage?: string;
  readonly steps: readonly PlanStep[];
  readonly status: PlanStatus;
  /** Bumped by every transition; the audit entry's sequence number. */
  readonly seq: number;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Who started it: `warden` for plans Warden made itself, else a person's email. Cannot approve it. */
  readonly initiator: string;
  /** Why it exists, e.g. "NewKubernetesVersionAvailable (event 1234)". */
  readonly reason: string;
  readonly urgency: Urgency;
  readonly deadline?: string;
  readonly gate: PlanGate;
  readonly window?: PlanWindow;
  readonly findings: readonly Finding[];
  readonly evidence?: PromotionEvidence;
  readonly approval?: ApprovalRound;
  readonly failure?: { readonly step: number; readonly reason: string };
  readonly blocked?: PlanBlock;
  /** A force upgrade approved for a blocked plan: the control-plane request carries `overrideSettings` until `until`. */
  readonly forceUpgrade?: { readonly approver: string; readonly at: string; readonly until: string };
  /** Why the runner is not starting the next step now (window closed, another plan runs, auto-upgrade on…). */
  readonly hold?: { readonly reason: string; readonly since: string };
  readonly supersededBy?: string;
  /** A `fleet-gate` plan: the Fleet gate it decides, the run and the members behind it. */
  readonly fleetGate?: FleetGatePlan;
  readonly closedAt?: string;
  /** The latest pre-flight report: whether the upgrade can succeed (shared/domain/preflight.ts). */
  readonly preflight?: PlanPreflight;
}

/**
 * Where a click came from: `ip` as the platform's front end saw it; `claimedForwardedFor`, what the
 * caller wrote in `X-Forwarded-For` itself (unverified, labelled so); the user agent.
 */
export interface HttpOrigin {
  readonly ip?: string;
  readonly claimedForwardedFor?: string;
  readonly userAgent?: string;
}

/** Where a transition came from, for the audit trail. */
export type AuditSource =
  | { readonly kind: 'event'; readonly eventId: string; readonly eventType: string }
  | ({ readonly kind: 'http' } & HttpOrigin)
  | { readonly kind: 'timer'; readonly name: string }
  | { readonly kind: 'sweep' }
  | { readonly kind: 'runner' };

export interface By {
  /** `warden`, `policy`, an approver's email, `runner`… */
  readonly actor: string;
  readonly source: AuditSource;
}

export interface AuditEntry {
  readonly planId: string;
  readonly clusterKey: string;
  readonly clusterName: string;
  readonly seq: number;
  readonly at: string;
  readonly event: string;
  readonly from: PlanStatus | 'none';
  readonly to: PlanStatus;
  readonly actor: string;
  readonly source: AuditSource;
  readonly reason: string;
  readonly comment?: string;
  /** The wave decision this entry came from (`{waveId}/{approver}`), or the wave the plan was asked in. */
  readonly wave?: string;
}

/** Events a plan accepts. Past tense: they say what happened. */
export type PlanEvent =
  | { readonly type: 'PromotionPending'; readonly evidence: PromotionEvidence; readonly by: By }
  | {
      readonly type: 'PromotionSatisfied';
      readonly evidence: PromotionEvidence;
      /** Fresh random id for the approval round this may open. */
      readonly requestId: string;
      readonly by: By;
    }
  | {
      readonly type: 'ApprovalGranted';
      readonly approver: string;
      readonly comment: string;
      readonly round: number;
      /** Decided for a whole wave: the wave decision (`{waveId}/{approver}`), named in the audit trail. */
      readonly wave?: string;
      readonly by: By;
    }
  | {
      readonly type: 'ApprovalRejected';
      readonly approver: string;
      readonly comment: string;
      readonly round: number;
      /** Decided for a whole wave: the wave decision (`{waveId}/{approver}`), named in the audit trail. */
      readonly wave?: string;
      readonly by: By;
    }
  /**
   * The request of the current round went out: in a wave (`wave`), or on its own (no company, left out
   * of a wave decision, or changed since its wave was asked: `reason`).
   */
  | {
      readonly type: 'ApprovalAsked';
      readonly wave?: { readonly id: string; readonly size: number };
      readonly reason: string;
      readonly by: By;
    }
  | { readonly type: 'ApprovalReminderDue'; readonly by: By }
  | { readonly type: 'ApprovalEscalationDue'; readonly by: By }
  | { readonly type: 'ApprovalExpired'; readonly by: By }
  | {
      readonly type: 'WindowChanged';
      readonly window: PlanWindow;
      readonly requestId: string;
      readonly by: By;
    }
  | {
      readonly type: 'Superseded';
      readonly by: By;
      readonly supersededBy: string;
      readonly newTarget: string;
    }
  | { readonly type: 'Scheduled'; readonly window: PlanWindow; readonly by: By }
  | { readonly type: 'StepStarted'; readonly step: number; readonly operationId?: string; readonly by: By }
  | { readonly type: 'StepSucceeded'; readonly step: number; readonly by: By }
  | { readonly type: 'StepFailed'; readonly step: number; readonly reason: string; readonly by: By }
  | { readonly type: 'PlanSucceeded'; readonly by: By }
  | {
      readonly type: 'StepBlocked';
      readonly step: number;
      readonly reason: string;
      readonly deprecatedApis: readonly string[];
      readonly requestId: string;
      readonly by: By;
    }
  | {
      readonly type: 'ForceUpgradeApproved';
      readonly approver: string;
      readonly comment: string;
      readonly until: string;
      readonly by: By;
    }
  | { readonly type: 'Cancelled'; readonly reason: string; readonly by: By }
  /** A pre-flight ran (proposal, before the approval request, on demand, before a step). */
  | { readonly type: 'PreflightChecked'; readonly report: PlanPreflight; readonly by: By }
  /** Fleet accepted the `Completed` state Warden sent for an approved `fleet-gate` plan. */
  | { readonly type: 'FleetGateCompleted'; readonly by: By }
  | {
      readonly type: 'UrgencyRaised';
      readonly urgency: Urgency;
      readonly deadline?: string;
      readonly reason: string;
      readonly by: By;
    };

export type PlanEventType = PlanEvent['type'];

/** Which statuses accept which event: a total table, so a new event or status fails to compile until placed. */
export const ACCEPTS: Readonly<Record<PlanEventType, readonly PlanStatus[]>> = {
  PromotionPending: ['proposed'],
  PromotionSatisfied: ['proposed'],
  ApprovalGranted: ['awaiting-approval'],
  ApprovalRejected: ['awaiting-approval'],
  ApprovalAsked: ['awaiting-approval'],
  ApprovalReminderDue: ['awaiting-approval'],
  ApprovalEscalationDue: ['awaiting-approval'],
  ApprovalExpired: ['awaiting-approval'],
  WindowChanged: ['proposed', 'awaiting-approval', 'approved', 'scheduled'],
  Superseded: NOT_STARTED,
  Scheduled: ['approved'],
  StepStarted: ['approved', 'scheduled', 'running'],
  StepSucceeded: ['running'],
  StepFailed: ['running'],
  PlanSucceeded: ['running'],
  StepBlocked: ['approved', 'scheduled', 'running'],
  ForceUpgradeApproved: ['blocked'],
  // Only while no step has started (a finer rule in `transition`); abort a running step instead.
  Cancelled: ['proposed', 'awaiting-approval', 'approved', 'scheduled', 'running', 'blocked'],
  FleetGateCompleted: ['approved'],
  UrgencyRaised: ['proposed', 'awaiting-approval', 'approved', 'scheduled', 'running', 'blocked'],
  PreflightChecked: ['proposed', 'awaiting-approval', 'approved', 'scheduled', 'running', 'blocked'],
};

/** Data the adapter acts on after the plan is saved. */
export type PlanEffect =
  /** Written in the same storage transaction as the plan. */
  | { readonly type: 'audit'; readonly entry: AuditEntry }
  | { readonly type: 'notify'; readonly notice: Notice }
  /** Sign one link per approver and send it (request, reminder or escalation). */
  | {
      readonly type: 'request-approval';
      readonly mode: 'request' | 'reminder' | 'escalation';
      readonly planId: string;
      readonly round: number;
      readonly requestId: string;
      readonly approvers: readonly string[];
      readonly expiresAt: string;
      /** Idempotency key prefix for the notices. */
      readonly key: string;
      /** Not sent per plan: its wave asks (the plan's gate asks in waves). */
      readonly perWave?: true;
    }
  /** For the runner: start this step through ARM. */
  | {
      readonly type: 'arm';
      readonly action: 'upgrade-control-plane' | 'upgrade-node-pool' | 'upgrade-node-image';
      readonly planId: string;
      readonly clusterId: string;
      readonly step: number;
      readonly pool?: string;
      readonly version: string;
    };

export interface TransitionResult {
  readonly plan: Plan;
  readonly effects: readonly PlanEffect[];
}

export function planTitle(plan: Pick<Plan, 'kind' | 'from' | 'to' | 'nodeImage' | 'cluster'>): string {
  return plan.kind === 'node-image'
    ? `${plan.cluster.name}: node image → ${plan.nodeImage ?? '?'}`
    : `${plan.cluster.name}: ${plan.from} → ${plan.to}`;
}

/** The cluster a plan's notices name (routing reads its ring and owner tags). */
export function noticeCluster(plan: Plan): NonNullable<Notice['cluster']> {
  return { id: plan.cluster.id, name: plan.cluster.name, ring: plan.cluster.ring, tags: plan.cluster.tags };
}

export function stepLabel(step: StepTarget): string {
  switch (step.kind) {
    case 'control-plane':
      return `control plane ${step.from} → ${step.to}`;
    case 'node-pool':
      return `pool ${step.pool} ${step.from} → ${step.to}`;
    case 'node-image':
      return `pool ${step.pool} image ${step.from} → ${step.to}`;
  }
}

/** Ids of approvers who may still decide in the current round. */
export function pendingApprovers(plan: Plan): string[] {
  const a = plan.approval;
  if (a === undefined || plan.status !== 'awaiting-approval') return [];
  return a.approvers.filter((x) => !a.decisions.some((d) => d.approver === x));
}

import { policySchedule, selectSchedule } from './maintenanceConfiguration';
import type { Schedule } from './maintenanceWindow';
import { describeSchedule, nextStartableWindow } from './maintenanceWindow';
import type { PlanStep, PlanWindow } from './plan';
import type { Policy } from './policy';
import type { Ring } from './rings';
import type { PlanKind } from './targeting';
import { compareNodeImages } from './targeting';
import { compareVersions, parseVersion } from './versions';

/**
 * The upgrade runner's decisions, pure (docs/design/runner.md): which window governs a step, whether a step
 * was already requested or finished according to ARM, how a failed request is handled, and how long
 * to back off. shared/usecases/runUpgrades.ts reads ARM and the plan store and acts on these answers.
 */

/**
 * The runner timer (functions/upgradeRunner.ts): every minute, 5 s past it. Windows open on a whole
 * minute (an AKS configuration's `startTime` and the policy's are `HH:mm`), so the first tick inside
 * a window comes 5 s after it opens; the 5 s keep clear of a timer that fires a moment early.
 */
export const RUNNER_SCHEDULE = '5 * * * * *';
export const RUNNER_EVERY_MS = 60_000;
const RUNNER_SECOND_MS = 5_000;
/**
 * A tick takes no new plan once it has run this long, so that the plans in hand are done before the
 * next tick is due (the Functions host does not start a timer's next run while one is running).
 */
export const RUNNER_TAKES_PLANS_FOR_MS = 40_000;

/** The runner timer's next run after `now` (a NodePoolRolling event may move a plan on sooner). */
export function nextRunnerRun(now: Date): Date {
  const since = now.getTime() - RUNNER_SECOND_MS;
  return new Date((Math.floor(since / RUNNER_EVERY_MS) + 1) * RUNNER_EVERY_MS + RUNNER_SECOND_MS);
}

export interface StepWindow {
  /** True when a step may start now: inside an open window with at least the policy's minimum left. */
  readonly canStart: boolean;
  /** What the plan shows: the schedule and its next startable opening. */
  readonly window: PlanWindow;
  /** Set when an applicable AKS configuration cannot be read: treated as closed. */
  readonly problem?: string;
}

/**
 * The window a step of this plan kind runs in: the cluster's AKS maintenance configuration
 * (`aksManagedAutoUpgradeSchedule` / `aksManagedNodeOSUpgradeSchedule`, else `default`), else the
 * policy's window for the ring, else any time. An applicable configuration that does not parse means
 * closed: Warden never guesses a window (docs/design/runner.md §2).
 */
export function stepWindow(
  configs: readonly unknown[],
  kind: PlanKind,
  ring: Ring,
  policy: Pick<Policy, 'windows' | 'minimumWindowRemainingMs'>,
  now: Date,
): StepWindow {
  let schedule: Schedule | undefined;
  let source: PlanWindow['source'] = 'none';
  try {
    const selected = selectSchedule(configs, kind === 'fleet-gate' ? 'kubernetes' : kind);
    if (selected) {
      schedule = selected.schedule;
      source = 'aks';
    }
  } catch (e) {
    const problem = e instanceof Error ? e.message : String(e);
    return {
      canStart: false,
      problem,
      window: { source: 'aks', description: `closed: unreadable maintenance configuration (${problem})` },
    };
  }
  const fallback = policy.windows[ring];
  if (schedule === undefined && fallback !== undefined) {
    schedule = policySchedule(fallback, `policy.windows.${ring}`);
    source = 'policy';
  }
  if (schedule === undefined)
    return {
      canStart: true,
      window: { source: 'none', description: 'any time (no maintenance window configured)' },
    };
  const next = nextStartableWindow(schedule, now, policy.minimumWindowRemainingMs);
  return {
    canStart: next !== undefined && next.start.getTime() === now.getTime(),
    window: {
      source,
      description: describeSchedule(schedule),
      ...(next !== undefined && { start: next.start.toISOString(), end: next.end.toISOString() }),
    },
  };
}

/** What ARM shows of the resource a step changes (a fresh GET, never Resource Graph: it lags). */
export interface StepObservation {
  /** The requested version (`kubernetesVersion` / pool `orchestratorVersion`) or, for node images, the image. */
  readonly desired: string;
  /** The running version (`currentKubernetesVersion` / `currentOrchestratorVersion`) or image. */
  readonly current: string;
  readonly provisioningState: string | undefined;
}

/**
 * Where a step stands according to ARM alone (the resume-after-crash rules, docs/design/runner.md §4):
 * - `done`: the running version (image) is the target and nothing is operating;
 * - `failed`: the resource is `Failed` (or `Canceled`) after our request;
 * - `in-flight`: our request landed (the desired value is the target, or moved since `desiredBefore`)
 *   and the resource is still operating;
 * - `not-requested`: nothing of ours reached ARM: send the request (this is the one request).
 */
export type StepState = 'not-requested' | 'in-flight' | 'done' | 'failed';

const OPERATING = /^[a-z]+ing/i; // Upgrading, Updating, UpgradingNodeImageVersion, Canceling, Creating…

function settled(state: string | undefined): boolean {
  return state === undefined || state.toLowerCase() === 'succeeded';
}

/** `1.29` is not `1.29.9`: only a full version counts as the same target. */
function sameVersion(a: string, b: string): boolean {
  const x = parseVersion(a);
  const y = parseVersion(b);
  return x?.patch !== undefined && y?.patch !== undefined && compareVersions(x, y) === 0;
}

export function stepState(step: PlanStep, seen: StepObservation): StepState {
  const state = seen.provisioningState;
  const failed = state !== undefined && /^(failed|canceled|cancelled)$/i.test(state);
  if (step.kind === 'node-image') {
    const reached = seen.current !== '' && compareNodeImages(seen.current, step.to) >= 0;
    if (reached && settled(state)) return 'done';
    if (state !== undefined && OPERATING.test(state)) return 'in-flight';
    if (failed && step.operation !== undefined) return 'failed';
    return 'not-requested';
  }
  const reached = sameVersion(seen.current, step.to) || compareVersions(seen.current, step.to) > 0;
  if (reached && parseVersion(seen.current) !== undefined && settled(state)) return 'done';
  const requested =
    sameVersion(seen.desired, step.to) ||
    (step.desiredBefore !== undefined && seen.desired !== step.desiredBefore);
  if (!requested) return 'not-requested';
  if (failed) return 'failed';
  return 'in-flight';
}

/** A failed request as the runner sees it (status, ARM code and subcode, message, Retry-After). */
export interface RequestFailure {
  readonly status?: number;
  readonly code?: string;
  readonly subcode?: string;
  readonly message: string;
  readonly retryAfterMs?: number;
}

export type FailureHandling =
  /** The deprecated-API block: the plan is `blocked` with the APIs listed. */
  | { readonly kind: 'blocked'; readonly reason: string; readonly deprecatedApis: readonly string[] }
  /** 409 (another operation) or 412 (the resource changed): read ARM again and retry later. */
  | { readonly kind: 'retry-later'; readonly reason: string; readonly notBefore: Date }
  /** 429, 5xx, network: back off. */
  | { readonly kind: 'back-off'; readonly reason: string; readonly notBefore: Date }
  /** The cluster or pool no longer exists. */
  | { readonly kind: 'gone'; readonly reason: string }
  /** Anything else ARM refused: the step fails with ARM's message. */
  | { readonly kind: 'failed'; readonly reason: string };

export const DEPRECATED_API_SUBCODE = 'UpgradeBlockedOnDeprecatedAPIUsage';
const RETRY_LATER_MS = 5 * 60_000;
const BACKOFF_BASE_MS = 30_000;
const BACKOFF_CAP_MS = 30 * 60_000;

/** Back-off for the `attempt`-th failure: `max(Retry-After, 2^(attempt-1) × 30 s)`, at most 30 min. */
export function backoffMs(attempt: number, retryAfterMs?: number): number {
  const exp = BACKOFF_BASE_MS * 2 ** Math.max(0, Math.min(attempt - 1, 10));
  return Math.min(BACKOFF_CAP_MS, Math.max(retryAfterMs ?? 0, exp));
}

/**
 * The APIs of a deprecated-API block, from the lines AKS writes into the message:
 * `usage has been detected on API <group.version.resource.verb>, and was recently seen at: …`.
 */
export function deprecatedApisOf(message: string): string[] {
  const apis = [...message.matchAll(/usage has been detected on API ([^\s,]+)/gi)].map((m) => m[1] ?? '');
  return [...new Set(apis.filter((a) => a !== ''))];
}

/** What to do about a request ARM refused (docs/design/runner.md §6). */
export function handleFailure(f: RequestFailure, attempt: number, now: Date): FailureHandling {
  const reason = f.message;
  if (f.status === 400 && f.subcode === DEPRECATED_API_SUBCODE)
    return {
      kind: 'blocked',
      reason: 'AKS blocked the upgrade on recent deprecated API usage',
      deprecatedApis: deprecatedApisOf(f.message),
    };
  if (f.status === 404) return { kind: 'gone', reason: `no longer exists: ${reason}` };
  if (f.status === 409 || f.status === 412)
    return {
      kind: 'retry-later',
      reason,
      notBefore: new Date(
        now.getTime() + Math.max(f.retryAfterMs ?? 0, f.status === 412 ? 0 : RETRY_LATER_MS),
      ),
    };
  if (f.status === undefined || f.status === 429 || f.status === 408 || f.status >= 500)
    return {
      kind: 'back-off',
      reason,
      notBefore: new Date(now.getTime() + backoffMs(attempt, f.retryAfterMs)),
    };
  return { kind: 'failed', reason };
}

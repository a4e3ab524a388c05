/**
 * The pre-flight report a plan carries: before anyone approves, and right before each step starts,
 * whether the upgrade can succeed. The check ids are part of Warden's contract (API clients, policy
 * and notices name them); each check says what it found in numbers (`detail`) and links the
 * Microsoft doc that says what to do (`guidance`).
 */

/** The checks, in the order a report lists them. */
export const PREFLIGHT_CHECK_IDS = [
  'cluster-state',
  'subnet-ips',
  'vcpu-quota',
  'pdb',
  'deprecated-apis',
  'nodes-ready',
  'max-surge',
  'window-fits',
] as const;

export type PreflightCheckId = (typeof PREFLIGHT_CHECK_IDS)[number];

export type PreflightStatus = 'pass' | 'warn' | 'fail' | 'unknown';

export type PreflightVerdict = 'go' | 'warn' | 'no-go';

export interface PreflightCheck {
  readonly id: PreflightCheckId;
  readonly status: PreflightStatus;
  /** One line: what was checked, e.g. "Free IPs in the node subnet of pool user1". */
  readonly title: string;
  /** What was found, with its numbers: "12 free, 34 needed (2 surge nodes × 17 addresses)". */
  readonly detail: string;
  /** A Microsoft doc that says what to do about it. */
  readonly guidance: string;
  /** The pool it is about, for the per-pool checks. */
  readonly pool?: string;
}

export interface PreflightReport {
  readonly verdict: PreflightVerdict;
  /** ISO time the checks ran. */
  readonly checkedAt: string;
  readonly checks: readonly PreflightCheck[];
}

export function isPreflightCheckId(value: string): value is PreflightCheckId {
  return (PREFLIGHT_CHECK_IDS as readonly string[]).includes(value);
}

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

/** One node as `kubectl describe nodes` shows it: kept with the report and shown with the cluster. */
export interface PreflightNode {
  readonly name: string;
  /** The `kubernetes.azure.com/agentpool` label. */
  readonly pool?: string;
  readonly ready: boolean;
  /** `spec.unschedulable` (cordoned). */
  readonly cordoned: boolean;
  readonly kernel: string;
  readonly osImage: string;
  readonly kubelet: string;
  /** The `kubernetes.azure.com/node-image-version` label. */
  readonly nodeImage?: string;
}

/** A report as plans carry it: the checks, their verdict, and the node view the checks read. */
export interface PlanPreflight extends PreflightReport {
  /** The nodes of the cluster, when its Kubernetes API could be read. */
  readonly nodes?: readonly PreflightNode[];
}

/**
 * Which check outcomes stop a step in a ring (the policy's `preflight.block`): a check whose status
 * is listed for its id makes the verdict `no-go`; any other `warn`, `fail` or `unknown` makes it `warn`.
 */
export type PreflightBlocking = Readonly<Partial<Record<'fail' | 'unknown', readonly PreflightCheckId[]>>>;

/** The verdict of a set of checks under a ring's blocking rules. */
export function preflightVerdict(
  checks: readonly Pick<PreflightCheck, 'id' | 'status'>[],
  blocking: PreflightBlocking,
): PreflightVerdict {
  const blocks = (c: Pick<PreflightCheck, 'id' | 'status'>): boolean =>
    (c.status === 'fail' || c.status === 'unknown') && (blocking[c.status] ?? []).includes(c.id);
  if (checks.some(blocks)) return 'no-go';
  return checks.some((c) => c.status !== 'pass') ? 'warn' : 'go';
}

/** The checks that make a report `no-go` under `blocking` (what a held plan waits for). */
export function blockingChecks(
  report: Pick<PreflightReport, 'checks'>,
  blocking: PreflightBlocking,
): PreflightCheck[] {
  return report.checks.filter(
    (c) => (c.status === 'fail' || c.status === 'unknown') && (blocking[c.status] ?? []).includes(c.id),
  );
}

/** The checks that are not `pass`, worst first (notices and cards list these). */
export function notPassing(report: Pick<PreflightReport, 'checks'>): PreflightCheck[] {
  const rank: Record<PreflightStatus, number> = { fail: 0, unknown: 1, warn: 2, pass: 3 };
  return report.checks.filter((c) => c.status !== 'pass').sort((a, b) => rank[a.status] - rank[b.status]);
}

/** One line for a check: `pdb (pool user1): PDB payments/api allows no disruption …`. */
export function checkLine(c: PreflightCheck): string {
  return `${c.id}${c.pool !== undefined ? ` (pool ${c.pool})` : ''}: ${c.detail}`;
}

/**
 * What notices say of a report (email facts, Teams card facts): the verdict, then the checks that
 * are not passing, worst first (at most `max`).
 */
export function preflightNoticeFacts(
  report: PreflightReport | undefined,
  max = 5,
): { readonly label: string; readonly value: string }[] {
  if (report === undefined)
    return [{ label: 'Pre-flight', value: 'not checked yet (checked again before each step)' }];
  const open = notPassing(report);
  const verdict =
    report.verdict === 'no-go'
      ? 'no-go: Warden will not start a step until these pass'
      : report.verdict === 'warn'
        ? 'warn'
        : 'go: every check passed';
  return [
    { label: 'Pre-flight', value: verdict },
    ...open.slice(0, max).map((c) => ({ label: `Pre-flight ${c.status}`, value: checkLine(c) })),
    ...(open.length > max ? [{ label: 'Pre-flight', value: `${open.length - max} more on the page` }] : []),
  ];
}

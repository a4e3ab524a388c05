import type { Figure } from './report';
import { atLeast, atMost, figure, noGoal } from './report';

/**
 * The release burst over a swept fleet (5,000 clusters in the scale section): a new patch (RELEASE) offered in every region, then one
 * NewKubernetesVersionAvailable delivery per cluster, {@link BURST_IN_FLIGHT} in flight, into the
 * webhook of a host that runs as a Functions instance would (bench/scaleInvocation.ts
 * `release-burst`), with the demo's policy and its email and Teams simulators. What it proves: every
 * event recorded once (a redelivery of a sample is a duplicate), no 5xx, a plan to the release for
 * every cluster due it (bench/scaleInvocation.ts says which are), and how many messages people get.
 */
export const RELEASE = '1.35.9';
export const BURST_IN_FLIGHT = 16;
/** Deliveries sent again after the burst: each must be a duplicate. */
export const REDELIVERED = 1_000;

/** What the `release-burst` invocation reports. */
export interface BurstDetail extends Record<string, unknown> {
  readonly events: number;
  readonly seconds: number;
  readonly recorded: number;
  readonly duplicates: number;
  readonly serverErrors: number;
  /** The most frequent kinds of 5xx answers, then of the host's warnings and errors, each with how often it came. */
  readonly errors: readonly string[];
  /** The host's process (the client's is apart). */
  readonly hostPeakRssMb: number;
  readonly otherStatuses: number;
  /**
   * Clusters that should move to the release: on its minor below it, or with an open plan to an older
   * patch of that minor (a minor upgrade from the minor below); and how many of them have a plan to it.
   */
  readonly expectedPlans: number;
  readonly expectedWithPlan: number;
  readonly plansToRelease: number;
  /**
   * Clusters not due because Warden keeps their open version plan (to past the release, or started),
   * and how many of them still have an open version plan after the burst.
   */
  readonly keptPastRelease: number;
  readonly keptStillOpen: number;
  readonly redelivered: number;
  readonly redeliveredDuplicates: number;
  /** Notices enqueued (outbox rows) and the messages they make once batches close, per recipient. */
  readonly rows: number;
  readonly messages: number;
  readonly recipients: number;
  readonly ownerMessagesMax: number;
  readonly ownerMessagesMedian: number;
  readonly oncallMessages: number;
}

export function burstFigures(d: BurstDetail, peakRssMb: number, memory: (mb: number) => Figure): Figure[] {
  const perSecond = (n: number): number => Math.round(n / d.seconds);
  return [
    figure({
      name: `release burst, ${d.events} deliveries: events/s`,
      value: perSecond(d.events),
      unit: 'events/s',
      baseline: { name: `${BURST_IN_FLIGHT} in flight, deliveries`, value: d.events },
      goal: noGoal('a time on a shared machine'),
      kind: 'absolute',
    }),
    figure({
      name: 'release burst: plans/s',
      value: perSecond(d.plansToRelease),
      unit: 'plans/s',
      baseline: { name: 'plans to the release', value: d.plansToRelease },
      goal: noGoal('a time on a shared machine'),
      kind: 'absolute',
    }),
    figure({
      name: 'release burst: events recorded',
      value: d.recorded,
      unit: 'events',
      baseline: { name: 'deliveries', value: d.events },
      goal: { text: 'each delivery recorded once', met: (v, b) => v === b },
      kind: 'count',
    }),
    figure({
      name: `release burst: ${d.redelivered} redelivered, duplicates`,
      value: d.redeliveredDuplicates,
      unit: 'duplicates',
      baseline: { name: 'redelivered', value: d.redelivered },
      goal: { text: 'every redelivery a duplicate', met: (v, b) => v === b },
      kind: 'count',
    }),
    figure({
      name: 'release burst: 5xx answers',
      value: d.serverErrors,
      unit: 'answers',
      baseline: { name: 'other non-200 answers', value: d.otherStatuses },
      goal: atMost(0),
      kind: 'count',
    }),
    figure({
      name: `release burst: clusters due ${RELEASE} with a plan`,
      value: d.expectedWithPlan,
      unit: `clusters (${d.plansToRelease} plans; ${d.keptStillOpen} of ${d.keptPastRelease} kept their plan past it)`,
      baseline: { name: 'clusters due the release', value: d.expectedPlans },
      goal: {
        text: 'every one, and every plan past it kept',
        met: (v, b) => v === b && d.keptStillOpen === d.keptPastRelease,
      },
      kind: 'count',
    }),
    figure({
      name: 'release burst: messages people get',
      value: d.messages,
      unit: `messages (${d.recipients} recipients)`,
      baseline: { name: 'notices enqueued', value: d.rows },
      goal: atLeast(1),
      kind: 'count',
    }),
    figure({
      name: 'release burst: messages per owner, most',
      value: d.ownerMessagesMax,
      unit: 'messages',
      baseline: { name: 'median per owner', value: d.ownerMessagesMedian },
      goal: noGoal('informational: batched per window'),
      kind: 'count',
    }),
    figure({
      name: 'release burst: messages to on-call',
      value: d.oncallMessages,
      unit: 'messages',
      baseline: { name: 'all messages', value: d.messages },
      goal: noGoal('approval requests are never batched'),
      kind: 'count',
    }),
    memory(peakRssMb),
  ];
}

import type { ApprovalLinks } from '../approvals/links';
import type { Notice } from '../domain/notice';
import type { AuditEntry, Plan, PlanEffect, PlanEvent, TransitionResult } from '../domain/plan';
import { transition } from '../domain/planTransition';
import { NotFoundError } from '../errors';
import type { Logger } from '../logging';
import type { PlanCommit, PlanStore, StoredPlan } from '../store/planStore';
import { StalePlanError } from '../store/planStore';

/** What every plan use case needs. */
export interface PlanCommandDeps {
  readonly plans: PlanStore;
  readonly links: ApprovalLinks;
  readonly log: Logger;
}

/** ARM calls are the runner's to make; everything else is committed with the plan. */
export type ArmEffect = Extract<PlanEffect, { type: 'arm' }>;

/**
 * Splits a transition's effects: audit entries and notices (approval requests become one signed
 * link per approver) go into the plan's own transaction; ARM calls are returned to run after it.
 */
export function toCommit(
  links: ApprovalLinks,
  results: readonly TransitionResult[],
): { commit: PlanCommit; arm: ArmEffect[] } {
  const last = results.at(-1);
  if (last === undefined) throw new Error('toCommit: no transition');
  const audit: AuditEntry[] = [];
  const notices: Notice[] = [];
  const arm: ArmEffect[] = [];
  for (const r of results) {
    for (const e of r.effects) {
      switch (e.type) {
        case 'audit':
          audit.push(e.entry);
          break;
        case 'notify':
          notices.push(e.notice);
          break;
        case 'request-approval':
          // A request its wave sends (shared/usecases/waves.ts) has no notice of its own.
          if (e.perWave !== true) notices.push(...links.noticesFor(r.plan, e));
          break;
        case 'arm':
          arm.push(e);
          break;
      }
    }
  }
  return { commit: { plan: last.plan, audit, notices }, arm };
}

export interface Applied {
  readonly plan: Plan;
  readonly previous: Plan;
  /** ARM calls for the runner, to make now that the state is saved. */
  readonly arm: readonly ArmEffect[];
}

/** Conflicts on one plan are short races (two clicks, the timer and a click): a few retries settle them. */
const MAX_ATTEMPTS = 6;

/**
 * Applies an event to a stored plan: load, decide, transition, save with the ETag read, and on a lost
 * race reload and decide again (bounded). `decide` sees the current plan and returns the event to
 * apply, or undefined when there is nothing to do any more; it may throw a domain error, which is
 * passed on unchanged (nothing was written).
 *
 * 1. Load the plan (404 when it does not exist).
 * 2. Decide the event from its current state.
 * 3. Transition (pure) and commit plan + audit + notices in one ETag-conditional transaction.
 * 4. On 412, back to 1; after that, relay the notices to the outbox.
 */
export async function applyPlanEvent(
  deps: PlanCommandDeps,
  planId: string,
  decide: (plan: Plan) => PlanEvent | undefined,
  now: () => Date,
  options: {
    /** The plan as the caller just read it, to skip the first read. */
    readonly read?: StoredPlan;
    /** Move the committed notices to the outbox now (default), or leave them to the dispatcher's relay. */
    readonly relay?: boolean;
  } = {},
): Promise<Applied | undefined> {
  for (let attempt = 1; ; attempt++) {
    const stored = attempt === 1 && options.read !== undefined ? options.read : await deps.plans.get(planId);
    if (!stored) throw new NotFoundError(`no plan ${planId}`);
    const result = await tryApply(deps, stored, decide, now(), options.relay ?? true);
    if (result !== 'stale') return result;
    if (attempt >= MAX_ATTEMPTS) throw new StalePlanError(`plan ${planId} kept changing; try again`);
    await new Promise((r) => setTimeout(r, Math.random() * 10 * attempt));
  }
}

async function tryApply(
  deps: PlanCommandDeps,
  stored: StoredPlan,
  decide: (plan: Plan) => PlanEvent | undefined,
  now: Date,
  relay: boolean,
): Promise<Applied | undefined | 'stale'> {
  const event = decide(stored.plan);
  if (event === undefined) return undefined;
  const result = transition(stored.plan, event, now);
  const { commit, arm } = toCommit(deps.links, [result]);
  try {
    await deps.plans.save(stored, commit);
  } catch (e) {
    if (e instanceof StalePlanError) return 'stale';
    throw e;
  }
  if (relay) await relayQuietly(deps, stored.plan.cluster.key);
  return { plan: result.plan, previous: stored.plan, arm };
}

/** Delivers committed notices now; the dispatcher's relay picks up whatever this misses. */
export async function relayQuietly(
  deps: Pick<PlanCommandDeps, 'plans' | 'log'>,
  clusterKey: string,
): Promise<void> {
  try {
    await deps.plans.relay(clusterKey);
  } catch (e) {
    deps.log.warn(
      `plan notices for ${clusterKey} wait for the dispatcher: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { RUNNER_SCHEDULE } from '../shared/domain/runner';
import type { Logger } from '../shared/logging';
import type { RunnerDeps } from '../shared/usecases/runUpgrades';
import { runUpgrades, tickLimits } from '../shared/usecases/runUpgrades';

export type RunnerServices = Pick<
  Services,
  | 'plans'
  | 'links'
  | 'aks'
  | 'policy'
  | 'runs'
  | 'notifier'
  | 'approvalKeys'
  | 'config'
  | 'newId'
  | 'now'
  | 'runnerOwner'
> &
  Partial<Pick<Services, 'preflight'>>;

/** The runner's ports from the services (also used by the plan-action functions). */
export function runnerDeps(s: RunnerServices, log: Logger): RunnerDeps {
  return {
    plans: s.plans,
    links: s.links,
    aks: s.aks,
    policy: s.policy,
    runs: s.runs,
    outbox: s.notifier.outbox,
    keys: s.approvalKeys,
    baseUrl: s.config.publicBaseUrl,
    newId: s.newId,
    now: s.now,
    owner: s.runnerOwner,
    ...(s.preflight !== undefined && { preflight: s.preflight }),
    log,
  };
}

/**
 * Every minute, 5 s past it (and now with `POST /admin/functions/upgradeRunner`): moves approved plans
 * on inside their maintenance windows — starts the next step, polls the running one, records success
 * or failure — many clusters at once, and takes no new plan once the tick has run for its share of the
 * minute. It never waits for an operation; NodePoolRolling events move a plan on between ticks.
 */
export function upgradeRunnerHandler(getServices: () => RunnerServices) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const s = getServices();
    const outcome = await runUpgrades(runnerDeps(s, context), undefined, tickLimits(s.now()));
    for (const r of outcome.results)
      if (r.outcome !== 'busy' && r.outcome !== 'next-tick')
        context.info(
          `runner: plan ${r.planId} (${r.cluster}) ${r.outcome}${r.detail !== undefined ? `: ${r.detail}` : ''}`,
        );
    const count = (o: string): number => outcome.results.filter((r) => r.outcome === o).length;
    if (count('error') > 0)
      context.warn(`runner: ${count('error')} of ${outcome.checked} plans failed this tick`);
    if (count('next-tick') > 0)
      context.warn(
        `runner: ${count('next-tick')} of ${outcome.checked} plans left for the next tick (out of time)`,
      );
  };
}

app.timer('upgradeRunner', {
  schedule: RUNNER_SCHEDULE,
  handler: upgradeRunnerHandler(services),
});

import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { tickPlans } from '../shared/usecases/planTimers';
import { tickWaves } from '../shared/usecases/waves';

/**
 * Every 15 seconds (cheap: one filtered query of open plans): proposed plans whose lower-ring evidence now holds are approved by policy or sent for
 * approval; requests awaiting approval get their reminder at half-time, their escalation to the
 * secondary list, and expire at the end.
 */
export function approvalTimerHandler(
  getServices: () => Pick<Services, 'plans' | 'links' | 'policy' | 'newId' | 'now'> &
    Partial<Pick<Services, 'preflight' | 'waves'>>,
) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const s = getServices();
    const outcome = await tickPlans(
      {
        plans: s.plans,
        links: s.links,
        policy: s.policy,
        newId: s.newId,
        log: context,
        ...(s.preflight !== undefined && { preflight: s.preflight }),
      },
      s.now,
    );
    for (const c of outcome.changed) context.info(`plan ${c.planId} (${c.cluster}): ${c.from} -> ${c.to}`);
    if (outcome.failed > 0)
      context.warn(`approval timer: ${outcome.failed} of ${outcome.checked} plans failed`);
    if (s.waves === undefined) return;
    const waves = await tickWaves({ ...s.waves(), plans: s.plans, links: s.links, log: context }, s.now);
    if (waves.asked + waves.alone + waves.reminded + waves.resumed > 0)
      context.info(
        `approval timer: ${waves.asked} wave(s) asked, ${waves.alone} plan(s) on their own, ${waves.reminded} reminder(s), ${waves.resumed} decision(s) finished`,
      );
    if (waves.failed > 0) context.warn(`approval timer: ${waves.failed} wave(s) failed`);
  };
}

app.timer('approvalTimer', {
  schedule: '*/15 * * * * *',
  handler: approvalTimerHandler(services),
});

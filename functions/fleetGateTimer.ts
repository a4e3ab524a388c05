import type { InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import { sweepFleetGates } from '../shared/usecases/fleetGates';

/**
 * Every 2 minutes: lists the pending gates of the fleets in scope (a lost FleetGateCreated costs minutes,
 * not a stalled update run) and carries each decided gate to Fleet (PATCH Completed, or stop / skip).
 */
export function fleetGateTimerHandler(getServices: () => Pick<Services, 'fleetGates'>) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const out = await sweepFleetGates({ ...getServices().fleetGates(), log: context });
    for (const s of out.settled) context.info(`Fleet gate ${s.gate}: ${s.outcome}`);
    context.info(`Fleet gates: ${out.fleets} fleet(s), ${out.pending} pending, ${out.created} new plan(s)`);
    if (out.failed > 0) context.warn(`Fleet gate timer: ${out.failed} failure(s)`);
  };
}

app.timer('fleetGateTimer', {
  schedule: '0 */2 * * * *',
  handler: fleetGateTimerHandler(services),
});

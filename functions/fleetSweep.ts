import type { HttpRequest, HttpResponseInit, InvocationContext, Timer } from '@azure/functions';
import { app } from '@azure/functions';

import type { Services } from '../shared/app';
import { services } from '../shared/app';
import type { SweepDeps, SweepSummary } from '../shared/usecases/sweepFleet';
import { sweepFleet } from '../shared/usecases/sweepFleet';
import { httpRoute } from '../shared/web/accessRoute';
import { errorResponse, json } from '../shared/web/http';

type SweepServices = Pick<Services, 'aks' | 'clusters' | 'sweepQueue' | 'sweepPolicy' | 'config' | 'now'> &
  Partial<Pick<Services, 'fleetManager' | 'fleetSummary'>>;

function deps(s: SweepServices, context: InvocationContext): SweepDeps {
  return {
    gateway: s.aks,
    store: s.clusters,
    ...(s.fleetSummary !== undefined && { summary: s.fleetSummary }),
    queue: s.sweepQueue,
    policy: s.sweepPolicy,
    scope: s.config.fleet.scope,
    ...(s.config.fleet.clusterSelector !== undefined && { selector: s.config.fleet.clusterSelector }),
    now: s.now,
    ...(s.fleetManager !== undefined && { fleets: s.fleetManager }),
    log: (line) => context.log(line),
  };
}

function describe(summary: SweepSummary): string {
  return (
    `sweep ${summary.sweepId}: ${summary.clusters} clusters in ${summary.subscriptions} subscriptions, ` +
    `${summary.pages} pages, ${summary.regions} regions, ${summary.imageFamilies} image families, ` +
    `${summary.shards} shards queued, ${summary.markedDeleted} marked deleted, ${summary.windowReads} window reads, ` +
    `${summary.fleets} Fleet Manager fleets`
  );
}

/**
 * The hourly fleet sweep: inventory, versions per region, node images per family, then one queue
 * message per subscription for `sweepShard`. Failures are rethrown: the next tick sweeps again.
 */
export function fleetSweepTimerHandler(getServices: () => SweepServices) {
  return async (_timer: Timer, context: InvocationContext): Promise<void> => {
    const summary = await sweepFleet(deps(getServices(), context));
    context.log(describe(summary));
  };
}

/** `POST /api/sweep`: the same sweep, now; 202 with what was queued (the shards finish it). */
export function sweepNowHandler(getServices: () => SweepServices) {
  return async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    try {
      const summary = await sweepFleet(deps(getServices(), context));
      context.log(describe(summary));
      return json(202, summary);
    } catch (e) {
      return errorResponse(e, context);
    }
  };
}

app.timer('fleetSweep', { schedule: '0 0 * * * *', handler: fleetSweepTimerHandler(services) });

httpRoute('sweep', {
  access: 'operator',
  route: 'sweep',
  methods: ['POST'],
  authLevel: 'function',
  handler: sweepNowHandler(services),
});

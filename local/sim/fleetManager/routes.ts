import { operationUrls } from '../arm/operations';
import type { SimContext } from '../context';
import { checkSubscription } from '../context';
import type { Route, SimRequest, SimResponse } from '../router';
import { apiVersion, armError, checkIfMatch, listPage, obj, ok, routesOn } from '../router';
import type { SimFleetResource } from './model';
import {
  fleetKey,
  renderAutoUpgradeProfile,
  renderFleet,
  renderGate,
  renderMember,
  renderRun,
  renderUpdateStrategy,
} from './model';

/**
 * Fleet Manager's ARM surface (Microsoft.ContainerService/fleets, 2026-06-01): fleets, members,
 * auto-upgrade profiles, update strategies, update runs (get, list, stop, skip answered 202 with
 * `Azure-AsyncOperation` + `Location` as the spec's example, delete) and gates (get, list, PATCH
 * `Completed` with `If-Match`, answered 202 + `Location` as the spec's example). Gates exist from 2025-04-01-preview:
 * an older api-version (`@azure/arm-containerservicefleet` 2.0.0 sends 2025-03-01) finds no such type.
 */
const SEG = '([^/]+)';
const FLEET = `^/subscriptions/${SEG}/resourcegroups/${SEG}/providers/microsoft\\.containerservice/fleets/${SEG}`;
const GATE_API_VERSIONS = ['2025-04-01-preview', '2025-08-01-preview', '2026-02-01-preview', '2026-06-01'];

function findFleet(ctx: SimContext, req: SimRequest): { fleet: SimFleetResource } | { error: SimResponse } {
  const [sub = '', rg = '', name = ''] = req.params;
  const missing = checkSubscription(ctx, sub);
  if (missing) return { error: missing };
  const fleet = ctx.fleet.fleetManager.fleets.get(fleetKey(sub, rg, name));
  if (fleet) return { fleet };
  return {
    error: armError(
      404,
      'ResourceNotFound',
      `The Resource 'Microsoft.ContainerService/fleets/${name}' under resource group '${rg}' was not found.`,
    ),
  };
}

function withFleet(
  ctx: SimContext,
  req: SimRequest,
  handle: (fleet: SimFleetResource) => SimResponse,
  gates = false,
): SimResponse {
  if (gates && !GATE_API_VERSIONS.includes(apiVersion(req)))
    return armError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location and API version '${apiVersion(req)}' and type 'fleets/gates'. The supported api-versions are '${GATE_API_VERSIONS.join(', ')}'.`,
    );
  const found = findFleet(ctx, req);
  return 'error' in found ? found.error : handle(found.fleet);
}

const notFound = (type: string, name: string): SimResponse =>
  armError(
    404,
    'ResourceNotFound',
    `The Resource 'Microsoft.ContainerService/fleets/${type}/${name}' was not found.`,
  );

export function fleetManagerRoutes(ctx: SimContext): Route[] {
  const on = routesOn(ctx);
  const engine = ctx.fleetRuns;
  return [
    on('GET', `^/subscriptions/${SEG}/providers/microsoft\\.containerservice/fleets`, (c, req) => {
      const sub = req.params[0] ?? '';
      const missing = checkSubscription(c, sub);
      if (missing) return missing;
      const fleets = [...c.fleet.fleetManager.fleets.values()].filter(
        (f) => f.subscriptionId.toLowerCase() === sub.toLowerCase(),
      );
      return listPage(req, fleets.map(renderFleet), c.pageSize);
    }),
    on('GET', FLEET, (c, req) => withFleet(c, req, (f) => ok(renderFleet(f), { etag: f.eTag }))),
    on('GET', `${FLEET}/members`, (c, req) =>
      withFleet(c, req, (f) =>
        listPage(
          req,
          f.members.map((m) => renderMember(f, m, c.fleet.clusters)),
          c.pageSize,
        ),
      ),
    ),
    on('GET', `${FLEET}/autoupgradeprofiles`, (c, req) =>
      withFleet(c, req, (f) =>
        listPage(
          req,
          f.autoUpgradeProfiles.map((p) => renderAutoUpgradeProfile(f, p)),
          c.pageSize,
        ),
      ),
    ),
    on('GET', `${FLEET}/updatestrategies`, (c, req) =>
      withFleet(c, req, (f) =>
        listPage(
          req,
          f.updateStrategies.map((st) => renderUpdateStrategy(f, st)),
          c.pageSize,
        ),
      ),
    ),
    on('GET', `${FLEET}/updatestrategies/${SEG}`, (c, req) =>
      withFleet(c, req, (f) => {
        const name = (req.params[3] ?? '').toLowerCase();
        const st = f.updateStrategies.find((x) => x.name.toLowerCase() === name);
        return st ? ok(renderUpdateStrategy(f, st)) : notFound('updateStrategies', req.params[3] ?? '');
      }),
    ),
    on('GET', `${FLEET}/updateruns`, (c, req) =>
      withFleet(c, req, (f) =>
        listPage(
          req,
          [...f.runs.values()].map((r) => renderRun(f, r)),
          c.pageSize,
        ),
      ),
    ),
    on('GET', `${FLEET}/updateruns/${SEG}`, (c, req) =>
      withFleet(c, req, (f) => {
        const run = f.runs.get(req.params[3] ?? '');
        return run ? ok(renderRun(f, run)) : notFound('updateRuns', req.params[3] ?? '');
      }),
    ),
    on('POST', `${FLEET}/updateruns/${SEG}/stop`, (c, req) =>
      withFleet(c, req, (f) => {
        const run = f.runs.get(req.params[3] ?? '');
        if (!run) return notFound('updateRuns', req.params[3] ?? '');
        engine.stop(f, run);
        return ok(renderRun(f, run));
      }),
    ),
    on('POST', `${FLEET}/updateruns/${SEG}/skip`, (c, req) =>
      withFleet(c, req, (f) => {
        const run = f.runs.get(req.params[3] ?? '');
        if (!run) return notFound('updateRuns', req.params[3] ?? '');
        const targets = obj(req.body)?.targets;
        if (
          !Array.isArray(targets) ||
          targets.length === 0 ||
          targets.some((t) => typeof obj(t)?.type !== 'string' || typeof obj(t)?.name !== 'string')
        )
          return armError(400, 'InvalidRequestContent', 'targets must list { type, name } objects');
        const wanted = targets as { type: string; name: string }[];
        if (!engine.canSkip(run, wanted))
          return armError(400, 'InvalidSkipTarget', 'a skip target names no stage or group of the run');
        const op = c.lro.start({
          subscriptionId: f.subscriptionId,
          location: f.location,
          clusterKey: fleetKey(f.subscriptionId, f.resourceGroup, f.name),
          kind: 'run-skip',
          steps: [{ durationMs: 100, end: () => void engine.skip(f, run, wanted) }],
          finalBody: () => renderRun(f, run),
          done: () => undefined,
        });
        const urls = operationUrls(req.baseUrl, op, apiVersion(req));
        return {
          status: 202,
          headers: {
            'azure-asyncoperation': urls.asyncOperation,
            location: urls.location,
            'retry-after': '1',
          },
        };
      }),
    ),
    on('DELETE', `${FLEET}/updateruns/${SEG}`, (c, req) =>
      withFleet(c, req, (f) => {
        const run = f.runs.get(req.params[3] ?? '');
        if (!run) return { status: 204 };
        engine.delete(f, run);
        return { status: 200 };
      }),
    ),
    on('GET', `${FLEET}/gates`, (c, req) =>
      withFleet(
        c,
        req,
        (f) =>
          listPage(
            req,
            [...f.gates.values()].map((g) => renderGate(f, g)),
            c.pageSize,
          ),
        true,
      ),
    ),
    on('GET', `${FLEET}/gates/${SEG}`, (c, req) =>
      withFleet(
        c,
        req,
        (f) => {
          const gate = f.gates.get(req.params[3] ?? '');
          return gate ? ok(renderGate(f, gate), { etag: gate.eTag }) : notFound('gates', req.params[3] ?? '');
        },
        true,
      ),
    ),
    on('PATCH', `${FLEET}/gates/${SEG}`, (c, req) =>
      withFleet(
        c,
        req,
        (f) => {
          const gate = f.gates.get(req.params[3] ?? '');
          if (!gate) return notFound('gates', req.params[3] ?? '');
          const wanted = obj(obj(req.body)?.properties)?.state;
          if (wanted !== 'Completed')
            return armError(
              400,
              'InvalidRequestContent',
              'properties.state must be "Completed" (the only change a gate takes)',
            );
          const precondition = checkIfMatch(req, gate.eTag);
          if (precondition) return precondition;
          const op = c.lro.start({
            subscriptionId: f.subscriptionId,
            location: f.location,
            clusterKey: fleetKey(f.subscriptionId, f.resourceGroup, f.name),
            kind: 'gate-update',
            steps: [{ durationMs: 100, end: () => engine.completeGate(f, gate) }],
            finalBody: () => renderGate(f, gate),
            done: () => undefined,
          });
          return {
            status: 202,
            headers: {
              location: operationUrls(req.baseUrl, op, apiVersion(req)).location,
              'retry-after': '1',
            },
          };
        },
        true,
      ),
    ),
  ];
}

import type { SimContext } from '../context';
import { findCluster } from '../context';
import type { Json, Route, SimRequest, SimResponse } from '../router';
import { armError, CLUSTER_PREFIX, listPage, obj, ok, path } from '../router';
import { renderMaintenance } from './model';

/**
 * Maintenance configurations (synchronous, not LROs): `default` (legacy `timeInWeek` /
 * `notAllowedTime`, or a weekly `maintenanceWindow`), `aksManagedAutoUpgradeSchedule` and
 * `aksManagedNodeOSUpgradeSchedule` (`maintenanceWindow` with a daily, weekly, absoluteMonthly or
 * relativeMonthly schedule, 4–24 h, planned-maintenance.md).
 */
const NAMES = ['default', 'aksManagedAutoUpgradeSchedule', 'aksManagedNodeOSUpgradeSchedule'];
const KINDS = ['daily', 'weekly', 'absoluteMonthly', 'relativeMonthly'];

function canonicalName(name: string): string | undefined {
  return NAMES.find((n) => n.toLowerCase() === name.toLowerCase());
}

function invalid(message: string): SimResponse {
  return armError(400, 'InvalidParameter', message);
}

/** Checks a configuration's properties; returns the problem or undefined. */
export function validateMaintenance(name: string, props: Json): SimResponse | undefined {
  const window = obj(props.maintenanceWindow);
  if (!window) {
    if (name !== 'default')
      return invalid(`Maintenance configuration ${name} requires properties.maintenanceWindow.`);
    if (!Array.isArray(props.timeInWeek) && !Array.isArray(props.notAllowedTime))
      return invalid('Maintenance configuration default requires timeInWeek or maintenanceWindow.');
    return undefined;
  }
  const schedule = obj(window.schedule);
  const kinds = Object.keys(schedule ?? {}).filter((k) => obj(schedule?.[k]));
  if (kinds.length !== 1 || !KINDS.includes(kinds[0] ?? ''))
    return invalid(`maintenanceWindow.schedule must set exactly one of ${KINDS.join(', ')}.`);
  const kind = kinds[0] ?? '';
  if (name === 'default' && kind !== 'weekly')
    return invalid('Maintenance configuration default supports a weekly schedule only.');
  const hours = window.durationHours;
  if (typeof hours !== 'number' || !Number.isInteger(hours) || hours < 4 || hours > 24)
    return invalid('maintenanceWindow.durationHours must be an integer from 4 to 24.');
  if (typeof window.startTime !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(window.startTime))
    return invalid('maintenanceWindow.startTime must be hh:mm.');
  if (
    window.utcOffset !== undefined &&
    (typeof window.utcOffset !== 'string' || !/^[+-]\d{2}:\d{2}$/.test(window.utcOffset))
  )
    return invalid('maintenanceWindow.utcOffset must be +hh:mm or -hh:mm.');
  return undefined;
}

function list(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  const c = found.cluster;
  return listPage(
    req,
    [...c.maintenance.entries()].map(([n, p]) => renderMaintenance(c, n, p)),
    ctx.pageSize,
  );
}

function get(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = '', config = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  const canonical = canonicalName(config) ?? config;
  const props = found.cluster.maintenance.get(canonical);
  if (!props)
    return armError(
      404,
      'NotFound',
      `Maintenance configuration ${config} not found in managed cluster ${name}.`,
    );
  return ok(renderMaintenance(found.cluster, canonical, props));
}

function put(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = '', config = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  const canonical = canonicalName(config);
  if (!canonical) return invalid(`Maintenance configuration name must be one of ${NAMES.join(', ')}.`);
  const props = obj(obj(req.body)?.properties);
  if (!props) return armError(400, 'InvalidRequestContent', 'The body must be {"properties": {…}}.');
  const problem = validateMaintenance(canonical, props);
  if (problem) return problem;
  const existed = found.cluster.maintenance.has(canonical);
  found.cluster.maintenance.set(canonical, structuredClone(props));
  return { status: existed ? 200 : 201, body: renderMaintenance(found.cluster, canonical, props) };
}

function remove(ctx: SimContext, req: SimRequest): SimResponse {
  const [sub = '', rg = '', name = '', config = ''] = req.params;
  const found = findCluster(ctx, sub, rg, name);
  if ('error' in found) return found.error;
  const canonical = canonicalName(config) ?? config;
  return { status: found.cluster.maintenance.delete(canonical) ? 200 : 204 };
}

export function maintenanceRoutes(ctx: SimContext): Route[] {
  const one = `${CLUSTER_PREFIX}/maintenanceconfigurations/([^/]+)`;
  return [
    {
      method: 'GET',
      pattern: path(`${CLUSTER_PREFIX}/maintenanceconfigurations`),
      handle: (r) => list(ctx, r),
    },
    { method: 'GET', pattern: path(one), handle: (r) => get(ctx, r) },
    { method: 'PUT', pattern: path(one), handle: (r) => put(ctx, r) },
    { method: 'DELETE', pattern: path(one), handle: (r) => remove(ctx, r) },
  ];
}

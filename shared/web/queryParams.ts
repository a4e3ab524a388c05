import type { HttpRequest } from '@azure/functions';

import type { PlanStatus } from '../domain/plan';
import { isPlanStatus } from '../domain/plan';
import type { Ring } from '../domain/rings';
import { isRing } from '../domain/rings';
import { ValidationError } from '../errors';

/**
 * The query and route parameters the list routes share, parsed once: an unknown value is a
 * `ValidationError` naming the parameter and what it may be (a 400 `{ error, detail }`).
 */

const shown = (value: string): string => `"${value.slice(0, 40)}"`;

/** `?ring=`: one of the rings, or undefined. */
export function ringParam(request: HttpRequest): Ring | undefined {
  const ring = request.query.get('ring') ?? undefined;
  if (ring !== undefined && !isRing(ring))
    throw new ValidationError(
      'bad ring',
      `ring must be canary, dev, staging or production, got ${shown(ring)}`,
    );
  return ring;
}

/** `?status=`: a plan status, or undefined. */
export function planStatusParam(request: HttpRequest): PlanStatus | undefined {
  const status = request.query.get('status') ?? undefined;
  if (status !== undefined && !isPlanStatus(status))
    throw new ValidationError(
      'bad status',
      `status must be a plan status such as awaiting-approval, got ${shown(status)}`,
    );
  return status;
}

/** `?{name}=`: one of `values`, or undefined. */
export function oneOfParam<T extends string>(
  request: HttpRequest,
  name: string,
  values: readonly T[],
): T | undefined {
  const value = request.query.get(name) ?? undefined;
  if (value !== undefined && !(values as readonly string[]).includes(value))
    throw new ValidationError(
      `bad ${name}`,
      `${name} must be one of ${values.join(', ')}, got ${shown(value)}`,
    );
  return value as T | undefined;
}

/** `?{name}=true|false`, or undefined. */
export function booleanParam(request: HttpRequest, name: string): boolean | undefined {
  const value = request.query.get(name);
  if (value === null) return undefined;
  if (value !== 'true' && value !== 'false')
    throw new ValidationError(`bad ${name}`, `${name} must be true or false, got ${shown(value)}`);
  return value === 'true';
}

/** A string query parameter, undefined when absent or empty. */
export function textParam(request: HttpRequest, name: string): string | undefined {
  const value = request.query.get(name) ?? undefined;
  return value === '' ? undefined : value;
}

/**
 * The cluster of `/api/clusters/{*nameOrId}`: a name, or an ARM id URL-encoded or as path segments.
 * ASP.NET Core routing (the Functions host) leaves an encoded `/` (`%2F`) encoded in route values, so an
 * id sent URL-encoded arrives as `%2Fsubscriptions%2F…`; the local host decodes it. Both are accepted.
 */
export function clusterParam(request: HttpRequest): string {
  let value = (request.params.nameOrId ?? '').trim();
  if (/%2f/i.test(value)) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not valid percent-encoding: taken as it came.
    }
  }
  return value.startsWith('subscriptions/') ? `/${value}` : value;
}

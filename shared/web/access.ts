import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import type { Principal } from '../approvals/principal';
import { principalOf } from '../approvals/principal';
import type { AccessConfig, Config } from '../config';
import { ForbiddenError, UnauthorizedError } from '../errors';
import { errorResponse } from './http';

/**
 * Who may reach a route once App Service Authentication is on:
 * - `anonymous`: anyone (the Event Grid webhook behind its function key, the bare health probe);
 * - `signed-link`: anyone holding a personal signed link; the token is the control (approval, defer
 *   and plan-action pages);
 * - `viewer`: a signed-in Warden viewer or operator (every page and list);
 * - `operator`: a signed-in Warden operator (every action).
 */
export type Access = 'anonymous' | 'signed-link' | 'viewer' | 'operator';

export const ACCESS_LEVELS: readonly Access[] = ['anonymous', 'signed-link', 'viewer', 'operator'];

/** The app roles (the `roles` claim) that make a principal a viewer or an operator without a group. */
export const VIEWER_ROLE = 'Warden.Viewer';
export const OPERATOR_ROLE = 'Warden.Operator';

/** What the guard reads of the settings: whether sign-in is on, and the groups. */
export type AccessSettings = Pick<Config, 'easyAuth' | 'access'>;

/** The most a principal may do: an operator is also a viewer; neither is an outsider. */
export function standingOf(principal: Principal, access: AccessConfig): 'operator' | 'viewer' | undefined {
  const inAny = (groups: readonly string[]): boolean => principal.groups.some((g) => groups.includes(g));
  if (principal.roles.includes(OPERATOR_ROLE) || inAny(access.operatorGroups)) return 'operator';
  if (principal.roles.includes(VIEWER_ROLE) || inAny(access.viewerGroups)) return 'viewer';
  return undefined;
}

/**
 * The refusal a request gets before it reaches a route of this access, or undefined when it may go on.
 * With App Service Authentication off (locally, `WEBSITE_AUTH_ENABLED` unset) every route is open:
 * the principal headers would be the caller's own. With it on, a `viewer` or `operator` route needs a
 * principal (401 without one) whose groups or roles reach that level (403 otherwise).
 */
export function refusalFor(
  access: Access,
  request: HttpRequest,
  settings: AccessSettings,
): UnauthorizedError | ForbiddenError | undefined {
  if (access === 'anonymous' || access === 'signed-link' || !settings.easyAuth) return undefined;
  const principal = principalOf(request, true);
  if (principal === undefined)
    return new UnauthorizedError(`sign in first: this needs a Warden ${access} (Entra sign-in)`);
  const standing = standingOf(principal, settings.access);
  if (standing === 'operator' || standing === access) return undefined;
  const role = access === 'operator' ? OPERATOR_ROLE : VIEWER_ROLE;
  const setting = access === 'operator' ? 'WARDEN_OPERATOR_GROUPS' : 'WARDEN_VIEWER_GROUPS';
  return new ForbiddenError(
    `${principal.name} is not a Warden ${access}: that takes the app role ${role} or a group in ${setting}`,
  );
}

/** An HTTP handler behind the access guard, carrying its declaration (the local host prints it). */
export type GuardedHandler = HttpHandler & { readonly access: Access };

/** Wraps a handler so that `refusalFor` answers first (and is logged); the handler runs only when it may. */
export function guard(access: Access, handler: HttpHandler, settings: () => AccessSettings): GuardedHandler {
  const guarded = async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    if (access !== 'anonymous' && access !== 'signed-link') {
      const refused = refusalFor(access, request, settings());
      if (refused !== undefined) {
        context.warn(
          `access: ${request.method} ${new URL(request.url).pathname} refused: ${refused.message}`,
        );
        return errorResponse(refused, context);
      }
    }
    return handler(request, context);
  };
  return Object.assign(guarded, { access });
}

/** The access a registered handler declared, if it went through `httpRoute`. */
export function accessOf(handler: unknown): Access | undefined {
  if (typeof handler !== 'function') return undefined;
  const access = (handler as { access?: unknown }).access;
  return ACCESS_LEVELS.find((a) => a === access);
}

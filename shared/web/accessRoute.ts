import type { HttpFunctionOptions, HttpHandler } from '@azure/functions';
import { app } from '@azure/functions';

import { services } from '../app';
import type { Access, AccessSettings } from './access';
import { guard } from './access';

/** An HTTP function's registration, with who may reach it. */
export interface RouteOptions extends Omit<HttpFunctionOptions, 'handler'> {
  readonly access: Access;
  readonly handler: HttpHandler;
}

/**
 * Registers an HTTP function behind the access guard: the one way `functions/` registers a route
 * (lint refuses `app.http` there, and a test fails on any registered route without a declaration).
 */
export function httpRoute(
  name: string,
  options: RouteOptions,
  settings: () => AccessSettings = () => services().config,
): void {
  const { access, handler, ...rest } = options;
  app.http(name, { ...rest, handler: guard(access, handler, settings) });
}

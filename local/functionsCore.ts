import Module from 'node:module';

import type { HttpHandler, InvocationContext } from '@azure/functions';

/**
 * Stands in for `@azure/functions-core`, the module the Functions worker injects. `@azure/functions`
 * calls `registerFunction(metadata, handler)` on it for every `app.*` registration, so capturing those
 * calls gives the local host exactly the registrations Azure sees.
 */
export interface Binding {
  readonly type: string;
  readonly direction: string;
  readonly route?: string;
  readonly methods?: string[];
  readonly authLevel?: string;
  readonly schedule?: string;
  readonly queueName?: string;
  readonly connection?: string;
  readonly runOnStartup?: boolean;
}

export interface Registration {
  readonly name: string;
  readonly trigger: Binding;
  readonly handler: (...args: unknown[]) => unknown;
}

export type AnyHandler = HttpHandler | ((input: unknown, context: InvocationContext) => unknown);

interface CoreMetadata {
  name: string;
  bindings: Record<string, Binding>;
}

export function createFakeCore(onRegister: (registration: Registration) => void): Record<string, unknown> {
  return {
    setProgrammingModel: () => {},
    getProgrammingModel: () => undefined,
    registerHook: () => ({ dispose: () => {} }),
    log: () => {},
    registerFunction: (metadata: CoreMetadata, handler: (...args: unknown[]) => unknown) => {
      const trigger = Object.values(metadata.bindings).find(
        (b) => b.direction === 'in' && b.type.endsWith('Trigger'),
      );
      if (!trigger) throw new Error(`function ${metadata.name} has no trigger binding`);
      onRegister({ name: metadata.name, trigger, handler });
      return { dispose: () => {} };
    },
  };
}

/**
 * Requires the app's entry with the fake core in place and returns what it registered.
 * `@azure/functions` looks the core up lazily, once, so the hook must be in place before its first `app.*` call.
 */
export function loadRegistrations(entry: string): Registration[] {
  const registrations: Registration[] = [];
  const fake = createFakeCore((r) => registrations.push(r));
  const mod = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const original = mod._load;
  mod._load = function (request: string, ...rest: unknown[]) {
    if (request === '@azure/functions-core') return fake;
    return original.call(this, request, ...rest);
  };
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the entry is only known at run time
    require(entry);
  } finally {
    mod._load = original;
  }
  return registrations;
}

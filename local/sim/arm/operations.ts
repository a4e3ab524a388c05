import { randomUUID } from 'node:crypto';

import type { SimContext } from '../context';
import type { Route, SimRequest, SimResponse } from '../router';
import { apiVersion, armError, ok, path } from '../router';

/**
 * Long-running operations as ARM runs them: a status resource at `Azure-AsyncOperation`
 * (`InProgress` -> `Succeeded` | `Failed` | `Canceled`) and, where the spec has one, a `Location`
 * that answers 202 until the operation ends. Each operation is a list of timed steps (control
 * plane, then each pool) run one after another on timers.
 */
export type OperationStatus = 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';

export interface Step {
  readonly durationMs: number;
  /** The pool this step rolls, if any (node-pool rolling events are about it). */
  readonly pool?: string;
  begin?(): void;
  end(): void;
  /** The step failed (fault) or was aborted; `status` says which. */
  stop?(status: 'Failed' | 'Canceled', error?: { code: string; message: string }): void;
}

export interface Operation {
  readonly id: string;
  readonly subscriptionId: string;
  readonly location: string;
  readonly clusterKey: string;
  readonly kind: string;
  status: OperationStatus;
  readonly startTime: string;
  endTime: string | undefined;
  error: { code: string; message: string } | undefined;
  /** 204 at the final `Location` when done (the node-image quirk). */
  readonly emptyFinalLocation: boolean;
  /** Body of the final `Location` answer when not empty. */
  readonly finalBody: () => unknown;
}

interface Running {
  readonly op: Operation;
  readonly steps: readonly Step[];
  index: number;
  timer: NodeJS.Timeout | undefined;
  readonly failWith: { code: string; message: string } | undefined;
  readonly done: (status: OperationStatus, error?: { code: string; message: string }) => void;
}

export interface StartSpec {
  readonly subscriptionId: string;
  readonly location: string;
  readonly clusterKey: string;
  readonly kind: string;
  readonly steps: readonly Step[];
  readonly failWith?: { code: string; message: string } | undefined;
  readonly emptyFinalLocation?: boolean;
  readonly finalBody?: () => unknown;
  /** Called once when the operation reaches a terminal status (with the error when it failed). */
  readonly done: (status: OperationStatus, error?: { code: string; message: string }) => void;
}

/** An operation as the simulator's snapshot keeps it (its final body is not kept). */
export type OperationRecord = Omit<Operation, 'finalBody'>;

/** The error an operation ends with when the simulator stopped while it ran. */
export const INTERRUPTED = {
  code: 'OperationInterrupted',
  message: 'The simulator stopped while this operation ran; it did not complete. Start it again.',
};

export class OperationEngine {
  private readonly ops = new Map<string, Operation>();
  private readonly running = new Map<string, Running>();
  private readonly idleWaiters: (() => void)[] = [];
  /** Called whenever an operation starts, moves to its next step or ends (the snapshot listens). */
  onChange: () => void = () => {};

  constructor(private readonly now: () => Date) {}

  /** Every operation, for the snapshot. */
  records(): OperationRecord[] {
    return [...this.ops.values()].map(({ finalBody: _finalBody, ...record }) => record);
  }

  /**
   * Puts saved operations back: their status resources answer again after a restart. One that was
   * still running when the simulator stopped is `Failed` with {@link INTERRUPTED}.
   */
  restore(records: readonly OperationRecord[]): void {
    for (const r of records) {
      const interrupted = r.status === 'InProgress';
      this.ops.set(r.id, {
        ...r,
        ...(interrupted && {
          status: 'Failed' as const,
          endTime: this.now().toISOString(),
          error: INTERRUPTED,
        }),
        finalBody: () => undefined,
      });
    }
  }

  start(spec: StartSpec): Operation {
    const op: Operation = {
      id: randomUUID(),
      subscriptionId: spec.subscriptionId,
      location: spec.location,
      clusterKey: spec.clusterKey,
      kind: spec.kind,
      status: 'InProgress',
      startTime: this.now().toISOString(),
      endTime: undefined,
      error: undefined,
      emptyFinalLocation: spec.emptyFinalLocation ?? false,
      finalBody: spec.finalBody ?? (() => undefined),
    };
    this.ops.set(op.id, op);
    const run: Running = {
      op,
      steps: spec.steps,
      index: 0,
      timer: undefined,
      failWith: spec.failWith,
      done: spec.done,
    };
    this.running.set(op.id, run);
    this.runStep(run);
    this.onChange();
    return op;
  }

  get(id: string): Operation | undefined {
    return this.ops.get(id);
  }

  isRunning(id: string | undefined): boolean {
    return id !== undefined && this.running.has(id);
  }

  /** Cancels a running operation: the current step stops, the status becomes `Canceled`. */
  cancel(id: string): boolean {
    const run = this.running.get(id);
    if (!run) return false;
    if (run.timer) clearTimeout(run.timer);
    run.steps[run.index]?.stop?.('Canceled');
    this.finish(run, 'Canceled', {
      code: 'OperationCancelled',
      message: 'The operation was canceled by an abort request (abortLatestOperation).',
    });
    return true;
  }

  /** Resolves when no operation is running. */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  close(): void {
    for (const run of this.running.values()) if (run.timer) clearTimeout(run.timer);
    this.running.clear();
    this.idleWaiters.splice(0).forEach((r) => r());
  }

  private runStep(run: Running): void {
    const step = run.steps[run.index];
    if (!step) {
      this.finish(run, 'Succeeded', undefined);
      return;
    }
    step.begin?.();
    const failsHere =
      run.failWith !== undefined &&
      (step.pool !== undefined ? true : run.steps.slice(run.index + 1).every((s) => s.pool === undefined));
    run.timer = setTimeout(() => {
      run.timer = undefined;
      if (failsHere && run.failWith) {
        step.stop?.('Failed', run.failWith);
        this.finish(run, 'Failed', run.failWith);
        return;
      }
      step.end();
      run.index += 1;
      this.runStep(run);
      this.onChange();
    }, step.durationMs);
    run.timer.unref();
  }

  private finish(
    run: Running,
    status: OperationStatus,
    error: { code: string; message: string } | undefined,
  ): void {
    run.op.status = status;
    run.op.endTime = this.now().toISOString();
    run.op.error = error;
    this.running.delete(run.op.id);
    run.done(status, error);
    this.onChange();
    if (this.running.size === 0) this.idleWaiters.splice(0).forEach((r) => r());
  }
}

/** `Azure-AsyncOperation` / `Location` header values for an operation, on the simulator's own base URL. */
export function operationUrls(
  baseUrl: string,
  op: Operation,
  apiVersion: string,
  form: 'subscription' | 'provider' = 'subscription',
): { asyncOperation: string; location: string; status: string; operations: string } {
  const sub = `${baseUrl}/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}`;
  const root =
    form === 'provider' ? `${baseUrl}/providers/Microsoft.ContainerService/locations/${op.location}` : sub;
  const q = `?api-version=${encodeURIComponent(apiVersion)}`;
  return {
    asyncOperation: `${root}/operations/${op.id}${q}`,
    operations: `${sub}/operations/${op.id}${q}`,
    status: `${sub}/operationStatus/${op.id}${q}`,
    location: `${sub}/operationresults/${op.id}${q}`,
  };
}

function statusBody(op: Operation): Record<string, unknown> {
  return {
    id: `/subscriptions/${op.subscriptionId}/providers/Microsoft.ContainerService/locations/${op.location}/operations/${op.id}`,
    name: op.id,
    status: op.status,
    startTime: op.startTime,
    ...(op.endTime !== undefined && { endTime: op.endTime }),
    ...(op.error !== undefined && { error: op.error }),
  };
}

function notFound(id: string): SimResponse {
  return armError(404, 'NotFound', `Operation ${id} was not found.`);
}

/** Routes for operation status and operation results. */
export function operationRoutes(ctx: SimContext): Route[] {
  const status = (params: readonly string[]): SimResponse => {
    const id = params.at(-1) ?? '';
    const op = ctx.lro.get(id);
    return op ? ok(statusBody(op)) : notFound(id);
  };
  const result = (params: readonly string[], baseUrl: string, query: URLSearchParams): SimResponse => {
    const id = params.at(-1) ?? '';
    const op = ctx.lro.get(id);
    if (!op) return notFound(id);
    if (op.status === 'InProgress') {
      const urls = operationUrls(baseUrl, op, query.get('api-version') ?? '2026-06-01');
      return { status: 202, headers: { location: urls.location, 'retry-after': '1' } };
    }
    if (op.status === 'Succeeded' && op.emptyFinalLocation) return { status: 204 };
    const body = op.status === 'Succeeded' ? op.finalBody() : undefined;
    return ok(body ?? statusBody(op));
  };
  const loc = '/providers/microsoft\\.containerservice/locations/([^/]+)';
  return [
    {
      method: 'GET',
      pattern: path(`^/subscriptions/([^/]+)${loc}/operations/([^/]+)`),
      handle: (r) => status(r.params),
    },
    {
      method: 'GET',
      pattern: path(`^/subscriptions/([^/]+)${loc}/operationstatus/([^/]+)`),
      handle: (r) => status(r.params),
    },
    { method: 'GET', pattern: path(`^${loc}/operations/([^/]+)`), handle: (r) => status(r.params) },
    {
      method: 'GET',
      pattern: path(`^/subscriptions/([^/]+)${loc}/operationresults/([^/]+)`),
      handle: (r) => result(r.params, r.baseUrl, r.query),
    },
  ];
}

/** The `Azure-AsyncOperation` header of an operation the request started. */
export function lroHeaders(req: SimRequest, opId: string, ctx: SimContext): Record<string, string> {
  const op = ctx.lro.get(opId);
  if (!op) return {};
  return { 'azure-asyncoperation': operationUrls(req.baseUrl, op, apiVersion(req)).asyncOperation };
}

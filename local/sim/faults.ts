/**
 * Faults on demand (`POST /_sim/faults`): for the next `count` calls whose path matches `path`
 * (a case-insensitive regular expression) and, if given, `method`: answer `status` (with an ARM
 * error `code`), add `latencyMs`, drop the connection, or let the long-running operation the call
 * starts end `Failed`.
 */
export interface FaultSpec {
  readonly path: string;
  readonly method?: string;
  readonly count?: number;
  readonly status?: number;
  readonly code?: string;
  readonly message?: string;
  /** Sent as `Retry-After` (seconds) with the status, e.g. for 429 or 503. */
  readonly retryAfter?: number;
  readonly latencyMs?: number;
  /** Close the socket without answering. */
  readonly drop?: boolean;
  /** The operation this call starts fails with this error (`{ code, message }`; default code `UpgradeFailed`). */
  readonly failOperation?: boolean | { readonly code?: string; readonly message?: string };
}

export interface ActiveFault extends FaultSpec {
  readonly id: number;
  remaining: number;
  readonly pattern: RegExp;
}

export class FaultError extends Error {
  override readonly name = 'FaultError';
}

export class Faults {
  private readonly active: ActiveFault[] = [];
  private nextId = 1;

  add(spec: FaultSpec): ActiveFault {
    if (typeof spec.path !== 'string' || spec.path === '') throw new FaultError('path is required');
    let pattern: RegExp;
    try {
      pattern = new RegExp(spec.path, 'i');
    } catch {
      throw new FaultError(`path "${spec.path}" is not a regular expression`);
    }
    const count = spec.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new FaultError('count must be a positive integer');
    if (
      spec.status !== undefined &&
      (!Number.isInteger(spec.status) || spec.status < 100 || spec.status > 599)
    )
      throw new FaultError('status must be an HTTP status code');
    if (spec.latencyMs !== undefined && (typeof spec.latencyMs !== 'number' || spec.latencyMs < 0))
      throw new FaultError('latencyMs must be a non-negative number');
    if (
      spec.status === undefined &&
      spec.latencyMs === undefined &&
      spec.drop !== true &&
      (spec.failOperation === undefined || spec.failOperation === false)
    )
      throw new FaultError('a fault needs status, latencyMs, drop or failOperation');
    const fault: ActiveFault = { ...spec, id: this.nextId++, remaining: count, pattern };
    this.active.push(fault);
    return fault;
  }

  /** The first fault that applies to a call, consuming one of its count. */
  take(method: string, path: string): ActiveFault | undefined {
    const i = this.active.findIndex(
      (f) =>
        f.pattern.test(path) && (f.method === undefined || f.method.toUpperCase() === method.toUpperCase()),
    );
    if (i < 0) return undefined;
    const f = this.active[i];
    if (!f) return undefined;
    f.remaining -= 1;
    if (f.remaining <= 0) this.active.splice(i, 1);
    return f;
  }

  list(): ActiveFault[] {
    return [...this.active];
  }

  clear(): void {
    this.active.length = 0;
  }
}

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * One part of the simulator's state that outlives a restart: the ARM fleet, the outbox, and whatever a
 * room adds (Kubernetes, Network, Compute, Fleet Manager). docs/design/local-runtime.md says how to
 * add one.
 */
export interface PersistentPart {
  /** Unique within the snapshot (`arm`, `outbox`, `kube`, …). */
  readonly key: string;
  /** The part's state as plain data; `Map` and `Set` are kept as such (see {@link encode}). */
  save(): unknown;
  /** Puts saved state back, in place, before the simulator serves anything. */
  load(saved: unknown): void;
  /**
   * A number that changes whenever the state changes, for parts that cannot call
   * {@link SimSnapshot.changed} themselves (the snapshot polls it once a second).
   */
  revision?(): number;
}

/** The snapshot file exists but cannot be read back; the message names it. */
export class SnapshotError extends Error {
  override readonly name = 'SnapshotError';
}

const VERSION = 1;

function replacer(_key: string, value: unknown): unknown {
  if (value instanceof Map) return { $map: [...(value as Map<unknown, unknown>).entries()] };
  if (value instanceof Set) return { $set: [...(value as Set<unknown>).values()] };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const v = value as { $map?: unknown; $set?: unknown };
    if (Array.isArray(v.$map) && Object.keys(value).length === 1)
      return new Map(v.$map as [unknown, unknown][]);
    if (Array.isArray(v.$set) && Object.keys(value).length === 1) return new Set(v.$set as unknown[]);
  }
  return value;
}

/** JSON that keeps `Map` and `Set` (`{"$map": [[k, v], …]}`, `{"$set": […]}`). */
export function encode(value: unknown): string {
  return JSON.stringify(value, replacer);
}

export function decode(text: string): unknown {
  return JSON.parse(text, reviver) as unknown;
}

/**
 * The simulator's state on disk: one JSON file holding every registered part, written aside and
 * renamed over the old one (a kill during a write leaves the previous snapshot), shortly after each
 * change (`changed()`, debounced) and at stop (`flush()`). `npm start` loads it instead of the fleet
 * file when it is there, so the simulator resumes with Warden's tables.
 */
export class SimSnapshot {
  private readonly parts = new Map<string, PersistentPart>();
  private readonly revisions = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private poller: NodeJS.Timeout | undefined;
  private saved: Record<string, unknown> | undefined;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly meta: Record<string, unknown> = {},
    private readonly debounceMs = 250,
  ) {}

  /** True when a snapshot file is there to resume from. */
  exists(): boolean {
    return existsSync(this.path);
  }

  /** The file's `meta` (what the start recorded: the fleet file), or undefined when there is none. */
  savedMeta(): Record<string, unknown> | undefined {
    return this.read()?.meta as Record<string, unknown> | undefined;
  }

  /** Adds a part and, when the file holds state for it, loads it now. Returns whether it was loaded. */
  register(part: PersistentPart): boolean {
    if (this.parts.has(part.key)) throw new Error(`snapshot part ${part.key} registered twice`);
    this.parts.set(part.key, part);
    const saved = this.read()?.parts[part.key];
    if (saved !== undefined) part.load(saved);
    if (part.revision) {
      this.revisions.set(part.key, part.revision());
      this.poller ??= setInterval(() => this.poll(), 1_000);
      this.poller.unref();
    }
    return saved !== undefined;
  }

  /** Something changed: the snapshot is written within the debounce interval. */
  changed(): void {
    if (this.closed || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, this.debounceMs);
    this.timer.unref();
  }

  /** Writes every part now (aside, then rename). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const parts: Record<string, unknown> = { ...this.read()?.parts };
    for (const [key, part] of this.parts) parts[key] = part.save();
    mkdirSync(dirname(this.path), { recursive: true });
    const aside = `${this.path}.${process.pid}.tmp`;
    writeFileSync(aside, encode({ version: VERSION, meta: this.meta, parts }));
    renameSync(aside, this.path);
  }

  /** Final write; nothing is written after it. */
  close(): void {
    if (this.closed) return;
    if (this.poller) clearInterval(this.poller);
    this.flush();
    this.closed = true;
  }

  private poll(): void {
    for (const [key, part] of this.parts) {
      const r = part.revision?.();
      if (r !== undefined && r !== this.revisions.get(key)) {
        this.revisions.set(key, r);
        this.changed();
      }
    }
  }

  private read(): { meta: unknown; parts: Record<string, unknown> } | undefined {
    if (this.saved !== undefined)
      return { meta: this.saved.meta, parts: this.saved.parts as Record<string, unknown> };
    if (!existsSync(this.path)) return undefined;
    let parsed: { version?: unknown; meta?: unknown; parts?: unknown };
    try {
      parsed = decode(readFileSync(this.path, 'utf8')) as typeof parsed;
    } catch (e) {
      throw new SnapshotError(`the simulator state ${this.path} cannot be read (${(e as Error).message})`);
    }
    if (parsed.version !== VERSION || typeof parsed.parts !== 'object' || parsed.parts === null)
      throw new SnapshotError(`the simulator state ${this.path} is not version ${VERSION}`);
    this.saved = { meta: parsed.meta, parts: parsed.parts };
    return { meta: parsed.meta, parts: parsed.parts as Record<string, unknown> };
  }
}

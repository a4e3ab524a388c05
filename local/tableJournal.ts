import type { FileHandle } from 'node:fs/promises';
import { open, readFile, rename, writeFile } from 'node:fs/promises';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-member-access, @typescript-eslint/no-unsafe-argument */

/** The parts of a LokiJS collection the journal reads and resets. */
interface LokiCollection {
  name: string;
  data: any[];
  maxId: number;
  dirty: boolean;
  dirtyIds: number[];
  isIncremental: boolean;
  get(id: number): unknown;
  ensureAllIndexes(force: boolean): void;
}

/** The parts of Azurite's Loki database the journal takes over (its load and its save). */
export interface LokiDatabase {
  collections: LokiCollection[];
  isIncremental: boolean;
  serializeReplacer(key: string, value: unknown): unknown;
  serialize(): string;
  loadJSONObject(object: unknown, options?: unknown): void;
  getCollection(name: string): LokiCollection | null;
  loadDatabase(options: unknown, callback: (err?: unknown) => void): void;
  saveDatabase(callback?: (err?: unknown) => void): void;
}

/** One save's changes: collections dropped, collections new since the last save (whole), documents. */
interface JournalRecord {
  drop: string[];
  full: any[];
  docs: { name: string; maxId: number; put: any[]; del: number[] }[];
}

/** The journal's first line: which snapshot its records follow. */
interface JournalHeader {
  snapshot: string;
}

/** Past this many bytes of journal (and the last snapshot's size), a save writes a new snapshot instead. */
const MIN_COMPACT_BYTES = 4 * 1024 * 1024;

/**
 * Azurite's table database saved as a snapshot plus a journal of what each save changed, instead of
 * the whole database per save. The snapshot is Loki's own file (`path`, written aside and renamed over,
 * so an older Azurite or an older Warden still reads it); `path.journal` holds one line per save with the
 * documents that changed since the last save (Loki's `dirtyIds`), the collections created since, and the
 * ones dropped. Its first line names the snapshot it follows (`wardenSnapshot`, a property of the
 * snapshot), so a journal left from before the last snapshot is ignored, not replayed twice.
 *
 * A save is one append of one line: a process killed during it leaves a line without its newline, which
 * loading drops with everything after it; the write it held was never answered. When the journal
 * outgrows the snapshot, the next save writes a new snapshot (tmp + rename) and starts a new journal
 * (tmp + rename), so loading reads at most about twice the database.
 */
export class TableJournal {
  private journal: FileHandle | undefined;
  private journalBytes = 0;
  private snapshotBytes = 0;
  private snapshotNext = true;
  private known = new Set<LokiCollection>();

  constructor(
    private readonly db: LokiDatabase,
    private readonly path: string,
  ) {}

  /** Loads the snapshot at `path` and replays its journal into the database (Azurite calls it when `path` exists). */
  async load(): Promise<void> {
    const snapshot = JSON.parse(await readFile(this.path, 'utf8')) as {
      collections: any[];
      wardenSnapshot?: string;
    };
    const records = await this.readJournal(snapshot.wardenSnapshot);
    const touched = replay(snapshot, records);
    this.db.loadJSONObject(snapshot);
    for (const name of touched) this.db.getCollection(name)?.ensureAllIndexes(true);
  }

  /** Everything changed since the last save, on disk when the promise resolves. Calls must not overlap. */
  async save(): Promise<void> {
    if (this.snapshotNext || this.journalBytes > Math.max(this.snapshotBytes, MIN_COMPACT_BYTES))
      return this.writeSnapshot();
    const line = this.changes();
    if (line === undefined) return;
    try {
      const handle = this.journal ?? (this.journal = await open(`${this.path}.journal`, 'a'));
      await handle.appendFile(line);
    } catch (e) {
      this.snapshotNext = true; // the changes left the dirty lists: only a whole snapshot still holds them
      throw e;
    }
    this.journalBytes += line.length;
  }

  async close(): Promise<void> {
    await this.journal?.close();
    this.journal = undefined;
  }

  /** Starts tracking changed documents: every collection, and the ones Loki adds later, keep `dirtyIds`. */
  trackAll(): void {
    this.db.isIncremental = true;
    for (const c of this.db.collections) {
      c.isIncremental = true;
      c.dirtyIds = [];
      c.dirty = false;
    }
    this.known = new Set(this.db.collections);
  }

  /** The journal line for what changed since the last save (taken now, synchronously), if anything did. */
  private changes(): string | undefined {
    const record: JournalRecord = { drop: [], full: [], docs: [] };
    const current = new Set(this.db.collections);
    for (const c of this.known) if (!current.has(c)) record.drop.push(c.name);
    for (const c of this.db.collections) {
      if (!this.known.has(c)) {
        c.isIncremental = true;
        record.full.push(c);
      } else if (c.dirtyIds.length > 0) {
        const put: unknown[] = [];
        const del: number[] = [];
        for (const id of new Set(c.dirtyIds)) {
          const doc = c.get(id);
          if (doc === null || doc === undefined) del.push(id);
          else put.push(doc);
        }
        record.docs.push({ name: c.name, maxId: c.maxId, put, del });
      }
      c.dirtyIds = [];
      c.dirty = false;
    }
    this.known = current;
    if (record.drop.length === 0 && record.full.length === 0 && record.docs.length === 0) return undefined;
    // Whole collections go through Loki's replacer, as its own save does; documents as they are.
    const full = record.full.map((c) => JSON.stringify(c, (k, v) => this.db.serializeReplacer(k, v)));
    return `{"drop":${JSON.stringify(record.drop)},"full":[${full.join(',')}],"docs":${JSON.stringify(record.docs)}}\n`;
  }

  private async writeSnapshot(): Promise<void> {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
    (this.db as unknown as { wardenSnapshot: string }).wardenSnapshot = id;
    this.trackAll();
    const text = this.db.serialize();
    await writeFile(`${this.path}~`, text);
    await rename(`${this.path}~`, this.path);
    this.snapshotBytes = text.length;
    await this.journal?.close();
    this.journal = undefined;
    const header = `${JSON.stringify({ snapshot: id } satisfies JournalHeader)}\n`;
    await writeFile(`${this.path}.journal~`, header);
    await rename(`${this.path}.journal~`, `${this.path}.journal`);
    this.journalBytes = header.length;
    this.snapshotNext = false; // only now: until the new journal is in place, appends would be lost
  }

  /** The complete records of the journal that follows `snapshot`; none if it follows another one. */
  private async readJournal(snapshot: string | undefined): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(`${this.path}.journal`, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const lines = text.split('\n');
    lines.pop(); // after the last newline: empty, or a line a killed save left half written
    const [first, ...rest] = lines;
    if (first === undefined || snapshot === undefined) return [];
    if ((JSON.parse(first) as JournalHeader).snapshot !== snapshot) return [];
    return rest.map((line) => JSON.parse(line) as JournalRecord);
  }
}

/** Applies journal records to a parsed snapshot in place; returns the collections whose indexes must be rebuilt. */
export function replay(snapshot: { collections: any[] }, records: readonly JournalRecord[]): Set<string> {
  const collections = new Map<string, any>(snapshot.collections.map((c) => [c.name as string, c]));
  const touched = new Set<string>();
  const pending = new Map<string, Map<number, any>>();
  const flush = (name: string): void => {
    const changes = pending.get(name);
    const c = collections.get(name);
    pending.delete(name);
    if (changes === undefined || c === undefined) return;
    const kept = (c.data as any[]).filter((d) => !changes.has(d.$loki as number));
    for (const doc of changes.values()) if (doc !== null) kept.push(doc);
    c.data = kept.sort((a, b) => (a.$loki as number) - (b.$loki as number));
  };
  for (const record of records) {
    for (const name of [...record.drop, ...record.full.map((c) => c.name as string)]) {
      flush(name);
      collections.delete(name);
    }
    for (const c of record.full) collections.set(c.name as string, c);
    for (const d of record.docs) {
      const c = collections.get(d.name);
      if (c === undefined) continue;
      const changes = pending.get(d.name) ?? new Map<number, any>();
      pending.set(d.name, changes);
      for (const doc of d.put) changes.set(doc.$loki as number, doc);
      for (const id of d.del) changes.set(id, null);
      c.maxId = Math.max(c.maxId ?? 0, d.maxId);
      touched.add(d.name);
    }
  }
  for (const name of [...pending.keys()]) flush(name);
  for (const name of touched) {
    const c = collections.get(name);
    if (c === undefined) continue;
    c.idIndex = null;
    for (const key of Object.keys(c.binaryIndices ?? {}))
      c.binaryIndices[key] = { name: key, dirty: true, values: [] };
  }
  snapshot.collections = [...collections.values()];
  return touched;
}

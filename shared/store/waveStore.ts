import type { Wave, WaveDecision } from '../domain/wave';
import type { TableEntity, Tables } from './tables';
import {
  getJson,
  getOrUndefined,
  isConflict,
  isNotFound,
  isPreconditionFailed,
  listAll,
  putJson,
} from './tables';

/**
 * Waves and their decisions, table `waves`: one partition per wave, the row `wave` (the wave with its
 * members and their bindings, JSON split across columns) and one row `d:{approver}` per decision. The
 * partition `~open` lists the waves still open (row key = wave id), so the approval timer reads those
 * and never scans past waves.
 *
 * A wave's id is derived from its members (shared/usecases/waves.ts), so creating it again after a
 * crash finds the first one. A decision row is created once per (wave, approver): a second POST of the
 * same link reads it back and re-applies it, which changes nothing already done.
 */
export interface StoredWave {
  readonly wave: Wave;
  readonly etag: string;
}

export interface StoredWaveDecision {
  readonly decision: WaveDecision;
  readonly etag: string;
}

export interface WaveStore {
  get(waveId: string): Promise<StoredWave | undefined>;
  /** Creates the wave and lists it as open; an existing wave of that id is returned as it is. */
  create(wave: Wave): Promise<StoredWave>;
  /** ETag-conditional replace; undefined when the wave changed meanwhile. */
  save(stored: StoredWave, changes: Partial<Omit<Wave, 'id'>>): Promise<StoredWave | undefined>;
  /** Waves still open (asked, not yet expired or fully decided). */
  open(): Promise<StoredWave[]>;
  /** No longer open: nothing left to remind, escalate or apply. */
  close(waveId: string): Promise<void>;
  decisions(waveId: string): Promise<StoredWaveDecision[]>;
  /** Records an approver's decision once; `created: false` with the decision recorded before. */
  recordDecision(decision: WaveDecision): Promise<{ stored: StoredWaveDecision; created: boolean }>;
  /** ETag-conditional replace; undefined when it changed meanwhile. */
  saveDecision(
    stored: StoredWaveDecision,
    changes: Partial<Pick<WaveDecision, 'appliedAt' | 'outcome'>>,
  ): Promise<StoredWaveDecision | undefined>;
}

export const WAVES_TABLE = 'waves';
const WAVE_ROW = 'wave';
const OPEN_PARTITION = '~open';
const decisionRow = (approver: string): string => `d:${encodeURIComponent(approver.toLowerCase())}`;

export class TableWaveStore implements WaveStore {
  constructor(private readonly tables: Tables) {}

  private table() {
    return this.tables.table(WAVES_TABLE);
  }

  async get(waveId: string): Promise<StoredWave | undefined> {
    const e = await getOrUndefined<Record<string, unknown>>(await this.table(), waveId, WAVE_ROW);
    if (e === undefined) return undefined;
    const wave = getJson<Wave>(e, 'data');
    return wave === undefined ? undefined : { wave, etag: e.etag };
  }

  async create(wave: Wave): Promise<StoredWave> {
    const client = await this.table();
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: wave.id,
      rowKey: WAVE_ROW,
      status: wave.status,
    };
    putJson(entity, 'data', wave);
    try {
      await client.createEntity(entity);
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    await client.upsertEntity(
      { partitionKey: OPEN_PARTITION, rowKey: wave.id, expiresAt: wave.expiresAt },
      'Replace',
    );
    const stored = await this.get(wave.id);
    if (stored === undefined) throw new Error(`wave ${wave.id} vanished after it was written`);
    return stored;
  }

  async save(stored: StoredWave, changes: Partial<Omit<Wave, 'id'>>): Promise<StoredWave | undefined> {
    const wave: Wave = { ...stored.wave, ...changes };
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: wave.id,
      rowKey: WAVE_ROW,
      status: wave.status,
    };
    putJson(entity, 'data', wave);
    try {
      const r = await (await this.table()).updateEntity(entity, 'Replace', { etag: stored.etag });
      return { wave, etag: r.etag ?? '' };
    } catch (e) {
      if (isPreconditionFailed(e)) return undefined;
      throw e;
    }
  }

  async open(): Promise<StoredWave[]> {
    const client = await this.table();
    const rows = await listAll<{ expiresAt: string }>(client, `PartitionKey eq '${OPEN_PARTITION}'`, [
      'RowKey',
    ]);
    const waves = await Promise.all(rows.map((r) => this.get(r.rowKey ?? '')));
    return waves.filter((w): w is StoredWave => w !== undefined);
  }

  async close(waveId: string): Promise<void> {
    try {
      await (await this.table()).deleteEntity(OPEN_PARTITION, waveId);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  async decisions(waveId: string): Promise<StoredWaveDecision[]> {
    const client = await this.table();
    const rows = await listAll<Record<string, unknown>>(
      client,
      `PartitionKey eq '${waveId.replace(/'/g, "''")}' and RowKey ge 'd:' and RowKey lt 'd;'`,
    );
    return rows.flatMap((r) => {
      const decision = getJson<WaveDecision>(r, 'data');
      return decision === undefined ? [] : [{ decision, etag: r.etag }];
    });
  }

  async recordDecision(decision: WaveDecision): Promise<{ stored: StoredWaveDecision; created: boolean }> {
    const client = await this.table();
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: decision.waveId,
      rowKey: decisionRow(decision.approver),
      decision: decision.decision,
    };
    putJson(entity, 'data', decision);
    try {
      const r = await client.createEntity(entity);
      return { stored: { decision, etag: r.etag ?? '' }, created: true };
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    const e = await getOrUndefined<Record<string, unknown>>(
      client,
      decision.waveId,
      decisionRow(decision.approver),
    );
    const earlier = e === undefined ? undefined : getJson<WaveDecision>(e, 'data');
    if (e === undefined || earlier === undefined)
      throw new Error(`wave ${decision.waveId}: the decision of ${decision.approver} could not be read back`);
    return { stored: { decision: earlier, etag: e.etag }, created: false };
  }

  async saveDecision(
    stored: StoredWaveDecision,
    changes: Partial<Pick<WaveDecision, 'appliedAt' | 'outcome'>>,
  ): Promise<StoredWaveDecision | undefined> {
    const decision: WaveDecision = { ...stored.decision, ...changes };
    const entity: TableEntity<Record<string, unknown>> = {
      partitionKey: decision.waveId,
      rowKey: decisionRow(decision.approver),
      decision: decision.decision,
    };
    putJson(entity, 'data', decision);
    try {
      const r = await (await this.table()).updateEntity(entity, 'Replace', { etag: stored.etag });
      return { decision, etag: r.etag ?? '' };
    } catch (e) {
      if (isPreconditionFailed(e)) return undefined;
      throw e;
    }
  }
}

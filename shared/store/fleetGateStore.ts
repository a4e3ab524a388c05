import { odata } from '@azure/data-tables';

import type { Tables } from './tables';
import { clip, getOrUndefined, isConflict, isPreconditionFailed, listAll } from './tables';

/**
 * What Warden did about each Fleet gate, table `fleetgates`, one partition per fleet key, one row per
 * gate. The row is written before the plan is created (so a redelivered event makes no second plan)
 * and, like the runner's intent write, before every request Warden sends Fleet for the gate: the
 * ETag-conditional write of `attempt` + `intentAt` decides which instance sends it (docs/design/azure-fleet.md).
 */
export interface FleetGateRecord {
  readonly fleetKey: string;
  readonly gateName: string;
  readonly gateId: string;
  readonly runId: string;
  readonly planId: string;
  /** The gate's state as Warden last saw it (`Pending`, `Completed`, `Deleted`). */
  readonly gateState: string;
  /** What Warden sends: `complete` (approved), `stop` / `skip` (rejected or expired). */
  readonly action?: 'complete' | 'stop' | 'skip';
  readonly attempt: number;
  readonly intentAt?: string;
  /** HTTP status of the last answer, and the poll URL of a 202. */
  readonly httpStatus?: number;
  readonly pollUrl?: string;
  readonly lastError?: string;
  /** Settled: nothing more to send (done, or nothing to do: the gate went, the plan was cancelled). */
  readonly doneAt?: string;
  readonly outcome?: string;
  readonly createdAt: string;
  readonly etag: string;
}

export type NewFleetGateRecord = Omit<FleetGateRecord, 'etag' | 'attempt'>;

export interface FleetGateStore {
  get(fleetKey: string, gateName: string): Promise<FleetGateRecord | undefined>;
  /** Creates the row; undefined when it exists already (the other writer's row stands). */
  create(record: NewFleetGateRecord): Promise<FleetGateRecord | undefined>;
  /** ETag-conditional replace; undefined when someone else wrote the row meanwhile. */
  save(
    record: FleetGateRecord,
    changes: Partial<Omit<FleetGateRecord, 'etag'>>,
  ): Promise<FleetGateRecord | undefined>;
  /** Rows not settled yet, across fleets (the timer's work list). */
  unsettled(): Promise<FleetGateRecord[]>;
  /** Every fleet a gate was seen in (keys and ids), for the timer's gate listing. */
  fleets(): Promise<{ fleetKey: string; fleetId: string }[]>;
}

export const FLEET_GATES_TABLE = 'fleetgates';

type Entity = Omit<FleetGateRecord, 'etag' | 'fleetKey' | 'gateName'> & {
  partitionKey: string;
  rowKey: string;
  settled: boolean;
};

function toRecord(e: Entity & { etag: string }): FleetGateRecord {
  const { partitionKey, rowKey, settled: _s, etag, ...rest } = e;
  const clean = Object.fromEntries(
    Object.entries(rest).filter(
      ([k, v]) => v !== null && v !== undefined && !['timestamp', 'odata.etag'].includes(k),
    ),
  ) as Omit<FleetGateRecord, 'etag' | 'fleetKey' | 'gateName'>;
  return { ...clean, fleetKey: partitionKey, gateName: rowKey, etag };
}

function toEntity(r: Omit<FleetGateRecord, 'etag'>): Entity {
  const { fleetKey, gateName, ...rest } = r;
  return {
    ...rest,
    ...(rest.lastError !== undefined && { lastError: clip(rest.lastError, 2000) }),
    partitionKey: fleetKey,
    rowKey: gateName.toLowerCase(),
    settled: rest.doneAt !== undefined,
  };
}

export class TableFleetGateStore implements FleetGateStore {
  constructor(private readonly tables: Tables) {}

  async get(fleetKey: string, gateName: string): Promise<FleetGateRecord | undefined> {
    const client = await this.tables.table(FLEET_GATES_TABLE);
    const e = await getOrUndefined<Entity>(client, fleetKey, gateName.toLowerCase());
    return e ? toRecord(e) : undefined;
  }

  async create(record: NewFleetGateRecord): Promise<FleetGateRecord | undefined> {
    const client = await this.tables.table(FLEET_GATES_TABLE);
    const full = { ...record, attempt: 0 };
    try {
      const r = await client.createEntity(toEntity(full));
      return { ...full, gateName: full.gateName.toLowerCase(), etag: r.etag ?? '' };
    } catch (e) {
      if (isConflict(e)) return undefined;
      throw e;
    }
  }

  async save(
    record: FleetGateRecord,
    changes: Partial<Omit<FleetGateRecord, 'etag'>>,
  ): Promise<FleetGateRecord | undefined> {
    const client = await this.tables.table(FLEET_GATES_TABLE);
    const { etag: _e, ...rest } = record;
    const next = { ...rest, ...changes };
    // Fields set back to undefined are dropped: Replace writes exactly what is here.
    const full = toEntity(next);
    const entity: Entity = { ...full };
    for (const [k, v] of Object.entries(full))
      if (v === undefined) delete (entity as Record<string, unknown>)[k];
    try {
      const r = await client.updateEntity(entity, 'Replace', { etag: record.etag });
      return { ...next, etag: r.etag ?? '' };
    } catch (e) {
      if (isPreconditionFailed(e)) return undefined;
      throw e;
    }
  }

  async unsettled(): Promise<FleetGateRecord[]> {
    const client = await this.tables.table(FLEET_GATES_TABLE);
    const rows = await listAll<Entity>(client, odata`settled eq ${false}`);
    return rows.map((e) => toRecord(e as Entity & { etag: string }));
  }

  async fleets(): Promise<{ fleetKey: string; fleetId: string }[]> {
    const client = await this.tables.table(FLEET_GATES_TABLE);
    const rows = await listAll<Entity>(client, undefined, ['PartitionKey', 'gateId']);
    const out = new Map<string, string>();
    for (const r of rows) {
      const id = typeof r.gateId === 'string' ? r.gateId.replace(/\/gates\/[^/]+$/i, '') : undefined;
      if (id !== undefined) out.set(r.partitionKey, id);
    }
    return [...out].map(([fleetKey, fleetId]) => ({ fleetKey, fleetId }));
  }
}

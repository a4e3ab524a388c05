import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { SimSnapshot, SnapshotError } from './sim/persistence/snapshot';

/** The simulator's state file in the data folder, beside Azurite's. */
export const SIM_STATE_FILE = 'simulator.json';
const TABLES_FILE = join('azurite', '__azurite_db_table__.json');

/** The data folder holds one side without the other, or another fleet's state; the message says what to do. */
export class ResumeRefused extends Error {
  override readonly name = 'ResumeRefused';
}

const clean = (dataDir: string): string => `to start clean: stop Warden and rm -rf ${dataDir}`;

/**
 * Opens the simulator's state in the data folder, making sure both sides resume together: Warden's
 * tables and the simulator state are both there (resume both) or both absent (start both afresh
 * from the fleet file). One without the other, or state made from another fleet file, would have
 * Warden believe versions and operations the simulator never had: the start is refused, saying how
 * to start clean. Call before Azurite creates its files.
 */
export function openSimState(dataDir: string, fleet: string): SimSnapshot {
  const snapshot = new SimSnapshot(join(dataDir, SIM_STATE_FILE), { fleet });
  const tables = existsSync(join(dataDir, TABLES_FILE));
  const state = snapshot.exists();
  if (tables && !state)
    throw new ResumeRefused(
      `the data folder ${dataDir} has Warden's tables but no simulator state (${SIM_STATE_FILE}), so the two would disagree; ${clean(dataDir)}`,
    );
  if (state && !tables)
    throw new ResumeRefused(
      `the data folder ${dataDir} has simulator state but no Warden tables, so the two would disagree; ${clean(dataDir)}`,
    );
  let saved: Record<string, unknown> | undefined;
  try {
    saved = snapshot.savedMeta();
  } catch (e) {
    if (e instanceof SnapshotError) throw new ResumeRefused(`${e.message}; ${clean(dataDir)}`);
    throw e;
  }
  if (saved !== undefined && saved.fleet !== fleet)
    throw new ResumeRefused(
      `the data folder ${dataDir} holds the demo of fleet ${String(saved.fleet)}, not ${fleet}; start with --fleet ${String(saved.fleet)}, or set WARDEN_DATA_DIR to another folder, or ${clean(dataDir)}`,
    );
  return snapshot;
}

/** Plans by status, from the running app (what the start banner says it resumed). */
async function planCounts(appUrl: string): Promise<{ open: number; awaiting: number } | undefined> {
  try {
    const r = await fetch(`${appUrl}/api/plans`);
    if (!r.ok) return undefined;
    const { plans } = (await r.json()) as { plans: { status: string }[] };
    const closed = new Set(['succeeded', 'rejected', 'expired', 'failed', 'cancelled', 'superseded']);
    return {
      open: plans.filter((p) => !closed.has(p.status)).length,
      awaiting: plans.filter((p) => p.status === 'awaiting-approval').length,
    };
  } catch {
    return undefined;
  }
}

/** The banner line about the data: what was resumed from it, or that it starts afresh; and how to start clean. */
export async function resumeLine(
  appUrl: string,
  dataDir: string,
  resumed: { readonly clusters: number; readonly outbox: number } | undefined,
): Promise<string> {
  if (resumed === undefined)
    return `  data      ${dataDir}: new (simulator from the fleet file); ${clean(dataDir)}`;
  const plans = await planCounts(appUrl);
  const planText =
    plans === undefined ? 'plans unknown' : `${plans.open} open plans, ${plans.awaiting} awaiting approval`;
  return `  resumed   ${dataDir}: Warden's tables and the simulator (${resumed.clusters} clusters), ${planText}, ${resumed.outbox} outbox messages; ${clean(dataDir)}`;
}

import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** The lock file in the data folder: `{ pid, startedAt }` of the Warden that uses the folder. */
export const LOCK_FILE = 'warden.lock';

/** Another live process holds the data folder; the message names the folder and that process. */
export class DataFolderLocked extends Error {
  override readonly name = 'DataFolderLocked';
}

export interface DataLock {
  release(): void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(path: string): { pid: number; startedAt?: string } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { pid?: unknown; startedAt?: unknown };
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return undefined;
    return { pid: parsed.pid, ...(typeof parsed.startedAt === 'string' && { startedAt: parsed.startedAt }) };
  } catch {
    return undefined;
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Takes the data folder for this process: one Warden per folder, since two would share Azurite's
 * files and the simulator's snapshot and overwrite each other. The lock is a file created
 * exclusively (`wx`) holding this pid; a lock whose process is gone (a crash, `kill -9`) is stale
 * and taken over, so a crashed instance never leaves the folder stuck.
 */
export function lockDataFolder(dataDir: string, now: Date = new Date()): DataLock {
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const other = holder(path);
      if (other && other.pid !== process.pid && alive(other.pid))
        throw new DataFolderLocked(
          `the data folder ${dataDir} is in use by another Warden (pid ${other.pid}${other.startedAt !== undefined ? `, started ${other.startedAt}` : ''}); stop it, or set WARDEN_DATA_DIR to another folder`,
        );
      // A lock just created may not hold its pid yet: only an old unreadable one is stale.
      if (!other && Date.now() - mtimeMs(path) < 5_000)
        throw new DataFolderLocked(
          `the data folder ${dataDir} is being taken by another Warden that is starting; stop it, or set WARDEN_DATA_DIR to another folder`,
        );
      rmSync(path, { force: true });
      continue;
    }
    writeSync(fd, JSON.stringify({ pid: process.pid, startedAt: now.toISOString() }));
    closeSync(fd);
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        if (holder(path)?.pid === process.pid) rmSync(path, { force: true });
      },
    };
  }
  throw new DataFolderLocked(
    `could not take the lock ${path}; another Warden is starting on the same folder`,
  );
}

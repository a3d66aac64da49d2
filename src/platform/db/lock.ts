/**
 * An exclusive lock on the embedded data folder. PGlite does not lock its folder, and two
 * processes writing the same folder lose committed data, so the second one must refuse.
 * The lock file holds the owner's pid; a lock left by a dead process is taken over.
 */
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/** Raised when another live process holds the folder. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly ownerPid: number,
  ) {
    super(
      `The data folder ${dataDir} is in use by another Zaplecze process (pid ${ownerPid}). ` +
        'Stop it first, or give this one its own DATA_DIR.',
    );
    this.name = 'DataDirLockedError';
  }
}

/** A held lock; `release` is idempotent. */
export interface DataDirLock {
  release(): Promise<void>;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else; still alive.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

// Lock files this process holds. A file naming our own pid that is not in here is a leftover
// of an earlier run that had the same pid (pid 1 in a restarted container), so it is stale.
const heldHere = new Set<string>();

/** Takes the lock on `dataDir`, creating the folder if needed. */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  await mkdir(dataDir, { recursive: true });
  const file = join(resolve(dataDir), 'zaplecze.lock');
  if (heldHere.has(file)) throw new DataDirLockedError(dataDir, process.pid);
  heldHere.add(file);
  try {
    return await takeLock(dataDir, file);
  } catch (err) {
    heldHere.delete(file);
    throw err;
  }
}

async function takeLock(dataDir: string, file: string): Promise<DataDirLock> {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(file, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.sync();
      await handle.close();
      let released = false;
      return {
        async release() {
          if (released) return;
          released = true;
          await rm(file, { force: true });
          heldHere.delete(file);
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(owner) && owner !== process.pid && isAlive(owner)) {
        throw new DataDirLockedError(dataDir, owner);
      }
      // Stale lock (owner died, or the file was half written): remove it and try again.
      await rm(file, { force: true });
    }
  }
  throw new Error(`Could not lock ${dataDir}`);
}

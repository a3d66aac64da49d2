import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from './lock.js';

/** The pid of a process that has already exited. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await once(child, 'exit');
  if (child.pid === undefined) throw new Error('no pid');
  return child.pid;
}

describe('data folder lock', () => {
  let dir: string;
  const lockFile = () => join(dir, 'zaplecze.lock');

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'zaplecze-lock-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('when the folder is free, then the lock file holds our pid until released', async () => {
    const lock = await lockDataDir(dir);
    expect(await readFile(lockFile(), 'utf8')).toBe(String(process.pid));
    await lock.release();
    await expect(readFile(lockFile(), 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
    await lock.release(); // idempotent
  });

  it('when the folder does not exist yet, then it is created and locked', async () => {
    const nested = join(dir, 'a', 'b');
    const lock = await lockDataDir(nested);
    expect(await readFile(join(nested, 'zaplecze.lock'), 'utf8')).toBe(String(process.pid));
    await lock.release();
  });

  it('when another live process owns the lock, then a second lock is refused naming the folder and pid', async () => {
    // Our parent process is alive for as long as this test runs.
    await writeFile(lockFile(), String(process.ppid));
    const attempt = lockDataDir(dir);
    await expect(attempt).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(attempt).rejects.toMatchObject({ ownerPid: process.ppid, dataDir: dir, message: expect.stringMatching(/is in use/) });
    expect(await readFile(lockFile(), 'utf8')).toBe(String(process.ppid));
  });

  it('when this process already holds the folder, then a second lock in the same process is refused', async () => {
    const first = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    await expect(lockDataDir(`${dir}/./`)).rejects.toBeInstanceOf(DataDirLockedError);
    await first.release();
    const again = await lockDataDir(dir);
    await again.release();
  });

  it('when the lock was left by a dead process, then it is taken over', async () => {
    await writeFile(lockFile(), String(await deadPid()));
    const lock = await lockDataDir(dir);
    expect(await readFile(lockFile(), 'utf8')).toBe(String(process.pid));
    await lock.release();
  });

  it('when the lock names our own pid but we do not hold it (a restarted container), then it is taken over', async () => {
    await writeFile(lockFile(), String(process.pid));
    const lock = await lockDataDir(dir);
    await lock.release();
  });

  it('when the lock file is empty or garbage (a crash mid-write), then it is taken over', async () => {
    await writeFile(lockFile(), '');
    const lock = await lockDataDir(dir);
    await lock.release();
    await writeFile(lockFile(), 'not-a-pid');
    const again = await lockDataDir(dir);
    await again.release();
  });
});

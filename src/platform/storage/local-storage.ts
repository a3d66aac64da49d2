/**
 * The embedded blob storage: files under one folder (DATA_DIR/files by default).
 *
 *   blobs/<key>         committed blobs
 *   tmp/<uuid>.tmp      blobs being written; renamed into blobs/ only when complete and fsynced
 *   parts/<uploadKey>   partial uploads, appended in place at the recorded offset
 *
 * A blob therefore appears under its key whole or not at all, even across a crash; what a
 * crash leaves in tmp/ is removed by `sweepTemporary`.
 */
import { randomUUID } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type AppendResult, assertSafeKey, type BlobEntry, BlobNotFoundError, type BlobStorage, type ByteRange } from './blob-storage.js';

const READ_CHUNK_BYTES = 256 * 1024;

const isMissing = (err: unknown) => (err as NodeJS.ErrnoException).code === 'ENOENT';

/** Opens (creating folders as needed) local blob storage rooted at `root`. */
export async function createLocalStorage(root: string): Promise<BlobStorage> {
  const blobs = join(root, 'blobs');
  const tmp = join(root, 'tmp');
  const parts = join(root, 'parts');
  await Promise.all([mkdir(blobs, { recursive: true }), mkdir(tmp, { recursive: true }), mkdir(parts, { recursive: true })]);

  const blobPath = (key: string) => {
    assertSafeKey(key);
    return join(blobs, key);
  };
  const partPath = (uploadKey: string) => {
    assertSafeKey(uploadKey);
    return join(parts, uploadKey);
  };

  // A rename is durable only once the folder entry is: fsync the folder too.
  async function syncDir(dir: string) {
    const fh = await open(dir, constants.O_RDONLY);
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  }

  async function moveInto(from: string, key: string) {
    const target = blobPath(key);
    await mkdir(dirname(target), { recursive: true });
    await rename(from, target);
    await syncDir(dirname(target));
  }

  return {
    kind: 'local',

    async put(key, source) {
      blobPath(key);
      const temp = join(tmp, `${randomUUID()}.tmp`);
      // flush: fsync before close, so the rename below never publishes unwritten data.
      const out = createWriteStream(temp, { flags: 'wx', mode: 0o600, flush: true });
      try {
        await pipeline(source, out);
        await moveInto(temp, key);
        return { size: out.bytesWritten };
      } catch (err) {
        // Wait for the file to be closed: removing it while its open() is still pending would
        // let the open recreate it after the removal.
        if (!out.closed) await new Promise<void>((resolve) => out.once('close', () => resolve()).destroy());
        await rm(temp, { force: true });
        throw err;
      }
    },

    async get(key, range?: ByteRange) {
      let fh: Awaited<ReturnType<typeof open>>;
      try {
        fh = await open(blobPath(key), 'r');
      } catch (err) {
        if (isMissing(err)) throw new BlobNotFoundError(key);
        throw err;
      }
      // 256 KiB reads: a quarter of the syscalls and chunks of the 64 KiB default, same memory order.
      return fh.createReadStream({ highWaterMark: READ_CHUNK_BYTES, ...(range ? { start: range.start, end: range.end } : {}) });
    },

    async head(key) {
      try {
        const s = await stat(blobPath(key));
        return { size: s.size };
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },

    async delete(key) {
      await rm(blobPath(key), { force: true });
    },

    async *list(): AsyncIterable<BlobEntry> {
      const entries = await readdir(blobs, { recursive: true, withFileTypes: true });
      for (const entry of entries) {
        if (!entry.isFile()) continue;
        const path = join(entry.parentPath, entry.name);
        try {
          const s = await stat(path);
          yield { key: relative(blobs, path).split(sep).join('/'), size: s.size, modifiedAt: s.mtime };
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
      }
    },

    async sweepTemporary(before) {
      let removed = 0;
      for (const name of await readdir(tmp)) {
        const path = join(tmp, name);
        try {
          if ((await stat(path)).mtime < before) {
            await rm(path, { force: true });
            removed++;
          }
        } catch (err) {
          if (!isMissing(err)) throw err;
        }
      }
      return removed;
    },

    async appendPart(uploadKey, offset, source): Promise<AppendResult> {
      const path = partPath(uploadKey);
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      let written = 0;
      let error: Error | undefined;
      try {
        const { size } = await fh.stat();
        if (size < offset) throw new Error(`Partial upload '${uploadKey}' holds ${size} bytes, fewer than the recorded ${offset}`);
        // Bytes past the recorded offset come from an append whose outcome was never recorded.
        if (size > offset) await fh.truncate(offset);
        try {
          for await (const chunk of source) {
            await fh.write(chunk, 0, chunk.length, offset + written);
            written += chunk.length;
          }
        } catch (err) {
          error = err as Error;
        }
        // What was received must survive a crash before the caller records the new offset.
        await fh.sync();
      } finally {
        await fh.close();
      }
      return error ? { written, error } : { written };
    },

    async readPart(uploadKey, length) {
      const path = partPath(uploadKey);
      if (length === 0) return Readable.from([]);
      try {
        const fh = await open(path, 'r');
        return fh.createReadStream(length === undefined ? {} : { start: 0, end: length - 1 });
      } catch (err) {
        if (isMissing(err)) throw new BlobNotFoundError(uploadKey);
        throw err;
      }
    },

    async truncatePart(uploadKey, length) {
      try {
        await truncate(partPath(uploadKey), length);
      } catch (err) {
        if (!isMissing(err)) throw err;
      }
    },

    async commitPart(uploadKey, key, length, tap) {
      const path = partPath(uploadKey);
      if (length === 0) {
        await mkdir(dirname(path), { recursive: true });
        await (await open(path, 'a')).close();
      }
      await truncate(path, length);
      // One read pass for the caller's hash; the bytes themselves move by rename, not copy.
      if (length > 0) {
        const fh = await open(path, 'r');
        for await (const chunk of fh.createReadStream()) tap(chunk as Buffer);
      }
      await moveInto(path, key);
      return { size: length };
    },

    async deletePart(uploadKey) {
      await rm(partPath(uploadKey), { force: true });
    },

    async close() {},
  };
}

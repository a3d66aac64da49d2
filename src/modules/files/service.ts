/**
 * Use cases of the files module: upload (streamed, checked, quota-held), read, share through
 * signed links, change visibility, delete (crash-safe), and the cleanup sweep.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import type { BlobStorage, ByteRange } from '../../platform/storage/blob-storage.js';
import { cleanFileName } from './content-disposition.js';
import { FileNotFound, FileTooLarge, InvalidSignature, LinkExpired, NoFiles, QuotaExceeded, TooManyFiles } from './errors.js';
import { FilesEvents } from './events.js';
import type { FilesRepo, Viewer } from './repo.js';
import type { LinkSigner } from './signed-links.js';
import type { FileRow } from './tables.js';
import { UploadInspector } from './upload-inspector.js';

/** Limits from config. */
export interface FilesLimits {
  maxUploadBytes: number;
  /** Per user; 0 = none. */
  quotaBytes: number;
  allowedTypes: readonly string[];
  /** Files per multipart request. */
  maxFilesPerRequest: number;
  /** Idle lifetime of an unfinished resumable upload. */
  uploadTtlMs: number;
}

/** One file part of a multipart request, as the route hands it over. */
export interface IncomingFile {
  filename: string | undefined;
  stream: Readable & { truncated?: boolean };
}

export interface FilesServiceDeps {
  repo: FilesRepo;
  storage: BlobStorage;
  /** Kicked after a commit that wrote events to the outbox. */
  relay: Pick<OutboxRelay, 'kick'>;
  clock: Clock;
  log: Logger;
  links: LinkSigner;
  limits: FilesLimits;
}

/** Where a file's blob lives: derived from its id only (the random tail spreads folders). */
export const storageKeyOf = (id: string) => `${id.slice(-2)}/${id}`;

/** Unreferenced blobs younger than this are left alone: their row may be about to commit. */
export const ORPHAN_GRACE_MS = 60 * 60 * 1000;
/** A row marked 'deleting' this long ago was left by a crash (or a failed blob delete). */
const DELETING_GRACE_MS = 60 * 1000;

export type FilesService = ReturnType<typeof createFilesService>;

export function createFilesService(deps: FilesServiceDeps) {
  const { repo, storage, clock, log, limits } = deps;

  async function deleteBlobQuietly(key: string) {
    try {
      await storage.delete(key);
    } catch (err) {
      // The orphan sweep removes it later.
      log.warn({ err, key }, 'could not delete blob');
    }
  }

  /** Removes the blob, then the row, of a file already marked 'deleting'. */
  async function finishDeletion(file: FileRow) {
    try {
      await storage.delete(file.storageKey);
      await repo.deleteFileRow(file.id);
    } catch (err) {
      log.warn({ err, fileId: file.id }, 'deletion left for the cleanup sweep');
    }
  }

  async function storeOne(incoming: IncomingFile, limit: number, limitIsQuota: boolean) {
    const id = newId();
    const key = storageKeyOf(id);
    const inspector = new UploadInspector({
      limit,
      allowedTypes: limits.allowedTypes,
      truncated: () => incoming.stream.truncated === true,
      tooLarge: () =>
        limitIsQuota
          ? QuotaExceeded('This upload would pass your storage quota', { quotaBytes: limits.quotaBytes })
          : FileTooLarge(`A file may have at most ${limits.maxUploadBytes} bytes`, { limit: limits.maxUploadBytes }),
    });
    const source = incoming.stream;
    source.once('error', (err) => inspector.destroy(err));
    source.pipe(inspector);
    try {
      await storage.put(key, inspector);
    } catch (err) {
      // Stop reading this part; the route closes the connection after its error response.
      source.unpipe(inspector);
      source.destroy();
      throw inspector.errored && inspector.errored !== err ? inspector.errored : err;
    }
    return {
      id,
      key,
      name: cleanFileName(incoming.filename),
      size: inspector.size,
      sha256: inspector.sha256,
      contentType: inspector.contentType ?? 'application/octet-stream',
    };
  }

  return {
    /**
     * Streams every file of one request into storage, then records them all in one
     * transaction that also takes their bytes from the owner's quota. All or nothing: on any
     * failure (too large, refused type, quota, client gone) every blob of the request is removed.
     */
    async upload(viewer: Viewer, incoming: AsyncIterable<IncomingFile>): Promise<FileRow[]> {
      const used = limits.quotaBytes > 0 ? await repo.usedBytes(viewer.id) : 0;
      if (limits.quotaBytes > 0 && used >= limits.quotaBytes) {
        throw QuotaExceeded(`You use ${used} of your ${limits.quotaBytes} bytes`, { quotaBytes: limits.quotaBytes, usedBytes: used });
      }
      const stored: Awaited<ReturnType<typeof storeOne>>[] = [];
      try {
        for await (const file of incoming) {
          if (stored.length >= limits.maxFilesPerRequest) throw TooManyFiles(`At most ${limits.maxFilesPerRequest} files per request`);
          const taken = stored.reduce((sum, f) => sum + f.size, 0);
          const left = limits.quotaBytes > 0 ? limits.quotaBytes - used - taken : Number.POSITIVE_INFINITY;
          const limit = Math.min(limits.maxUploadBytes, left);
          stored.push(await storeOne(file, limit, left < limits.maxUploadBytes));
        }
        if (!stored.length) throw NoFiles('Send at least one file part in multipart/form-data');
        const total = stored.reduce((sum, f) => sum + f.size, 0);
        const now = clock.now();
        return await repo.transaction(async (tx) => {
          // The authoritative check: concurrent uploads serialise on the usage row here.
          if (!(await tx.reserveBytes(viewer.id, total, limits.quotaBytes))) {
            throw QuotaExceeded('These files would pass your storage quota', { quotaBytes: limits.quotaBytes });
          }
          return tx.insertFiles(
            stored.map((f) => ({
              id: f.id,
              ownerId: viewer.id,
              name: f.name,
              size: f.size,
              contentType: f.contentType,
              sha256: f.sha256,
              storageKey: f.key,
              createdAt: now,
            })),
          );
        });
      } catch (err) {
        await Promise.all(stored.map((f) => deleteBlobQuietly(f.key)));
        throw err;
      }
    },

    async listFiles(viewer: Viewer, before: string | undefined, limit: number) {
      return repo.listFiles(viewer.id, before, limit);
    },

    /** A file the viewer may read (public, own, or any for admins); 404 otherwise. */
    async getReadable(id: string, viewer: Viewer | null): Promise<FileRow> {
      const file = await repo.findReadableFile(id, viewer);
      if (!file) throw FileNotFound(`No file ${id}`);
      return file;
    },

    /** A file reached through a signed link: the signature decides, not the caller. */
    async getByLink(id: string, expiresAt: number, signature: string): Promise<FileRow> {
      const verdict = await deps.links.verify(id, expiresAt, signature, clock.now());
      if (verdict === 'invalid') throw InvalidSignature('The link signature does not match');
      if (verdict === 'expired') throw LinkExpired('This link has expired; ask for a new one');
      const file = await repo.findActiveFile(id);
      if (!file) throw FileNotFound(`No file ${id}`);
      return file;
    },

    openContent(file: FileRow, range?: ByteRange): Promise<Readable> {
      return storage.get(file.storageKey, range);
    },

    /** Signs a link to the content of a file the viewer owns; valid `expiresInS` seconds. */
    async createLink(id: string, viewer: Viewer, expiresInS: number) {
      const file = await repo.findOwnedFile(id, viewer);
      if (!file) throw FileNotFound(`No file ${id}`);
      const expiresAt = Math.floor(clock.now().getTime() / 1000) + expiresInS;
      return { fileId: file.id, expiresAt, signature: await deps.links.sign(file.id, expiresAt) };
    },

    async setVisibility(id: string, viewer: Viewer, visibility: 'private' | 'public'): Promise<FileRow> {
      const file = await repo.setVisibility(id, viewer, visibility);
      if (!file) throw FileNotFound(`No file ${id}`);
      return file;
    },

    /**
     * Hides the file and returns its bytes to the quota in one transaction, then removes blob
     * and row. A crash after the first step leaves an invisible row the sweep finishes.
     */
    async deleteFile(id: string, viewer: Viewer): Promise<void> {
      const file = await repo.transaction(async (tx) => {
        const marked = await tx.markDeleting(id, viewer, clock.now());
        if (marked) {
          await tx.releaseBytes(marked.ownerId, marked.size);
          await tx.enqueueEvents([{ type: FilesEvents.fileDeleted, payload: { fileId: marked.id, ownerId: marked.ownerId } }]);
        }
        return marked;
      });
      if (!file) throw FileNotFound(`No file ${id}`);
      deps.relay.kick();
      await finishDeletion(file);
    },

    /**
     * When an account is deleted: hide all its files and return their bytes in one transaction,
     * then remove each blob and row. What a crash or a storage error interrupts, the sweep finishes.
     */
    async deleteOwnerFiles(ownerId: string): Promise<number> {
      const hidden = await repo.transaction(async (tx) => {
        const rows = await tx.markOwnerDeleting(ownerId, clock.now());
        await tx.releaseBytes(
          ownerId,
          rows.reduce((sum, r) => sum + r.size, 0),
        );
        await tx.enqueueEvents(rows.map((file) => ({ type: FilesEvents.fileDeleted, payload: { fileId: file.id, ownerId } })));
        return rows;
      });
      deps.relay.kick();
      for (const file of hidden) await finishDeletion(file);
      return hidden.length;
    },

    /**
     * One cleanup pass: finishes deletions a crash interrupted, removes blobs no row points
     * at (older than ORPHAN_GRACE_MS) and temporary data of writes that never finished.
     */
    async sweepFiles(): Promise<{ deletions: number; orphans: number; temporary: number }> {
      const now = clock.now();
      let deletions = 0;
      for (;;) {
        const batch = await repo.listDeleting(new Date(now.getTime() - DELETING_GRACE_MS), 100);
        for (const file of batch) {
          await storage.delete(file.storageKey);
          await repo.deleteFileRow(file.id);
          deletions++;
        }
        if (batch.length < 100) break;
      }
      const graceEnd = new Date(now.getTime() - ORPHAN_GRACE_MS);
      let orphans = 0;
      let batch: string[] = [];
      const judge = async () => {
        const referenced = await repo.referencedKeys(batch);
        for (const key of batch) {
          if (!referenced.has(key)) {
            await storage.delete(key);
            orphans++;
          }
        }
        batch = [];
      };
      for await (const blob of storage.list()) {
        if (blob.modifiedAt >= graceEnd) continue;
        batch.push(blob.key);
        if (batch.length >= 500) await judge();
      }
      await judge();
      const temporary = await storage.sweepTemporary(graceEnd);
      return { deletions, orphans, temporary };
    },
  };
}

/**
 * Resumable uploads (tus 1.0: core, creation, termination, expiration, checksum). An upload
 * reserves its announced length from the quota at creation; PATCHes append at the recorded
 * offset, keeping whatever arrived even when the connection drops; the last byte turns it into
 * a normal file with the upload's id, after the same content-type check as any upload.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import { newId } from '../../platform/ids.js';
import type { BlobStorage } from '../../platform/storage/blob-storage.js';
import { cleanFileName } from './content-disposition.js';
import { detectContentType, isAllowedType, SNIFF_BYTES } from './content-type.js';
import {
  ChecksumMismatch,
  FileTooLarge,
  FileTypeNotAllowed,
  QuotaExceeded,
  UploadBusy,
  UploadExpired,
  UploadLengthExceeded,
  UploadNotFound,
  UploadOffsetMismatch,
} from './errors.js';
import type { FilesRepo, Viewer } from './repo.js';
import { type FilesLimits, storageKeyOf } from './service.js';
import type { FileRow, UploadRow } from './tables.js';

/** How long one PATCH may hold an upload; longer than any request may live (requestTimeout). */
const PATCH_HOLD_MS = 5 * 60 * 1000;

/** A checksum the client sent with a PATCH (Upload-Checksum). */
export interface PatchChecksum {
  algorithm: 'sha1' | 'sha256' | 'md5';
  /** The digest, decoded from base64. */
  digest: Buffer;
}

export interface AppendOutcome {
  upload: UploadRow;
  /** Set when this PATCH delivered the last byte. */
  file?: FileRow;
  /** The client went away mid-body; what arrived is kept. */
  interrupted: boolean;
}

export interface TusServiceDeps {
  repo: FilesRepo;
  storage: BlobStorage;
  clock: Clock;
  log: Logger;
  limits: FilesLimits;
}

/** The storage key of an upload's partial data. */
const partKeyOf = (id: string) => `uploads/${id}`;

export type TusService = ReturnType<typeof createTusService>;

export function createTusService(deps: TusServiceDeps) {
  const { repo, storage, clock, log, limits } = deps;
  const expiry = () => new Date(clock.now().getTime() + limits.uploadTtlMs);

  async function ownUpload(viewer: Viewer, id: string): Promise<UploadRow> {
    const upload = await repo.findUpload(id, viewer.id);
    if (!upload) throw UploadNotFound(`No upload ${id}`);
    if (upload.expiresAt <= clock.now()) throw UploadExpired('This upload expired; start a new one');
    return upload;
  }

  /** Forgets an upload: row and reservation in one transaction, then its bytes. */
  async function dropUpload(upload: UploadRow) {
    const gone = await repo.transaction(async (tx) => {
      const row = await tx.deleteUpload(upload.id);
      if (row) await tx.releaseBytes(row.ownerId, row.length);
      return row;
    });
    await storage.deletePart(partKeyOf(upload.id));
    return gone;
  }

  /** Reads the start of the data for the type check: from the part, or from the blob a crashed completion already made. */
  async function readHead(upload: UploadRow, committed: boolean): Promise<Buffer> {
    const n = Math.min(SNIFF_BYTES, upload.length);
    const stream = committed
      ? await storage.get(storageKeyOf(upload.id), n ? { start: 0, end: n - 1 } : undefined)
      : await storage.readPart(partKeyOf(upload.id), n);
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).subarray(0, n);
  }

  async function complete(upload: UploadRow): Promise<FileRow> {
    const key = storageKeyOf(upload.id);
    // A completion that crashed after moving the bytes left the blob but not the row.
    const committed = (await storage.head(key))?.size === upload.length;
    const type = await detectContentType(await readHead(upload, committed));
    if (!isAllowedType(type, limits.allowedTypes)) {
      await dropUpload(upload);
      if (committed) await storage.delete(key);
      throw FileTypeNotAllowed(`The content is ${type}, which is not accepted here (allowed: ${limits.allowedTypes.join(', ')})`, {
        detectedType: type,
      });
    }
    const hash = createHash('sha256');
    if (committed) {
      for await (const chunk of await storage.get(key)) hash.update(chunk as Buffer);
    } else {
      await storage.commitPart(partKeyOf(upload.id), key, upload.length, (chunk) => hash.update(chunk));
    }
    try {
      const [file] = await repo.transaction(async (tx) => {
        // The reservation made at creation becomes the file's share of the quota.
        if (!(await tx.deleteUpload(upload.id))) throw UploadNotFound('The upload was terminated while completing');
        return tx.insertFiles([
          {
            id: upload.id,
            ownerId: upload.ownerId,
            name: upload.name,
            size: upload.length,
            contentType: type,
            sha256: hash.digest('hex'),
            storageKey: key,
            createdAt: clock.now(),
          },
        ]);
      });
      return file as FileRow;
    } catch (err) {
      await storage.delete(key).catch((e) => log.warn({ err: e, key }, 'could not delete blob'));
      throw err;
    }
  }

  /** Counts what passes, failing past `max`; feeds the checksum when one was sent. */
  async function* bounded(source: AsyncIterable<Buffer>, max: number, digest: ReturnType<typeof createHash> | undefined) {
    let seen = 0;
    for await (const chunk of source) {
      seen += chunk.length;
      if (seen > max) throw UploadLengthExceeded(`This upload takes ${max} more bytes at most`);
      digest?.update(chunk);
      yield chunk;
    }
  }

  return {
    /** Creation: reserves `length` bytes of the owner's quota and opens the upload. */
    async create(viewer: Viewer, input: { length: number; filename: string | undefined; metadata: string }): Promise<UploadRow> {
      if (input.length > limits.maxUploadBytes) {
        throw FileTooLarge(`A file may have at most ${limits.maxUploadBytes} bytes`, { limit: limits.maxUploadBytes });
      }
      const now = clock.now();
      return repo.transaction(async (tx) => {
        if (!(await tx.reserveBytes(viewer.id, input.length, limits.quotaBytes))) {
          throw QuotaExceeded('This upload would pass your storage quota', { quotaBytes: limits.quotaBytes });
        }
        return tx.insertUpload({
          id: newId(),
          ownerId: viewer.id,
          name: cleanFileName(input.filename),
          length: input.length,
          metadata: input.metadata,
          createdAt: now,
          expiresAt: new Date(now.getTime() + limits.uploadTtlMs),
        });
      });
    },

    status: ownUpload,

    /**
     * Appends `source` at `offset`. A wrong offset is 409, a concurrent PATCH 423. If the
     * client disconnects, the bytes received are kept and the offset says how far it got
     * (unless a checksum was sent: an incomplete body cannot match it, so it is discarded).
     */
    async append(
      viewer: Viewer,
      id: string,
      input: { offset: number; contentLength: number | undefined; checksum: PatchChecksum | undefined; source: AsyncIterable<Buffer> },
    ): Promise<AppendOutcome> {
      const upload = await ownUpload(viewer, id);
      if (input.offset !== upload.offset) {
        throw UploadOffsetMismatch(`The upload is at offset ${upload.offset}`, { uploadOffset: upload.offset });
      }
      const room = upload.length - upload.offset;
      if (input.contentLength !== undefined && input.contentLength > room) {
        throw UploadLengthExceeded(`This upload takes ${room} more bytes at most`);
      }
      const now = clock.now();
      const claimed = await repo.claimUpload(id, viewer.id, input.offset, now, new Date(now.getTime() + PATCH_HOLD_MS));
      if (!claimed) {
        const again = await ownUpload(viewer, id);
        if (again.offset !== input.offset) {
          throw UploadOffsetMismatch(`The upload is at offset ${again.offset}`, { uploadOffset: again.offset });
        }
        throw UploadBusy('Another request is appending to this upload; retry after it ends');
      }
      let offset = upload.offset;
      try {
        const digest = input.checksum ? createHash(input.checksum.algorithm) : undefined;
        // Nothing left to receive: this PATCH only retries a completion that did not finish.
        const result =
          room === 0 && input.contentLength === 0
            ? { written: 0 }
            : await storage.appendPart(partKeyOf(id), upload.offset, bounded(input.source, room, digest));
        let failure: Error | undefined = UploadLengthExceeded.is(result.error) ? result.error : undefined;
        if (!failure && input.checksum && digest && !result.error && !digest.digest().equals(input.checksum.digest)) {
          failure = ChecksumMismatch(`The ${input.checksum.algorithm} of the received bytes does not match Upload-Checksum`);
        }
        if (failure || (input.checksum && result.error)) {
          await storage.truncatePart(partKeyOf(id), upload.offset);
        } else {
          offset = upload.offset + result.written;
        }
        const saved = await repo.releaseUpload(id, offset, expiry());
        if (!saved) {
          // Terminated while we were appending: do not leave bytes behind.
          await storage.deletePart(partKeyOf(id));
          throw UploadNotFound(`No upload ${id}`);
        }
        if (failure) throw failure;
        if (result.error) {
          log.info({ uploadId: id, offset }, 'upload interrupted; received bytes kept');
          return { upload: saved, interrupted: true };
        }
        if (saved.offset === saved.length) return { upload: saved, file: await complete(saved), interrupted: false };
        return { upload: saved, interrupted: false };
      } catch (err) {
        // Release the hold (keeping the recorded offset) unless already done.
        await repo.releaseUpload(id, offset, expiry()).catch(() => {});
        throw err;
      }
    },

    /** Termination: the upload, its bytes and its quota reservation go. */
    async terminate(viewer: Viewer, id: string): Promise<void> {
      const upload = await repo.findUpload(id, viewer.id);
      if (!upload) throw UploadNotFound(`No upload ${id}`);
      await dropUpload(upload);
    },

    /** Removes uploads idle past their expiry (not while a PATCH holds them). */
    async sweepUploads(): Promise<number> {
      let removed = 0;
      for (;;) {
        const batch = await repo.listExpiredUploads(clock.now(), 100);
        for (const upload of batch) {
          await dropUpload(upload);
          removed++;
        }
        if (batch.length < 100) return removed;
      }
    },

    /** Removes every upload of an account being deleted. */
    async dropOwnerUploads(ownerId: string): Promise<void> {
      for (const upload of await repo.ownerUploads(ownerId)) await dropUpload(upload);
    },
  };
}

/**
 * The real blob storage: an S3-compatible bucket through @aws-sdk/client-s3, large bodies
 * through @aws-sdk/lib-storage's multipart `Upload` (so nothing is buffered whole).
 *
 *   blobs/<key>                      committed blobs
 *   parts/<uploadKey>/<offset:15>    partial uploads as chunk objects named by their start offset
 *
 * Why chunk objects rather than one S3 multipart upload per partial upload: S3 parts must be at
 * least 5 MiB (except the last) and cannot be appended to, while a resumable client may send a
 * few bytes and vanish. Chunk objects of up to PIECE_BYTES keep every received byte, whatever
 * the sizes; committing streams them once, in order, into a normal multipart `Upload` of the
 * final blob (which is also the pass that hashes them). The cost is that second copy of the data
 * inside the storage network on completion; memory stays bounded by PIECE_BYTES per append.
 */
import { Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { type AppendResult, assertSafeKey, type BlobEntry, BlobNotFoundError, type BlobStorage } from './blob-storage.js';

/** Largest chunk object of a partial upload, and so the memory one append holds at most. */
export const PIECE_BYTES = 8 * 1024 * 1024;
const UPLOAD_PART_BYTES = 8 * 1024 * 1024;
const OFFSET_DIGITS = 15;

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible services (MinIO, R2, s3rver); unset for AWS. */
  endpoint?: string;
  /** Path-style URLs (http://host/bucket/key), which most S3-compatible services need. */
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (environment, instance profile, ...). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const statusOf = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const nameOf = (err: unknown) => (err as { name?: string }).name;
const isNotFound = (err: unknown) => statusOf(err) === 404 || ['NoSuchKey', 'NotFound'].includes(nameOf(err) ?? '');

/** Yields `length` bytes of `source` after skipping `skip`, then stops reading it. */
async function* sliceStream(source: Readable, skip: number, length: number) {
  let toSkip = skip;
  let left = length;
  try {
    for await (const raw of source) {
      let chunk = raw as Buffer;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, chunk.length);
        chunk = chunk.subarray(dropped);
        toSkip -= dropped;
      }
      if (!chunk.length) continue;
      if (chunk.length >= left) {
        yield chunk.subarray(0, left);
        return;
      }
      left -= chunk.length;
      yield chunk;
    }
  } finally {
    source.destroy();
  }
}

/** Creates the S3 adapter. The bucket must exist. */
export function createS3Storage(options: S3StorageOptions): BlobStorage {
  const client = new S3Client({
    region: options.region,
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    forcePathStyle: options.forcePathStyle,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // Otherwise streamed bodies go out aws-chunked with trailing checksums, which
    // S3-compatible servers store verbatim (corrupt); see TOOLCHAIN.md.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const Bucket = options.bucket;
  const blobKey = (key: string) => {
    assertSafeKey(key);
    return `blobs/${key}`;
  };
  const partPrefix = (uploadKey: string) => {
    assertSafeKey(uploadKey);
    return `parts/${uploadKey}/`;
  };
  const pieceKey = (uploadKey: string, offset: number) => `${partPrefix(uploadKey)}${String(offset).padStart(OFFSET_DIGITS, '0')}`;

  async function* listObjects(Prefix: string) {
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix, ContinuationToken }));
      for (const o of page.Contents ?? []) if (o.Key) yield o;
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** The chunk objects of a partial upload, as { start, size, key }, sorted by start. */
  async function listPieces(uploadKey: string) {
    const prefix = partPrefix(uploadKey);
    const pieces: { start: number; size: number; key: string }[] = [];
    for await (const o of listObjects(prefix)) {
      const start = Number((o.Key as string).slice(prefix.length));
      if (Number.isSafeInteger(start)) pieces.push({ start, size: o.Size ?? 0, key: o.Key as string });
    }
    return pieces.sort((a, b) => a.start - b.start);
  }

  async function deleteObjects(keys: string[]) {
    // One by one in small batches: DeleteObjects needs Content-MD5, which not every S3-compatible server checks alike.
    for (let i = 0; i < keys.length; i += 16) {
      await Promise.all(keys.slice(i, i + 16).map((Key) => client.send(new DeleteObjectCommand({ Bucket, Key }))));
    }
  }

  async function getObject(Key: string, range?: { start: number; end: number }): Promise<Readable> {
    let out: GetObjectCommandOutput;
    try {
      out = await client.send(new GetObjectCommand({ Bucket, Key, Range: range ? `bytes=${range.start}-${range.end}` : undefined }));
    } catch (err) {
      if (isNotFound(err)) throw new BlobNotFoundError(Key);
      throw err;
    }
    const body = out.Body as Readable;
    if (!range) return body;
    // Never pass on more than was asked: some S3-compatible servers answer a range with more
    // (s3rver serves bytes=0-0 as the whole object), and the caller promised a Content-Length.
    const servedFrom = Number(/^bytes (\d+)-/.exec(out.ContentRange ?? '')?.[1] ?? 0);
    return Readable.from(sliceStream(body, range.start - servedFrom, range.end - range.start + 1), { objectMode: false });
  }

  /** The bytes [0, length) of a partial upload, following the chain of pieces from offset 0. */
  async function* partBytes(uploadKey: string, length: number | undefined) {
    const pieces = await listPieces(uploadKey);
    if (!pieces.length && length !== 0) throw new BlobNotFoundError(uploadKey);
    let at = 0;
    for (const piece of pieces) {
      if (length !== undefined && at >= length) return;
      // Pieces starting elsewhere are leftovers of an append whose outcome was never recorded.
      if (piece.start !== at || piece.size === 0) continue;
      const take = length === undefined ? piece.size : Math.min(piece.size, length - at);
      yield* await getObject(piece.key, take < piece.size ? { start: 0, end: take - 1 } : undefined);
      at += take;
    }
    if (length !== undefined && at < length) throw new Error(`Partial upload '${uploadKey}' holds ${at} bytes, fewer than ${length}`);
  }

  async function putPiece(uploadKey: string, start: number, chunks: Buffer[], size: number) {
    await client.send(
      new PutObjectCommand({ Bucket, Key: pieceKey(uploadKey, start), Body: Buffer.concat(chunks, size), ContentLength: size }),
    );
  }

  async function truncatePart(uploadKey: string, length: number) {
    const stale = (await listPieces(uploadKey)).filter((p) => p.start >= length);
    await deleteObjects(stale.map((p) => p.key));
  }

  async function upload(key: string, source: Readable, contentType?: string): Promise<{ size: number }> {
    let size = 0;
    const counted = source.pipe(
      new Transform({
        transform(chunk: Buffer, _enc, done) {
          size += chunk.length;
          done(null, chunk);
        },
      }),
    );
    source.once('error', (err) => counted.destroy(err));
    const job = new Upload({
      client,
      params: { Bucket, Key: blobKey(key), Body: counted, ...(contentType ? { ContentType: contentType } : {}) },
      partSize: UPLOAD_PART_BYTES,
      queueSize: 4,
      // An aborted upload must not leave billable parts behind.
      leavePartsOnError: false,
    });
    await job.done();
    return { size };
  }

  return {
    kind: 's3',

    put: (key, source, opts) => upload(key, source, opts?.contentType),

    get: (key, range) => getObject(blobKey(key), range),

    async head(key) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket, Key: blobKey(key) }));
        return { size: out.ContentLength ?? 0 };
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket, Key: blobKey(key) }));
    },

    async *list(): AsyncIterable<BlobEntry> {
      for await (const o of listObjects('blobs/')) {
        yield { key: (o.Key as string).slice('blobs/'.length), size: o.Size ?? 0, modifiedAt: o.LastModified ?? new Date(0) };
      }
    },

    async sweepTemporary(before) {
      // Multipart uploads of a process that died mid-`put` stay invisible but billable.
      let removed = 0;
      let KeyMarker: string | undefined;
      let UploadIdMarker: string | undefined;
      try {
        do {
          const page = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'blobs/', KeyMarker, UploadIdMarker }));
          for (const u of page.Uploads ?? []) {
            if (u.Key && u.UploadId && u.Initiated && u.Initiated < before) {
              await client.send(new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId }));
              removed++;
            }
          }
          KeyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
          UploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
        } while (KeyMarker);
      } catch (err) {
        // Some S3-compatible servers (s3rver) do not list multipart uploads; nothing to sweep there.
        if (statusOf(err) === 501 || nameOf(err) === 'NotImplemented') return removed;
        throw err;
      }
      return removed;
    },

    async appendPart(uploadKey, offset, source): Promise<AppendResult> {
      await truncatePart(uploadKey, offset);
      let written = 0;
      let pending: Buffer[] = [];
      let pendingSize = 0;
      let error: Error | undefined;
      const flush = async () => {
        if (!pendingSize) return;
        await putPiece(uploadKey, offset + written, pending, pendingSize);
        written += pendingSize;
        pending = [];
        pendingSize = 0;
      };
      try {
        for await (const chunk of source) {
          pending.push(chunk);
          pendingSize += chunk.length;
          if (pendingSize >= PIECE_BYTES) await flush();
        }
      } catch (err) {
        error = err as Error;
      }
      // Keep what arrived before the sender went away.
      await flush();
      return error ? { written, error } : { written };
    },

    async readPart(uploadKey, length) {
      return Readable.from(partBytes(uploadKey, length), { objectMode: false });
    },

    truncatePart,

    async commitPart(uploadKey, key, length, tap) {
      const bytes = Readable.from(
        (async function* () {
          for await (const chunk of partBytes(uploadKey, length)) {
            tap(chunk as Buffer);
            yield chunk as Buffer;
          }
        })(),
        { objectMode: false },
      );
      const out = await upload(key, bytes);
      await deleteObjects((await listPieces(uploadKey)).map((p) => p.key));
      return out;
    },

    async deletePart(uploadKey) {
      await deleteObjects((await listPieces(uploadKey)).map((p) => p.key));
    },

    async close() {
      client.destroy();
    },
  };
}

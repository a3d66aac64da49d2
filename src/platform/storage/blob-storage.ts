/**
 * The blob storage port: named byte streams on local disk (embedded) or in an S3-compatible
 * bucket (real). Keys are chosen by the caller from ids it generated, never from user input;
 * both adapters still refuse anything that is not a plain relative key, so a bad key can never
 * reach outside the storage root.
 *
 * Besides whole blobs the port holds *partial uploads* (for resumable uploads): bytes appended
 * at a known offset, kept even when the sender disappears halfway, and later committed into a
 * blob in one step.
 */
import type { Readable } from 'node:stream';

/** An inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

/** What `list` yields: enough to decide whether a blob is an orphan. */
export interface BlobEntry {
  key: string;
  size: number;
  modifiedAt: Date;
}

/** The outcome of an append: how many bytes are now stored, and why it stopped early if it did. */
export interface AppendResult {
  /** Bytes of `source` that were stored (all of them unless `error` is set). */
  written: number;
  /** Set when the source failed (e.g. the client disconnected); `written` bytes are still kept. */
  error?: Error;
}

/** Thrown by `get` and partial reads when nothing is stored under the key. */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`No blob stored under '${key}'`);
    this.name = 'BlobNotFoundError';
  }
}

/** Blob storage. Every method is safe to retry; deletes of missing keys succeed. */
export interface BlobStorage {
  /** 'local' or 's3', for logs and health output. */
  readonly kind: 'local' | 's3';
  /**
   * Stores `source` under `key`, replacing any blob there, only once the whole stream was read:
   * if `source` fails, nothing is stored under `key` and no temporary data is left behind.
   */
  put(key: string, source: Readable, options?: { contentType?: string }): Promise<{ size: number }>;
  /** Streams the blob, or the inclusive `range` of it. Throws BlobNotFoundError. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the blob, or undefined when there is none. */
  head(key: string): Promise<{ size: number } | undefined>;
  delete(key: string): Promise<void>;
  /** Every stored blob, in no particular order; for sweeping orphans. */
  list(): AsyncIterable<BlobEntry>;
  /** Removes temporary data of writes that never finished (a crash mid-upload) started before `before`. */
  sweepTemporary(before: Date): Promise<number>;

  /**
   * Appends `source` to the partial upload `uploadKey`, which holds exactly `offset` bytes
   * according to the caller (bytes beyond `offset` from an earlier, unrecorded append are
   * discarded). Reads `source` to its end; the caller bounds it to the declared length.
   */
  appendPart(uploadKey: string, offset: number, source: AsyncIterable<Buffer>): Promise<AppendResult>;
  /** Streams the first `length` bytes of a partial upload (all of them when omitted). */
  readPart(uploadKey: string, length?: number): Promise<Readable>;
  /** Drops everything from `length` on (undoes an append that failed its checksum). */
  truncatePart(uploadKey: string, length: number): Promise<void>;
  /**
   * Turns the partial upload's first `length` bytes into the blob `key` and removes the part.
   * `tap` sees every byte on the way, so the caller can hash without a second read.
   */
  commitPart(uploadKey: string, key: string, length: number, tap: (chunk: Buffer) => void): Promise<{ size: number }>;
  deletePart(uploadKey: string): Promise<void>;

  /** Releases connections. */
  close(): Promise<void>;
}

const KEY = /^[a-z0-9][a-z0-9_-]*(\/[a-z0-9][a-z0-9_-]*)*$/;

/** Throws unless `key` is lower-case segments of [a-z0-9_-] joined by '/' (no '..', no leading '/'). */
export function assertSafeKey(key: string): void {
  if (key.length > 200 || !KEY.test(key)) throw new Error(`Unsafe blob key '${key}'`);
}

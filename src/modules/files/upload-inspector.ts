/**
 * The stream every uploaded byte passes on its way to storage: it counts (and stops at the
 * limit), hashes (SHA-256), and holds back only the first SNIFF_BYTES until the content type
 * is known and allowed, so a refused file never reaches storage and nothing is ever buffered
 * whole.
 */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { detectContentType, isAllowedType, SNIFF_BYTES } from './content-type.js';
import { FileTypeNotAllowed } from './errors.js';

export interface InspectorOptions {
  /** Most bytes accepted; one more fails the stream with `tooLarge()`. */
  limit: number;
  tooLarge: () => Error;
  allowedTypes: readonly string[];
  /** True when the source was cut at its own limit (busboy's `truncated`), checked at the end. */
  truncated?: () => boolean;
}

/** A pass-through Transform; after 'finish', `size`, `sha256` and `contentType` are final. */
export class UploadInspector extends Transform {
  size = 0;
  contentType: string | undefined;
  private readonly hash = createHash('sha256');
  private head: Buffer[] = [];
  private headSize = 0;

  constructor(private readonly options: InspectorOptions) {
    super();
  }

  get sha256(): string {
    return this.hash.copy().digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.options.limit) {
      done(this.options.tooLarge());
      return;
    }
    this.hash.update(chunk);
    if (this.contentType !== undefined) {
      done(null, chunk);
      return;
    }
    this.head.push(chunk);
    this.headSize += chunk.length;
    if (this.headSize < SNIFF_BYTES) {
      done();
      return;
    }
    this.judge().then(() => done(), done);
  }

  override _flush(done: TransformCallback): void {
    if (this.options.truncated?.()) {
      done(this.options.tooLarge());
      return;
    }
    if (this.contentType !== undefined) {
      done();
      return;
    }
    this.judge().then(() => done(), done);
  }

  private async judge() {
    const held = Buffer.concat(this.head, this.headSize);
    const type = await detectContentType(held.subarray(0, SNIFF_BYTES));
    if (!isAllowedType(type, this.options.allowedTypes)) {
      throw FileTypeNotAllowed(`The content is ${type}, which is not accepted here (allowed: ${this.options.allowedTypes.join(', ')})`, {
        detectedType: type,
      });
    }
    this.contentType = type;
    this.head = [];
    this.push(held);
  }
}

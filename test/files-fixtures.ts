/** Upload fixtures shared by the files tests and the modules that attach files (catalog images). */
import { randomBytes } from 'node:crypto';

// Signature, an IHDR chunk, then the header of an IDAT chunk: what file-type reads to say PNG.
const PNG_HEAD = Buffer.concat([
  Buffer.from('89504e470d0a1a0a', 'hex'),
  Buffer.from('0000000d', 'hex'),
  Buffer.from('IHDR'),
  Buffer.from('00000001000000010806000000', 'hex'),
  Buffer.from('1f15c489', 'hex'),
  Buffer.from('7fffffff', 'hex'),
  Buffer.from('IDAT'),
]);

/** Bytes that file-type recognises as PNG, `size` of them (at least 41), the rest random. */
export const png = (size: number) => Buffer.concat([PNG_HEAD, randomBytes(Math.max(0, size - PNG_HEAD.length))]);

/** One file part of a multipart/form-data body. */
export interface Part {
  filename: string;
  content: Buffer;
  type?: string;
  field?: string;
}

/** A multipart/form-data body (payload and content-type header) for `inject`. */
export function multipart(parts: Part[], fields: Record<string, string> = {}) {
  const boundary = `----zaplecze${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  }
  for (const p of parts) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${p.field ?? 'file'}"; filename="${p.filename}"\r\n` +
          `Content-Type: ${p.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      p.content,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/**
 * Byte ranges of RFC 9110 section 14 for downloads. One range is served as 206; a request for
 * several ranges is answered with the whole file (200), which the RFC allows and which spares
 * clients and proxies multipart/byteranges; a Range header that is not a valid bytes range is
 * ignored, as the RFC requires.
 */
import type { ByteRange } from '../../platform/storage/blob-storage.js';

/** `ignore`: serve the whole file; `unsatisfiable`: 416; otherwise the inclusive range to send. */
export type RangeDecision = { kind: 'ignore' } | { kind: 'unsatisfiable' } | { kind: 'partial'; range: ByteRange };

/** Decides how to answer `header` for a representation of `size` bytes. */
export function decideRange(header: string | undefined, size: number): RangeDecision {
  if (!header) return { kind: 'ignore' };
  const match = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!match) return { kind: 'ignore' };
  const specs = (match[1] as string).split(',').map((s) => s.trim());
  if (specs.length !== 1) return { kind: 'ignore' };
  const spec = /^(\d*)\s*-\s*(\d*)$/.exec(specs[0] as string);
  if (!spec || (spec[1] === '' && spec[2] === '')) return { kind: 'ignore' };
  const [, first, last] = spec as unknown as [string, string, string];
  if (first === '') {
    // Suffix range: the last N bytes.
    const n = Number(last);
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, size - n), end: size - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (last !== '' && Number(last) < start) return { kind: 'ignore' };
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}

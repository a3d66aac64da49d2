/**
 * What a file is, judged from its first bytes only: magic numbers through `file-type`, then
 * the few text signatures a browser would sniff as active content (HTML, XML/SVG), then plain
 * UTF-8 text. The client's declared type and file name are never trusted.
 */
import { fileTypeFromBuffer } from 'file-type';

/** Bytes needed for a verdict; `file-type` reads at most this many. */
export const SNIFF_BYTES = 4100;

const HTML_SIGNATURES = [
  '<!doctype html',
  '<html',
  '<head',
  '<script',
  '<iframe',
  '<h1',
  '<div',
  '<font',
  '<table',
  '<a',
  '<style',
  '<title',
  '<b',
  '<body',
  '<br',
  '<p',
  '<!--',
];

function looksLikeText(bytes: Buffer): boolean {
  // A multi-byte character may be cut at the end of the sample: decode leniently there.
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
  const cut = text.endsWith('\uFFFD') ? text.slice(0, -1) : text;
  if (cut.includes('\uFFFD')) return false;
  // Control characters other than tab, newlines and form feed mean binary.
  for (let i = 0; i < cut.length; i++) {
    const code = cut.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0c && code !== 0x0d) || code === 0x7f) return false;
  }
  return true;
}

/** The media type of content starting with `head` (at most SNIFF_BYTES of it). */
export async function detectContentType(head: Buffer): Promise<string> {
  if (head.length === 0) return 'application/octet-stream';
  const magic = await fileTypeFromBuffer(head);
  if (magic) return magic.mime;
  const start = head
    .subarray(0, 512)
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
  if (start.startsWith('<?xml') || start.startsWith('<svg')) return start.includes('<svg') ? 'image/svg+xml' : 'application/xml';
  for (const signature of HTML_SIGNATURES) {
    const next = start.charAt(signature.length);
    // WHATWG MIME sniffing: the tag must end with a space or '>'.
    if (start.startsWith(signature) && (signature === '<!--' || next === ' ' || next === '>')) return 'text/html';
  }
  return looksLikeText(head) ? 'text/plain' : 'application/octet-stream';
}

/** True when `type` matches one of `allowed` (exact, `image/*` or `* /*`). */
export function isAllowedType(type: string, allowed: readonly string[]): boolean {
  const [major] = type.split('/');
  return allowed.some((pattern) => pattern === '*/*' || pattern === type || pattern === `${major}/*`);
}

/** Types that may be shown inline in a browser: raster images only (SVG can carry script). */
export function isInlineSafe(type: string): boolean {
  return /^image\/(png|jpeg|gif|webp|avif|bmp|x-icon|vnd\.microsoft\.icon|apng)$/.test(type);
}

/**
 * Content-Disposition per RFC 6266 with the RFC 8187 (was 5987) `filename*` parameter:
 * `attachment; filename="plain ASCII fallback"; filename*=UTF-8''percent-encoded`. Old clients
 * read the quoted fallback; every current browser prefers `filename*`.
 */

// C0 and C1 control characters and DEL.
const isControl = (code: number) => code < 0x20 || (code >= 0x7f && code <= 0x9f);
// Bidirectional controls (LRM, RLM, ALM, embeddings, overrides, isolates): they reorder what a
// reader sees, so "invoice\u202Efdp.exe" displays as "invoiceexe.pdf".
const isBidiControl = (code: number) =>
  code === 0x200e || code === 0x200f || code === 0x061c || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069);

/** Cleans a client-supplied file name for storage and display: last path segment, no control or bidi characters, bounded. */
export function cleanFileName(raw: string | undefined): string {
  const last = (raw ?? '').split(/[/\\]/).pop() ?? '';
  const cleaned = last
    .normalize('NFC')
    .split('')
    .filter((c) => !isControl(c.charCodeAt(0)) && !isBidiControl(c.charCodeAt(0)))
    .join('')
    .trim()
    .slice(0, 255);
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? 'file' : cleaned;
}

// attr-char of RFC 8187: ALPHA / DIGIT / "!" / "#" / "$" / "&" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
const encodeExtValue = (value: string) =>
  Array.from(new TextEncoder().encode(value), (byte) => {
    const c = String.fromCharCode(byte);
    return /[A-Za-z0-9!#$&+\-.^_`|~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');

/** Printable ASCII without the characters that would need quoting or could confuse parsers. */
function asciiFallback(name: string): string {
  const ascii = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7E]/g, '_')
    .replace(/["\\%;]/g, '_');
  return ascii.trim() || 'file';
}

/** The header value for `name` as `attachment` or `inline`. */
export function contentDisposition(type: 'attachment' | 'inline', name: string): string {
  const fallback = asciiFallback(name);
  const header = `${type}; filename="${fallback}"`;
  return fallback === name ? header : `${header}; filename*=UTF-8''${encodeExtValue(name)}`;
}

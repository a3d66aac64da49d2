/**
 * Entity tags for optimistic concurrency and revalidation (RFC 9110 section 8.8.3, 13.1).
 * A resource with an id and a version counter gets a strong ETag; `If-None-Match` answers
 * 304 on a hit, `If-Match` refuses a stale write with 412 PRECONDITION_FAILED.
 */
import { PreconditionFailed } from './errors.js';

/** The strong ETag of version `version` of resource `id`. */
export function entityTag(id: string, version: number): string {
  return `"${id}.${version}"`;
}

interface ParsedTag {
  weak: boolean;
  opaque: string;
}

/** Parses an If-Match / If-None-Match value: `'*'`, or the listed tags (malformed members are skipped). */
export function parseEntityTags(header: string): '*' | ParsedTag[] {
  if (header.trim() === '*') return '*';
  const tags: ParsedTag[] = [];
  for (const match of header.matchAll(/\s*(W\/)?("[^"]*")\s*(?:,|$)/g)) {
    tags.push({ weak: match[1] !== undefined, opaque: match[2] as string });
  }
  return tags;
}

const opaqueOf = (etag: string) => (etag.startsWith('W/') ? etag.slice(2) : etag);

/**
 * True when `If-None-Match` matches the current ETag, so a GET should answer 304 Not Modified.
 * Uses the weak comparison the RFC prescribes for If-None-Match.
 */
export function matchesIfNoneMatch(header: string | undefined, current: string): boolean {
  if (!header) return false;
  const tags = parseEntityTags(header);
  if (tags === '*') return true;
  const opaque = opaqueOf(current);
  return tags.some((t) => t.opaque === opaque);
}

/**
 * Enforces `If-Match` before a write: absent header passes; `*` passes when the resource
 * exists; otherwise one listed tag must strongly equal the current ETag (weak tags never
 * match). Throws 412 PRECONDITION_FAILED with the current ETag in the problem document.
 * Call it on the row locked for the write, so check and write are atomic.
 */
export function assertIfMatch(header: string | undefined, current: string | undefined): void {
  if (header === undefined) return;
  const tags = parseEntityTags(header);
  if (current === undefined) throw PreconditionFailed('The resource does not exist');
  if (tags === '*') return;
  if (tags.some((t) => !t.weak && t.opaque === current)) return;
  throw PreconditionFailed('The resource changed since you read it: fetch it again and reapply your change', { currentEtag: current });
}

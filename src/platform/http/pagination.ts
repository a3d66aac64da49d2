/**
 * Cursor pagination shared by every list: `?limit=` (default 20, max 100) and an opaque
 * `cursor`; responses are `{ items, nextCursor }`. A cursor is the sort key of the last item
 * seen, so pages stay correct while rows are inserted (keyset pagination, no OFFSET).
 */
import { Type } from '@fastify/type-provider-typebox';
import { defineError } from './errors.js';

export const InvalidCursor = defineError('INVALID_CURSOR', 400, 'Invalid cursor');

/** Query members every list accepts. */
export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
};

/** Encodes a sort key (e.g. `[createdAt, id]`) as an opaque cursor. */
export function encodeCursor(key: readonly (string | number | null)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor made by `encodeCursor` with `arity` parts; throws 400 INVALID_CURSOR otherwise. */
export function decodeCursor(cursor: string, arity: number): (string | number | null)[] {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(key) && key.length === arity && key.every((v) => v === null || ['string', 'number'].includes(typeof v))) {
      return key;
    }
  } catch {
    // fall through
  }
  throw InvalidCursor('The cursor is not one this API issued; start again without it');
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T, R>(rows: T[], limit: number, keyOf: (row: T) => (string | number | null)[], map: (row: T) => R) {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { items: page.map(map), nextCursor: hasMore && last !== undefined ? encodeCursor(keyOf(last)) : null };
}

/**
 * Cursor pagination shared by every list: `?limit=` (default 20, max 100) and an opaque
 * `cursor`; responses are `{ items, nextCursor }`. A cursor is the sort key of the last item
 * seen, so pages stay correct while rows are inserted (keyset pagination, no OFFSET).
 *
 * Each list declares its cursor with `defineCursor(schema)`: the key is checked part by part
 * against that schema (type, format, numeric range of the column) when it comes back, so a
 * cursor the API did not issue answers 400 INVALID_CURSOR and never reaches a query.
 */
import { Type } from '@fastify/type-provider-typebox';
import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { defineError } from './errors.js';
import { findNulByte } from './nul-bytes.js';

export const InvalidCursor = defineError('INVALID_CURSOR', 400, 'Invalid cursor');

/** Query members every list accepts. */
export const PageQuery = {
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Page size' }),
  cursor: Type.Optional(Type.String({ maxLength: 500, description: 'nextCursor of the previous page' })),
};

/** Schemas of the key parts lists sort by, bounded like the columns they are compared with. */
export const CursorPart = {
  uuid: () => Type.String({ format: 'uuid' }),
  /** A timestamp as `toISOString()` writes it. */
  instant: () => Type.String({ format: 'date-time', maxLength: 30 }),
  /** A PostgreSQL `integer`. */
  int32: () => Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647 }),
  /** A PostgreSQL `bigint` that JavaScript holds exactly. */
  int53: () => Type.Integer({ minimum: Number.MIN_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
  text: (maxLength: number) => Type.String({ maxLength }),
};

/** Encodes and decodes one list's cursors. */
export interface CursorCodec<T> {
  encode(key: T): string;
  /** The key of a cursor this codec made; throws 400 INVALID_CURSOR for anything else. */
  decode(cursor: string): T;
}

/** Declares a list's cursor: `schema` is a tuple of key parts (or a union of tuples). */
export function defineCursor<T extends TSchema>(schema: T): CursorCodec<Static<T>> {
  const check = Compile(schema);
  return {
    encode: (key) => Buffer.from(JSON.stringify(key)).toString('base64url'),
    decode(cursor) {
      let key: unknown;
      try {
        key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      } catch {
        key = undefined;
      }
      if (key === undefined || !check.Check(key) || findNulByte(key) !== undefined) {
        throw InvalidCursor('The cursor is not one this API issued for this list; start again without it');
      }
      return key as Static<T>;
    },
  };
}

/** Decodes an optional cursor (`undefined` when absent). */
export function decodeOptional<T>(codec: CursorCodec<T>, cursor: string | undefined): T | undefined {
  return cursor === undefined || cursor === '' ? undefined : codec.decode(cursor);
}

/** Splits `limit + 1` fetched rows into a page and the cursor of the next one. */
export function toPage<T, R, K>(rows: T[], limit: number, codec: CursorCodec<K>, keyOf: (row: T) => K, map: (row: T) => R) {
  const hasMore = rows.length > limit;
  const page = hasMore ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { items: page.map(map), nextCursor: hasMore && last !== undefined ? codec.encode(keyOf(last)) : null };
}

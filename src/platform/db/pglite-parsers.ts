/**
 * Drizzle's PGlite driver passes the same `parsers` option with every query: dates, times and
 * intervals (and their arrays) stay text, which drizzle's columns then map. PGlite merges a
 * per-query `parsers` into a copy of all its type parsers on every call, and reading the rows
 * through that copy is slow: measured here on a one-row product read, 375 µs per query with the
 * option against 225 µs without. So the embedded database keeps those types as text itself,
 * and the option is dropped from each query that asks for nothing more.
 */
import type { PGlite } from '@electric-sql/pglite';
import { types } from '@electric-sql/pglite';

const keepText = (value: string) => value;

/** The type ids drizzle keeps as text: timestamp, timestamptz, interval, date, and numeric[], timestamp[], timestamptz[], interval[], date[]. */
const TEXT_TYPES = new Set([types.TIMESTAMP, types.TIMESTAMPTZ, types.INTERVAL, types.DATE, 1231, 1115, 1185, 1187, 1182].map(String));

/** Makes `instance` read the types drizzle keeps as text as text for every query (the array types' parsers included). */
export function keepDatesAsText(instance: PGlite): void {
  for (const type of TEXT_TYPES) instance.parsers[type] = keepText;
}

type Options = { parsers?: Record<string, unknown>; [key: string]: unknown } | undefined;

/** True when every parser asked for is one `instance` applies already (checked per call: PGlite may reset array parsers). */
function redundant(instance: PGlite, parsers: Record<string, unknown>): boolean {
  for (const type in parsers) if (!TEXT_TYPES.has(type) || instance.parsers[type] !== keepText) return false;
  return true;
}

/**
 * Wraps `query(text, params, options)` of `instance` (or of one of its transactions) so that a
 * `parsers` option the instance already applies is not passed on; any other option is.
 */
export function skipRedundantParsers<F extends (...args: never[]) => unknown>(instance: PGlite, query: F): F {
  const call = query as unknown as (...args: unknown[]) => unknown;
  return function withInstanceParsers(this: unknown, text: unknown, params: unknown, options: Options) {
    if (options?.parsers && redundant(instance, options.parsers)) {
      const { parsers: _applied, ...rest } = options;
      return call.call(this, text, params, rest);
    }
    return call.call(this, text, params, options);
  } as unknown as F;
}

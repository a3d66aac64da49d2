/** Recognising PostgreSQL errors the same way on PGlite and on node-postgres (drizzle wraps both). */

/** The SQLSTATE of a PostgreSQL error, looked up through the `cause` chain drizzle wraps it in. */
export const pgCode = (err: unknown): string | undefined => {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code)) return e.code;
  }
  return undefined;
};

/** The violated constraint's name, through the `cause` chain. */
export const constraintOf = (err: unknown): string | undefined => {
  for (let e = err as { constraint?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    if (typeof e.constraint === 'string') return e.constraint;
  }
  return undefined;
};

/** True for a unique-constraint violation (23505), optionally of one named constraint. */
export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  return pgCode(err) === '23505' && (constraint === undefined || constraintOf(err) === constraint);
}

/** True for a serialization failure or deadlock: the transaction may be retried. */
export function isRetryable(err: unknown): boolean {
  const code = pgCode(err);
  return code === '40001' || code === '40P01';
}

/**
 * True when the statement failed because of the data it carried (SQLSTATE class 22, data
 * exception, or 23, integrity constraint violation): the same statement without the offending
 * row may succeed. False for a lost connection, a shutdown or a timeout, which no row caused.
 */
export function isDataError(err: unknown): boolean {
  const code = pgCode(err);
  return code !== undefined && (code.startsWith('22') || code.startsWith('23'));
}

/**
 * Raw SQL statements (a CTE that writes several tables, say) that a hot path runs on every
 * request, turned into SQL text once instead of on every call, and named, so node-postgres
 * parses them once per pooled connection and PostgreSQL plans them once. Drizzle's query
 * builders have `.prepare(name)` for this; `db.execute(sql...)` has no equivalent.
 */
import type { SQL } from 'drizzle-orm';
import { PgDialect } from 'drizzle-orm/pg-core';
import type { Executor } from './database.js';

const dialect = new PgDialect();

/** Runs a prepared statement on a database or an open transaction; the driver's raw result (read it with `rowsOf`). */
export type PreparedStatement = (executor: Executor, values: Record<string, unknown>) => Promise<unknown>;

/**
 * Prepares `query`, whose values are `sql.placeholder(key)`s filled from `values` on each run.
 * `name` must be unique to this text across the app (PostgreSQL keeps one statement per name and
 * connection). It runs on whatever executor it is given, so inside a transaction it runs on the
 * transaction's connection: both drivers, one path.
 */
export function prepareStatement(name: string, query: SQL): PreparedStatement {
  const built = dialect.sqlToQuery(query);
  return (executor, values) => executor._.session.prepareQuery(built, undefined, name, false).execute(values);
}

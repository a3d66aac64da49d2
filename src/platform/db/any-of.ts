/**
 * `column = any($1::uuid[])`: a list of ids bound as one array parameter. Drizzle's `inArray`
 * binds one parameter per value, and building that statement costs a few microseconds per value
 * in JavaScript before PostgreSQL sees it: a chat room's presence asks for the names of everyone
 * online at each subscribe, so a reconnect wave of n sockets built n² parameters. One array
 * parameter keeps the statement text and its building the same size for any number of ids.
 */
import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';

export function anyUuid(column: SQLWrapper, ids: readonly string[]): SQL {
  return sql`${column} = any(${sql.param(ids)}::uuid[])`;
}

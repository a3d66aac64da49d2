/**
 * `column = any($1::uuid[])`: a list of ids bound as one array parameter. Drizzle's `inArray`
 * binds one parameter per value, and building that statement costs a few microseconds per value
 * in JavaScript before PostgreSQL sees it: a chat room's presence asks for the names of everyone
 * online at each subscribe, so a reconnect wave of n sockets built n² parameters. One array
 * parameter keeps the statement text and its building the same size for any number of ids.
 */
import { Placeholder, type SQL, type SQLWrapper, sql } from 'drizzle-orm';

/** `ids`: the values, or the placeholder of a prepared statement that is given them at each run. */
export function anyUuid(column: SQLWrapper, ids: readonly string[] | Placeholder): SQL {
  return sql`${column} = any(${ids instanceof Placeholder ? ids : sql.param(ids)}::uuid[])`;
}

/**
 * Whether a database already has every committed migration, checked with one query. Drizzle's
 * migrator applies the migrations newer than the last row of its journal table; when that row
 * is the newest migration there is nothing to apply, and a start can skip the migrator: reading
 * and hashing every migration file, and its CREATE SCHEMA / CREATE TABLE IF NOT EXISTS.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { rowsOf } from './rows.js';

/** The `when` of the newest entry of `migrationsFolder`'s journal (what drizzle-kit wrote). */
async function newestMigrationAt(migrationsFolder: string): Promise<number> {
  const journal = JSON.parse(await readFile(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { when: number }[] };
  return Math.max(...journal.entries.map((entry) => entry.when));
}

/** True when the database's newest applied migration is at least the folder's newest (drizzle would apply nothing). */
export async function migrationsCurrent(
  db: PgDatabase<PgQueryResultHKT, Record<string, never>>,
  migrationsFolder: string,
): Promise<boolean> {
  const newest = await newestMigrationAt(migrationsFolder);
  let result: unknown;
  try {
    result = await db.execute(sql`select created_at from drizzle.__drizzle_migrations order by created_at desc limit 1`);
  } catch {
    // No journal table: a new database, which the migrator sets up.
    return false;
  }
  const [last] = rowsOf<{ created_at: string | number }>(result);
  return last !== undefined && Number(last.created_at) >= newest;
}

/**
 * A start migrates with one query when the database is current (migrations-current.ts), and
 * still applies a migration the database lacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type SQL, sql } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openTestDatabase } from '../../../test/test-databases.js';
import { type Database, MIGRATIONS_FOLDER, rowsOf } from './database.js';
import type { Statement } from './query-observer.js';

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };

/** How to take the newest migration out of a database again, and a query with one row while it is in. */
const UNDO: Record<string, { undo: SQL; present: SQL }> = {
  '0010_shop_sandbox_refunds': {
    undo: sql`drop table shop.sandbox_refunds`,
    present: sql`select 1 from pg_tables where schemaname = 'shop' and tablename = 'sandbox_refunds'`,
  },
};

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

async function watched(): Promise<{ database: Database; statements: Statement[] }> {
  database = await openTestDatabase(inject('testTemplate'));
  const statements: Statement[] = [];
  database.observe((statement) => {
    statements.push(statement);
    return () => {};
  });
  return { database, statements };
}

describe('migrations on start', () => {
  it('when the database has every migration, then migrating runs one query and changes nothing', async () => {
    const { database, statements } = await watched();
    await database.migrate();
    expect(statements.map((s) => s.operation)).toEqual(['SELECT']);
  });

  it('when the newest migration is missing, then migrating applies it', async () => {
    const { database, statements } = await watched();
    const newest = journal.entries.at(-1)?.tag ?? '';
    const revert = UNDO[newest];
    if (!revert) throw new Error(`add to UNDO how to take migration ${newest} back out of a database, and how to see it is in`);
    // Undo the newest migration and its journal row.
    await database.db.execute(revert.undo);
    await database.db.execute(
      sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
    );
    expect(rowsOf(await database.db.execute(revert.present))).toHaveLength(0);

    await database.migrate();

    expect(rowsOf(await database.db.execute(revert.present))).toHaveLength(1);
    const applied = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`));
    expect(applied[0]?.n).toBe(journal.entries.length);
    expect(statements.length).toBeGreaterThan(3);
  });
});

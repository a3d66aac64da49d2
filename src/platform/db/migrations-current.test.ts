/**
 * A start migrates with one query when the database is current (migrations-current.ts), and
 * still applies a migration the database lacks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { openTestDatabase } from '../../../test/test-databases.js';
import { type Database, MIGRATIONS_FOLDER, rowsOf } from './database.js';
import type { Statement } from './query-observer.js';

const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: { tag: string }[] };

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
    // Undo the newest migration (it adds outbox_events.trace_context) and its journal row.
    expect(journal.entries.at(-1)?.tag).toBe('0008_outbox_trace_context');
    await database.db.execute(sql`alter table platform.outbox_events drop column trace_context`);
    await database.db.execute(
      sql`delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)`,
    );

    await database.migrate();

    const columns = rowsOf<{ column_name: string }>(
      await database.db.execute(
        sql`select column_name from information_schema.columns where table_schema = 'platform' and table_name = 'outbox_events' and column_name = 'trace_context'`,
      ),
    );
    expect(columns).toHaveLength(1);
    const applied = rowsOf<{ n: number }>(await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`));
    expect(applied[0]?.n).toBe(journal.entries.length);
    expect(statements.length).toBeGreaterThan(3);
  });
});

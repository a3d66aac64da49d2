/**
 * Several instances of the split start at once on one PostgreSQL and each migrates it on start:
 * the migrations must run once, whoever gets there first, and every start must succeed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminQuery, withDatabase } from '../../../test/test-databases.js';
import { type Database, MIGRATIONS_FOLDER, openDatabase } from './database.js';

const url = process.env.TEST_DATABASE_URL;

describe.runIf(url)('PostgreSQL migrations started by several instances at once', () => {
  const name = `zaplecze_migrate_${randomBytes(6).toString('hex')}`;
  const opened: Database[] = [];

  beforeAll(async () => {
    await adminQuery(`create database ${name}`);
  });

  afterAll(async () => {
    for (const database of opened) await database.close();
    await adminQuery(`drop database if exists ${name} with (force)`);
  });

  it('when five instances migrate an empty database together, then all succeed and each migration is applied once', async () => {
    for (let i = 0; i < 5; i++)
      opened.push(await openDatabase({ engine: 'postgres', url: withDatabase(url as string, name), poolSize: 2 }));
    const results = await Promise.allSettled(opened.map((database) => database.migrate()));
    expect(results.map((r) => r.status)).toEqual(Array(5).fill('fulfilled'));

    const journal = JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta/_journal.json'), 'utf8')) as { entries: unknown[] };
    const [first] = opened;
    if (!first) throw new Error('no database opened');
    // node-postgres results: drizzle types execute() per driver, so name the shape here.
    const applied = (await first.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown as {
      rows: { n: number }[];
    };
    expect(applied.rows[0]?.n).toBe(journal.entries.length);
  });
});

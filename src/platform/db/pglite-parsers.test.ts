import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { afterEach, describe, expect, it } from 'vitest';
import { type Database, openDatabase } from './database.js';
import { keepDatesAsText, skipRedundantParsers } from './pglite-parsers.js';

const stamps = pgTable('stamps', {
  id: uuid('id').primaryKey(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  plain: timestamp('plain').notNull(),
  days: timestamp('days', { withTimezone: true }).array().notNull(),
});

const opened: Database[] = [];
afterEach(async () => {
  for (const db of opened.splice(0)) await db.close();
});

/** The options each `query` call of `instance` reached PGlite with. */
function recordOptions(instance: PGlite) {
  const seen: unknown[] = [];
  const original = instance.query.bind(instance);
  instance.query = ((text: string, params?: unknown[], options?: unknown) => {
    seen.push(options);
    return original(text, params, options as never);
  }) as typeof instance.query;
  return seen;
}

const at = new Date('2026-12-06T12:34:56.789Z');
const later = new Date('2026-12-07T00:00:00.000Z');

async function openWithStamps() {
  const instance = await PGlite.create();
  const seen = recordOptions(instance);
  const database = await openDatabase({ engine: 'pglite', instance });
  opened.push(database);
  await database.db.execute(
    sql`create table stamps (id uuid primary key, at timestamptz not null, plain timestamp not null, days timestamptz[] not null)`,
  );
  return { instance, database, seen };
}

describe('PGlite parsers', () => {
  it('when drizzle reads dates, then they are exact and its per-query parsers are not passed on to PGlite', async () => {
    const { database, seen } = await openWithStamps();
    const id = '01900000-0000-7000-8000-000000000001';
    await database.db.insert(stamps).values({ id, at, plain: at, days: [at, later] });
    seen.length = 0;

    const [row] = await database.db.select().from(stamps);
    const raw = await database.db.execute(sql`select at, plain, days, '1 day'::interval as span from stamps`);

    expect(row).toEqual({ id, at, plain: at, days: [at, later] });
    expect((raw as { rows: unknown[] }).rows[0]).toEqual({
      at: '2026-12-06 12:34:56.789+00',
      plain: '2026-12-06 12:34:56.789',
      days: '{"2026-12-06 12:34:56.789+00","2026-12-07 00:00:00+00"}',
      span: '1 day',
    });
    expect(seen).toHaveLength(2);
    for (const options of seen) expect(options).not.toHaveProperty('parsers');
  });

  it('when PGlite has reset its array parsers, then drizzle’s option reaches it again and arrays stay exact', async () => {
    const { instance, database, seen } = await openWithStamps();
    await database.db.insert(stamps).values({ id: '01900000-0000-7000-8000-000000000002', at, plain: at, days: [later] });
    await instance.refreshArrayTypes();
    seen.length = 0;

    const [row] = await database.db.select().from(stamps);

    expect(row?.days).toEqual([later]);
    expect(seen[0]).toHaveProperty('parsers');
  });

  it('when a query asks for a parser the instance does not apply, then its option is passed on untouched', async () => {
    const instance = await PGlite.create();
    keepDatesAsText(instance);
    const upper = (value: string) => value.toUpperCase();
    const query = skipRedundantParsers(instance, instance.query.bind(instance));

    const result = await query("select 'abc'::text as t, '2026-12-06'::date as d", [], { parsers: { 25: upper } });

    expect(result.rows[0]).toEqual({ t: 'ABC', d: '2026-12-06' });
    await instance.close();
  });
});

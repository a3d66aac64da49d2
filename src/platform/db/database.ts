/**
 * The database port: one drizzle API over either embedded PostgreSQL (PGlite, persisted in
 * DATA_DIR) or a real PostgreSQL pool. Modules only see `Db`; which engine runs is config.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { type DataDirLock, lockDataDir } from './lock.js';
import { migrationsCurrent } from './migrations-current.js';
import { keepDatesAsText, skipRedundantParsers } from './pglite-parsers.js';
import { type ObserverSlot, observeQuery, type QueryObserver } from './query-observer.js';

/** The drizzle database every repository is written against (PGlite or node-postgres). */
export type Db = PgDatabase<PgQueryResultHKT, Record<string, never>>;
/** A transaction handle; repositories accept it wherever they accept `Db`. */
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>>;
/** Either a database or an open transaction: what repository functions run on. */
export type Executor = Db | Tx;

export { rowsOf } from './rows.js';

/** An open database with its lifecycle. */
export interface Database {
  readonly db: Db;
  readonly engine: 'pglite' | 'postgres';
  /** Round trip to the engine; throws when it is not answering. */
  ping(): Promise<void>;
  /** Connections of the PostgreSQL pool right now (a metric); absent for the embedded engine, which has one. */
  poolStats?(): { inUse: number; idle: number; waiting: number };
  /** Applies committed migrations from `drizzle/`. Safe to call on every start: one query when there is nothing to apply. */
  migrate(): Promise<void>;
  /** Sees every statement from now on (the query-duration metric, SQL spans); undefined stops it. */
  observe(observer: QueryObserver | undefined): void;
  close(): Promise<void>;
}

/** Where the committed SQL migrations live, next to `src/` and `dist/`. */
export const MIGRATIONS_FOLDER = join(dirname(fileURLToPath(import.meta.url)), '../../../drizzle');

export type DatabaseOptions =
  | { engine: 'postgres'; url: string; poolSize: number }
  | { engine: 'pglite'; dataDir: string }
  /** An already open PGlite (tests clone a migrated template); closed with the Database. */
  | { engine: 'pglite'; instance: PGlite };

/**
 * Opens the database. The embedded engine locks its folder first. The PostgreSQL driver is
 * loaded only for PostgreSQL: the embedded setup never needs it.
 */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.engine === 'postgres') return openPostgres(options.url, options.poolSize);
  if ('instance' in options) return wrapPglite(options.instance, null);
  const lock = await lockDataDir(options.dataDir);
  try {
    const dir = join(options.dataDir, 'pgdata');
    await mkdir(options.dataDir, { recursive: true });
    const client = await PGlite.create(dir);
    return wrapPglite(client, lock);
  } catch (err) {
    await lock.release();
    throw err;
  }
}

function wrapPglite(client: PGlite, lock: DataDirLock | null): Database {
  const slot: ObserverSlot = { current: undefined };
  keepDatesAsText(client);
  client.query = observeQuery(slot, skipRedundantParsers(client, client.query));
  const transaction = client.transaction.bind(client);
  client.transaction = (work) =>
    transaction((tx) => {
      tx.query = observeQuery(slot, skipRedundantParsers(client, tx.query));
      return work(tx);
    });
  const db = drizzlePglite(client) as unknown as Db;
  let closed = false;
  return {
    db,
    engine: 'pglite',
    async ping() {
      await client.query('select 1');
    },
    async migrate() {
      if (await migrationsCurrent(db, MIGRATIONS_FOLDER)) return;
      await migratePglite(db as never, { migrationsFolder: MIGRATIONS_FOLDER });
    },
    observe(observer) {
      slot.current = observer;
    },
    async close() {
      if (closed) return;
      closed = true;
      await client.close();
      await lock?.release();
    },
  };
}

const MIGRATION_LOCK_KEY = 7_305_118_201;

async function openPostgres(url: string, poolSize: number): Promise<Database> {
  const [{ default: pg }, { drizzle: drizzlePg }, { migrate: migratePg }] = await Promise.all([
    import('pg'),
    import('drizzle-orm/node-postgres'),
    import('drizzle-orm/node-postgres/migrator'),
  ]);
  const slot: ObserverSlot = { current: undefined };
  // Every connection of the pool is this client, whose `query` the observer sees.
  class ObservedClient extends pg.Client {}
  ObservedClient.prototype.query = observeQuery(slot, pg.Client.prototype.query);
  const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000, Client: ObservedClient });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  const db = drizzlePg(pool) as unknown as Db;
  let closed = false;
  return {
    db,
    engine: 'postgres',
    async ping() {
      await db.execute(sql`select 1`);
    },
    observe(observer) {
      slot.current = observer;
    },
    poolStats: () => ({ inUse: pool.totalCount - pool.idleCount, idle: pool.idleCount, waiting: pool.waitingCount }),
    async migrate() {
      if (await migrationsCurrent(db, MIGRATIONS_FOLDER)) return;
      // Several instances may start at once: an advisory lock lets one migrate at a time.
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
        await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS_FOLDER });
      } finally {
        await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => {});
        client.release();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

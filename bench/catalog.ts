/**
 * Catalog benches over 100k products, each against a baseline running the catalog's own SQL:
 *
 * - catalog-id        GET /api/v1/products/:id on PostgreSQL vs raw node:http + pg (goal >= 0.8, p99 <= 1.5x)
 * - catalog-list      GET /api/v1/products?q=&kind=&sort=price on PostgreSQL vs raw node:http + pg (goal >= 0.7)
 * - catalog-embedded  GET /api/v1/products/:id on embedded PGlite vs raw node:http + PGlite (goal >= 0.7)
 * - catalog-express   GET /api/v1/products/:id vs an idiomatic Express 5 + pg app (goal >= 2)
 *
 * PostgreSQL: a dedicated database (`zaplecze_bench_catalog` on BENCH_POSTGRES_URL, default the
 * local server) is recreated, migrated and bulk-loaded with one INSERT ... SELECT per table, once
 * per run; it is left in place afterwards for inspection and dropped by the next run. Both sides
 * get a pool of DATABASE_POOL_SIZE (10). PostgreSQL itself is not pinned: it shares the machine.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { openDatabase } from '../src/platform/db/database.js';
import { type Bench, type BenchOptions, fetchJson, withServers } from './lib/bench.js';
import { comparePair } from './lib/compare.js';
import type { LoadSpec } from './lib/load.js';
import { type ServerProcess, startServer } from './lib/processes.js';
import type { Report } from './lib/report.js';
import { BENCH_ENV, buildZaplecze, printProfile, ROOT, startZaplecze } from './lib/zaplecze.js';

const FULL_PRODUCTS = Number(process.env.BENCH_CATALOG_PRODUCTS ?? 100_000);
/** A smoke run loads few rows: it proves the bench runs, it measures nothing. */
const SMOKE_PRODUCTS = 1_000;
let PRODUCTS = FULL_PRODUCTS;
/** Picks the data size of this run before anything is loaded (the same for every catalog bench of a run). */
function sizeFor(options: BenchOptions) {
  PRODUCTS = options.smoke ? SMOKE_PRODUCTS : FULL_PRODUCTS;
}
const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DB_NAME = 'zaplecze_bench_catalog';
const POOL_SIZE = '10';
const JWT_SECRET = 'bench-catalog-secret-at-least-32-characters-long';
/** Two words of the 40 below: about 0.5% of names have both, a third of those are books. */
const LIST_QUERY = 'q=silver%20garden&kind=book&sort=price&order=asc&limit=20';

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};
const PG_URL = withDatabase(ADMIN_URL, DB_NAME);

/** Deterministic product id for row i (UUIDv7-shaped, ordered by i). */
export const productId = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;

const WORDS = [
  'ocean',
  'garden',
  'river',
  'mountain',
  'silver',
  'shadow',
  'winter',
  'summer',
  'stone',
  'glass',
  'iron',
  'forest',
  'city',
  'night',
  'light',
  'fire',
  'storm',
  'north',
  'golden',
  'quiet',
  'amber',
  'copper',
  'velvet',
  'crystal',
  'hollow',
  'meadow',
  'harbor',
  'valley',
  'thunder',
  'ember',
  'willow',
  'cedar',
  'marble',
  'coral',
  'falcon',
  'raven',
  'lantern',
  'compass',
  'anchor',
  'orchid',
];

/** Bulk load in SQL (one statement per table), the same on PostgreSQL and PGlite. */
function loadStatements(n: number): string[] {
  const words = `array[${WORDS.map((w) => `'${w}'`).join(',')}]`;
  const pick = (salt: number) => `(${words})[1 + abs(hashint4(i + ${salt})) % ${WORDS.length}]`;
  const id = `(lpad(to_hex(i), 8, '0') || '-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid`;
  return [
    `insert into catalog.categories (id, slug, name, parent_id, created_at, updated_at)
       select ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid, 'bench-' || i, 'Bench ' || i, null, now(), now()
       from generate_series(1, 20) i`,
    `insert into catalog.products (id, sku, kind, name, description, price_cents, currency, stock, status, attributes, created_at, updated_at)
       select ${id}, 'SKU-' || i, (array['product','book','movie'])[1 + i % 3],
         initcap(${pick(0)} || ' ' || ${pick(1_000_000)} || ' ' || ${pick(2_000_000)}),
         'A ' || ${pick(3_000_000)} || ' thing for every ' || ${pick(4_000_000)} || ' day, made to last.',
         100 + abs(hashint4(i + 5000000)) % 100000, 'PLN', i % 50, 'active',
         case i % 3
           when 1 then jsonb_build_object('author', initcap(${pick(6_000_000)}) || ' Nowak', 'isbn', '9780306406157', 'pages', 100 + i % 700)
           when 2 then jsonb_build_object('director', initcap(${pick(7_000_000)}) || ' Kowalski', 'year', 1950 + i % 70, 'genres', jsonb_build_array('drama'))
           else jsonb_build_object('brand', 'Tatra') end,
         now() - make_interval(secs => i), now() - make_interval(secs => i)
       from generate_series(1, ${n}) i`,
    `insert into catalog.product_categories (product_id, category_id)
       select ${id}, ('00000000-0000-7000-9000-' || lpad(to_hex(1 + i % 20), 12, '0'))::uuid from generate_series(1, ${n}) i`,
    'analyze',
  ];
}

let pgReady: Promise<void> | undefined;

/** Recreates, migrates and loads the dedicated PostgreSQL database once per run. */
function preparePostgres(): Promise<void> {
  pgReady ??= (async () => {
    const started = Date.now();
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    await admin.query(`drop database if exists ${DB_NAME} with (force)`);
    await admin.query(`create database ${DB_NAME}`);
    await admin.end();
    const database = await openDatabase({ engine: 'postgres', url: PG_URL, poolSize: 1 });
    await database.migrate();
    await database.close();
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    for (const statement of loadStatements(PRODUCTS)) await client.query(statement);
    await client.end();
    process.stderr.write(
      `loaded ${PRODUCTS} products into PostgreSQL database ${DB_NAME} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  })();
  return pgReady;
}

/** A migrated, loaded PGlite data folder (DATA_DIR layout: <dir>/pgdata) and a copy of it for the baseline. */
async function preparePglite(): Promise<{ dataDir: string; copy: string; cleanup(): Promise<void> }> {
  const started = Date.now();
  const root = await mkdtemp(join(tmpdir(), 'zaplecze-bench-catalog-'));
  const dataDir = join(root, 'data');
  const database = await openDatabase({ engine: 'pglite', dataDir });
  await database.migrate();
  await database.close();
  const client = await PGlite.create(join(dataDir, 'pgdata'));
  for (const statement of loadStatements(PRODUCTS)) await client.exec(statement);
  await client.close();
  const copy = join(root, 'baseline-pgdata');
  await cp(join(dataDir, 'pgdata'), copy, { recursive: true });
  process.stderr.write(`loaded ${PRODUCTS} products into PGlite in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return { dataDir, copy, cleanup: () => rm(root, { recursive: true, force: true }) };
}

const get = (path: string, options: BenchOptions, connections = 50): LoadSpec => ({
  path,
  connections: options.connections ?? connections,
  warmupS: options.warmupS ?? 3,
  durationS: options.durationS ?? 10,
});

/** Both sides must send the same product for the same request before anything is timed. */
async function assertSameBody(a: ServerProcess, b: ServerProcess, path: string) {
  const [left, right] = await Promise.all([fetchJson(`${a.url}${path}`, { expect: 200 }), fetchJson(`${b.url}${path}`, { expect: 200 })]);
  const l = JSON.stringify(left.body);
  const r = JSON.stringify(right.body);
  if (l !== r) throw new Error(`${a.name} and ${b.name} answer ${path} differently:\n${l.slice(0, 400)}\n${r.slice(0, 400)}`);
}

// PostgreSQL deployments must name their payment provider; the catalog benches take no payments.
const pgEnv = { DATABASE_URL: PG_URL, JWT_SECRET, DATABASE_POOL_SIZE: POOL_SIZE, PAYMENT_PROVIDER: 'sandbox' };
const notes = (extra: string[]) => [
  `${PRODUCTS} products; pool of ${POOL_SIZE} connections on both sides; PostgreSQL is not pinned and shares both cores`,
  `zaplecze env: LOG_LEVEL=${BENCH_ENV.LOG_LEVEL} RATE_LIMIT_MAX=${BENCH_ENV.RATE_LIMIT_MAX}/${BENCH_ENV.RATE_LIMIT_WINDOW}`,
  ...extra,
];

/**
 * The catalog's PostgreSQL database, loaded once per run, for benches that need a product to
 * read (observability): the server environment and the path of a product in the middle.
 */
export async function catalogOnPostgres(
  options: BenchOptions,
): Promise<{ env: Record<string, string>; productPath: string; products: number }> {
  sizeFor(options);
  await preparePostgres();
  return { env: pgEnv, productPath: `/api/v1/products/${productId(Math.ceil(PRODUCTS / 2))}`, products: PRODUCTS };
}

async function pgPair(
  options: BenchOptions,
  spec: { name: string; title: string; goal: number; path: () => string; baseline: 'raw' | 'express'; connections?: number },
): Promise<Report> {
  sizeFor(options);
  const path = spec.path();
  await buildZaplecze({ skip: options.skipBuild });
  await preparePostgres();
  const report = await withServers(async (track) => {
    const zaplecze = track(await startZaplecze(pgEnv, { profile: options.profile }));
    const baseline = track(
      await startServer({
        name: spec.baseline === 'raw' ? 'raw node:http+pg' : 'express 5 + pg',
        argv: [process.execPath, spec.baseline === 'raw' ? 'bench/baselines/raw-catalog-pg.mjs' : 'bench/baselines/express-catalog.mjs'],
        cwd: ROOT,
        env: { DATABASE_URL: PG_URL, DATABASE_POOL_SIZE: POOL_SIZE },
        readyPath: '/',
      }),
    );
    await assertSameBody(zaplecze, baseline, path);
    const load = get(path, options, spec.connections);
    return comparePair({
      name: spec.name,
      title: spec.title,
      goal: spec.goal,
      rounds: options.rounds,
      smoke: options.smoke,
      candidate: { server: zaplecze, load },
      baseline: { server: baseline, load },
      notes: notes([`request: GET ${path}`]),
    });
  });
  if (options.profile) await printProfile(report);
  return report;
}

export const catalogById: Bench = {
  name: 'catalog-id',
  description: 'GET /api/v1/products/:id on PostgreSQL (100k rows) vs raw node:http + pg, same SQL (goal >= 0.8)',
  run: (options) =>
    pgPair(options, {
      name: 'catalog-id',
      title: 'GET /api/v1/products/:id, PostgreSQL, Zaplecze vs raw node:http + pg',
      goal: 0.8,
      path: () => `/api/v1/products/${productId(Math.ceil(PRODUCTS / 2))}`,
      baseline: 'raw',
    }),
};

export const catalogList: Bench = {
  name: 'catalog-list',
  description: 'GET /api/v1/products?q=&kind=&sort=price on PostgreSQL (100k rows) vs raw node:http + pg (goal >= 0.7)',
  run: (options) =>
    pgPair(options, {
      name: 'catalog-list',
      title: 'GET /api/v1/products?q=silver garden&kind=book&sort=price, PostgreSQL, Zaplecze vs raw node:http + pg',
      goal: 0.7,
      path: () => `/api/v1/products?${LIST_QUERY}`,
      baseline: 'raw',
      connections: 20,
    }),
};

export const catalogExpress: Bench = {
  name: 'catalog-express',
  description: 'GET /api/v1/products/:id on PostgreSQL vs an idiomatic Express 5 + pg app (goal >= 2)',
  run: (options) =>
    pgPair(options, {
      name: 'catalog-express',
      title: 'GET /api/v1/products/:id, PostgreSQL, Zaplecze vs Express 5 + pg',
      goal: 2,
      path: () => `/api/v1/products/${productId(Math.ceil(PRODUCTS / 3))}`,
      baseline: 'express',
    }),
};

export const catalogEmbedded: Bench = {
  name: 'catalog-embedded',
  description: 'GET /api/v1/products/:id on embedded PGlite (100k rows) vs raw node:http + PGlite (goal >= 0.7)',
  async run(options) {
    sizeFor(options);
    await buildZaplecze({ skip: options.skipBuild });
    const data = await preparePglite();
    try {
      const path = `/api/v1/products/${productId(Math.ceil(PRODUCTS / 2))}`;
      const report = await withServers(async (track) => {
        const zaplecze = track(await startZaplecze({ DATA_DIR: data.dataDir }, { profile: options.profile }));
        const raw = track(
          await startServer({
            name: 'raw node:http+pglite',
            argv: [process.execPath, 'bench/baselines/raw-catalog-pglite.mjs'],
            cwd: ROOT,
            env: { PGLITE_DIR: data.copy },
            readyPath: '/',
            readyTimeoutS: 120,
          }),
        );
        await assertSameBody(zaplecze, raw, path);
        const load = get(path, options);
        return comparePair({
          name: 'catalog-embedded',
          title: 'GET /api/v1/products/:id, embedded PGlite, Zaplecze vs raw node:http + PGlite',
          goal: 0.7,
          rounds: options.rounds,
          smoke: options.smoke,
          candidate: { server: zaplecze, load },
          baseline: { server: raw, load },
          notes: [`${PRODUCTS} products in PGlite; the baseline opens a copy of the same data folder`, `request: GET ${path}`],
        });
      });
      if (options.profile) await printProfile(report);
      return report;
    } finally {
      await data.cleanup();
    }
  },
};

/** Every catalog bench, in the order `npm run bench` runs them. */
export const catalogBenches: Bench[] = [catalogById, catalogList, catalogExpress, catalogEmbedded];

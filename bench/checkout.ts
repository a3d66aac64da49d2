/**
 * checkout: placing orders on PostgreSQL, Zaplecze vs the same statements through pg.
 *
 * Each side runs one loop per customer (CUSTOMERS of them) repeating "put one product in the
 * cart, then check out" over 50 products:
 * - Zaplecze: PUT /api/v1/cart/items/:id then POST /api/v1/orders (fresh Idempotency-Key), over
 *   HTTP from a client pinned to the load core; the server is pinned to the server core.
 * - baseline: bench/baselines/raw-checkout-pg.mjs, pinned to the server core, issues the same
 *   statements as Zaplecze (kept in step with the shop and catalog SQL), with no HTTP, framework
 *   or auth: both commit the key claim with the customer's lock, the unpaid-orders count, the
 *   locked and priced products, reservation, order, cart cleanup and outbox row in one
 *   transaction, then write the sandbox gateway's ledger and the payment row. What only
 *   Zaplecze does: HTTP and JWT checks, and publishing the outbox row (its relay's own
 *   transaction after each commit).
 * Throughput is completed checkouts per second (goal >= 0.6). Each side has its own database
 * (zaplecze_bench_shop_a / _b, recreated per run) so neither's outbox or rows touch the other's.
 * Afterwards both databases are checked for oversells: for every product, stock taken equals the
 * quantities of the reservations that exist, and no stock is negative.
 */
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openDatabase } from '../src/platform/db/database.js';
import { type Bench, fetchJson, withServers } from './lib/bench.js';
import { comparePair } from './lib/compare.js';
import { type LoadResult, runPinnedScript } from './lib/load.js';
import { CORES, type ServerProcess } from './lib/processes.js';
import { buildZaplecze, printProfile, startZaplecze } from './lib/zaplecze.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const CUSTOMERS = Number(process.env.BENCH_CHECKOUT_CUSTOMERS ?? 32);
const PRODUCTS = 50;
const INITIAL_STOCK = 10_000_000;
const POOL_SIZE = 10;
const JWT_SECRET = 'bench-checkout-secret-at-least-32-characters';
const CLIENT = fileURLToPath(new URL('./baselines/checkout-client.mjs', import.meta.url));
const RAW = fileURLToPath(new URL('./baselines/raw-checkout-pg.mjs', import.meta.url));

const urlOf = (name: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};
const productId = (i: number) => `00000000-0000-7000-8000-${i.toString(16).padStart(12, '0')}`;
const PRODUCT_IDS = Array.from({ length: PRODUCTS }, (_, i) => productId(i + 1));

/** Recreates and migrates a database and loads the same 50 products into it. */
async function prepare(name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  await admin.end();
  const database = await openDatabase({ engine: 'postgres', url: urlOf(name), poolSize: 1 });
  await database.migrate();
  await database.close();
  const client = new pg.Client({ connectionString: urlOf(name) });
  await client.connect();
  await client.query(
    `insert into catalog.products (id, sku, kind, name, description, price_cents, currency, stock, status, attributes, created_at, updated_at)
     select ('00000000-0000-7000-8000-' || lpad(to_hex(i), 12, '0'))::uuid, 'CHK-' || i, 'product', 'Bench product ' || i, '',
            100 + i * 7, 'PLN', ${INITIAL_STOCK}, 'active', '{"brand": "Tatra"}'::jsonb, now(), now()
     from generate_series(1, ${PRODUCTS}) i`,
  );
  await client.end();
  return urlOf(name);
}

/** Stock taken must equal what live reservations hold, per product, and never go below zero. */
async function oversells(url: string): Promise<{ orders: number; oversold: number; negative: number }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const { rows } = await client.query(`
    select p.id, p.stock, coalesce(sum(l.quantity) filter (where r.released_at is null), 0)::int as reserved
    from catalog.products p
    left join catalog.stock_reservation_lines l on l.product_id = p.id
    left join catalog.stock_reservations r on r.order_id = l.order_id
    group by p.id, p.stock`);
  const orders = Number((await client.query('select count(*) from shop.orders')).rows[0].count);
  await client.end();
  return {
    orders,
    oversold: rows.filter((r) => INITIAL_STOCK - r.stock !== r.reserved).length,
    negative: rows.filter((r) => r.stock < 0).length,
  };
}

interface ScriptResult {
  checkouts: number;
  errors: number;
  perSec: number;
  latencyMs: { p50: number | null; p99: number | null };
  serverCpuMs: number;
  serverCpuShare: number;
  loadCpuShare: number;
}

const toLoadResult = (r: ScriptResult): LoadResult => ({
  requests: r.checkouts,
  durationS: r.perSec > 0 ? r.checkouts / r.perSec : 0,
  reqPerSec: r.perSec,
  latencyMs: { p50: r.latencyMs.p50, p99: r.latencyMs.p99, max: null },
  status: { 201: r.checkouts },
  non2xx: r.errors,
  errors: 0,
  timeouts: 0,
  loadCpuShare: r.loadCpuShare,
  serverCpuMs: r.serverCpuMs,
  serverCpuShare: r.serverCpuShare,
});

export const checkoutBench: Bench = {
  name: 'checkout',
  description: `cart + POST /api/v1/orders on PostgreSQL vs the same statements in one pg transaction, ${CUSTOMERS} customers (goal >= 0.6, zero oversells)`,
  async run(options) {
    await buildZaplecze({ skip: options.skipBuild });
    const [urlA, urlB] = [await prepare('zaplecze_bench_shop_a'), await prepare('zaplecze_bench_shop_b')];
    const warmupS = options.warmupS ?? 3;
    const durationS = options.durationS ?? 10;
    const report = await withServers(async (track) => {
      const zaplecze = track(
        await startZaplecze(
          {
            DATABASE_URL: urlA,
            JWT_SECRET,
            DATABASE_POOL_SIZE: String(POOL_SIZE),
            PAYMENT_PROVIDER: 'sandbox',
            // Each customer keeps ordering without paying: the hoarding cap would turn the load into 422s.
            SHOP_MAX_PENDING_ORDERS: '1000000',
          },
          { profile: options.profile },
        ),
      );
      const tokens: string[] = [];
      for (let i = 0; i < CUSTOMERS; i++) {
        const email = `shopper${i}@bench.local`;
        const password = 'a-long-bench-passphrase-for-shoppers';
        await fetchJson(`${zaplecze.url}/api/v1/auth/register`, {
          method: 'POST',
          body: { email, password, name: `Shopper ${i}` },
          expect: 202,
        });
        const login = await fetchJson(`${zaplecze.url}/api/v1/auth/login`, { method: 'POST', body: { email, password }, expect: 200 });
        tokens.push((login.body as { accessToken: string }).accessToken);
      }
      const script: ServerProcess = { name: 'raw pg, 1 tx', url: '', pid: -1, output: () => '', stop: async () => {} };
      const load = { path: '/api/v1/orders', method: 'POST' as const, connections: CUSTOMERS, warmupS, durationS };
      return comparePair({
        name: 'checkout',
        title: 'put in cart + check out, PostgreSQL, Zaplecze (HTTP) vs the same statements through pg in one transaction',
        unit: 'checkouts/s',
        goal: 0.6,
        rounds: options.rounds,
        smoke: options.smoke,
        candidate: {
          server: zaplecze,
          load,
          run: async () =>
            toLoadResult(
              await runPinnedScript<ScriptResult>(CORES.load, CLIENT, {
                url: zaplecze.url,
                serverPid: zaplecze.pid,
                tokens,
                productIds: PRODUCT_IDS,
                warmupS,
                durationS,
              }),
            ),
        },
        baseline: {
          server: script,
          load,
          run: async () =>
            toLoadResult(
              await runPinnedScript<ScriptResult>(CORES.server, RAW, {
                databaseUrl: urlB,
                poolSize: POOL_SIZE,
                userIds: Array.from({ length: CUSTOMERS }, (_, i) => `00000000-0000-7000-9000-${i.toString(16).padStart(12, '0')}`),
                productIds: PRODUCT_IDS,
                warmupS,
                durationS,
              }),
            ),
        },
        notes: [
          `${CUSTOMERS} customers each loop: PUT /cart/items/:id (1 unit of one of ${PRODUCTS} products), then POST /orders; rate = completed checkouts/s`,
          `pool of ${POOL_SIZE} connections on both sides; PostgreSQL is not pinned and shares both cores; the baseline is pinned to the server core`,
          'latency columns: POST /orders only (Zaplecze) vs the checkout transaction and payment rows (baseline)',
        ],
      });
    });
    if (options.profile) await printProfile(report);
    for (const [side, url] of [
      ['zaplecze', urlA],
      ['baseline', urlB],
    ] as const) {
      const check = await oversells(url);
      const line = `   ${side}: ${check.orders} orders; products oversold: ${check.oversold}; negative stock: ${check.negative}`;
      console.log(line);
      if (check.oversold || check.negative) throw new Error(`oversell detected on the ${side} side`);
    }
    return report;
  },
};

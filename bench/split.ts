/**
 * split: the same shoppers against all-in-one and against the split behind Caddy (2 × identity,
 * 2 × commerce, 2 × realtime, 1 × worker), on the same engines: PostgreSQL, Redis and NATS at
 * BENCH_POSTGRES_URL / BENCH_REDIS_URL / BENCH_NATS_URL (default this machine's). Each side has
 * its own database (recreated per run), Redis key prefix and NATS stream (both cleared per run).
 *
 * Measures, in interleaved rounds whose order alternates (A B, B A, ...):
 * 1. journey latency p50/p95 with one user: log in, cart, POST /orders with an Idempotency-Key,
 *    start the payment, settle it in the sandbox, poll GET /orders/:id until `paid`
 *    (goal: split ≤ 1.25 × all-in-one);
 * 2. journeys/s with 8 concurrent users (goal: split ≥ 0.75 × all-in-one) and journeys per server
 *    CPU-second (every server process, Caddy included, from /proc);
 * 3. GET /api/v1/products/{id} with autocannon through Caddy vs straight to one commerce instance
 *    (goal ≥ 0.7);
 * and after the rounds 4. logout-to-401: N logouts, each timed from its 204 until every commerce
 * instance answers 401 for the token (polled every 2 ms); p99 (goal: ≤ 1 s, the issue's bite).
 *
 * Pinning: every server process (all-in-one; or the split's seven instances and Caddy) shares the
 * server core, the load scripts run on the load core; PostgreSQL, Redis and NATS are not pinned.
 */
import { fileURLToPath } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { BenchTableRow } from '../scripts/bench-table.js';
import { startSplit } from '../scripts/split/topology.js';
import { type Bench, fetchJson, withServers } from './lib/bench.js';
import { machineInfo, machineLoad, median } from './lib/compare.js';
import { type LoadResult, runLoad, runPinnedScript } from './lib/load.js';
import { CORES, cleanEnv, pinRunning } from './lib/processes.js';
import { printReport, type Report, type RoundRow, writeReport } from './lib/report.js';
import { BENCH_ENV, buildZaplecze, startZaplecze } from './lib/zaplecze.js';

const ADMIN_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const NATS_URL = process.env.BENCH_NATS_URL ?? 'nats://127.0.0.1:4222';
const SCRIPT = fileURLToPath(new URL('./lib/split-journeys.mjs', import.meta.url));
const USERS = 8;
const LOGOUTS = 50;
const SMOKE_LOGOUTS = 5;
const LOGOUT_POLL_MS = 2;
const LOGOUT_GOAL_MS = 1000;
const GOALS = { latency: 1.25, journeys: 0.75, products: 0.7 };
const REPLICAS = { identity: 2, commerce: 2, realtime: 2, worker: 1 };
const PASSWORD = 'a-long-bench-passphrase-for-shoppers';
const ADMIN = { email: 'admin@bench.local', password: 'a-long-bench-passphrase-for-the-admin' };
const JWT_SECRET = 'bench-split-secret-at-least-32-characters-long';
/** Per side: its database, and the name of its NATS stream and Redis key prefix. */
const SIDES = {
  'all-in-one': { database: 'zaplecze_bench_split_aio', namespace: 'ZAPLECZE_BENCH_AIO' },
  split: { database: 'zaplecze_bench_split_split', namespace: 'ZAPLECZE_BENCH_SPLIT' },
} as const;
type SideName = keyof typeof SIDES;

/** What both sides get: the bench limits, the sandbox, a seeded admin, one argon2 hash at a time per process. */
const COMMON_ENV: Record<string, string> = {
  ...BENCH_ENV,
  REDIS_URL,
  NATS_URL,
  JWT_SECRET,
  PAYMENT_PROVIDER: 'sandbox',
  ADMIN_EMAIL: ADMIN.email,
  ADMIN_PASSWORD: ADMIN.password,
  PASSWORD_HASH_CONCURRENCY: '1',
  // Nothing routes around a stopping bench server: no reason to keep serving after SIGTERM.
  SHUTDOWN_DELAY: '0s',
};

const urlOf = (name: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

/** A fresh database, an empty NATS stream and no Redis keys under the side's prefix. */
async function resetEngines(side: (typeof SIDES)[SideName]): Promise<string> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`drop database if exists ${side.database} with (force)`);
  await admin.query(`create database ${side.database}`);
  await admin.end();
  const nc = await connect({ servers: NATS_URL });
  const jsm = await jetstreamManager(nc);
  // Durable consumers start at the stream's beginning: a previous run's events must not be replayed.
  await jsm.streams.delete(side.namespace).catch(() => false);
  await nc.close();
  const redis = new Redis(REDIS_URL);
  const keys: string[] = [];
  for await (const batch of redis.scanStream({ match: `${side.namespace}:*`, count: 1000 })) keys.push(...(batch as string[]));
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
  return urlOf(side.database);
}

/** A side under test: where the journeys go, whose CPU counts, where logouts are checked. */
interface Target {
  name: SideName;
  url: string;
  /** Every server process: pid to name. */
  processes: Map<number, string>;
  commerceUrls: string[];
  productId: string;
  users: { email: string; password: string }[];
}

/** The admin creates one product with plenty of stock; USERS shoppers register. */
async function seed(url: string): Promise<Pick<Target, 'productId' | 'users'>> {
  const login = await fetchJson(`${url}/api/v1/auth/login`, { method: 'POST', body: ADMIN, expect: 200 });
  const token = (login.body as { accessToken: string }).accessToken;
  const product = await fetchJson(`${url}/api/v1/products`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: { sku: 'SPLIT-BENCH-1', kind: 'product', name: 'Bench kettle', priceCents: 4999, currency: 'PLN', stock: 10_000_000 },
    expect: 201,
  });
  const users = Array.from({ length: USERS }, (_, i) => ({ email: `shopper${i}@bench.local`, password: PASSWORD }));
  for (const [i, user] of users.entries()) {
    await fetchJson(`${url}/api/v1/auth/register`, { method: 'POST', body: { ...user, name: `Shopper ${i}` }, expect: 202 });
  }
  return { productId: (product.body as { id: string }).id, users };
}

interface JourneyResult {
  journeys: number;
  errors: number;
  failures: Record<string, number>;
  pollsPerJourney: number | null;
  perSec: number;
  latencyMs: { p50: number | null; p95: number | null; p99: number | null };
  serverCpuMs: number;
  serverCpuShare: number;
  serverCpuMsByPid: Record<string, number>;
  loadCpuShare: number;
}

interface LogoutResult {
  count: number;
  neverBit: number;
  /** Not attempted: the first ones never bit, so the server has no way to (no session mirror). */
  skipped: number;
  delaysMs: number[];
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

function journeys(target: Target, users: number, warmupS: number, durationS: number): Promise<JourneyResult> {
  return runPinnedScript<JourneyResult>(CORES.load, SCRIPT, {
    mode: 'journeys',
    url: target.url,
    productId: target.productId,
    users: target.users.slice(0, users),
    cpuPids: [...target.processes.keys()],
    warmupS,
    durationS,
  });
}

/** Shares of the measured CPU per process name, largest first: the cheap profile of where the split's CPU goes. */
function cpuShares(byPid: Record<string, number>, names: Map<number, string>): Record<string, number> {
  const total = Object.values(byPid).reduce((a, b) => a + b, 0);
  const shares: Record<string, number> = {};
  for (const [pid, ms] of Object.entries(byPid).sort((a, b) => b[1] - a[1])) shares[names.get(Number(pid)) ?? pid] = total ? ms / total : 0;
  return shares;
}

const medianOf = <T>(rows: T[], pick: (row: T) => number | null) => median(rows.map((r) => pick(r) ?? Number.NaN));
const ms = (n: number) => `${n >= 100 ? Math.round(n) : n.toFixed(1)} ms`;
const perSec = (n: number, unit: string) => `${n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1)} ${unit}`;
const pct = (share: number) => `${Math.round(share * 100)}%`;

function journeyRow(round: number, role: RoundRow['role'], target: Target, r: JourneyResult, windowUs: [number, number]): RoundRow {
  return {
    round,
    windowUs,
    role,
    side: target.name,
    reqPerSec: r.perSec,
    reqPerCpuS: r.journeys / (r.serverCpuMs / 1000),
    p50Ms: r.latencyMs.p50,
    p99Ms: r.latencyMs.p99,
    serverCpuShare: r.serverCpuShare,
    loadCpuShare: r.loadCpuShare,
    non2xx: r.errors,
    errors: 0,
    status: { ...r.failures, ok: r.journeys },
  };
}

/** p99 of the logouts that bit, and how many never did (within the timeout). */
const logoutCell = (l: LogoutResult) =>
  [l.p99Ms === null ? null : ms(l.p99Ms), l.neverBit ? `${l.neverBit} of ${l.count - l.skipped} never bit` : null]
    .filter(Boolean)
    .join(', ');

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

export const splitBench: Bench = {
  name: 'split',
  // Nine server processes: its smoke run took 45 s (load 3.6) to 115 s (load 13) here, over a smoke run's ~40 s budget.
  smoke: false,
  description: `all-in-one vs the split behind Caddy on PostgreSQL/Redis/NATS: journey latency (≤ ${GOALS.latency}x), journeys/s at ${USERS} users (≥ ${GOALS.journeys}), products via Caddy vs direct (≥ ${GOALS.products}), p99 logout-to-401`,
  async run(options) {
    await buildZaplecze({ skip: options.skipBuild });
    const warmupS = options.warmupS ?? 3;
    const durationS = options.durationS ?? 10;
    const logoutCount = options.smoke ? SMOKE_LOGOUTS : LOGOUTS;
    const loadBefore = machineLoad();
    const [aioDb, splitDb] = [await resetEngines(SIDES['all-in-one']), await resetEngines(SIDES.split)];
    const splitLog: string[] = [];
    const t0 = performance.now();
    const phase = (what: string) => process.stderr.write(`  ${what} (${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);

    const result = await withServers(async (track) => {
      // Both start at once (start-up is most of a smoke run); whichever did start is stopped if the other fails.
      const [aioStarted, splitStarted] = await Promise.allSettled([
        startZaplecze({
          ...COMMON_ENV,
          DATABASE_URL: aioDb,
          NATS_STREAM: SIDES['all-in-one'].namespace,
          REDIS_KEY_PREFIX: `${SIDES['all-in-one'].namespace}:`,
        }),
        startSplit({
          env: cleanEnv({ ...COMMON_ENV, DATABASE_URL: splitDb, DATABASE_POOL_SIZE: '5' }),
          namespace: SIDES.split.namespace,
          replicas: REPLICAS,
          // After buildZaplecze's `npm run build`, this only exports the gateway's site when src/ is newer.
          build: !options.skipBuild,
          startTimeoutMs: 120_000,
          log: (line) => {
            splitLog.push(line);
            if (splitLog.length > 200) splitLog.shift();
          },
        }),
      ]);
      if (aioStarted.status === 'fulfilled') track(aioStarted.value);
      if (splitStarted.status === 'fulfilled') {
        const split = splitStarted.value;
        track({ name: 'split', url: split.url, pid: split.gateway.pid, output: () => splitLog.join('\n'), stop: () => split.stop() });
      }
      if (aioStarted.status === 'rejected') throw aioStarted.reason;
      if (splitStarted.status === 'rejected') {
        process.stderr.write(`${splitLog.slice(-60).join('\n')}\n`);
        throw splitStarted.reason;
      }
      const aioServer = aioStarted.value;
      const split = splitStarted.value;
      // startSplit does not pin; every thread of every split process joins the server core.
      for (const pid of [split.gateway.pid, ...split.instances.map((i) => i.pid)]) pinRunning(CORES.server, pid);
      phase('all-in-one and the split are up');

      const commerce = split.instances.filter((i) => i.deployment === 'commerce');
      const aio: Target = {
        name: 'all-in-one',
        url: aioServer.url,
        processes: new Map([[aioServer.pid, 'all-in-one']]),
        commerceUrls: [aioServer.url],
        ...(await seed(aioServer.url)),
      };
      const spl: Target = {
        name: 'split',
        url: split.url,
        processes: new Map([[split.gateway.pid, 'caddy'], ...split.instances.map((i) => [i.pid, i.name] as [number, string])]),
        commerceUrls: commerce.map((i) => i.url),
        ...(await seed(split.url)),
      };
      phase('seeded: admin, product, users on both sides');
      const direct = commerce[0];
      if (!direct) throw new Error('the split has no commerce instance');
      // Both ways answer the same product before any load.
      const path = `/api/v1/products/${spl.productId}`;
      const [viaCaddy, straight] = [
        await fetchJson(`${split.url}${path}`, { expect: 200 }),
        await fetchJson(`${direct.url}${path}`, { expect: 200 }),
      ];
      if (JSON.stringify(viaCaddy.body) !== JSON.stringify(straight.body)) throw new Error('the product differs through Caddy and direct');

      const latency: { round: number; side: SideName; r: JourneyResult }[] = [];
      const throughput: RoundRow[] = [];
      const throughputRaw: { round: number; side: SideName; r: JourneyResult }[] = [];
      const products: { round: number; way: 'caddy' | 'direct'; r: LoadResult }[] = [];
      const productLoad = { path, connections: options.connections ?? 32, warmupS, durationS };
      const caddyTarget = { url: split.url, pid: split.gateway.pid, cpuPids: [split.gateway.pid, ...commerce.map((i) => i.pid)] };
      const directTarget = { url: direct.url, pid: direct.pid, cpuPids: [direct.pid] };
      const say = (line: string) => {
        if (!options.smoke) process.stderr.write(`  ${line}\n`);
      };

      for (let round = 1; round <= options.rounds; round++) {
        const order = round % 2 ? [aio, spl] : [spl, aio];
        for (const target of order) {
          const r = await journeys(target, 1, warmupS, durationS);
          latency.push({ round, side: target.name, r });
          say(
            `round ${round}/${options.rounds} ${target.name.padEnd(10)} 1 user   p50 ${r.latencyMs.p50?.toFixed(1)} ms  p95 ${r.latencyMs.p95?.toFixed(1)} ms`,
          );
        }
        for (const target of order) {
          const started = nowUs();
          const r = await journeys(target, USERS, warmupS, durationS);
          throughputRaw.push({ round, side: target.name, r });
          throughput.push(journeyRow(round, target === spl ? 'candidate' : 'baseline', target, r, [started, nowUs()]));
          say(
            `round ${round}/${options.rounds} ${target.name.padEnd(10)} ${USERS} users  ${r.perSec.toFixed(1)} journeys/s  ` +
              `${(r.journeys / (r.serverCpuMs / 1000)).toFixed(1)} per cpu-s  server cpu ${pct(r.serverCpuShare)}  ${r.pollsPerJourney?.toFixed(1)} polls/journey`,
          );
        }
        for (const way of round % 2 ? (['caddy', 'direct'] as const) : (['direct', 'caddy'] as const)) {
          const r = await runLoad(way === 'caddy' ? caddyTarget : directTarget, productLoad);
          products.push({ round, way, r });
          say(
            `round ${round}/${options.rounds} products ${way.padEnd(6)} ${Math.round(r.reqPerSec)} req/s  p99 ${r.latencyMs.p99?.toFixed(2)} ms`,
          );
        }
      }

      phase('rounds done');
      const logouts = {} as Record<SideName, LogoutResult>;
      for (const target of [spl, aio]) {
        logouts[target.name] = await runPinnedScript<LogoutResult>(CORES.load, SCRIPT, {
          mode: 'logouts',
          url: target.url,
          checkUrls: target.commerceUrls,
          users: target.users,
          count: logoutCount,
          pollMs: LOGOUT_POLL_MS,
          timeoutMs: options.smoke ? 2000 : 5000,
        });
        say(
          `logouts ${target.name.padEnd(10)} p50 ${logouts[target.name].p50Ms?.toFixed(1)} ms  p99 ${logouts[target.name].p99Ms?.toFixed(1)} ms  never bit ${logouts[target.name].neverBit}`,
        );
      }
      phase('logouts done');
      return { spl, latency, throughput, throughputRaw, products, logouts, productLoad, commerceCount: commerce.length };
    });

    const { spl, latency, throughput, throughputRaw, products, logouts, productLoad, commerceCount } = result;
    const lat = (side: SideName, p: 'p50' | 'p95') =>
      medianOf(
        latency.filter((x) => x.side === side),
        (x) => x.r.latencyMs[p],
      );
    const thr = (side: SideName, pick: (r: JourneyResult) => number) =>
      medianOf(
        throughputRaw.filter((x) => x.side === side),
        (x) => pick(x.r),
      );
    const prod = (way: 'caddy' | 'direct', pick: (r: LoadResult) => number) =>
      medianOf(
        products.filter((x) => x.way === way),
        (x) => pick(x.r),
      );
    const perCpu = (r: JourneyResult) => r.journeys / (r.serverCpuMs / 1000);
    const m = {
      latencyP50: { split: lat('split', 'p50'), aio: lat('all-in-one', 'p50') },
      latencyP95: { split: lat('split', 'p95'), aio: lat('all-in-one', 'p95') },
      journeysPerSec: { split: thr('split', (r) => r.perSec), aio: thr('all-in-one', (r) => r.perSec) },
      journeysPerCpuS: { split: thr('split', perCpu), aio: thr('all-in-one', perCpu) },
      pollsPerJourney: {
        split: thr('split', (r) => r.pollsPerJourney ?? Number.NaN),
        aio: thr('all-in-one', (r) => r.pollsPerJourney ?? Number.NaN),
      },
      products: { caddy: prod('caddy', (r) => r.reqPerSec), direct: prod('direct', (r) => r.reqPerSec) },
      productsPerCpuS: {
        caddy: prod('caddy', (r) => r.reqPerSec / (r.serverCpuShare || Number.NaN)),
        direct: prod('direct', (r) => r.reqPerSec / (r.serverCpuShare || Number.NaN)),
      },
    };
    const ratios = {
      latencyP50: m.latencyP50.split / m.latencyP50.aio,
      latencyP95: m.latencyP95.split / m.latencyP95.aio,
      journeys: m.journeysPerSec.split / m.journeysPerSec.aio,
      journeysPerCpu: m.journeysPerCpuS.split / m.journeysPerCpuS.aio,
      products: m.products.caddy / m.products.direct,
      productsPerCpu: m.productsPerCpuS.caddy / m.productsPerCpuS.direct,
    };
    const logoutPass = logouts.split.neverBit === 0 && (logouts.split.p99Ms ?? Number.POSITIVE_INFINITY) <= LOGOUT_GOAL_MS;
    const passes = {
      latencyP50: ratios.latencyP50 <= GOALS.latency,
      latencyP95: ratios.latencyP95 <= GOALS.latency,
      journeys: ratios.journeys >= GOALS.journeys,
      products: ratios.products >= GOALS.products,
      logout: logoutPass,
    };

    // Where the split's CPU went in its 8-user rounds, summed over them: the cheap profile.
    const splitByPid: Record<string, number> = {};
    for (const x of throughputRaw.filter((t) => t.side === 'split')) {
      for (const [pid, cpuMs] of Object.entries(x.r.serverCpuMsByPid)) splitByPid[pid] = (splitByPid[pid] ?? 0) + cpuMs;
    }
    const caddyByPid: Record<string, number> = {};
    for (const x of products.filter((p) => p.way === 'caddy')) {
      for (const [pid, cpuMs] of Object.entries(x.r.serverCpuMsByPid ?? {})) caddyByPid[pid] = (caddyByPid[pid] ?? 0) + cpuMs;
    }
    const profile = { journeys: cpuShares(splitByPid, spl.processes), productsViaCaddy: cpuShares(caddyByPid, spl.processes) };

    const warnings: string[] = [];
    for (const x of [...latency, ...throughputRaw]) {
      if (x.r.errors) warnings.push(`round ${x.round} ${x.side}: ${x.r.errors} failed journeys ${JSON.stringify(x.r.failures)}`);
      if (!x.r.journeys) warnings.push(`round ${x.round} ${x.side}: no journey completed`);
    }
    for (const x of products) {
      if (x.r.non2xx || x.r.errors || x.r.timeouts) {
        warnings.push(
          `round ${x.round} products ${x.way}: ${x.r.non2xx} non-2xx ${JSON.stringify(x.r.status)}, ${x.r.errors + x.r.timeouts} errors`,
        );
      }
    }
    for (const side of ['split', 'all-in-one'] as const) {
      if (logouts[side].neverBit) {
        warnings.push(
          `${side}: ${logouts[side].neverBit} of ${logouts[side].count} logouts never gave 401 on every commerce instance` +
            (logouts[side].skipped ? ` (then ${logouts[side].skipped} skipped)` : ''),
        );
      }
    }

    const table: BenchTableRow[] = [
      {
        measure: 'split: journey p50, 1 user (log in → paid)',
        baseline: 'all-in-one',
        zaplecze: ms(m.latencyP50.split),
        baselineResult: ms(m.latencyP50.aio),
        ratio: ratios.latencyP50,
        goal: `≤ ${GOALS.latency}`,
        perCpu: null,
      },
      {
        measure: 'split: journey p95, 1 user',
        baseline: 'all-in-one',
        zaplecze: ms(m.latencyP95.split),
        baselineResult: ms(m.latencyP95.aio),
        ratio: ratios.latencyP95,
        goal: `≤ ${GOALS.latency}`,
        perCpu: null,
      },
      {
        measure: `split: journeys/s, ${USERS} users`,
        baseline: 'all-in-one',
        zaplecze: perSec(m.journeysPerSec.split, 'journeys/s'),
        baselineResult: perSec(m.journeysPerSec.aio, 'journeys/s'),
        ratio: ratios.journeys,
        goal: `≥ ${GOALS.journeys}`,
        perCpu: ratios.journeysPerCpu,
      },
      {
        measure: 'split: GET /products/{id} through Caddy',
        baseline: 'one commerce instance, direct',
        zaplecze: perSec(m.products.caddy, 'req/s'),
        baselineResult: perSec(m.products.direct, 'req/s'),
        ratio: ratios.products,
        goal: `≥ ${GOALS.products}`,
        perCpu: ratios.productsPerCpu,
      },
      {
        measure: `split: logout → 401 on every commerce instance, p99 of ${logoutCount}`,
        baseline: 'all-in-one',
        zaplecze: logoutCell(logouts.split),
        baselineResult: logoutCell(logouts['all-in-one']),
        ratio: null,
        goal: `≤ ${LOGOUT_GOAL_MS} ms`,
        perCpu: null,
      },
    ];

    const side = (name: SideName) => ({
      name,
      reqPerSec: m.journeysPerSec[name === 'split' ? 'split' : 'aio'],
      reqPerCpuS: m.journeysPerCpuS[name === 'split' ? 'split' : 'aio'],
      p50Ms: medianOf(
        throughput.filter((r) => r.side === name),
        (r) => r.p50Ms,
      ),
      p99Ms: medianOf(
        throughput.filter((r) => r.side === name),
        (r) => r.p99Ms,
      ),
      serverCpuShare: medianOf(
        throughput.filter((r) => r.side === name),
        (r) => r.serverCpuShare,
      ),
      loadCpuShare: medianOf(
        throughput.filter((r) => r.side === name),
        (r) => r.loadCpuShare,
      ),
    });
    const journeyLoad = {
      request: 'journey (login, cart, order, payment, sandbox succeed, poll until paid)',
      connections: USERS,
      warmupS,
      durationS,
    };
    const report: Report = {
      name: 'split',
      title: `journeys at ${USERS} users, the split behind Caddy vs all-in-one, PostgreSQL + Redis + NATS`,
      unit: 'journeys/s',
      when: new Date().toISOString(),
      goal: GOALS.journeys,
      ratio: ratios.journeys,
      pass: Object.values(passes).every(Boolean),
      pairedRatios: Array.from({ length: options.rounds }, (_, i) => {
        const s = throughput.find((r) => r.round === i + 1 && r.role === 'candidate');
        const a = throughput.find((r) => r.round === i + 1 && r.role === 'baseline');
        return s && a ? s.reqPerSec / a.reqPerSec : Number.NaN;
      }),
      cpuRatio: ratios.journeysPerCpu,
      candidate: side('split'),
      baseline: side('all-in-one'),
      load: { candidate: journeyLoad, baseline: journeyLoad },
      rounds: throughput,
      notes: [
        `split: ${Object.entries(REPLICAS)
          .map(([d, n]) => `${n} × ${d}`)
          .join(
            ', ',
          )} + Caddy = ${Object.values(REPLICAS).reduce((a, b) => a + b, 0) + 1} processes, all pinned to core ${CORES.server}; all-in-one: 1 process on core ${CORES.server}; load scripts on core ${CORES.load}`,
        'engines: PostgreSQL, Redis and NATS on this machine, not pinned; their CPU is not counted as server CPU',
        `each side: its own database (${SIDES['all-in-one'].database} / ${SIDES.split.database}), Redis prefix and NATS stream; pool 10 (all-in-one) vs 5 per split instance; argon2 defaults, PASSWORD_HASH_CONCURRENCY=1 per process`,
        `journey polls GET /orders/:id every 5 ms until paid; latency rounds: 1 user back to back; throughput rounds: ${USERS} users back to back`,
        `products: ${productLoad.connections} autocannon connections; through Caddy reaches ${commerceCount} commerce instances, direct one; per CPU-s counts Caddy + commerce vs one commerce`,
        `logouts: ${logoutCount} per side, each timed from the 204 until every commerce instance answers 401 (polled every ${LOGOUT_POLL_MS} ms)`,
        `split CPU in the ${USERS}-user rounds by process: ${Object.entries(profile.journeys)
          .map(([n, s]) => `${n} ${pct(s)}`)
          .join(', ')}`,
        `GET /orders/:id polls per journey (${USERS} users, median): split ${m.pollsPerJourney.split.toFixed(1)}, all-in-one ${m.pollsPerJourney.aio.toFixed(1)}`,
        `split CPU in the products-through-Caddy rounds: ${Object.entries(profile.productsViaCaddy)
          .map(([n, s]) => `${n} ${pct(s)}`)
          .join(', ')}`,
      ],
      warnings,
      machine: { ...machineInfo(), loadBefore, loadAfter: machineLoad() },
      ...(options.smoke ? { smoke: true } : {}),
      table,
      measures: {
        medians: m,
        ratios,
        goals: { ...GOALS, logoutMs: LOGOUT_GOAL_MS },
        passes,
        latencyRounds: latency,
        products,
        logouts,
        profile,
      },
    };
    await writeReport(report);

    if (options.smoke) {
      const problems = [...warnings];
      if (problems.length) throw new Error(`smoke split: ${problems.join('; ')}`);
      console.log(`   smoke split: ok (both sides completed journeys, products answered 2xx both ways, every logout bit on both sides)`);
      return report;
    }
    printReport(report);
    const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
    console.log(
      [
        '   split vs all-in-one:',
        `   journey p50 (1 user)      ${ms(m.latencyP50.split)} vs ${ms(m.latencyP50.aio)}  ratio ${ratios.latencyP50.toFixed(2)}  goal ≤ ${GOALS.latency}  ${verdict(passes.latencyP50)}`,
        `   journey p95 (1 user)      ${ms(m.latencyP95.split)} vs ${ms(m.latencyP95.aio)}  ratio ${ratios.latencyP95.toFixed(2)}  goal ≤ ${GOALS.latency}  ${verdict(passes.latencyP95)}`,
        `   journeys/s (${USERS} users)     ${m.journeysPerSec.split.toFixed(1)} vs ${m.journeysPerSec.aio.toFixed(1)}  ratio ${ratios.journeys.toFixed(2)}  goal ≥ ${GOALS.journeys}  ${verdict(passes.journeys)}`,
        `   journeys per CPU-s        ${m.journeysPerCpuS.split.toFixed(1)} vs ${m.journeysPerCpuS.aio.toFixed(1)}  ratio ${ratios.journeysPerCpu.toFixed(2)}`,
        `   products via Caddy/direct ${Math.round(m.products.caddy)} vs ${Math.round(m.products.direct)} req/s  ratio ${ratios.products.toFixed(2)}  goal ≥ ${GOALS.products}  ${verdict(passes.products)}  (per CPU-s ${ratios.productsPerCpu.toFixed(2)})`,
        `   logout → 401 split        p50 ${logouts.split.p50Ms?.toFixed(1) ?? '-'} ms  p99 ${logouts.split.p99Ms?.toFixed(1) ?? '-'} ms  max ${logouts.split.maxMs?.toFixed(1) ?? '-'} ms  never ${logouts.split.neverBit}/${logoutCount}  goal p99 ≤ ${LOGOUT_GOAL_MS} ms  ${verdict(passes.logout)}`,
        `   logout → 401 all-in-one   p50 ${logouts['all-in-one'].p50Ms?.toFixed(1) ?? '-'} ms  p99 ${logouts['all-in-one'].p99Ms?.toFixed(1) ?? '-'} ms`,
        `   load average before ${loadBefore}, after ${report.machine.loadAfter}`,
        '',
      ].join('\n'),
    );
    return report;
  },
};

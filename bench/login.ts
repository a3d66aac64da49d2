/**
 * POST /api/v1/auth/login with a valid account through the whole compiled Zaplecze app
 * (lookup, argon2id verify, throttle bookkeeping, session insert, JWT + refresh token) against
 * a raw node:http server doing only the argon2id verify of the same password. Goal: >= 0.85.
 *
 * Both sides get the same number of hashes in flight: PASSWORD_HASH_CONCURRENCY for Zaplecze,
 * ARGON2_CONCURRENCY for the baseline. It defaults to 1 because the server is pinned to one
 * core; override with BENCH_HASH_CONCURRENCY.
 */
import { type Bench, fetchJson, withServers } from './lib/bench.js';
import { comparePair } from './lib/compare.js';
import { startServer } from './lib/processes.js';
import { BENCH_ENV, buildZaplecze, databaseNote, printProfile, ROOT, startZaplecze } from './lib/zaplecze.js';

const EMAIL = 'bench-login@example.com';
const PASSWORD = 'bench-correct-horse-battery-staple-42';

export const login: Bench = {
  name: 'login',
  description: 'POST /api/v1/auth/login: Zaplecze vs a raw argon2id verify server (goal >= 0.85)',
  async run(options) {
    const concurrency = process.env.BENCH_HASH_CONCURRENCY ?? '1';
    await buildZaplecze({ skip: options.skipBuild });
    const report = await withServers(async (track) => {
      const zaplecze = track(await startZaplecze({ PASSWORD_HASH_CONCURRENCY: concurrency }, { profile: options.profile }));
      const raw = track(
        await startServer({
          name: 'raw argon2 verify',
          argv: [process.execPath, 'bench/baselines/raw-argon2.mjs'],
          cwd: ROOT,
          env: { BENCH_PASSWORD: PASSWORD, ARGON2_CONCURRENCY: concurrency },
          readyPath: '/',
        }),
      );

      const path = '/api/v1/auth/login';
      const credentials = { email: EMAIL, password: PASSWORD };
      await fetchJson(`${zaplecze.url}/api/v1/auth/register`, {
        method: 'POST',
        body: { ...credentials, name: 'Bench User' },
        expect: 202,
      });
      const first = await fetchJson(`${zaplecze.url}${path}`, { method: 'POST', body: credentials, expect: 200 });
      if (typeof (first.body as { accessToken?: unknown }).accessToken !== 'string') throw new Error('login returned no accessToken');
      await fetchJson(`${raw.url}${path}`, { method: 'POST', body: credentials, expect: 200 });

      const load = {
        path,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credentials),
        connections: options.connections ?? 8,
        warmupS: options.warmupS ?? 3,
        durationS: options.durationS ?? 10,
      };
      return comparePair({
        name: 'login',
        title: 'POST /api/v1/auth/login (valid account), Zaplecze vs raw argon2id verify',
        goal: 0.85,
        rounds: options.rounds,
        smoke: options.smoke,
        candidate: { server: zaplecze, load },
        baseline: { server: raw, load },
        notes: [
          `hashes in flight: PASSWORD_HASH_CONCURRENCY=${concurrency} (zaplecze) = ARGON2_CONCURRENCY=${concurrency} (baseline); server pinned to one core`,
          `argon2id m=19456 KiB t=2 p=1 on both; UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
          `zaplecze env: LOG_LEVEL=${BENCH_ENV.LOG_LEVEL} AUTH_RATE_LIMIT_MAX=${BENCH_ENV.AUTH_RATE_LIMIT_MAX} LOGIN_MAX_FAILURES=${BENCH_ENV.LOGIN_MAX_FAILURES}; ${databaseNote()}`,
          'every login inserts a session row, so the database grows by one row per request during the run',
        ],
      });
    });
    if (options.profile) await printProfile(report);
    return report;
  },
};

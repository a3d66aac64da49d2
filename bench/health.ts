/**
 * GET /health/live through the whole compiled Zaplecze app (request id, helmet, CORS, access
 * guard, per-request logger; the rate limiter is installed but this route opts out of it)
 * against a raw node:http server answering the same JSON body. Goal: >= 0.6 of raw.
 */
import { isDeepStrictEqual } from 'node:util';
import { type Bench, fetchJson, headerBytes, withServers } from './lib/bench.js';
import { comparePair } from './lib/compare.js';
import { startServer } from './lib/processes.js';
import { BENCH_ENV, buildZaplecze, databaseNote, printProfile, ROOT, startZaplecze } from './lib/zaplecze.js';

export const health: Bench = {
  name: 'health',
  description: 'GET /health/live: Zaplecze with all global hooks vs raw node:http (goal >= 0.7)',
  async run(options) {
    await buildZaplecze({ skip: options.skipBuild });
    const report = await withServers(async (track) => {
      const zaplecze = track(await startZaplecze({}, { profile: options.profile }));
      const raw = track(
        await startServer({
          name: 'raw node:http',
          argv: [process.execPath, 'bench/baselines/raw-http.mjs'],
          cwd: ROOT,
          readyPath: '/health/live',
        }),
      );

      const path = '/health/live';
      const [a, b] = await Promise.all([
        fetchJson(`${zaplecze.url}${path}`, { expect: 200 }),
        fetchJson(`${raw.url}${path}`, { expect: 200 }),
      ]);
      if (!isDeepStrictEqual(a.body, b.body)) throw new Error(`bodies differ: ${JSON.stringify(a.body)} vs ${JSON.stringify(b.body)}`);
      const ha = headerBytes(a.headers);
      const hb = headerBytes(b.headers);

      const load = { path, connections: options.connections ?? 50, warmupS: options.warmupS ?? 3, durationS: options.durationS ?? 10 };
      return comparePair({
        name: 'health',
        title: 'GET /health/live, Zaplecze (all global hooks) vs raw node:http',
        goal: 0.7,
        rounds: options.rounds,
        smoke: options.smoke,
        candidate: { server: zaplecze, load },
        baseline: { server: raw, load },
        notes: [
          `zaplecze env: LOG_LEVEL=${BENCH_ENV.LOG_LEVEL} RATE_LIMIT_MAX=${BENCH_ENV.RATE_LIMIT_MAX}/${BENCH_ENV.RATE_LIMIT_WINDOW}; ${databaseNote()}`,
          `response headers: zaplecze ${ha.count} (~${ha.bytes} B), raw ${hb.count} (~${hb.bytes} B); same body ${JSON.stringify(a.body)}`,
        ],
      });
    });
    if (options.profile) await printProfile(report);
    return report;
  },
};

/**
 * Starting the real, compiled Zaplecze server for a benchmark: `npm run build`, then
 * `node dist/main.js` pinned to the server core with a throwaway DATA_DIR and limits raised so
 * the bench measures work, not 429s. Later module benches (catalog, files, chat) reuse this.
 */

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand, type ServerProcess, startServer } from './processes.js';
import { summariseNewestProfile } from './profile.js';
import { RESULTS_DIR, type Report } from './report.js';
import { untilQuiet } from './server-quiet.js';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Environment every bench gives the server unless it overrides a key. */
export const BENCH_ENV: Record<string, string> = {
  LOG_LEVEL: 'warn',
  // Both are at their allowed maximum; a 1 s window keeps even 100k req/s under the budget.
  RATE_LIMIT_MAX: '1000000',
  RATE_LIMIT_WINDOW: '1s',
  AUTH_RATE_LIMIT_MAX: '1000000',
  LOGIN_MAX_FAILURES: '1000',
  DEPLOYMENT: 'all-in-one',
};

let built = false;

/**
 * Compiles src/ to dist/ once per run. A failing type check (others editing src/ at the same
 * time) still emits JavaScript, so an existing dist/main.js is used with a warning.
 */
export async function buildZaplecze(options: { skip: boolean }): Promise<void> {
  if (built || options.skip) {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run without --no-build');
    return;
  }
  process.stderr.write('building: npm run build\n');
  const code = await runCommand(['npm', 'run', '--silent', 'build'], { cwd: ROOT });
  if (code !== 0) {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error(`npm run build failed (exit ${code}) and dist/main.js is missing`);
    process.stderr.write(`warning: npm run build exited with ${code}; benchmarking the JavaScript it emitted anyway\n`);
  }
  built = true;
}

/** Which database the server will use, for the printed notes. */
export function databaseNote(env: Record<string, string> = {}): string {
  const url = env.DATABASE_URL ?? process.env.DATABASE_URL;
  return url ? 'database: PostgreSQL (DATABASE_URL)' : 'database: embedded PGlite in a temporary DATA_DIR';
}

/** Where `--profile` runs leave their .cpuprofile files (open them in Chrome DevTools). */
export const PROFILE_DIR = join(RESULTS_DIR, 'profiles');

/** Prints the summary of the newest profile written by a `--profile` run, cut to the candidate's rounds. */
export async function printProfile(report: Report): Promise<void> {
  const windows = report.rounds.filter((r) => r.role === 'candidate').map((r) => r.windowUs);
  console.log(`${(await summariseNewestProfile(PROFILE_DIR, windows)).join('\n')}\n`);
}

/**
 * Starts dist/main.js with BENCH_ENV plus `env`; stopping it also deletes its DATA_DIR.
 * With `profile`, node writes a .cpuprofile into PROFILE_DIR when the server stops.
 */
export async function startZaplecze(
  env: Record<string, string> = {},
  options: { profile?: boolean /** Another checkout's root (its built dist/), for A/B runs. */; root?: string } = {},
): Promise<ServerProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-bench-'));
  try {
    const server = await startServer({
      name: 'zaplecze',
      argv: [process.execPath, ...(options.profile ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []), 'dist/main.js'],
      cwd: options.root ?? ROOT,
      env: { ...BENCH_ENV, DATA_DIR: join(dataDir, 'data'), ...env },
      readyPath: '/health/ready',
      // Migrating a fresh embedded database on one busy core can take a while.
      readyTimeoutS: 120,
    });
    // Once ready it still compiles the route schemas no request needed yet (1.5-2 s of CPU),
    // which must not be measured as the first round's work.
    await untilQuiet(server.pid);
    return {
      ...server,
      async stop() {
        await server.stop();
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/** What a benchmark file exports, and the command-line options every bench understands. */
import type { ServerProcess } from './processes.js';
import type { Report } from './report.js';

export interface BenchOptions {
  /** Rounds per side (A B A B ...). */
  rounds: number;
  /** Overrides of the bench's own defaults. */
  durationS?: number;
  warmupS?: number;
  connections?: number;
  /** Use the existing dist/ instead of running `npm run build`. */
  skipBuild: boolean;
  /** Run the candidate under `node --cpu-prof` and print where its CPU time went (slows it down). */
  profile: boolean;
  /**
   * One short round on small data, to prove the bench still runs and both sides still answer
   * the same (CI). No ratio is printed: numbers from so short a run mean nothing.
   */
  smoke: boolean;
  /** Values of the options a bench declares for itself (`Bench.flags`), by name, as given on the command line. */
  flags: Record<string, string | undefined>;
}

/** An option only one bench understands (`--size-mb` of files), listed in `--help`. */
export interface BenchFlag {
  description: string;
}

export interface Bench {
  name: string;
  /** One line for `npm run bench -- --list`. */
  description: string;
  /**
   * false: left out of `--smoke` runs of every bench (CI), because its start-up alone exceeds a
   * smoke run's budget; `npm run bench -- <name> --smoke` still runs it. Default true.
   */
  smoke?: boolean;
  /** Its own command-line options (string-valued), beyond the ones every bench understands. */
  flags?: Record<string, BenchFlag>;
  run(options: BenchOptions): Promise<Report>;
}

/** A bench's own numeric option: `fallback` when absent, an error when not a positive number. */
export function positiveFlag(options: BenchOptions, name: string, fallback: number): number {
  const raw = options.flags[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got '${raw}'`);
  return n;
}

/**
 * Runs `body` with a list to put started servers in; stops them all afterwards, even on error
 * or Ctrl-C (so no server keeps its core busy and no temporary DATA_DIR is left behind).
 */
export async function withServers<T>(body: (track: <S extends ServerProcess>(server: S) => S) => Promise<T>): Promise<T> {
  const servers: ServerProcess[] = [];
  const track = <S extends ServerProcess>(server: S): S => {
    servers.push(server);
    return server;
  };
  const stopAll = () => Promise.allSettled(servers.reverse().map((s) => s.stop()));
  let stopping = false;
  // Ctrl-C often arrives twice (from the terminal and relayed by tsx): the second must not kill us mid-cleanup.
  const interrupted = () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('interrupted: stopping servers\n');
    void stopAll().then(() => process.exit(130));
  };
  process.on('SIGINT', interrupted);
  process.on('SIGTERM', interrupted);
  try {
    return await body(track);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await stopAll();
  }
}

/** Fetches JSON, failing loudly with the body when the status is not the expected one. */
export async function fetchJson(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; expect: number },
): Promise<{ body: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: { ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const text = await res.text();
  if (res.status !== init.expect)
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}, expected ${init.expect}: ${text}`);
  return { body: text ? JSON.parse(text) : null, headers: res.headers };
}

/** Rough size of a response's header block, to explain where bytes per response go. */
export function headerBytes(headers: Headers): { count: number; bytes: number } {
  let count = 0;
  let bytes = 0;
  headers.forEach((value, name) => {
    count++;
    bytes += name.length + value.length + 4;
  });
  return { count, bytes };
}

/**
 * Runs the autocannon worker (load-worker.mjs) in a child process pinned to the load core and
 * returns what it measured.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CORES, cleanEnv, pinned } from './processes.js';

/** One load run: the request to repeat and how hard. */
export interface LoadSpec {
  /** Path on the server, e.g. '/health/live'. */
  path: string;
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Seconds of load thrown away before measuring (JIT, connection pools, caches). */
  warmupS: number;
  /** Seconds measured. */
  durationS: number;
}

/** What one measured run saw. Latencies cover 2xx responses only. */
export interface LoadResult {
  requests: number;
  durationS: number;
  reqPerSec: number;
  latencyMs: { p50: number | null; p99: number | null; max: number | null };
  status: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** Share of one core the load generator used while measuring; near 1 means it may be the bottleneck. */
  loadCpuShare: number;
  /** CPU time the server process (or processes, see runLoad's cpuPids) used while measuring (NaN without /proc). */
  serverCpuMs: number;
  /** The same as a share of one core; well below 1 means the server lost its core or was not loaded. */
  serverCpuShare: number;
  /** The server's CPU ms while measuring, per process (which of several processes burnt it). */
  serverCpuMsByPid?: Record<string, number>;
}

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

/** Throws when the worker fails; a run with non-2xx answers or errors is returned, not thrown. */
export async function runLoad(server: { url: string; pid: number; cpuPids?: readonly number[] }, spec: LoadSpec): Promise<LoadResult> {
  const payload = {
    url: `${server.url}${spec.path}`,
    serverPid: server.pid,
    // Whose CPU counts as the server's: all of them when the server is several processes.
    serverPids: server.cpuPids ?? [server.pid],
    method: spec.method ?? 'GET',
    headers: spec.headers ?? {},
    body: spec.body,
    connections: spec.connections,
    warmupS: spec.warmupS,
    durationS: spec.durationS,
  };
  return runPinnedScript(CORES.load, WORKER, payload);
}

/**
 * Runs a plain .mjs script pinned to `core` with `payload` as its JSON argument (or on stdin) and returns the
 * JSON of the last line it printed: how load workers and script baselines report.
 */
export async function runPinnedScript<T>(core: string, script: string, payload: unknown, options: { viaStdin?: boolean } = {}): Promise<T> {
  // A large payload (a thousand tokens) exceeds the argument size limit: such scripts read stdin.
  const json = JSON.stringify(payload);
  const [command, ...args] = pinned(core, [process.execPath, script, ...(options.viaStdin ? [] : [json])]);
  const child = spawn(command as string, args, { stdio: [options.viaStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: cleanEnv() });
  if (options.viaStdin) child.stdin?.end(json);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (c: Buffer) => {
    stdout += c.toString('utf8');
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr += c.toString('utf8');
  });
  const code = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c) => resolve(c ?? 1));
  });
  const line = stdout.trim().split('\n').pop();
  if (code !== 0 || !line) throw new Error(`${script} exited with ${code}:\n${stderr.slice(-2000)}`);
  return JSON.parse(line) as T;
}

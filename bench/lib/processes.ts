/**
 * Child processes for benchmarks: servers pinned to one core, readiness polling and clean
 * stops. (The load worker reads the server's CPU time from /proc by its pid.)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';

/** Cores used for the server and the load generator; override with BENCH_SERVER_CPU / BENCH_LOAD_CPU. */
export const CORES = {
  server: process.env.BENCH_SERVER_CPU ?? '0',
  load: process.env.BENCH_LOAD_CPU ?? '1',
};

/** Pinning needs taskset and two cores; without them the numbers are much noisier. */
export const PINNING = availableParallelism() >= 2 && process.env.BENCH_NO_PIN !== '1';

/** argv prefixed with `taskset -c <cpu>` when pinning is on. */
export function pinned(cpu: string, argv: string[]): string[] {
  return PINNING ? ['taskset', '-c', cpu, ...argv] : argv;
}

/**
 * Pins a process started by someone else (the split's instances and Caddy) to `cpu`, every thread
 * it has (`-a`); threads it starts later inherit the mask. No-op when pinning is off.
 */
export function pinRunning(cpu: string, pid: number): void {
  if (PINNING) execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
}

/** A free TCP port on 127.0.0.1 (tiny race between closing and the server binding it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A running server child. `pid` is the node process itself (taskset execs it). */
export interface ServerProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  /** Last lines of stderr/stdout, for error messages. */
  output(): string;
  stop(): Promise<void>;
}

export interface ServerSpec {
  /** Label shown in tables, e.g. 'zaplecze' or 'raw node:http'. */
  name: string;
  /** Command to run (without taskset), e.g. ['node', 'dist/main.js']. */
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  /** Path polled until it answers 2xx, e.g. '/health/ready'. */
  readyPath: string;
  /** Seconds to wait for readiness. */
  readyTimeoutS?: number;
}

function collectOutput(child: ChildProcess) {
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 40) lines.splice(0, lines.length - 40);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return () => lines.join('\n');
}

/** Starts `spec` on a free port (passed as PORT) pinned to the server core; resolves once ready. */
export async function startServer(spec: ServerSpec): Promise<ServerProcess> {
  const port = await freePort();
  const [command, ...args] = pinned(CORES.server, spec.argv);
  const child = spawn(command as string, args, {
    cwd: spec.cwd ?? process.cwd(),
    env: cleanEnv({ ...spec.env, PORT: String(port), HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = collectOutput(child);
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = `exited with ${signal ?? code}`;
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const server: ServerProcess = {
    name: spec.name,
    url,
    pid: child.pid ?? -1,
    output,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      // The grace timer is cleared once the child exits, so it cannot keep the bench process alive.
      let grace: NodeJS.Timeout | undefined;
      const killed = await Promise.race([
        exit.then(() => true),
        new Promise<false>((resolve) => {
          grace = setTimeout(() => resolve(false), 15_000);
        }),
      ]);
      clearTimeout(grace);
      if (!killed) {
        child.kill('SIGKILL');
        await exit;
      }
    },
  };

  const deadline = Date.now() + (spec.readyTimeoutS ?? 60) * 1000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${spec.name} ${exited} before it was ready:\n${output()}`);
    try {
      const res = await fetch(`${url}${spec.readyPath}`, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  await server.stop();
  throw new Error(`${spec.name} was not ready within ${spec.readyTimeoutS ?? 60} s:\n${output()}`);
}

/** Runs a command to completion, inheriting stdio; resolves with its exit code. */
export function runCommand(argv: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<number> {
  const [command, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(command as string, args, { cwd: options.cwd, env: cleanEnv(options.env), stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/** The environment minus a TypeScript loader inherited through NODE_OPTIONS: children run plain JavaScript. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  if (env.NODE_OPTIONS?.includes('tsx')) delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

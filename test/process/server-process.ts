/**
 * Runs the real server (`node --import tsx src/main.ts`) as a child process for tests that
 * need signals, exit codes and the data folder lock. Every started child is tracked so a
 * test's afterAll can kill whatever is still running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/split/processes.js';

export { freePort };

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly url: string;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code (or the signal name) once the child has exited. */
  readonly exited: Promise<number | string>;
}

const running = new Set<ChildProcess>();

/** Starts the server with a clean environment plus `env` (LOG_LEVEL=warn, HOST=127.0.0.1). */
export async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const port = env.PORT && /^\d+$/.test(env.PORT) ? Number(env.PORT) : await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: ROOT,
    // Only what the server needs: no DATABASE_URL, JWT_SECRET or REDIS_URL leak in from the shell.
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', HOST: '127.0.0.1', PORT: String(port), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<number | string>((resolve) => {
    child.on('exit', (code, signal) => {
      running.delete(child);
      resolve(code ?? signal ?? -1);
    });
  });
  return { child, port, url: `http://127.0.0.1:${port}`, output: () => out, exited };
}

/** Polls /health/live until it answers 200; fails with the child's output if it exits first. */
export async function waitUntilLive(server: ServerProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exitedWith: number | string | undefined;
  void server.exited.then((code) => {
    exitedWith = code;
  });
  while (Date.now() < deadline) {
    if (exitedWith !== undefined) throw new Error(`server exited with ${exitedWith} before it was live:\n${server.output()}`);
    try {
      const res = await fetch(`${server.url}/health/live`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`server was not live within ${timeoutMs} ms:\n${server.output()}`);
}

/** Waits for the exit, failing after `timeoutMs`. */
export async function exitOf(server: ServerProcess, timeoutMs = 30_000): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`server did not exit within ${timeoutMs} ms:\n${server.output()}`)), timeoutMs);
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Kills every child still running (SIGKILL); for afterAll. */
export async function killAllServers(): Promise<void> {
  const children = [...running];
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = once(child, 'exit');
      child.kill('SIGKILL');
      await gone;
    }),
  );
}

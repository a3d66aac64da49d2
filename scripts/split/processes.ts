/** Child-process helpers of the split: free ports, prefixed log lines, readiness polling, graceful stops. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The repository root: children run from here. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Detached children outlive a parent that exits without stopping them: end them with it. */
export function killOnExit(child: ChildProcess): void {
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  child.once('exit', () => process.removeListener('exit', kill));
}

/** Splits a child's output into lines, prefixed with `name`. */
export function pipeLines(child: ChildProcess, name: string, log: (line: string) => void, tail: string[]) {
  const prefix = `${name} | `;
  for (const stream of [child.stdout, child.stderr]) {
    let pending = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        tail.push(line);
        if (tail.length > 50) tail.shift();
        log(prefix + line);
      }
    });
    stream?.on('end', () => {
      if (pending) log(prefix + pending);
    });
  }
}

export async function waitFor(url: string, exited: Promise<unknown>, what: string, tail: () => string, timeoutMs: number): Promise<void> {
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`${what} exited before it was ready:\n${tail()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms:\n${tail()}`);
}

/** Runs a command to its end from the repository root; rejects with its last lines when it fails. */
export function run(command: string, args: string[], log: (line: string) => void, name: string): Promise<void> {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  pipeLines(child, name, log, tail);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} failed (${code}):\n${tail.join('\n')}`)),
    );
  });
}

/** SIGTERM, then SIGKILL when the process has not exited after `graceMs`. */
export async function terminate(child: ChildProcess, graceMs: number): Promise<void> {
  // No pid: it never started (spawn failed), so there is nothing to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

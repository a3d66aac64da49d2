/**
 * A private nats-server (JetStream, file store in a temp folder) on a free port, for tests that
 * stop and restart NATS without touching the shared server. Restarting keeps the port and the
 * store, as a real server restart does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process/server-process.js';

export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
export const natsServerInstalled = existsSync(NATS_SERVER_BINARY);

export interface PrivateNatsServer {
  readonly url: string;
  /** Kills the server (SIGKILL: no goodbye to clients) and waits for it to exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and store; resolves once it accepts connections. */
  start(): Promise<void>;
  /** Kills it and removes its store. */
  dispose(): Promise<void>;
}

export async function startPrivateNatsServer(): Promise<PrivateNatsServer> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'zaplecze-nats-'));
  let child: ChildProcess | undefined;

  async function start() {
    const proc = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = proc;
    let log = '';
    proc.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
    });
    // The server logs this line once it listens for clients.
    await new Promise<void>((resolve, reject) => {
      const onData = () => {
        if (log.includes('Server is ready')) {
          proc.stderr?.off('data', onData);
          resolve();
        }
      };
      proc.stderr?.on('data', onData);
      proc.once('exit', (code) => reject(new Error(`nats-server exited with ${code}:\n${log}`)));
    });
  }

  async function kill() {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = once(proc, 'exit');
    proc.kill('SIGKILL');
    await gone;
  }

  await start();
  return {
    url: `nats://127.0.0.1:${port}`,
    kill,
    start,
    async dispose() {
      await kill();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}

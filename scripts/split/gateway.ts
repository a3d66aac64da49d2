/**
 * Runs Caddy with the committed, generated Caddyfile (deploy/gateway/Caddyfile) in front of the
 * given upstreams, on 127.0.0.1. The topology uses it for the split; tests use it in front of
 * fake upstreams to check what the gateway itself promises (routing, retries, WebSockets).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '../../src/deployments.js';
import { CADDYFILE_PATH, upstreamsVariable } from '../gateway/caddyfile.js';
import { freePort, killOnExit, pipeLines, ROOT, terminate, waitFor } from './processes.js';

export interface GatewayOptions {
  /** 0 or unset: a free port. */
  port?: number;
  /** `host:port` of each service's instances. */
  upstreams: Record<ServiceName, readonly string[]>;
  /** The folder with openapi.json and docs/ (GATEWAY_SITE). */
  site: string;
  /** The Caddy binary; default `caddy` on PATH. */
  caddy?: string;
  log?: (line: string) => void;
  timeoutMs?: number;
}

export interface Gateway {
  readonly url: string;
  readonly pid: number;
  /** Resolves once Caddy has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM (Caddy drains gracefully), SIGKILL after 10 s. Idempotent. */
  stop(): Promise<void>;
}

/** Starts Caddy and resolves once its own /health/live answers. */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const log = options.log ?? (() => {});
  const port = options.port || (await freePort());
  const home = await mkdtemp(join(tmpdir(), 'zaplecze-gateway-'));
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    // Caddy keeps its autosaved config and data here, not in the user's home.
    HOME: home,
    XDG_CONFIG_HOME: join(home, 'config'),
    XDG_DATA_HOME: join(home, 'data'),
    PORT: String(port),
    GATEWAY_SITE: options.site,
  };
  for (const [service, upstreams] of Object.entries(options.upstreams)) {
    if (!upstreams.length) throw new Error(`the gateway needs at least one ${service} upstream`);
    env[upstreamsVariable(service as ServiceName)] = upstreams.join(' ');
  }
  const child = spawn(options.caddy ?? 'caddy', ['run', '--config', CADDYFILE_PATH, '--adapter', 'caddyfile'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so a terminal's Ctrl-C does not stop it before the instances drained.
    detached: true,
  });
  killOnExit(child);
  const tail: string[] = [];
  pipeLines(child, 'gateway', log, tail);
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => resolve());
    child.on('error', (err) => {
      tail.push(`cannot run caddy: ${err.message}`);
      resolve();
    });
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= terminate(child, 10_000).then(() => rm(home, { recursive: true, force: true }));
    return stopped;
  };
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(`${url}/health/live`, exited, 'the gateway (Caddy)', () => tail.join('\n'), options.timeoutMs ?? 30_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, pid: child.pid ?? -1, exited, stop };
}

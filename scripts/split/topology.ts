/**
 * The split on one machine: identity, commerce, realtime and worker instances as child processes
 * (`node dist/main.js`, one DEPLOYMENT each) on loopback, behind Caddy with the generated
 * Caddyfile. Used by `npm run start:split`, the split journey test and the split bench.
 *
 * The instances share PostgreSQL, Redis and NATS from `env` (required), a bucket (the configured
 * one, or an s3rver started here), the JWT secret and the sandbox webhook secret. Every output
 * line goes to `log`, prefixed with its instance (`commerce-2 | ...`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DeploymentName, ServiceName } from '../../src/deployments.js';
import { startGateway } from './gateway.js';
import { freePort, killOnExit, pipeLines, ROOT, run, terminate, waitFor } from './processes.js';

export { freePort } from './processes.js';
/** The exported OpenAPI document and Swagger UI the gateway serves (`npm run build:gateway`). */
export const GATEWAY_SITE = join(ROOT, 'dist/gateway');

type SplitDeployment = Exclude<DeploymentName, 'all-in-one'>;
const ORDER: readonly SplitDeployment[] = ['identity', 'commerce', 'realtime', 'worker'];
const ROUTED: readonly ServiceName[] = ['identity', 'commerce', 'realtime'];

export interface SplitOptions {
  /** The instances' environment: DATABASE_URL, REDIS_URL and NATS_URL are required; anything else is passed on. */
  env: NodeJS.ProcessEnv;
  /** Instances per deployable; default 1 each. */
  replicas?: Partial<Record<SplitDeployment, number>>;
  /** The gateway's port on 127.0.0.1; 0 or unset: a free one. */
  port?: number;
  /** Receives every line of every process, prefixed with its name; default: stdout. */
  log?: (line: string) => void;
  /** Compile dist/ and export the gateway site first when src/ is newer (`npm run build:gateway` does both); default true. */
  build?: boolean;
  /**
   * Own REDIS_KEY_PREFIX and NATS_STREAM, so the split runs beside other users of the same Redis
   * and NATS (tests): `true` picks a random one. Default: what `env` says.
   */
  namespace?: string | boolean;
  /** The Caddy binary; default `caddy` on PATH. */
  caddy?: string;
  /** Milliseconds to wait for each instance's readiness and the gateway; default 60 s. */
  startTimeoutMs?: number;
  /** Aborting stops everything, also while starting (startSplit then rejects). */
  signal?: AbortSignal;
}

export interface Instance {
  /** `commerce-2` */
  readonly name: string;
  readonly deployment: SplitDeployment;
  readonly port: number;
  /** Direct URL, bypassing the gateway. */
  readonly url: string;
  /** The current process's pid (changes on restart). */
  readonly pid: number;
  /** Sends a signal to the current process (SIGTERM: graceful, SIGKILL: a crash). */
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when ended by a signal) of the current process. */
  readonly exited: Promise<number | null>;
  /** SIGTERM (when still running) and waits for the exit, starts it again on the same port, waits until /health/ready answers 200. */
  restart(): Promise<void>;
}

export interface Split {
  /** The gateway, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly instances: readonly Instance[];
  readonly gateway: { readonly pid: number; stop(): Promise<void> };
  /** The instance named `commerce-2`; throws for an unknown name. */
  instance(name: string): Instance;
  /** The environment every instance got (secrets, engines, bucket), for tests that open the same engines. */
  readonly env: Readonly<Record<string, string>>;
  /** SIGTERM to every instance, wait for them, then stop Caddy and the s3rver. Idempotent. */
  stop(): Promise<void>;
}

function required(env: NodeJS.ProcessEnv): Record<'DATABASE_URL' | 'REDIS_URL' | 'NATS_URL', string> {
  const missing = (['DATABASE_URL', 'REDIS_URL', 'NATS_URL'] as const).filter((key) => !env[key]);
  if (missing.length) {
    throw new Error(
      `The split needs shared engines: set ${missing.join(', ')} (e.g. DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS_URL=redis://127.0.0.1:6379 NATS_URL=nats://127.0.0.1:4222)`,
    );
  }
  return { DATABASE_URL: env.DATABASE_URL as string, REDIS_URL: env.REDIS_URL as string, NATS_URL: env.NATS_URL as string };
}

/** An s3rver on loopback with one bucket, in its own temp folder. */
async function startS3rver(): Promise<{ env: Record<string, string>; close(): Promise<void> }> {
  // @ts-expect-error s3rver ships no types
  const { default: S3rver } = await import('s3rver');
  const directory = await mkdtemp(join(tmpdir(), 'zaplecze-split-s3-'));
  const bucket = 'zaplecze-split';
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const address = (await server.run()) as { port: number };
  return {
    env: {
      S3_BUCKET: bucket,
      S3_ENDPOINT: `http://127.0.0.1:${address.port}`,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    },
    async close() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Starts the whole split and resolves once every instance is ready and the gateway answers. */
export async function startSplit(options: SplitOptions): Promise<Split> {
  const log = options.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const timeoutMs = options.startTimeoutMs ?? 60_000;
  const engines = required(options.env);
  const cleanups: (() => Promise<void>)[] = [];
  const children = new Set<ChildProcess>();
  const instances: InstanceImpl[] = [];
  let stopped: Promise<void> | undefined;

  const stop = () => {
    stopped ??= (async () => {
      await Promise.all([...children].map((child) => terminate(child, 30_000)));
      for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    })();
    return stopped;
  };

  options.signal?.addEventListener('abort', () => void stop(), { once: true });
  try {
    options.signal?.throwIfAborted();
    if (options.build !== false) await buildWhenStale(log);
    if (!existsSync(join(GATEWAY_SITE, 'openapi.json'))) throw new Error('dist/gateway/openapi.json is missing: run npm run build:gateway');
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run npm run build (or pass build: true)');

    const port = options.port || (await freePort());
    const url = `http://127.0.0.1:${port}`;
    let storage: Record<string, string> = {};
    if (!options.env.S3_BUCKET) {
      const s3 = await startS3rver();
      cleanups.push(() => s3.close());
      storage = s3.env;
      log(`split | files: s3rver at ${s3.env.S3_ENDPOINT}, bucket ${s3.env.S3_BUCKET}`);
    }
    const namespace = options.namespace === true ? `split${randomBytes(4).toString('hex')}` : options.namespace || undefined;
    const shared: Record<string, string> = {
      ...definedOnly(options.env),
      ...engines,
      ...storage,
      JWT_SECRET: options.env.JWT_SECRET || randomBytes(32).toString('hex'),
      PAYMENT_SANDBOX_WEBHOOK_SECRET: options.env.PAYMENT_SANDBOX_WEBHOOK_SECRET || randomBytes(32).toString('hex'),
      PAYMENT_PROVIDER: options.env.PAYMENT_PROVIDER || 'sandbox',
      PUBLIC_URL: url,
      // Caddy connects from loopback: the services take X-Forwarded-* from it and nobody else.
      TRUST_PROXY: '127.0.0.1',
      SHUTDOWN_DELAY: options.env.SHUTDOWN_DELAY || '2s',
      HOST: '127.0.0.1',
      ...(namespace ? { REDIS_KEY_PREFIX: `${namespace}:`, NATS_STREAM: namespace } : {}),
    };
    // Seven processes cannot share one metrics port; 0 gives each its own.
    if (shared.METRICS_PORT) shared.METRICS_PORT = '0';

    const replicas = options.replicas ?? {};
    for (const deployment of ORDER) {
      const count = replicas[deployment] ?? 1;
      for (let i = 1; i <= count; i++) {
        const dataDir = await mkdtemp(join(tmpdir(), `zaplecze-split-${deployment}-${i}-`));
        cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
        instances.push(
          new InstanceImpl(
            `${deployment}-${i}`,
            deployment,
            await freePort(),
            { ...shared, DATA_DIR: dataDir },
            log,
            children,
            timeoutMs,
            () => stopped !== undefined,
          ),
        );
      }
    }
    for (const service of ROUTED) {
      if (!instances.some((i) => i.deployment === service)) throw new Error(`the gateway needs at least one ${service} instance`);
    }
    // All at once: migrations are serialized by the database's advisory lock.
    await Promise.all(instances.map((instance) => instance.start()));

    options.signal?.throwIfAborted();
    const gateway = await startGateway({
      port,
      upstreams: Object.fromEntries(
        ROUTED.map((service) => [service, instances.filter((i) => i.deployment === service).map((i) => `127.0.0.1:${i.port}`)]),
      ) as Record<ServiceName, string[]>,
      site: GATEWAY_SITE,
      caddy: options.caddy,
      log,
      timeoutMs,
    });
    cleanups.push(() => gateway.stop());
    log(`split | ready: ${url} (${instances.map((i) => `${i.name} :${i.port}`).join(', ')})`);

    return {
      url,
      instances,
      env: shared,
      gateway,
      instance(name: string) {
        const found = instances.find((i) => i.name === name);
        if (!found) throw new Error(`no instance ${name}; there are ${instances.map((i) => i.name).join(', ')}`);
        return found;
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/**
 * Compiles dist/ and exports the gateway site when src/ changed since, one process at a time:
 * several test files may start a split at once, and one must not rewrite dist/ under the other's
 * running instances.
 */
async function buildWhenStale(log: (line: string) => void): Promise<void> {
  await mkdir(join(ROOT, 'dist'), { recursive: true });
  const lockFile = join(ROOT, 'dist/.split-build.lock');
  for (;;) {
    try {
      await writeFile(lockFile, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      // A builder that died leaves its lock behind: a build never takes this long.
      if (Date.now() - modifiedAt(lockFile) > 180_000) await rm(lockFile, { force: true });
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    const sources = newestSource(join(ROOT, 'src'));
    if (sources > modifiedAt(join(ROOT, 'dist/main.js'))) await run(process.execPath, ['scripts/build.mjs', 'server'], log, 'build');
    // Exporting the document opens an embedded database (seconds).
    if (sources > modifiedAt(join(GATEWAY_SITE, 'openapi.json'))) await run(process.execPath, ['scripts/gateway-site.mjs'], log, 'build');
  } finally {
    await rm(lockFile, { force: true });
  }
}

function modifiedAt(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

class InstanceImpl implements Instance {
  readonly url: string;
  private child: ChildProcess | undefined;
  private exit: Promise<number | null> = Promise.resolve(null);
  private readonly tail: string[] = [];

  constructor(
    readonly name: string,
    readonly deployment: SplitDeployment,
    readonly port: number,
    private readonly env: Record<string, string>,
    private readonly log: (line: string) => void,
    private readonly running: Set<ChildProcess>,
    private readonly timeoutMs: number,
    private readonly stopping: () => boolean,
  ) {
    this.url = `http://127.0.0.1:${port}`;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  get exited(): Promise<number | null> {
    return this.exit;
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child?.kill(signal);
  }

  async start(): Promise<void> {
    if (this.stopping()) throw new Error(`${this.name}: the split is stopping`);
    const child = spawn(process.execPath, ['dist/main.js'], {
      cwd: ROOT,
      env: { ...this.env, DEPLOYMENT: this.deployment, PORT: String(this.port) },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a terminal's Ctrl-C reaches only the parent, which stops the
      // instances one signal each (a second signal would make an instance exit mid-drain).
      detached: true,
    });
    killOnExit(child);
    this.child = child;
    this.running.add(child);
    pipeLines(child, this.name, this.log, this.tail);
    this.exit = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        this.running.delete(child);
        this.log(`split | ${this.name} exited (${signal ?? `code ${code}`})`);
        resolve(code);
      });
    });
    await waitFor(`${this.url}/health/ready`, this.exit, this.name, () => this.tail.join('\n'), this.timeoutMs);
  }

  async restart(): Promise<void> {
    // A running instance is stopped gracefully first: a rolling restart is `await instance.restart()` per instance.
    if (this.child) await terminate(this.child, 30_000);
    await this.start();
  }
}

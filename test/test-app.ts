/**
 * Builds a complete app for a test: its own database copy (PGlite, or PostgreSQL when
 * TEST_DATABASE_URL is set), Redis when TEST_REDIS_URL is set (own key prefix), a fake
 * clock, silent logs, and helpers to make users and tokens.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { DEPLOYMENTS, type DeploymentName } from '../src/deployments.js';
import { EVENT_SCHEMAS } from '../src/events.js';
import type { EventBus } from '../src/platform/bus/event-bus.js';
import { createLogger } from '../src/platform/log.js';
import { readOutbox } from '../src/platform/mail/mailer.js';
import { closePlatform, type ModuleFactory, openPlatform, type Platform } from '../src/platform/platform.js';
import { loadAppConfig } from '../src/settings.js';
import { createAnswerContract, type OpenApiPaths } from './contract/answer-contract.js';
import { createFakeClock, type FakeClock } from './fake-clock.js';
import { openTestDatabase } from './test-databases.js';

export const ADMIN = { email: 'admin@test.local', password: 'admin-password-for-tests' };
export const DEFAULT_PASSWORD = 'a-perfectly-fine-passphrase';

export type RequestOptions = InjectOptions & { token?: string; contract?: false };

export interface TestApp {
  http: FastifyInstance;
  platform: Platform;
  clock: FakeClock;
  /** Marks the app as draining (/health/ready answers 503), as SIGTERM does. */
  drain(): void;
  /** `METHOD /path` of every route the app serves. */
  routes: readonly string[];
  /** The metrics listener's port when the test passed METRICS_PORT (use '0'). */
  metricsPort: number | undefined;
  /** Compiles every route schema no request has needed yet (the server does this once it listens). */
  compileSchemas(): Promise<void>;
  /**
   * http.inject with an optional bearer token. It throws when the answer breaks the contract: a
   * status the OpenAPI document does not declare for the operation, or an error that is not a
   * problem document (test/contract/answer-contract.ts). `contract: false` turns that off, only
   * for a test that breaks the server on purpose or calls a test-only route.
   */
  request(options: RequestOptions): Promise<LightMyRequestResponse>;
  /**
   * Registers a user and returns it with an access token and a refresh token. `verified`: also
   * confirms the address with the mailed token (a password reset goes only to a confirmed one).
   */
  createUser(overrides?: { email?: string; password?: string; name?: string; verified?: boolean }): Promise<TestUser>;
  /** Logs in as the configured admin. */
  admin(): Promise<TestUser>;
  login(email: string, password: string): Promise<TestUser>;
  /** Waits for a mail to `to` (sent in the background) and returns the newest. */
  mailTo(to: string, subject?: RegExp): Promise<{ subject: string; text: string }>;
  close(): Promise<void>;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
  refreshToken: string;
  sessionId: string;
}

let counter = 0;

/**
 * Options: extra environment (as strings, like the real one), which modules to run, and a logger
 * to capture logs. `deployment`: build as that deployable (default all-in-one). `webRoot`: a built web client to serve at /app/ (default: none). `shareWith`: a second instance of the same cluster, on the other app's
 * database, JWT secret and Redis key prefix (close it before the other app), not its bus: without
 * NATS each app has its own in-process bus, so a service's session mirror hears nothing of the other.
 */
export async function createTestApp(
  options: {
    env?: Record<string, string>;
    modules?: ModuleFactory[];
    /** Build as this deployable (its modules, and whether it serves routes, background work and `/`). */
    deployment?: DeploymentName;
    log?: Logger;
    shareWith?: TestApp;
    webRoot?: string;
    /** The bus transport instead of the one the env picks (a test's stand-in for a bus that is down). */
    bus?: EventBus;
  } = {},
): Promise<TestApp> {
  const dataDir = await mkdtemp(join(tmpdir(), 'zaplecze-app-'));
  const redisUrl = process.env.TEST_REDIS_URL || undefined;
  const shared = options.shareWith?.platform;
  const config = loadAppConfig({
    DATA_DIR: dataDir,
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    RATE_LIMIT_MAX: '100000',
    AUTH_RATE_LIMIT_MAX: '100000',
    PASSWORD_HASH_CONCURRENCY: '2',
    // Hashing at the OWASP cost (~15 ms a hash, more under load) was a large share of the suite;
    // src/platform/auth/passwords.test.ts checks that cost. Tests may pass the defaults back.
    PASSWORD_HASH_MEMORY_KIB: '8',
    PASSWORD_HASH_TIME_COST: '1',
    // Explicit, as a deployment on PostgreSQL must be; Stripe tests pass PAYMENT_PROVIDER=stripe.
    PAYMENT_PROVIDER: 'sandbox',
    ...(redisUrl ? { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `test-${process.pid}-${randomBytes(4).toString('hex')}:` } : {}),
    ...(shared ? { JWT_SECRET: shared.config.JWT_SECRET as string, REDIS_KEY_PREFIX: shared.config.REDIS_KEY_PREFIX } : {}),
    ...options.env,
  });
  const clock = createFakeClock();
  const database = shared ? { ...shared.database, close: async () => {} } : await openTestDatabase(inject('testTemplate'));
  const platform = await openPlatform(config, options.log ?? createLogger(config.LOG_LEVEL), {
    events: EVENT_SCHEMAS,
    database,
    clock,
    bus: options.bus,
  });
  // No web client unless a test asks for one, so results do not depend on a local dist/web build.
  const webRoot = options.webRoot ?? join(dataDir, 'no-web-build');
  const deployable = DEPLOYMENTS[options.deployment ?? 'all-in-one'];
  const app = await buildApp(platform, options.modules ?? deployable.modules, { ...deployable, webRoot }).catch(async (err) => {
    await closePlatform(platform);
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  });
  const http = app.http;

  // Built on the first request: the document is complete only once the app is ready.
  let contract: ReturnType<typeof createAnswerContract> | undefined;
  const request: TestApp['request'] = async ({ token, headers, contract: judged, ...rest }) => {
    const res = await http.inject({ ...rest, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
    if (judged === false) return res;
    contract ??= createAnswerContract(http.swagger() as OpenApiPaths);
    const url = rest.url ?? rest.path ?? '/';
    const broken = contract(rest.method ?? 'GET', typeof url === 'string' ? url : (url.pathname ?? '/'), res);
    if (broken) throw new Error(`${broken}: ${res.body.slice(0, 300)}`);
    return res;
  };

  async function login(email: string, password: string): Promise<TestUser> {
    const res = await request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`login of ${email} failed: ${res.statusCode} ${res.body}`);
    const body = res.json();
    const claims = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString());
    return { id: body.user.id, email, password, token: body.accessToken, refreshToken: body.refreshToken, sessionId: claims.sid };
  }

  async function mailTo(to: string, subject?: RegExp) {
    for (let i = 0; i < 100; i++) {
      const [mail] = (await readOutbox(platform.db, to, 20)).filter((m) => !subject || subject.test(m.subject));
      if (mail) return mail;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no mail to ${to}${subject ? ` matching ${subject}` : ''}`);
  }

  async function verify(email: string) {
    const token = /Token: (\S+)/.exec((await mailTo(email, /Confirm/)).text)?.[1];
    const res = await request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: { token } });
    if (res.statusCode !== 200) throw new Error(`verification of ${email} failed: ${res.statusCode} ${res.body}`);
  }

  return {
    http,
    platform,
    clock,
    drain: app.drain,
    routes: app.routes,
    metricsPort: app.metricsPort,
    compileSchemas: app.compileSchemas,
    request,
    login,
    async createUser(overrides = {}) {
      counter += 1;
      const email = overrides.email ?? `user${counter}-${randomBytes(3).toString('hex')}@test.local`;
      const password = overrides.password ?? DEFAULT_PASSWORD;
      const res = await request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email, password, name: overrides.name ?? `User ${counter}` },
      });
      if (res.statusCode !== 202) throw new Error(`register failed: ${res.statusCode} ${res.body}`);
      if (overrides.verified) await verify(email);
      return login(email, password);
    },
    admin: () => login(ADMIN.email, ADMIN.password),
    mailTo,
    async close() {
      await http.close();
      await closePlatform(platform);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The infrastructure every module receives, opened from config: the database (migrated), the
 * cache and rate-limit store, the event bus, mail, tokens and password hashing. Which adapter
 * backs each port is decided here and nowhere else.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type AccessTokens, createAccessTokens } from './auth/access-tokens.js';
import { resolveJwtSecret } from './auth/jwt-secret.js';
import { createPasswordHasher, type PasswordHasher } from './auth/passwords.js';
import { createDeliveryLedger } from './bus/delivery-ledger.js';
import { createMemoryBus, type EventBus } from './bus/event-bus.js';
import { createOutboxRelay, type OutboxRelay } from './bus/outbox.js';
import { type EventSchemas, type TypedEventBus, typedEventBus } from './bus/typed-events.js';
import type { KeyValueStore } from './cache/key-value-store.js';
import { createMemoryStore } from './cache/memory-store.js';
import { type Clock, systemClock } from './clock.js';
import type { PlatformConfig } from './config.js';
import { type Database, type Db, openDatabase } from './db/database.js';
import { statementTelemetry } from './db/statement-telemetry.js';
import type { SessionGate } from './http/access.js';
import type { CorsHeaders } from './http/security.js';
import type { Job } from './jobs.js';
import { createOutboxMailer, type Mailer } from './mail/mailer.js';
import { disabledMetrics, type Metrics, type MetricsRegistry } from './metrics/metrics.js';
import { registerPlatformMetrics } from './metrics/platform-metrics.js';
import { createMemoryRealtime } from './realtime/memory-realtime.js';
import type { RealtimePort } from './realtime/realtime.js';
import type { BlobStorage } from './storage/blob-storage.js';
import { openBlobStorage } from './storage/open-storage.js';
import { spanTally } from './tracing/tracing.js';

/** What a module factory is given. A module takes only what it uses. */
export interface Platform {
  readonly config: PlatformConfig;
  readonly database: Database;
  readonly db: Db;
  /**
   * The key-value store of one consumer (`identity`, `weather`, ...): a bounded in-memory store
   * of its own, so one module's flood of keys cannot evict another's (login-throttle counters
   * must survive a burst of weather lookups), or Redis under `<REDIS_KEY_PREFIX><namespace>:`.
   * The same namespace always gets the same store.
   */
  cacheFor(namespace: string, maxEntries?: number): KeyValueStore;
  /** The event bus, typed over every module's events; payloads are checked at the consumer. */
  readonly bus: TypedEventBus;
  /**
   * The process's one outbox relay: publishes events written with `enqueueEvent` in committed
   * transactions. Started by the app after the modules; `kick()` it after such a commit.
   */
  readonly relay: OutboxRelay;
  readonly mailer: Mailer;
  readonly clock: Clock;
  readonly tokens: AccessTokens;
  readonly passwords: PasswordHasher;
  readonly log: Logger;
  /** Present when REDIS_URL is set; shared by the rate limiter and the cache. */
  readonly redis: Redis | undefined;
  /** Blob storage: an S3 bucket when S3_BUCKET is set, else DATA_DIR/files on local disk. */
  readonly storage: BlobStorage;
  /** Fan-out and presence across instances: Redis pub/sub when REDIS_URL is set, else in-process. */
  readonly realtime: RealtimePort;
  /**
   * Where a module registers its domain metrics (counters of outcomes, gauges read at scrape
   * time), once, in its factory. A no-op when METRICS_PORT is unset.
   */
  readonly metrics: Metrics;
  /** The same metrics as Prometheus text, for the app's metrics listener; undefined when METRICS_PORT is unset. */
  readonly metricsRegistry: MetricsRegistry | undefined;
}

/** A module as the app sees it: routes under /api/v1, plus optional lifecycle and auth hooks. */
export interface AppModule {
  readonly name: string;
  readonly routes: FastifyPluginAsync;
  /** Routes at the server root instead of /api/v1, for external contracts that fix their own paths. */
  readonly rootRoutes?: FastifyPluginAsync;
  /** Lets the access guard refuse tokens of revoked sessions or disabled users. */
  readonly sessionGate?: SessionGate;
  /** Request and response headers of the module's own protocol that browsers on allowed origins may use. */
  readonly corsHeaders?: CorsHeaders;
  /** A paragraph for the OpenAPI description: how this deployment of the module behaves (e.g. a test gateway). */
  readonly openApiNote?: string;
  /**
   * Background jobs, started by the app after every module's `start` and stopped before `stop`;
   * only where the deployable runs background work (all-in-one, the worker).
   */
  readonly jobs?: readonly Job[];
  /**
   * Subscribes the module's event consumers, after `start`; returns their unsubscribe functions.
   * Like jobs, only where the deployable runs background work.
   */
  subscribe?(): Array<() => void>;
  /** Runs once after migrations, before the server listens (e.g. seeding the first admin). */
  start?(): Promise<void>;
  /** Runs on shutdown, after the server stopped taking requests. */
  stop?(): Promise<void>;
  /**
   * Loads demo data; idempotent. Run by `npm run seed` (scripts/seed.ts), never by the server;
   * log what was created with the module's logger.
   */
  seed?(): Promise<void>;
}

/** Builds a module from the platform. */
export type ModuleFactory = (platform: Platform) => AppModule;

/** What the app hands the platform, and parts a caller (tests, benches) may supply instead of having them opened from config. */
export interface PlatformOptions {
  /** Every module's event schemas merged (src/events.ts): the bus checks payloads against them. */
  events: EventSchemas;
  database?: Database;
  clock?: Clock;
  mailer?: Mailer;
  bus?: EventBus;
}

/**
 * Opens every port's adapter as the config says, and migrates the database. The adapters of
 * services that are not configured are never loaded: importing their clients (ioredis, NATS,
 * nodemailer; the S3 SDK and pg in their own ports) was about half a CPU second of every start.
 */
export async function openPlatform(config: PlatformConfig, log: Logger, options: PlatformOptions): Promise<Platform> {
  const clock = options.clock ?? systemClock;
  const database =
    options.database ??
    (config.DATABASE_URL
      ? await openDatabase({ engine: 'postgres', url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE })
      : await openDatabase({ engine: 'pglite', dataDir: config.DATA_DIR }));
  try {
    if (!options.database) await database.migrate();
    const onRedis = config.REDIS_URL ? await openRedis(config.REDIS_URL) : undefined;
    const redis = onRedis?.redis;
    const caches = new Map<string, KeyValueStore>();
    const cacheFor = (namespace: string, maxEntries = 100_000) => {
      let store = caches.get(namespace);
      if (!store) {
        store = onRedis
          ? onRedis.createRedisStore(onRedis.redis, `${config.REDIS_KEY_PREFIX}${namespace}:`)
          : createMemoryStore({ clock, maxEntries });
        caches.set(namespace, store);
      }
      return store;
    };
    const secret = await resolveJwtSecret(config.JWT_SECRET, config.DATA_DIR);
    const storage = await openBlobStorage(config);
    const realtimeLog = log.child({ port: 'realtime' });
    const realtime = onRedis
      ? await onRedis.createRedisRealtime({ redis: onRedis.redis, prefix: config.REDIS_KEY_PREFIX, log: realtimeLog })
      : createMemoryRealtime(realtimeLog);
    const transport = options.bus ?? (await openBus(config, database.db, log.child({ port: 'bus' })));
    const passwords = createPasswordHasher({
      concurrency: config.PASSWORD_HASH_CONCURRENCY,
      cost: { memoryKib: config.PASSWORD_HASH_MEMORY_KIB, timeCost: config.PASSWORD_HASH_TIME_COST },
    });
    // prom-client is loaded only when metrics are on.
    const metricsRegistry =
      config.METRICS_PORT === undefined ? undefined : (await import('./metrics/prom-registry.js')).createMetricsRegistry();
    const metrics = metricsRegistry ?? disabledMetrics;
    // Tracing starts before the platform (main.ts), so its tally is known here.
    registerPlatformMetrics(metrics, { database, redis, bus: transport, passwords, spans: spanTally() });
    database.observe(statementTelemetry(metrics));
    const mailLog = log.child({ port: 'mail' });
    const mailer =
      options.mailer ??
      (config.SMTP_URL
        ? (await import('./mail/smtp-mailer.js')).createSmtpMailer({ url: config.SMTP_URL, from: config.MAIL_FROM, log: mailLog })
        : createOutboxMailer({ db: database.db, log: mailLog, clock }));
    return {
      config,
      database,
      db: database.db,
      cacheFor,
      bus: typedEventBus(transport, options.events),
      relay: createOutboxRelay({ db: database.db, bus: transport, log: log.child({ port: 'outbox' }) }),
      mailer,
      clock,
      tokens: createAccessTokens({ secret, ttlMs: config.ACCESS_TOKEN_TTL, clock }),
      passwords,
      log,
      redis,
      storage,
      realtime,
      metrics,
      metricsRegistry,
    };
  } catch (err) {
    await database.close();
    throw err;
  }
}

/** The NATS bus when NATS_URL is set, else the in-process one; both dedupe and dead-letter in the database. */
async function openBus(config: PlatformConfig, db: Db, log: Logger): Promise<EventBus> {
  const ledger = createDeliveryLedger(db);
  const policy = { maxDeliveries: config.EVENT_MAX_DELIVERIES, retryBackoffMs: config.EVENT_RETRY_BACKOFF };
  if (!config.NATS_URL) return createMemoryBus({ log, ledger, policy });
  const { createNatsBus } = await import('./bus/nats-bus.js');
  return createNatsBus({ url: config.NATS_URL, stream: config.NATS_STREAM, connectionName: config.DEPLOYMENT, ledger, policy, log });
}

/** A Redis connection with its adapters, loaded only when REDIS_URL is set. */
async function openRedis(url: string) {
  const [connection, store, realtime] = await Promise.all([
    import('./cache/redis-connection.js'),
    import('./cache/redis-store.js'),
    import('./realtime/redis-realtime.js'),
  ]);
  return {
    redis: await connection.connectRedis(url),
    createRedisStore: store.createRedisStore,
    createRedisRealtime: realtime.createRedisRealtime,
  };
}

/** Closes what `openPlatform` opened, in reverse order. */
export async function closePlatform(platform: Platform) {
  await platform.relay.stop();
  await platform.bus.close();
  await platform.realtime.close();
  await platform.redis?.quit().catch(() => {});
  await platform.storage.close();
  await platform.database.close();
}

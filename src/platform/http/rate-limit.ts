/**
 * A per-IP request budget over the whole API, in memory or in Redis so every instance shares
 * it. Routes tighten it with `config.rateLimit` or opt out with `config: { rateLimit: false }`
 * (health checks). Exceeding it answers 429 problem details with Retry-After.
 *
 * When Redis fails, requests pass unlimited (`skipOnError`) rather than all failing with 500:
 * an outage of the limiter must not become an outage of the API. The failure is logged once
 * per outage and every skipped count is counted.
 */
import { createRequire } from 'node:module';
import rateLimit, { type FastifyRateLimitOptions, type FastifyRateLimitStore, type FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimited } from './errors.js';

/** What the limiter saw; a later metrics export reads it. */
export interface RateLimitStats {
  /** Requests let through unlimited because the shared store failed. */
  storeErrors(): number;
}

type StoreParams = FastifyRateLimitOptions & { continueExceeding?: boolean; exponentialBackoff?: boolean };
type RedisStoreCtor = new (continueExceeding: boolean, exponentialBackoff: boolean, redis: Redis, key: string) => FastifyRateLimitStore;

// The plugin's own Redis store (its tested Lua script); the package ships it without types.
const PluginRedisStore = createRequire(import.meta.url)('@fastify/rate-limit/store/RedisStore.js') as RedisStoreCtor;

/** The plugin's Redis store, reporting every answer to `report` (a failure before the plugin skips it). */
function reportingRedisStore(redis: Redis, nameSpace: string, report: (err: Error | null) => void): FastifyRateLimitStoreCtor {
  const wrap = (inner: FastifyRateLimitStore): FastifyRateLimitStore => ({
    incr(key, callback, timeWindow, max) {
      inner.incr(
        key,
        (err, result) => {
          report(err);
          callback(err, result);
        },
        timeWindow,
        max,
      );
    },
    child: (routeOptions) => wrap(inner.child(routeOptions)),
  });
  return class {
    constructor(params: StoreParams) {
      // biome-ignore lint/correctness/noConstructorReturn: the plugin instantiates the store class itself.
      return wrap(new PluginRedisStore(params.continueExceeding ?? false, params.exponentialBackoff ?? false, redis, nameSpace));
    }
  } as unknown as FastifyRateLimitStoreCtor;
}

/** Tracks one outage at a time: logs when the store starts failing, counts every failure. */
function createOutageReporter(log: FastifyBaseLogger) {
  let errors = 0;
  let failing = false;
  return {
    report(err: Error | null) {
      if (err) {
        errors += 1;
        if (!failing) log.error({ err }, 'rate limit: Redis failed; requests pass unlimited until it answers');
        failing = true;
      } else if (failing) {
        failing = false;
        log.info({ skippedSoFar: errors }, 'rate limit: Redis answers again');
      }
    },
    errors: () => errors,
  };
}

export async function installRateLimit(
  app: FastifyInstance,
  options: { max: number; windowMs: number; redis: Redis | undefined; keyPrefix: string },
): Promise<RateLimitStats> {
  const outage = createOutageReporter(app.log);
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    skipOnError: true,
    ...(options.redis ? { store: reportingRedisStore(options.redis, `${options.keyPrefix}rl:`, outage.report) } : {}),
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      RateLimited(`Rate limit of ${context.max} requests per ${context.after} window exceeded; retry in ${context.after}`),
  });
  return { storeErrors: outage.errors };
}

/**
 * A per-IP request budget over the whole API, in memory or in Redis so every instance shares
 * it. Routes tighten it with `config.rateLimit` or opt out with `config: { rateLimit: false }`
 * (health checks). Exceeding it answers 429 problem details with Retry-After.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { RateLimited } from './errors.js';

export async function installRateLimit(
  app: FastifyInstance,
  options: { max: number; windowMs: number; redis: Redis | undefined; keyPrefix: string },
) {
  await app.register(rateLimit, {
    global: true,
    max: options.max,
    timeWindow: options.windowMs,
    ...(options.redis ? { redis: options.redis, nameSpace: `${options.keyPrefix}rl:` } : {}),
    keyGenerator: (request) => request.ip,
    errorResponseBuilder: (_request, context) =>
      RateLimited(`Rate limit of ${context.max} requests per ${context.after} window exceeded; retry in ${context.after}`),
  });
}

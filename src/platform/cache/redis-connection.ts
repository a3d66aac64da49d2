/** One ioredis connection per process for caches and rate limits. */
import { Redis } from 'ioredis';
import { tracingOn } from '../tracing/tracing.js';
import { traceRedisCommands } from './redis-spans.js';

/** Connects and waits until Redis answers, so a wrong REDIS_URL fails the start, not a request. */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  await redis.connect();
  await redis.ping();
  if (tracingOn()) traceRedisCommands(redis);
  return redis;
}

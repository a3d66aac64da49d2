/** The real KeyValueStore on Redis, shared by every instance. Keys are namespaced by `prefix`. */
import type { Redis } from 'ioredis';
import type { KeyValueStore } from './key-value-store.js';

// INCR and set the expiry only on creation, atomically, so concurrent instances agree on the window.
const INCREMENT = `local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n`;

/** Wraps a connected ioredis client. `close` does not quit the shared client. */
export function createRedisStore(redis: Redis, prefix = 'zaplecze:'): KeyValueStore {
  const k = (key: string) => prefix + key;
  return {
    get: (key) => redis.get(k(key)),
    async set(key, value, ttlMs) {
      await redis.set(k(key), value, 'PX', ttlMs);
    },
    async setIfAbsent(key, value, ttlMs) {
      return (await redis.set(k(key), value, 'PX', ttlMs, 'NX')) === 'OK';
    },
    async del(key) {
      await redis.del(k(key));
    },
    async increment(key, ttlMs) {
      return Number(await redis.eval(INCREMENT, 1, k(key), ttlMs));
    },
    async ttl(key) {
      return Math.max(0, await redis.pttl(k(key)));
    },
    async close() {},
  };
}

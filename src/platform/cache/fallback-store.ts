/**
 * A KeyValueStore that answers from `fallback` (in-process) while `primary` (Redis) fails, so
 * a counter (a login throttle, say) keeps counting on this instance instead of failing every
 * request. Counts made during an outage stay in the fallback: a lock taken then holds on this
 * instance only, which beats no lock at all.
 */
import type { Logger } from 'pino';
import type { KeyValueStore } from './key-value-store.js';

export interface FallbackStore extends KeyValueStore {
  /** Operations answered by the fallback since start (for a later metrics export). */
  fallbacks(): number;
}

export function createFallbackStore(primary: KeyValueStore, fallback: KeyValueStore, log: Logger, what: string): FallbackStore {
  let fallbacks = 0;
  let failing = false;

  // One log line per outage and one per recovery, not one per request.
  async function attempt<T>(run: (store: KeyValueStore) => Promise<T>): Promise<T> {
    try {
      const result = await run(primary);
      if (failing) {
        failing = false;
        log.info(`${what}: shared store answers again`);
      }
      return result;
    } catch (err) {
      fallbacks += 1;
      if (!failing) {
        failing = true;
        log.error({ err }, `${what}: shared store failed; counting in this process until it answers`);
      }
      return run(fallback);
    }
  }

  return {
    get: (key) => attempt((s) => s.get(key)),
    set: (key, value, ttlMs) => attempt((s) => s.set(key, value, ttlMs)),
    setIfAbsent: (key, value, ttlMs) => attempt((s) => s.setIfAbsent(key, value, ttlMs)),
    del: (key) => attempt((s) => s.del(key)),
    increment: (key, ttlMs) => attempt((s) => s.increment(key, ttlMs)),
    ttl: (key) => attempt((s) => s.ttl(key)),
    async close() {
      await Promise.all([primary.close(), fallback.close()]);
    },
    fallbacks: () => fallbacks,
  };
}

/**
 * Brute-force protection for login. Failures are counted per account (email) and per client
 * IP in the shared store over a 15-minute window. Past `maxFailures` (4x for an IP, which many
 * users may share) the key is locked for a delay that doubles with every further failure,
 * from 30 s up to 15 min. Unknown emails are counted like known ones, so a lock reveals nothing.
 */
import type { KeyValueStore } from '../../platform/cache/key-value-store.js';

const WINDOW_MS = 15 * 60_000;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;

export interface LoginThrottle {
  /** Milliseconds the caller must wait, or 0 when a login may be tried. */
  retryAfterMs(email: string, ip: string): Promise<number>;
  recordFailure(email: string, ip: string): Promise<void>;
  recordSuccess(email: string): Promise<void>;
}

export function createLoginThrottle(store: KeyValueStore, maxFailures: number): LoginThrottle {
  const keys = (email: string, ip: string) => [
    { count: `login:fail:acct:${email}`, lock: `login:lock:acct:${email}`, max: maxFailures },
    { count: `login:fail:ip:${ip}`, lock: `login:lock:ip:${ip}`, max: maxFailures * 4 },
  ];
  return {
    async retryAfterMs(email, ip) {
      const waits = await Promise.all(keys(email, ip).map((k) => store.ttl(k.lock)));
      return Math.max(...waits);
    },
    async recordFailure(email, ip) {
      await Promise.all(
        keys(email, ip).map(async (k) => {
          const failures = await store.increment(k.count, WINDOW_MS);
          if (failures >= k.max) {
            const lockMs = Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failures - k.max));
            await store.set(k.lock, String(failures), lockMs);
          }
        }),
      );
    },
    async recordSuccess(email) {
      await store.del(`login:fail:acct:${email}`);
    },
  };
}

/**
 * Brute-force protection for login, counted in the shared store over a 15-minute window.
 *
 * - Per (account, client address): past `maxFailures` that pair is locked for a delay that
 *   doubles with every further failure, from 30 s up to 15 min. A guesser locks only itself,
 *   never the account's owner on another address (no victim lockout).
 * - Per client address across accounts (password spraying): locked past 4x `maxFailures`.
 * - Per account across all addresses: past 20x `maxFailures` the account is under a
 *   distributed attack. It is not locked (that would hand the attacker a lockout), it is
 *   slowed: from then on, every failure locks its pair at once, so each address gets one
 *   guess per growing delay, while an address that has not failed still logs in.
 *
 * Unknown emails are counted like known ones, so a lock reveals nothing.
 */
import type { KeyValueStore } from '../../platform/cache/key-value-store.js';

const WINDOW_MS = 15 * 60_000;
const FIRST_LOCK_MS = 30_000;
const MAX_LOCK_MS = 15 * 60_000;
/** Per-address limit across accounts, as a multiple of the per-pair limit. */
export const ADDRESS_FACTOR = 4;
/** Per-account limit across addresses, as a multiple of the per-pair limit. */
export const ACCOUNT_FACTOR = 20;

export interface LoginThrottle {
  /** Milliseconds this address must wait before trying this account, or 0 when it may try. */
  retryAfterMs(email: string, ip: string): Promise<number>;
  recordFailure(email: string, ip: string): Promise<void>;
  /** Clears the pair's failures; the account-wide count runs out with its window. */
  recordSuccess(email: string, ip: string): Promise<void>;
}

const lockMs = (failures: number, threshold: number) => Math.min(MAX_LOCK_MS, FIRST_LOCK_MS * 2 ** (failures - threshold));

export function createLoginThrottle(store: KeyValueStore, maxFailures: number): LoginThrottle {
  // An address never holds '/', so the pair key cannot be forged by a crafted email.
  const pair = (email: string, ip: string) => ({ count: `login:fail:pair:${ip}/${email}`, lock: `login:lock:pair:${ip}/${email}` });
  const address = (ip: string) => ({ count: `login:fail:ip:${ip}`, lock: `login:lock:ip:${ip}` });
  const account = (email: string) => `login:fail:acct:${email}`;

  async function lockPast(key: { count: string; lock: string }, failures: number, threshold: number) {
    if (failures >= threshold) await store.set(key.lock, String(failures), lockMs(failures, threshold));
  }

  return {
    async retryAfterMs(email, ip) {
      const waits = await Promise.all([store.ttl(pair(email, ip).lock), store.ttl(address(ip).lock)]);
      return Math.max(...waits);
    },
    async recordFailure(email, ip) {
      const [pairFailures, addressFailures, accountFailures] = await Promise.all([
        store.increment(pair(email, ip).count, WINDOW_MS),
        store.increment(address(ip).count, WINDOW_MS),
        store.increment(account(email), WINDOW_MS),
      ]);
      const underAttack = accountFailures >= maxFailures * ACCOUNT_FACTOR;
      await Promise.all([
        lockPast(pair(email, ip), pairFailures, underAttack ? 1 : maxFailures),
        lockPast(address(ip), addressFailures, maxFailures * ADDRESS_FACTOR),
      ]);
    },
    async recordSuccess(email, ip) {
      await store.del(pair(email, ip).count);
    },
  };
}

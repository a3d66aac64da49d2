/**
 * The cache port: a small key-value store with expiry, shared between instances when Redis
 * is configured. Used for counters (login throttling), caches and short-lived tickets.
 */

export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  /** Stores `value` for `ttlMs`. */
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Stores only if absent; true when stored (a lock or a single-use marker). */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  del(key: string): Promise<void>;
  /** Adds one and returns the new count; the key expires `ttlMs` after it was created. */
  increment(key: string, ttlMs: number): Promise<number>;
  /** Milliseconds until `key` expires, or 0 when it does not exist. */
  ttl(key: string): Promise<number>;
  close(): Promise<void>;
}

/** The embedded KeyValueStore: a bounded in-process map; oldest entries go first when full. */
import type { Clock } from '../clock.js';
import type { KeyValueStore } from './key-value-store.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** Creates an in-memory store holding at most `maxEntries` keys. */
export function createMemoryStore(options: { clock: Clock; maxEntries?: number }): KeyValueStore {
  const max = options.maxEntries ?? 100_000;
  const entries = new Map<string, Entry>();
  const now = () => options.clock.now().getTime();

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  const put = (key: string, entry: Entry) => {
    entries.delete(key);
    entries.set(key, entry);
    if (entries.size > max) {
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
  };

  return {
    async get(key) {
      return live(key)?.value ?? null;
    },
    async set(key, value, ttlMs) {
      put(key, { value, expiresAt: now() + ttlMs });
    },
    async setIfAbsent(key, value, ttlMs) {
      if (live(key)) return false;
      put(key, { value, expiresAt: now() + ttlMs });
      return true;
    },
    async del(key) {
      entries.delete(key);
    },
    async increment(key, ttlMs) {
      const entry = live(key);
      const count = entry ? Number(entry.value) + 1 : 1;
      put(key, { value: String(count), expiresAt: entry?.expiresAt ?? now() + ttlMs });
      return count;
    },
    async ttl(key) {
      const entry = live(key);
      return entry ? entry.expiresAt - now() : 0;
    },
    async close() {
      entries.clear();
    },
  };
}

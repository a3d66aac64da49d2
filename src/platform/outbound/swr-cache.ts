/**
 * A read-through cache for answers from an upstream, on the KeyValueStore port (in memory, or
 * Redis shared by every instance). Each entry has three ages, after RFC 5861:
 *
 *   age < freshMs                             fresh: served as is
 *   age < freshMs + staleWhileRevalidateMs    stale: served at once, refreshed in the background
 *   age < freshMs + staleIfErrorMs            stale: refreshed first; served only if that fails
 *   older                                     gone: the caller waits for the upstream
 *
 * Concurrent loads of one key share one lookup and one fetch (single-flight), so a burst of
 * requests for a missing key costs one upstream call per process. Values are stored as JSON,
 * so they must be plain data. Ages are measured with the platform Clock against the time the
 * value was stored, not against the store's own expiry, so a fake clock drives the memory and
 * the Redis store alike. A failing store degrades to a miss (logged), never to an error.
 */
import type { KeyValueStore } from '../cache/key-value-store.js';
import type { Clock } from '../clock.js';
import { createSingleFlight } from './single-flight.js';

/** The cache's settings. Durations in milliseconds. */
export interface SwrCacheOptions {
  store: KeyValueStore;
  clock: Clock;
  /** Prefix of every key in the store; include a version so a changed value shape starts cold. */
  namespace: string;
  freshMs: number;
  /** How long after going stale an entry is still served while a background refresh runs. 0: never. */
  staleWhileRevalidateMs: number;
  /** How long after going stale an entry may stand in for a failed refresh. 0: never. */
  staleIfErrorMs: number;
  /** Which refresh failures may be answered with stale data. Default: all. */
  serveStaleOn?(err: unknown): boolean;
  log?: { warn(obj: object, msg: string): void };
}

/** What `load` returns. */
export interface Loaded<T> {
  value: T;
  /** True when the value is older than `freshMs` (served while revalidating, or instead of a failed refresh). */
  stale: boolean;
  /** When the value was fetched from the upstream. */
  storedAt: Date;
  /** When the value stops (or stopped) being fresh. */
  freshUntil: Date;
}

/** A cache of one kind of upstream answer. */
export interface SwrCache<T> {
  /** The cached value for `key`, fetched with `fetch` (once, however many callers wait) when needed. */
  load(key: string, fetch: () => Promise<T>): Promise<Loaded<T>>;
  /** Drops `key`, e.g. after the upstream said it changed. */
  invalidate(key: string): Promise<void>;
  /** Resolves when the background refreshes started so far have finished (tests, shutdown). */
  settle(): Promise<void>;
}

interface Entry<T> {
  v: T;
  /** Stored at, epoch ms. */
  at: number;
}

/** Creates a cache over `options.store`. */
export function createSwrCache<T>(options: SwrCacheOptions): SwrCache<T> {
  const { store, clock, freshMs } = options;
  if (!(freshMs > 0)) throw new Error('freshMs must be positive');
  const keepMs = freshMs + Math.max(options.staleWhileRevalidateMs, options.staleIfErrorMs);
  const serveStaleOn = options.serveStaleOn ?? (() => true);
  const loads = createSingleFlight<Loaded<T>>();
  const refreshes = createSingleFlight<Loaded<T>>();
  const background = new Set<Promise<unknown>>();
  const now = () => clock.now().getTime();
  const storeKey = (key: string) => options.namespace + key;

  const loaded = (entry: Entry<T>, stale: boolean): Loaded<T> => ({
    value: entry.v,
    stale,
    storedAt: new Date(entry.at),
    freshUntil: new Date(entry.at + freshMs),
  });

  async function read(key: string): Promise<Entry<T> | null> {
    let raw: string | null;
    try {
      raw = await store.get(storeKey(key));
    } catch (err) {
      options.log?.warn({ err, key }, 'cache read failed; treating as a miss');
      return null;
    }
    if (raw === null) return null;
    try {
      const entry = JSON.parse(raw) as Entry<T>;
      return typeof entry === 'object' && entry !== null && typeof entry.at === 'number' && 'v' in entry ? entry : null;
    } catch {
      return null;
    }
  }

  async function fetchAndStore(key: string, fetch: () => Promise<T>): Promise<Loaded<T>> {
    const entry: Entry<T> = { v: await fetch(), at: now() };
    try {
      await store.set(storeKey(key), JSON.stringify(entry), keepMs);
    } catch (err) {
      options.log?.warn({ err, key }, 'cache write failed; serving the fetched value uncached');
    }
    return loaded(entry, false);
  }

  function revalidate(key: string, fetch: () => Promise<T>) {
    const done = refreshes
      .run(key, () => fetchAndStore(key, fetch))
      .catch((err) => options.log?.warn({ err, key }, 'background refresh failed; the stale value stays'))
      .finally(() => background.delete(done));
    background.add(done);
  }

  return {
    load(key, fetch) {
      return loads.run(key, async () => {
        const entry = await read(key);
        const age = entry ? now() - entry.at : Number.POSITIVE_INFINITY;
        if (entry && age < freshMs) return loaded(entry, false);
        if (entry && age < freshMs + options.staleWhileRevalidateMs) {
          revalidate(key, fetch);
          return loaded(entry, true);
        }
        try {
          return await refreshes.run(key, () => fetchAndStore(key, fetch));
        } catch (err) {
          if (entry && age < freshMs + options.staleIfErrorMs && serveStaleOn(err)) {
            options.log?.warn({ err, key, ageMs: age }, 'refresh failed; serving the stale value');
            return loaded(entry, true);
          }
          throw err;
        }
      });
    },
    async invalidate(key) {
      await store.del(storeKey(key));
    },
    async settle() {
      while (background.size) await Promise.allSettled([...background]);
    },
  };
}

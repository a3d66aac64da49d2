import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import type { KeyValueStore } from './key-value-store.js';
import { createMemoryStore } from './memory-store.js';
import { connectRedis } from './redis-connection.js';
import { createRedisStore } from './redis-store.js';

/** How a contract run gets a fresh store and moves time forward. */
interface Adapter {
  store(): KeyValueStore;
  /** Lets `ms` pass: the fake clock for the memory store, a real wait for Redis. */
  advance(ms: number): Promise<void>;
}

/** The behaviour every KeyValueStore adapter promises. `unit` is a TTL long enough to be stable on the adapter. */
function keyValueContract(name: string, setup: () => Adapter, unit: number) {
  describe(`${name}: KeyValueStore contract`, () => {
    let kv: KeyValueStore;
    let adapter: Adapter;
    beforeEach(() => {
      adapter = setup();
      kv = adapter.store();
    });

    it('when a key was never set, then get is null and ttl is 0', async () => {
      expect(await kv.get('missing')).toBeNull();
      expect(await kv.ttl('missing')).toBe(0);
    });

    it('when a key is set twice, then the last value wins', async () => {
      await kv.set('k', 'one', 10 * unit);
      await kv.set('k', 'two', 10 * unit);
      expect(await kv.get('k')).toBe('two');
    });

    it('when the ttl passes, then the key is gone', async () => {
      await kv.set('short', 'v', unit);
      const ttl = await kv.ttl('short');
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(unit);
      await adapter.advance(unit * 2);
      expect(await kv.get('short')).toBeNull();
      expect(await kv.ttl('short')).toBe(0);
    });

    it('when a key is deleted, then it is gone, and deleting a missing key is fine', async () => {
      await kv.set('d', 'v', 10 * unit);
      await kv.del('d');
      expect(await kv.get('d')).toBeNull();
      await kv.del('never-there');
    });

    it('when setIfAbsent races on one key, then exactly one caller wins and its value stays', async () => {
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((v) => kv.setIfAbsent('once', v, 10 * unit)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = ['a', 'b', 'c', 'd'][results.indexOf(true)];
      expect(await kv.get('once')).toBe(winner);
    });

    it('when a setIfAbsent key expires, then it can be taken again', async () => {
      expect(await kv.setIfAbsent('lease', 'first', unit)).toBe(true);
      expect(await kv.setIfAbsent('lease', 'second', unit)).toBe(false);
      await adapter.advance(unit * 2);
      expect(await kv.setIfAbsent('lease', 'third', unit)).toBe(true);
      expect(await kv.get('lease')).toBe('third');
    });

    it('when a counter is incremented, then it counts from 1 and concurrent increments are not lost', async () => {
      expect(await kv.increment('n', 10 * unit)).toBe(1);
      expect(await kv.increment('n', 10 * unit)).toBe(2);
      const results = await Promise.all(Array.from({ length: 20 }, () => kv.increment('n', 10 * unit)));
      expect([...results].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 3));
      expect(await kv.get('n')).toBe('22');
    });

    it('when a counter is incremented later in its window, then the window still ends where it began', async () => {
      expect(await kv.increment('window', 2 * unit)).toBe(1);
      await adapter.advance(unit);
      expect(await kv.increment('window', 2 * unit)).toBe(2);
      expect(await kv.ttl('window')).toBeLessThanOrEqual(unit);
      await adapter.advance(unit * 1.5);
      expect(await kv.increment('window', 2 * unit)).toBe(1);
    });
  });
}

keyValueContract(
  'memory',
  () => {
    const clock = createFakeClock();
    return {
      store: () => createMemoryStore({ clock }),
      advance: async (ms) => clock.advance(ms),
    };
  },
  1_000,
);

describe('memory store limits', () => {
  it('when more keys than maxEntries are stored, then the oldest written go first', async () => {
    const kv = createMemoryStore({ clock: createFakeClock(), maxEntries: 3 });
    for (const key of ['a', 'b', 'c']) await kv.set(key, key, 60_000);
    await kv.set('a', 'a2', 60_000); // rewriting makes 'a' the newest
    await kv.set('d', 'd', 60_000);
    expect(await kv.get('b')).toBeNull();
    expect(await kv.get('a')).toBe('a2');
    expect(await kv.get('c')).toBe('c');
    expect(await kv.get('d')).toBe('d');
    await kv.increment('e', 60_000);
    expect(await kv.get('c')).toBeNull();
  });

  it('when closed, then its entries are dropped', async () => {
    const kv = createMemoryStore({ clock: createFakeClock() });
    await kv.set('k', 'v', 60_000);
    await kv.close();
    expect(await kv.get('k')).toBeNull();
  });
});

const redisUrl = process.env.TEST_REDIS_URL || undefined;

describe.runIf(redisUrl)('redis store', () => {
  let redis: Redis;
  const prefix = `test-kv-${process.pid}-${randomBytes(4).toString('hex')}:`;
  beforeAll(async () => {
    redis = await connectRedis(redisUrl as string);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
  });

  let run = 0;
  keyValueContract(
    'redis',
    () => ({
      // A prefix per test, so tests never see each other's keys.
      store: () => createRedisStore(redis, `${prefix}${++run}:`),
      advance: (ms) => new Promise((r) => setTimeout(r, ms)),
    }),
    250,
  );

  it('when two stores have different prefixes, then they do not see each other', async () => {
    const a = createRedisStore(redis, `${prefix}a:`);
    const b = createRedisStore(redis, `${prefix}b:`);
    await a.set('same', 'from-a', 10_000);
    expect(await b.get('same')).toBeNull();
    expect(await redis.get(`${prefix}a:same`)).toBe('from-a');
  });

  it('when the store is closed, then the shared connection stays open', async () => {
    await createRedisStore(redis, prefix).close();
    expect(await redis.ping()).toBe('PONG');
  });
});

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import type { KeyValueStore } from '../cache/key-value-store.js';
import { createMemoryStore } from '../cache/memory-store.js';
import { connectRedis } from '../cache/redis-connection.js';
import { createRedisStore } from '../cache/redis-store.js';
import { createSwrCache } from './swr-cache.js';

const FRESH = 60_000;
const SWR = 30_000;
const SIE = 600_000;

interface Value {
  n: number;
  at: string;
}

const redisUrl = process.env.TEST_REDIS_URL;
let redis: Redis | undefined;
beforeAll(async () => {
  if (redisUrl) redis = await connectRedis(redisUrl);
});
afterAll(async () => {
  await redis?.quit();
});

const stores: [string, (clock: ReturnType<typeof createFakeClock>) => KeyValueStore][] = [
  ['memory', (clock) => createMemoryStore({ clock })],
  ...(redisUrl
    ? [['redis', () => createRedisStore(redis as Redis, `test-swr-${randomBytes(4).toString('hex')}:`)] as [string, () => KeyValueStore]]
    : []),
];

describe.each(stores)('swr cache on the %s store', (_name, makeStore) => {
  function setup() {
    const clock = createFakeClock();
    const store = makeStore(clock);
    const cache = createSwrCache<Value>({
      store,
      clock,
      namespace: 'things:v1:',
      freshMs: FRESH,
      staleWhileRevalidateMs: SWR,
      staleIfErrorMs: SIE,
    });
    let calls = 0;
    let failWith: Error | undefined;
    const fetch = async (): Promise<Value> => {
      calls += 1;
      if (failWith) throw failWith;
      return { n: calls, at: clock.now().toISOString() };
    };
    return {
      clock,
      store,
      cache,
      fetch,
      get calls() {
        return calls;
      },
      fail(err: Error | undefined) {
        failWith = err;
      },
    };
  }

  it('when a key is missing, then it is fetched, stored as JSON and later served fresh from the store', async () => {
    const s = setup();
    const first = await s.cache.load('a', s.fetch);
    expect(first).toMatchObject({ value: { n: 1 }, stale: false });
    expect(JSON.parse((await s.store.get('things:v1:a')) as string)).toMatchObject({ v: { n: 1 } });
    s.clock.advance(FRESH - 1);
    const second = await s.cache.load('a', s.fetch);
    expect(second).toMatchObject({ value: { n: 1 }, stale: false });
    expect(second.freshUntil.getTime() - second.storedAt.getTime()).toBe(FRESH);
    expect(s.calls).toBe(1);
  });

  it('when the entry is past fresh but within stale-while-revalidate, then the stale value is served at once and refreshed behind', async () => {
    const s = setup();
    await s.cache.load('a', s.fetch);
    s.clock.advance(FRESH + 1);
    const served = await s.cache.load('a', s.fetch);
    expect(served).toMatchObject({ value: { n: 1 }, stale: true });
    await s.cache.settle();
    expect(s.calls).toBe(2);
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 2 }, stale: false });
  });

  it('when the entry is past the revalidate window, then the caller waits for a fresh value', async () => {
    const s = setup();
    await s.cache.load('a', s.fetch);
    s.clock.advance(FRESH + SWR);
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 2 }, stale: false });
    expect(s.calls).toBe(2);
  });

  it('when the refresh fails and the entry is within stale-if-error, then the stale value is served', async () => {
    const s = setup();
    await s.cache.load('a', s.fetch);
    s.clock.advance(FRESH + SIE - 1);
    s.fail(new Error('upstream down'));
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 1 }, stale: true });
  });

  it('when the refresh fails and the entry is too old even for errors, then the failure is thrown', async () => {
    const s = setup();
    await s.cache.load('a', s.fetch);
    s.clock.advance(FRESH + SIE);
    s.fail(new Error('upstream down'));
    await expect(s.cache.load('a', s.fetch)).rejects.toThrow('upstream down');
  });

  it('when the fetch fails with nothing cached, then the failure is thrown and nothing is stored', async () => {
    const s = setup();
    s.fail(new Error('upstream down'));
    await expect(s.cache.load('a', s.fetch)).rejects.toThrow('upstream down');
    expect(await s.store.get('things:v1:a')).toBeNull();
  });

  it('when a background refresh fails, then it is swallowed and the stale value stays', async () => {
    const s = setup();
    await s.cache.load('a', s.fetch);
    s.clock.advance(FRESH + 1);
    s.fail(new Error('upstream down'));
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 1 }, stale: true });
    await s.cache.settle();
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 1 }, stale: true });
  });

  it('when 100 loads of a missing key run at once, then the upstream is called once and all get the value', async () => {
    const s = setup();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slowFetch = async () => {
      await gate;
      return s.fetch();
    };
    const all = Promise.all(Array.from({ length: 100 }, () => s.cache.load('a', slowFetch)));
    release();
    const results = await all;
    expect(s.calls).toBe(1);
    expect(new Set(results.map((r) => r.value.n))).toEqual(new Set([1]));
  });

  it('when the stored entry is not valid JSON, then it counts as a miss', async () => {
    const s = setup();
    await s.store.set('things:v1:a', '{not json', 60_000);
    expect(await s.cache.load('a', s.fetch)).toMatchObject({ value: { n: 1 }, stale: false });
  });

  it('when the store fails, then loads still work straight from the upstream', async () => {
    const s = setup();
    const broken: KeyValueStore = {
      ...s.store,
      get: async () => Promise.reject(new Error('store down')),
      set: async () => Promise.reject(new Error('store down')),
    };
    const cache = createSwrCache<Value>({
      store: broken,
      clock: s.clock,
      namespace: 'x:',
      freshMs: FRESH,
      staleWhileRevalidateMs: 0,
      staleIfErrorMs: 0,
    });
    expect(await cache.load('a', s.fetch)).toMatchObject({ value: { n: 1 }, stale: false });
  });
});

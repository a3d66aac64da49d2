import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryRealtime } from './memory-realtime.js';
import type { RealtimePort } from './realtime.js';
import { createRedisRealtime } from './redis-realtime.js';

const log = pino({ level: 'silent' });
const redisUrl = process.env.TEST_REDIS_URL;

async function waitFor(condition: () => boolean, label: string) {
  for (let i = 0; !condition(); i++) {
    if (i > 500) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

const opened: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of opened.splice(0).reverse()) await close();
});

/** `count` instances of one cluster. */
async function cluster(kind: 'memory' | 'redis', count: number): Promise<RealtimePort[]> {
  if (kind === 'memory') {
    const port = createMemoryRealtime(log);
    opened.push(() => port.close());
    return [port];
  }
  const prefix = `test-rt-${randomBytes(4).toString('hex')}:`;
  const ports: RealtimePort[] = [];
  for (let i = 0; i < count; i++) {
    const redis = new Redis(redisUrl as string);
    const port = await createRedisRealtime({ redis, prefix, log });
    opened.push(
      () => redis.quit(),
      () => port.close(),
    );
    ports.push(port);
  }
  return ports;
}

const adapters = [['memory', true] as const, ['redis', Boolean(redisUrl)] as const];

describe.each(adapters)('realtime port (%s)', (kind, enabled) => {
  it.runIf(enabled)(
    'when a message is published, then every handler of the channel gets it, in order, and an unsubscribed one does not',
    async () => {
      const [port] = (await cluster(kind, 1)) as [RealtimePort];
      const got: string[] = [];
      const other: string[] = [];
      const stop = await port.subscribe('room:1', (m) => got.push(m));
      await port.subscribe('room:2', (m) => other.push(m));
      for (const m of ['a', 'b', 'c']) await port.publish('room:1', m);
      await waitFor(() => got.length === 3, 'three messages');
      expect(got).toEqual(['a', 'b', 'c']);
      await stop();
      await port.publish('room:1', 'd');
      await port.publish('room:2', 'marker');
      await waitFor(() => other.length === 1, 'marker');
      expect(got).toEqual(['a', 'b', 'c']);
    },
  );

  it.runIf(enabled)('when a member joins twice and leaves once, then it stays present; the last leave reports it gone', async () => {
    const [port] = (await cluster(kind, 1)) as [RealtimePort];
    expect(await port.join('set', 'u1')).toBe(true);
    expect(await port.join('set', 'u1')).toBe(false);
    expect(await port.join('set', 'u2')).toBe(true);
    expect((await port.members('set')).sort()).toEqual(['u1', 'u2']);
    expect(await port.leave('set', 'u1')).toBe(false);
    expect((await port.members('set')).sort()).toEqual(['u1', 'u2']);
    expect(await port.leave('set', 'u1')).toBe(true);
    expect(await port.members('set')).toEqual(['u2']);
    expect(await port.leave('set', 'never-joined')).toBe(false);
  });
});

describe.each(adapters)('realtime port slots (%s)', (kind, enabled) => {
  it.runIf(enabled)('when every slot of a key is taken, then one more is refused until one is released; other keys are apart', async () => {
    const [port] = (await cluster(kind, 1)) as [RealtimePort];
    const first = await port.claimSlot('user:1', 2);
    const second = await port.claimSlot('user:1', 2);
    expect(first).toEqual(expect.any(String));
    expect(second).toEqual(expect.any(String));
    expect(first).not.toBe(second);
    expect(await port.claimSlot('user:1', 2)).toBeNull();
    expect(await port.claimSlot('user:2', 2)).toEqual(expect.any(String));
    await port.releaseSlot('user:1', first as string);
    await port.releaseSlot('user:1', first as string);
    expect(await port.claimSlot('user:1', 2)).toEqual(expect.any(String));
    expect(await port.claimSlot('user:1', 2)).toBeNull();
  });
});

describe.runIf(redisUrl)('realtime port (redis) across instances', () => {
  it('when two instances claim slots of one key, then the limit spans both, and closing one frees its slots', async () => {
    const [one, two] = (await cluster('redis', 2)) as [RealtimePort, RealtimePort];
    expect(await one.claimSlot('u', 2)).not.toBeNull();
    expect(await two.claimSlot('u', 2)).not.toBeNull();
    expect(await one.claimSlot('u', 2)).toBeNull();
    expect(await two.claimSlot('u', 2)).toBeNull();
    await one.close();
    expect(await two.claimSlot('u', 2)).not.toBeNull();
  });

  it('when an instance dies without closing, then its slots expire and others may claim them; a live instance keeps its own', async () => {
    const prefix = `test-rt-${randomBytes(4).toString('hex')}:`;
    const short = async () => {
      const redis = new Redis(redisUrl as string);
      const port = await createRedisRealtime({ redis, prefix, log, ttlMs: 300 });
      opened.push(
        () => redis.quit().catch(() => {}),
        () => port.close(),
      );
      return { redis, port };
    };
    const [dying, living] = [await short(), await short()];
    expect(await dying.port.claimSlot('u', 2)).not.toBeNull();
    expect(await living.port.claimSlot('u', 2)).not.toBeNull();
    // A crash: the connection is gone, so nothing refreshes or removes the slot.
    dying.redis.disconnect();
    let claimed: string | null = null;
    for (let i = 0; claimed === null; i++) {
      if (i > 200) throw new Error('the dead instance kept its slot');
      await sleep(10);
      claimed = await living.port.claimSlot('u', 2);
    }
    // The living instance's first slot was refreshed all along: the key is full again.
    expect(await living.port.claimSlot('u', 2)).toBeNull();
  });

  it('when two instances share a prefix, then messages reach both and presence counts a member once until it left both', async () => {
    const [one, two] = (await cluster('redis', 2)) as [RealtimePort, RealtimePort];
    const got: string[] = [];
    await two.subscribe('room:x', (m) => got.push(m));
    await one.publish('room:x', 'hello');
    await waitFor(() => got.length === 1, 'cross-instance message');
    expect(await one.join('room:x', 'u1')).toBe(true);
    expect(await two.join('room:x', 'u1')).toBe(false);
    expect(await two.members('room:x')).toEqual(['u1']);
    expect(await one.leave('room:x', 'u1')).toBe(false);
    expect(await two.leave('room:x', 'u1')).toBe(true);
    expect(await one.members('room:x')).toEqual([]);
  });

  it('when an instance closes, then its members are no longer present anywhere', async () => {
    const [one, two] = (await cluster('redis', 2)) as [RealtimePort, RealtimePort];
    await one.join('room:y', 'u1');
    await two.join('room:y', 'u2');
    await one.close();
    expect(await two.members('room:y')).toEqual(['u2']);
  });
});

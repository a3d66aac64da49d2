/**
 * The Redis realtime adapter. Fan-out: PUBLISH on the shared connection, SUBSCRIBE on a
 * duplicate (a subscribed connection can run no other command). Presence: one sorted set per
 * presence set, entries `<member>\n<instance>` scored with their expiry time; each instance
 * refreshes its own entries every third of PRESENCE_TTL_MS, so a crashed instance's members
 * disappear within the TTL instead of staying online forever. Slots: one sorted set per key,
 * entries `<slot id>` scored with their expiry the same way, so a crash frees its slots too.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ChannelHandler, createHeldSlots, createPresenceCounts, PRESENCE_TTL_MS, type RealtimePort } from './realtime.js';

const SEPARATOR = '\n';

// Both scripts drop expired entries, then answer whether another live entry of the member exists.
// KEYS[1] set; ARGV: entry, member prefix, now, expiry, key ttl.
const JOIN = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local others = redis.call('ZRANGE', KEYS[1], 0, -1)
local seen = 0
for _, e in ipairs(others) do
  if e ~= ARGV[1] and string.sub(e, 1, #ARGV[2]) == ARGV[2] then seen = 1 break end
end
redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return seen`;
// KEYS[1] set; ARGV: entry, member prefix, now.
const LEAVE = `
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
local others = redis.call('ZRANGE', KEYS[1], 0, -1)
for _, e in ipairs(others) do
  if string.sub(e, 1, #ARGV[2]) == ARGV[2] then return 1 end
end
return 0`;

// KEYS[1] slot key; ARGV: slot, now, expiry, limit, key ttl. Drops expired slots, then adds one if there is room.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[4]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

export interface RedisRealtimeOptions {
  redis: Redis;
  /** Prefix of every channel and key (REDIS_KEY_PREFIX), so deployments sharing a Redis stay apart. */
  prefix: string;
  log: Logger;
  /** How long presence entries and slots live without a refresh (tests shorten it). */
  ttlMs?: number;
}

/** Connects the subscriber connection and starts refreshing presence and slots. */
export async function createRedisRealtime({ redis, prefix, log, ttlMs = PRESENCE_TTL_MS }: RedisRealtimeOptions): Promise<RealtimePort> {
  const instance = randomUUID();
  const subscriber = redis.duplicate();
  if (subscriber.status === 'wait') await subscriber.connect();
  const handlers = new Map<string, Set<ChannelHandler>>();
  const presence = createPresenceCounts();
  const slots = createHeldSlots();
  const channelKey = (channel: string) => `${prefix}rt:${channel}`;
  const setKey = (set: string) => `${prefix}rt:presence:${set}`;
  const slotKey = (key: string) => `${prefix}rt:slots:${key}`;
  const entry = (member: string) => `${member}${SEPARATOR}${instance}`;

  subscriber.on('message', (channel: string, message: string) => {
    for (const handler of handlers.get(channel) ?? []) {
      try {
        handler(message);
      } catch (err) {
        log.error({ err, channel }, 'realtime handler failed');
      }
    }
  });
  subscriber.on('error', (err) => log.warn({ err }, 'realtime subscriber connection error'));

  const refresh = setInterval(() => {
    const entries = presence.entries();
    const held = slots.entries();
    if (entries.length === 0 && held.length === 0) return;
    const expiry = Date.now() + ttlMs;
    const pipeline = redis.pipeline();
    for (const [set, member] of entries) {
      pipeline.zadd(setKey(set), expiry, entry(member));
      pipeline.pexpire(setKey(set), ttlMs);
    }
    for (const [key, slot] of held) {
      pipeline.zadd(slotKey(key), expiry, slot);
      pipeline.pexpire(slotKey(key), ttlMs);
    }
    pipeline.exec().catch((err) => log.warn({ err }, 'presence refresh failed'));
  }, ttlMs / 3);
  refresh.unref();

  return {
    async publish(channel, message) {
      await redis.publish(channelKey(channel), message);
    },
    async subscribe(channel, handler) {
      const key = channelKey(channel);
      let set = handlers.get(key);
      if (!set) {
        set = new Set();
        handlers.set(key, set);
        await subscriber.subscribe(key);
      }
      const wrapped: ChannelHandler = (message) => handler(message);
      set.add(wrapped);
      return async () => {
        const current = handlers.get(key);
        if (!current?.delete(wrapped) || current.size > 0) return;
        handlers.delete(key);
        await subscriber.unsubscribe(key).catch((err) => log.warn({ err, channel }, 'realtime unsubscribe failed'));
      };
    },
    async join(set, member) {
      if (presence.add(set, member) > 1) return false;
      const now = Date.now();
      const seen = await redis.eval(JOIN, 1, setKey(set), entry(member), member + SEPARATOR, now, now + ttlMs, ttlMs);
      return seen === 0;
    },
    async leave(set, member) {
      if (presence.remove(set, member) !== 0) return false;
      const left = await redis.eval(LEAVE, 1, setKey(set), entry(member), member + SEPARATOR, Date.now());
      return left === 0;
    },
    async members(set) {
      const entries = await redis.zrangebyscore(setKey(set), Date.now(), '+inf');
      return [...new Set(entries.map((e) => e.slice(0, e.lastIndexOf(SEPARATOR))))];
    },
    async claimSlot(key, limit) {
      const slot = randomUUID();
      const now = Date.now();
      // Held (and refreshed) from before the answer, so a slot granted now never goes stale.
      slots.add(key, slot);
      try {
        if ((await redis.eval(CLAIM, 1, slotKey(key), slot, now, now + ttlMs, limit, ttlMs)) === 1) return slot;
      } catch (err) {
        slots.remove(key, slot);
        throw err;
      }
      slots.remove(key, slot);
      return null;
    },
    async releaseSlot(key, slot) {
      if (slots.remove(key, slot)) await redis.zrem(slotKey(key), slot);
    },
    async close() {
      clearInterval(refresh);
      const entries = presence.entries();
      const held = slots.entries();
      presence.clear();
      slots.clear();
      handlers.clear();
      if (entries.length || held.length) {
        const pipeline = redis.pipeline();
        for (const [set, member] of entries) pipeline.zrem(setKey(set), entry(member));
        for (const [key, slot] of held) pipeline.zrem(slotKey(key), slot);
        await pipeline.exec().catch(() => {});
      }
      await subscriber.quit().catch(() => {});
    },
  };
}

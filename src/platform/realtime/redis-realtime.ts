/**
 * The Redis realtime adapter. Fan-out: PUBLISH on the shared connection, SUBSCRIBE on a
 * duplicate (a subscribed connection can run no other command). Presence: one sorted set per
 * presence set, entries `<member>\n<instance>` scored with their expiry time; each instance
 * refreshes its own entries every third of PRESENCE_TTL_MS, so a crashed instance's members
 * disappear within the TTL instead of staying online forever.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type ChannelHandler, createPresenceCounts, type RealtimePort } from './realtime.js';

/** How long an instance's presence entries live without a refresh. */
export const PRESENCE_TTL_MS = 30_000;

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

export interface RedisRealtimeOptions {
  redis: Redis;
  /** Prefix of every channel and key (REDIS_KEY_PREFIX), so deployments sharing a Redis stay apart. */
  prefix: string;
  log: Logger;
}

/** Connects the subscriber connection and starts refreshing presence. */
export async function createRedisRealtime({ redis, prefix, log }: RedisRealtimeOptions): Promise<RealtimePort> {
  const instance = randomUUID();
  const subscriber = redis.duplicate();
  if (subscriber.status === 'wait') await subscriber.connect();
  const handlers = new Map<string, Set<ChannelHandler>>();
  const presence = createPresenceCounts();
  const channelKey = (channel: string) => `${prefix}rt:${channel}`;
  const setKey = (set: string) => `${prefix}rt:presence:${set}`;
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
    if (entries.length === 0) return;
    const expiry = Date.now() + PRESENCE_TTL_MS;
    const pipeline = redis.pipeline();
    for (const [set, member] of entries) {
      pipeline.zadd(setKey(set), expiry, entry(member));
      pipeline.pexpire(setKey(set), PRESENCE_TTL_MS);
    }
    pipeline.exec().catch((err) => log.warn({ err }, 'presence refresh failed'));
  }, PRESENCE_TTL_MS / 3);
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
      const seen = await redis.eval(JOIN, 1, setKey(set), entry(member), member + SEPARATOR, now, now + PRESENCE_TTL_MS, PRESENCE_TTL_MS);
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
    async close() {
      clearInterval(refresh);
      const entries = presence.entries();
      presence.clear();
      handlers.clear();
      if (entries.length) {
        const pipeline = redis.pipeline();
        for (const [set, member] of entries) pipeline.zrem(setKey(set), entry(member));
        await pipeline.exec().catch(() => {});
      }
      await subscriber.quit().catch(() => {});
    },
  };
}

/** The embedded realtime adapter: one process is the whole cluster. */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { type ChannelHandler, createHeldSlots, createPresenceCounts, type RealtimePort } from './realtime.js';

/** In-process fan-out and presence. Handlers run synchronously, in publish order. */
export function createMemoryRealtime(log: Logger): RealtimePort {
  const channels = new Map<string, Set<ChannelHandler>>();
  const presence = createPresenceCounts();
  const slots = createHeldSlots();
  return {
    async publish(channel, message) {
      for (const handler of channels.get(channel) ?? []) {
        try {
          handler(message);
        } catch (err) {
          log.error({ err, channel }, 'realtime handler failed');
        }
      }
    },
    async subscribe(channel, handler) {
      const handlers = channels.get(channel) ?? new Set<ChannelHandler>();
      channels.set(channel, handlers);
      // A wrapper, so subscribing the same function twice needs two unsubscribes.
      const entry: ChannelHandler = (message) => handler(message);
      handlers.add(entry);
      return async () => {
        handlers.delete(entry);
        if (handlers.size === 0) channels.delete(channel);
      };
    },
    async join(set, member) {
      return presence.add(set, member) === 1;
    },
    async leave(set, member) {
      return presence.remove(set, member) === 0;
    },
    async members(set) {
      return presence.members(set);
    },
    async claimSlot(key, limit) {
      if (slots.count(key) >= limit) return null;
      const slot = randomUUID();
      slots.add(key, slot);
      return slot;
    },
    async releaseSlot(key, slot) {
      slots.remove(key, slot);
    },
    async close() {
      channels.clear();
      presence.clear();
      slots.clear();
    },
  };
}

/**
 * The realtime port: fan-out of short-lived messages to every instance, and presence sets and
 * bounded slots that span the cluster. Embedded: in-process. Real: Redis pub/sub plus sorted
 * sets (one per presence set or slot key) whose entries expire unless their instance keeps
 * refreshing them.
 *
 * Messages are strings: the publisher encodes once, every instance decodes at most once.
 * Delivery is at most once and only to instances subscribed at the time; anything that must
 * not be lost is stored (e.g. in PostgreSQL) before it is published.
 */

/** How long an instance's presence entries and slots outlive it (Redis: without a refresh). */
export const PRESENCE_TTL_MS = 30_000;

/** Receives one message published on a channel. */
export type ChannelHandler = (message: string) => void;

export interface RealtimePort {
  /** Delivers `message` to every handler of `channel` on every instance, this one included. */
  publish(channel: string, message: string): Promise<void>;
  /** Handles messages of `channel`; resolves once receiving, with the unsubscribe function. */
  subscribe(channel: string, handler: ChannelHandler): Promise<() => Promise<void>>;
  /**
   * Marks `member` present in `set` from this instance (counted: two joins need two leaves).
   * Resolves true when the member was present on no instance before.
   */
  join(set: string, member: string): Promise<boolean>;
  /** Undoes one `join`; resolves true when the member is now present on no instance. */
  leave(set: string, member: string): Promise<boolean>;
  /** The members present in `set` on any live instance. */
  members(set: string): Promise<string[]>;
  /**
   * Takes one of `limit` slots of `key`, shared by every instance (e.g. one per open socket of a
   * user). Resolves the slot's id, or null when all `limit` are taken. A slot is held until
   * `releaseSlot`, or until its instance stops refreshing it (a crash): never forever.
   */
  claimSlot(key: string, limit: number): Promise<string | null>;
  /** Gives a claimed slot back; releasing an unknown or released slot does nothing. */
  releaseSlot(key: string, slot: string): Promise<void>;
  close(): Promise<void>;
}

/** The slots this instance holds, per key, so it can refresh or release them. */
export function createHeldSlots() {
  const held = new Map<string, Set<string>>();
  return {
    add(key: string, slot: string) {
      const slots = held.get(key) ?? new Set<string>();
      held.set(key, slots);
      slots.add(slot);
    },
    /** False when the slot was not held. */
    remove(key: string, slot: string): boolean {
      const slots = held.get(key);
      if (!slots?.delete(slot)) return false;
      if (slots.size === 0) held.delete(key);
      return true;
    },
    count: (key: string) => held.get(key)?.size ?? 0,
    entries(): [string, string][] {
      return [...held].flatMap(([key, slots]) => [...slots].map((slot): [string, string] => [key, slot]));
    },
    clear: () => held.clear(),
  };
}

/** Counts joins per (set, member) on this instance, so only the first join and last leave reach the shared state. */
export function createPresenceCounts() {
  const counts = new Map<string, Map<string, number>>();
  return {
    /** Returns the count after adding one. */
    add(set: string, member: string): number {
      const members = counts.get(set) ?? new Map<string, number>();
      counts.set(set, members);
      const n = (members.get(member) ?? 0) + 1;
      members.set(member, n);
      return n;
    },
    /** Returns the count after removing one, or -1 when the member was not joined here. */
    remove(set: string, member: string): number {
      const members = counts.get(set);
      const n = members?.get(member);
      if (!members || n === undefined) return -1;
      if (n > 1) {
        members.set(member, n - 1);
        return n - 1;
      }
      members.delete(member);
      if (members.size === 0) counts.delete(set);
      return 0;
    },
    members: (set: string): string[] => [...(counts.get(set)?.keys() ?? [])],
    entries(): [string, string][] {
      return [...counts].flatMap(([set, members]) => [...members.keys()].map((m): [string, string] => [set, m]));
    },
    clear: () => counts.clear(),
  };
}

/**
 * This instance's chat sockets: which user each belongs to and which rooms it receives. The
 * hub subscribes to a room's realtime channel while at least one local socket receives the
 * room, and hands every frame published there (by any instance) to those sockets. Frames are
 * forwarded as the JSON text they were published as, so a message is encoded once per cluster
 * and parsed once per instance, not once per socket.
 */
import type { Logger } from 'pino';
import type { Role } from '../../platform/auth/access-tokens.js';
import type { RealtimePort } from '../../platform/realtime/realtime.js';
import { KICK, MEMBER_REMOVED, roomChannel, USERS_CHANNEL } from './feed.js';

/** What the hub needs of one socket's session. */
export interface HubConnection {
  readonly userId: string;
  /** The login session (access-token `sid`) the socket was opened with, and the role it had then. */
  readonly sid: string;
  readonly role: Role;
  /** Delivers a frame published to a room this connection receives; `encoded` is its UTF-8 text, shared by all. */
  deliver(roomId: string, frame: ParsedFrame, encoded: Buffer): void;
  /** The user is no longer a member of the room: stop delivering it. */
  removedFrom(roomId: string): void;
  /** Ends the session at once with a close code (account disabled, shutdown). */
  kick(code: number, reason: string): void;
}

/** The fields of a published frame the hub and sessions route on. */
export interface ParsedFrame {
  type: string;
  userId?: string;
  seq?: number;
  reason?: string;
}

interface RoomEntry {
  connections: Set<HubConnection>;
  unsubscribe: Promise<() => Promise<void>>;
}

export type Hub = ReturnType<typeof createHub>;

function addTo(index: Map<string, Set<HubConnection>>, key: string, connection: HubConnection) {
  const set = index.get(key) ?? new Set();
  index.set(key, set);
  set.add(connection);
}

function removeFrom(index: Map<string, Set<HubConnection>>, key: string, connection: HubConnection) {
  const set = index.get(key);
  set?.delete(connection);
  if (set?.size === 0) index.delete(key);
}

export function createHub(deps: { realtime: RealtimePort; log: Logger }) {
  const { realtime, log } = deps;
  const rooms = new Map<string, RoomEntry>();
  const users = new Map<string, Set<HubConnection>>();
  const sessions = new Map<string, Set<HubConnection>>();
  let stopUsers: (() => Promise<void>) | undefined;

  const parse = (raw: string): ParsedFrame | undefined => {
    try {
      return JSON.parse(raw) as ParsedFrame;
    } catch {
      log.warn('unreadable frame on a realtime channel');
      return undefined;
    }
  };

  function onRoomFrame(roomId: string, raw: string) {
    const entry = rooms.get(roomId);
    const frame = parse(raw);
    if (!entry || !frame) return;
    if (frame.type === MEMBER_REMOVED) {
      for (const connection of [...entry.connections]) if (connection.userId === frame.userId) connection.removedFrom(roomId);
      return;
    }
    // Encoded once: ws would otherwise turn the string into bytes again for every socket.
    const encoded = Buffer.from(raw);
    for (const connection of entry.connections) connection.deliver(roomId, frame, encoded);
  }

  function onUserFrame(raw: string) {
    const frame = parse(raw);
    if (frame?.type !== KICK || !frame.userId) return;
    for (const connection of [...(users.get(frame.userId) ?? [])]) connection.kick(1008, frame.reason ?? 'account disabled');
  }

  return {
    /** Starts receiving account kicks from every instance. */
    async start() {
      stopUsers = await realtime.subscribe(USERS_CHANNEL, onUserFrame);
    },

    add(connection: HubConnection) {
      addTo(users, connection.userId, connection);
      addTo(sessions, connection.sid, connection);
    },

    remove(connection: HubConnection) {
      removeFrom(users, connection.userId, connection);
      removeFrom(sessions, connection.sid, connection);
    },

    /**
     * Identity changed a login session: this instance's sockets of it close unless they keep
     * their role (`role` null: the session ended). Every instance hears the change itself.
     */
    sessionChanged(sid: string, role: Role | null) {
      for (const connection of [...(sessions.get(sid) ?? [])]) {
        if (connection.role !== role) connection.kick(1008, role === null ? 'session ended' : 'role changed');
      }
    },

    /** Resolves once frames of the room published from now on reach `connection`. */
    async subscribe(connection: HubConnection, roomId: string) {
      let entry = rooms.get(roomId);
      if (!entry) {
        entry = { connections: new Set(), unsubscribe: realtime.subscribe(roomChannel(roomId), (raw) => onRoomFrame(roomId, raw)) };
        rooms.set(roomId, entry);
      }
      entry.connections.add(connection);
      try {
        await entry.unsubscribe;
      } catch (err) {
        // Not subscribed (realtime down): forget the entry so the next attempt tries again.
        if (rooms.get(roomId) === entry) rooms.delete(roomId);
        throw err;
      }
    },

    unsubscribe(connection: HubConnection, roomId: string) {
      const entry = rooms.get(roomId);
      if (!entry?.connections.delete(connection) || entry.connections.size > 0) return;
      rooms.delete(roomId);
      entry.unsubscribe.then((stop) => stop()).catch((err) => log.warn({ err, roomId }, 'could not leave a room channel'));
    },

    connections: () => [...users.values()].flatMap((set) => [...set]),

    async stop() {
      await stopUsers?.();
      for (const [roomId, entry] of rooms) {
        rooms.delete(roomId);
        await entry.unsubscribe.then((stop) => stop()).catch(() => {});
      }
    },
  };
}

/**
 * One authenticated chat socket: checks membership on every frame, stores messages in the order
 * they arrived (through the room's writer) and handles the other frames one at a time; writes
 * the frames of the rooms it receives, disconnecting a reader too slow to keep its buffer bounded.
 */
import type { Logger } from 'pino';
import type { WebSocket } from 'ws';
import type { Principal } from '../../platform/auth/access-tokens.js';
import type { Clock } from '../../platform/clock.js';
import { findNulByte } from '../../platform/http/nul-bytes.js';
import type { RealtimePort } from '../../platform/realtime/realtime.js';
import { FrameErrors } from './errors.js';
import { type RoomFeed, roomPresence } from './feed.js';
import { asClientFrame, type ClientFrame } from './frames.js';
import type { Hub, HubConnection, ParsedFrame } from './hub.js';
import { MAX_TEXT_BYTES } from './schema.js';
import type { ChatService } from './service.js';
import { encodeFrame, toMessageWire } from './wire.js';

export interface SessionLimits {
  maxRooms: number;
  /** Frames per second; the bucket holds twice that. */
  ratePerSecond: number;
  maxBufferedBytes: number;
  replayLimit: number;
}

export interface SessionDeps {
  hub: Hub;
  chat: ChatService;
  feed: RoomFeed;
  realtime: RealtimePort;
  clock: Clock;
  log: Logger;
  limits: SessionLimits;
  /** The REST path of a room's history, for `replay.truncated`. */
  historyPath(roomId: string, afterSeq: number): string;
}

/** Close codes this server uses (RFC 6455 section 7.4.1). */
export const CloseCodes = { goingAway: 1001, policy: 1008, tryAgainLater: 1013 } as const;

interface Receiving {
  /** While the missed messages are read and sent, live frames wait here (null afterwards). */
  waiting: { frame: ParsedFrame; encoded: Buffer }[] | null;
}

/** The session state the heartbeat looks at. */
export interface Session extends HubConnection {
  alive: boolean;
  readonly socket: WebSocket;
}

export function startSession(socket: WebSocket, principal: Principal, deps: SessionDeps): Session {
  const { id: userId, sid, role } = principal;
  const { hub, chat, feed, realtime, clock, limits } = deps;
  // No child logger per socket: it would cost memory on every idle connection; userId goes in each line.
  const { log } = deps;
  const receiving = new Map<string, Receiving>();
  let ended = false;
  let queue = Promise.resolve();
  let tokens = limits.ratePerSecond * 2;
  let refilledAt = clock.now().getTime();

  const send = (frame: string | Buffer) => {
    if (ended || socket.readyState !== socket.OPEN) return;
    // Refuse to grow the buffer of a reader that does not keep up: its memory is ours.
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      log.info({ userId, bufferedAmount: socket.bufferedAmount }, 'chat client too slow, disconnecting');
      end(CloseCodes.tryAgainLater, 'too slow: send buffer full');
      return;
    }
    // Text frames always: a Buffer here is the UTF-8 of JSON shared by every receiver.
    socket.send(frame, { binary: false });
  };
  const sendError = (code: string, message: string, about: { room?: string; clientId?: string; path?: string } = {}) =>
    send(encodeFrame('error', { code, message, ...about }));

  function takeToken(): boolean {
    const now = clock.now().getTime();
    tokens = Math.min(limits.ratePerSecond * 2, tokens + ((now - refilledAt) / 1000) * limits.ratePerSecond);
    refilledAt = now;
    if (tokens < 1) return false;
    tokens -= 1;
    return true;
  }

  const leavePresence = (roomId: string) =>
    realtime
      .leave(roomPresence(roomId), userId)
      .then(async (gone) => {
        if (gone) await feed.presenceLeave(roomId, userId);
      })
      .catch((err) => log.warn({ err, userId, roomId }, 'presence leave failed'));

  function stopReceiving(roomId: string) {
    if (!receiving.delete(roomId)) return false;
    hub.unsubscribe(session, roomId);
    void leavePresence(roomId);
    return true;
  }

  /** Stops everything at once; the socket closes with `code` (the close handshake may finish later). */
  function end(code?: number, reason?: string) {
    if (ended) return;
    ended = true;
    for (const roomId of [...receiving.keys()]) stopReceiving(roomId);
    hub.remove(session);
    if (code !== undefined && socket.readyState === socket.OPEN) socket.close(code, reason);
  }

  async function subscribe(frame: Extract<ClientFrame, { type: 'subscribe' }>) {
    const { room: roomId, lastSeq } = frame;
    if (!receiving.has(roomId) && receiving.size >= limits.maxRooms) {
      return sendError(FrameErrors.roomLimit, `At most ${limits.maxRooms} rooms per connection`, { room: roomId });
    }
    let room = await chat.findMemberRoom(roomId, userId);
    if (!room) return sendError(FrameErrors.notMember, 'No such room among yours', { room: roomId });
    if (ended) return;
    const wasReceiving = receiving.has(roomId);
    const state: Receiving = { waiting: [] };
    receiving.set(roomId, state);
    if (!wasReceiving) {
      await hub.subscribe(session, roomId);
      if (receiving.get(roomId) !== state) return; // closed or removed meanwhile
      // What was committed while we subscribed (a removal, messages) was published before we
      // listened: read the room again, so membership and lastSeq are at least that recent.
      room = await chat.findMemberRoom(roomId, userId);
      if (!room) {
        stopReceiving(roomId);
        return sendError(FrameErrors.notMember, 'No such room among yours', { room: roomId });
      }
      if (await realtime.join(roomPresence(roomId), userId)) {
        const names = await chat.memberNames(roomId, [userId]);
        await feed.presenceJoin(roomId, userId, names.get(userId) ?? null);
      }
      if (receiving.get(roomId) !== state) return void leavePresence(roomId);
    }
    send(encodeFrame('subscribed', { room: roomId, lastSeq: room.lastSeq }));
    const online = await realtime.members(roomPresence(roomId));
    const names = await chat.memberNames(roomId, online);
    const users = online.flatMap((id) => {
      const displayName = names.get(id);
      return displayName === undefined ? [] : [{ userId: id, displayName }];
    });
    send(encodeFrame('presence', { room: roomId, online, users }));
    let replayedUpTo = 0;
    if (lastSeq !== undefined && lastSeq < room.lastSeq) {
      const missed = await chat.messagesAfter(roomId, lastSeq, limits.replayLimit + 1);
      if (missed.length > limits.replayLimit) {
        send(
          encodeFrame('replay.truncated', {
            room: roomId,
            afterSeq: lastSeq,
            lastSeq: room.lastSeq,
            history: deps.historyPath(roomId, lastSeq),
          }),
        );
      } else {
        for (const message of missed) send(encodeFrame('message', toMessageWire(message)));
        replayedUpTo = missed[missed.length - 1]?.seq ?? 0;
      }
    }
    // Live frames that arrived meanwhile, minus messages the replay already sent.
    const waiting = state.waiting ?? [];
    state.waiting = null;
    for (const { frame: live, encoded } of waiting) if (!(live.type === 'message' && (live.seq ?? 0) <= replayedUpTo)) send(encoded);
  }

  /** Stores, then acks. Not queued behind other frames: the room's writer keeps arrival order and batches. */
  async function postMessage(frame: Extract<ClientFrame, { type: 'message' }>) {
    if (Buffer.byteLength(frame.text) > MAX_TEXT_BYTES) {
      return sendError(FrameErrors.textTooLong, `Text is limited to ${MAX_TEXT_BYTES} bytes`, {
        room: frame.room,
        clientId: frame.clientId,
      });
    }
    const posted = await chat.postMessage(userId, frame.room, frame.text, frame.clientId);
    if (!posted) return sendError(FrameErrors.notMember, 'No such room among yours', { room: frame.room, clientId: frame.clientId });
    const { message } = posted;
    if (message.roomId !== frame.room) {
      return sendError(FrameErrors.badFrame, 'This clientId was already used in another room', {
        room: frame.room,
        clientId: frame.clientId,
      });
    }
    send(encodeFrame('ack', { room: message.roomId, clientId: frame.clientId, id: message.id, seq: message.seq }));
  }

  async function handle(frame: Exclude<ClientFrame, { type: 'message' }>) {
    switch (frame.type) {
      case 'subscribe':
        return subscribe(frame);
      case 'unsubscribe':
        if (stopReceiving(frame.room)) send(encodeFrame('unsubscribed', { room: frame.room, reason: 'requested' }));
        else sendError(FrameErrors.notSubscribed, 'Not subscribed to this room', { room: frame.room });
        return;
      case 'typing':
        if (!(await chat.isMember(frame.room, userId)))
          return sendError(FrameErrors.notMember, 'No such room among yours', { room: frame.room });
        return void (await feed.typing(frame.room, userId));
      case 'read':
        if (!(await chat.markRead(userId, frame.room, frame.upToId))) {
          sendError(FrameErrors.notMember, 'No such message in a room of yours', { room: frame.room });
        }
        return;
    }
  }

  function onData(data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) {
    if (ended) return;
    if (!takeToken()) return sendError(FrameErrors.rateLimited, `At most ${limits.ratePerSecond} frames per second`);
    let parsed: unknown;
    try {
      parsed = isBinary ? undefined : JSON.parse(data.toString());
    } catch {
      parsed = undefined;
    }
    // PostgreSQL cannot store U+0000: refuse the frame, naming the field, before anything is written.
    const nulAt = findNulByte(parsed);
    if (nulAt !== undefined) {
      const { clientId, room } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
      return sendError(FrameErrors.badFrame, `${nulAt} must not contain the NUL character (U+0000)`, {
        path: nulAt,
        ...(typeof clientId === 'string' && !clientId.includes('\u0000') ? { clientId } : {}),
        ...(typeof room === 'string' && !room.includes('\u0000') ? { room } : {}),
      });
    }
    const frame = asClientFrame(parsed);
    if (!frame) {
      // Name the message or room when the frame has them, so the client knows which failed.
      const { clientId, room } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
      return sendError(FrameErrors.badFrame, 'Not a JSON frame this protocol knows (see /asyncapi.json)', {
        ...(typeof clientId === 'string' ? { clientId } : {}),
        ...(typeof room === 'string' ? { room } : {}),
      });
    }
    const failed = (err: unknown) => {
      log.error({ err, userId, frameType: frame.type }, 'chat frame failed');
      sendError(FrameErrors.internal, 'The frame could not be processed');
    };
    if (frame.type === 'message') return void postMessage(frame).catch(failed);
    // Other frames one at a time, in order: a subscribe finishes before the next frame is read.
    const accepted = frame;
    queue = queue.then(() => (ended ? undefined : handle(accepted))).catch(failed);
  }

  const session: Session = {
    userId,
    sid,
    role,
    socket,
    alive: true,
    deliver(roomId, frame, encoded) {
      const state = receiving.get(roomId);
      if (!state) return;
      // Typing is for the others; the typist's own sockets do not need it.
      if (frame.type === 'typing' && frame.userId === userId) return;
      if (state.waiting) state.waiting.push({ frame, encoded });
      else send(encoded);
    },
    removedFrom(roomId) {
      if (stopReceiving(roomId)) send(encodeFrame('unsubscribed', { room: roomId, reason: 'removed' }));
    },
    kick(code, reason) {
      end(code, reason);
    },
  };

  hub.add(session);
  socket.on('message', onData);
  socket.on('pong', () => {
    session.alive = true;
  });
  socket.on('close', () => end());
  send(encodeFrame('welcome', { userId }));
  return session;
}

/**
 * The chat WebSocket: ticket auth (nothing long-lived in the URL), typed frames, and reconnect
 * with backoff that re-subscribes each room from the last seq seen, so nothing is missed. Sent
 * messages stay pending until their `ack` and are resent after a reconnect; the server stores a
 * resent clientId once.
 */
import { api, ok } from './client';
import { randomId } from './ids';
import type { components } from './openapi.gen';

type S = components['schemas'];
export type ServerFrame =
  | S['chat.server.welcome']
  | S['chat.server.subscribed']
  | S['chat.server.unsubscribed']
  | S['chat.server.message']
  | S['chat.server.ack']
  | S['chat.server.message.edited']
  | S['chat.server.message.deleted']
  | S['chat.server.presence']
  | S['chat.server.presence.join']
  | S['chat.server.presence.leave']
  | S['chat.server.typing']
  | S['chat.server.read']
  | S['chat.server.replay.truncated']
  | S['chat.server.error'];
export type ClientFrame =
  | S['chat.client.subscribe']
  | S['chat.client.unsubscribe']
  | S['chat.client.message_send']
  | S['chat.client.typing_send']
  | S['chat.client.read_send'];
export type SendFrame = S['chat.client.message_send'];
export type ConnectionState = 'connecting' | 'open' | 'closed';

const SUBPROTOCOL = 'zaplecze.chat.v1';

export class ChatSocket {
  private ws: WebSocket | null = null;
  private readonly rooms = new Map<string, number | undefined>(); // room -> last seq seen
  private readonly pending = new Map<string, SendFrame>(); // clientId -> frame, until acked
  private readonly frameListeners = new Set<(f: ServerFrame) => void>();
  private readonly stateListeners = new Set<(s: ConnectionState) => void>();
  private attempt = 0;
  private stopped = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  state: ConnectionState = 'closed';

  onFrame(l: (f: ServerFrame) => void) {
    this.frameListeners.add(l);
    return () => this.frameListeners.delete(l);
  }
  onState(l: (s: ConnectionState) => void) {
    this.stateListeners.add(l);
    return () => this.stateListeners.delete(l);
  }

  start() {
    this.stopped = false;
    if (!this.ws) void this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.ws?.close(1000);
    this.ws = null;
    this.setState('closed');
  }

  subscribe(room: string, lastSeq?: number) {
    if (!this.rooms.has(room) || lastSeq !== undefined) this.rooms.set(room, lastSeq ?? this.rooms.get(room));
    this.raw({ type: 'subscribe', room, ...(this.rooms.get(room) !== undefined ? { lastSeq: this.rooms.get(room) } : {}) });
  }

  unsubscribe(room: string) {
    this.rooms.delete(room);
    this.raw({ type: 'unsubscribe', room });
  }

  /** Sends a message; returns its clientId, which the `ack` (or the echoed message) carries. */
  send(room: string, text: string): string {
    const frame: SendFrame = { type: 'message', room, text, clientId: randomId() };
    this.pending.set(frame.clientId, frame);
    this.raw(frame);
    return frame.clientId;
  }

  typing(room: string) {
    this.raw({ type: 'typing', room });
  }

  private raw(frame: ClientFrame) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  private setState(s: ConnectionState) {
    this.state = s;
    for (const l of this.stateListeners) l(s);
  }

  private async connect() {
    this.setState('connecting');
    let ticket: string;
    try {
      ticket = (await ok(api.POST('/api/v1/chat/ticket'))).ticket;
    } catch {
      this.retryLater();
      return;
    }
    if (this.stopped) return;
    const url = new URL(`/api/v1/chat/ws?ticket=${encodeURIComponent(ticket)}`, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url, [SUBPROTOCOL]);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.setState('open');
      for (const [room, lastSeq] of this.rooms) this.raw({ type: 'subscribe', room, ...(lastSeq !== undefined ? { lastSeq } : {}) });
      for (const frame of this.pending.values()) this.raw(frame);
    };
    ws.onmessage = (e) => {
      const frame = JSON.parse(String(e.data)) as ServerFrame;
      this.track(frame);
      for (const l of this.frameListeners) l(frame);
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.setState('closed');
      if (!this.stopped) this.retryLater();
    };
  }

  /** Remembers the newest seq per room and forgets acked messages. */
  private track(frame: ServerFrame) {
    if (frame.type === 'ack') this.pending.delete(frame.clientId);
    if ((frame.type === 'message' || frame.type === 'ack') && this.rooms.has(frame.room)) {
      this.rooms.set(frame.room, Math.max(this.rooms.get(frame.room) ?? 0, frame.seq));
    }
    if (frame.type === 'error' && frame.clientId) this.pending.delete(frame.clientId);
  }

  private retryLater() {
    if (this.stopped) return;
    const delay = Math.min(15_000, 500 * 2 ** this.attempt++) * (0.5 + Math.random() / 2);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}

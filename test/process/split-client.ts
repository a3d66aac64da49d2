/**
 * A client of the split as a user's app would be: JSON over fetch through the gateway, one retry
 * when the gateway answers 502/503 or the connection drops (a request in flight on an instance that
 * died), and a record of every status so a test can count gateway errors per request.
 */
import WebSocket from 'ws';

/** A parsed JSON body, read by tests field by field (JSON.parse's own type). */
type Json = ReturnType<typeof JSON.parse>;
type Frame = Record<string, Json>;

export interface Answer {
  status: number;
  body: Json;
  /** 502/503 answers and dropped connections this request met before its final answer. */
  gatewayErrors: number;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Retry once after a 502/503 or a dropped connection (default true). */
  retry?: boolean;
}

export function createClient(base: string) {
  const statuses: number[] = [];

  async function once(method: string, path: string, options: CallOptions): Promise<{ status: number; body: Json } | 'dropped'> {
    try {
      const res = await fetch(`${base}${path}`, {
        method,
        headers: {
          ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          ...options.headers,
        },
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      statuses.push(res.status);
      return { status: res.status, body: text ? safeJson(text) : null };
    } catch {
      return 'dropped';
    }
  }

  return {
    base,
    /** Every status answered so far. */
    statuses,
    async call(method: string, path: string, options: CallOptions = {}): Promise<Answer> {
      let gatewayErrors = 0;
      for (let attempt = 0; ; attempt++) {
        const answer = await once(method, path, options);
        const failed = answer === 'dropped' || answer.status === 502 || answer.status === 503;
        if (!failed) return { ...answer, gatewayErrors };
        gatewayErrors += 1;
        if (options.retry === false || attempt >= 1) {
          return answer === 'dropped' ? { status: 0, body: null, gatewayErrors } : { ...answer, gatewayErrors };
        }
        // The gateway's health check takes the dead instance out within a second.
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}

export type Client = ReturnType<typeof createClient>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A chat socket that records every frame; reconnects are the caller's (with the last seq). */
export interface ChatSocket {
  frames: Array<Frame>;
  closed: Promise<number>;
  send(frame: Record<string, unknown>): void;
  next(match: (f: Frame) => boolean, label: string, ms?: number): Promise<Frame>;
  close(): void;
}

/** Opens the chat WebSocket at `base` with a ticket, as the web client does, and waits for `welcome`. */
export async function openChat(base: string, ticket: string, origin: string): Promise<ChatSocket> {
  const url = `${base.replace(/^http/, 'ws')}/api/v1/chat/ws?ticket=${encodeURIComponent(ticket)}`;
  const ws = new WebSocket(url, ['zaplecze.chat.v1'], { origin });
  const frames: Array<Frame> = [];
  const taken = new Set<Frame>();
  ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
  ws.on('error', () => {});
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(new Error(`chat handshake answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  const socket: ChatSocket = {
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    async next(match, label, ms = 10_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const found = frames.find((f) => !taken.has(f) && match(f));
        if (found) {
          taken.add(found);
          return found;
        }
        if (Date.now() > deadline) throw new Error(`no ${label}; last frames ${JSON.stringify(frames.slice(-3))}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => ws.terminate(),
  };
  await socket.next((f) => f.type === 'welcome', 'welcome');
  return socket;
}

/** Polls `check` until it returns a value other than undefined, or fails with `label` after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined>, label: string, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

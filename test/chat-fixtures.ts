/**
 * Real WebSocket clients for chat tests: connect to a listening test app, read frames, wait with
 * bounds. Every frame received is held to its schema in the AsyncAPI document (the chat's
 * counterpart of test/contract/answer-contract.ts): a frame that breaks it fails the next wait.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Compile } from 'typebox/compile';
import WebSocket from 'ws';
import { SERVER_FRAMES } from '../src/modules/chat/frames.js';
import type { TestApp, TestUser } from './test-app.js';

const serverFrames = new Map(
  SERVER_FRAMES.map((schema) => [(schema.properties as { type: { const: string } }).type.const, Compile(schema)]),
);

/** What is wrong with a frame the server sent, or undefined when the AsyncAPI document describes it. */
export function serverFrameFlaw(frame: Frame): string | undefined {
  const check = serverFrames.get(String(frame.type));
  if (!check) return `type '${String(frame.type)}' is no server frame of the AsyncAPI document`;
  const value: unknown = frame;
  if (check.Check(value)) return undefined;
  const [first] = check.Errors(value);
  return `${String(frame.type)} frame ${first?.instancePath || '/'} ${first?.message ?? 'breaks its schema'}`;
}

export const CHAT = '/api/v1/chat';

/** A server frame as the client received it. */
export type Frame = { type: string; [key: string]: unknown };

export interface ChatClient {
  readonly ws: WebSocket;
  /** Every frame received so far, in order (`next` and `close` throw once one broke its schema). */
  readonly frames: Frame[];
  send(frame: Record<string, unknown>): void;
  /** The first frame (not returned before) matching `match`; waits up to 5 s for it. */
  next(match: Partial<Frame> | ((f: Frame) => boolean), label?: string): Promise<Frame>;
  /** Frames matching `match` received so far (none consumed). */
  all(match: Partial<Frame>): Frame[];
  /** Resolves with the close code and reason once the socket closed. */
  readonly closed: Promise<{ code: number; reason: string }>;
  close(): Promise<void>;
}

/** Starts listening on a free port of 127.0.0.1 (once) and returns the ws:// base URL. */
export async function listen(t: TestApp): Promise<string> {
  const address = t.http.server.address();
  if (address && typeof address === 'object') return `ws://127.0.0.1:${address.port}`;
  await t.http.listen({ port: 0, host: '127.0.0.1' });
  const bound = t.http.server.address();
  if (!bound || typeof bound !== 'object') throw new Error('not listening');
  return `ws://127.0.0.1:${bound.port}`;
}

/** Polls `condition` every 10 ms until true; fails after `ms` with `label`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, label: string, ms = 5000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await sleep(10);
  }
}

export async function ticketFor(t: TestApp, user: TestUser): Promise<string> {
  const res = await t.request({ method: 'POST', url: `${CHAT}/ticket`, token: user.token });
  if (res.statusCode !== 200) throw new Error(`ticket: ${res.statusCode} ${res.body}`);
  return res.json().ticket;
}

export interface ConnectOptions {
  ticket?: string;
  /** Sent as the `bearer.<token>` subprotocol. */
  token?: string;
  origin?: string;
  autoPong?: boolean;
}

function openSocket(base: string, options: ConnectOptions): WebSocket {
  const url = `${base}${CHAT}/ws${options.ticket ? `?ticket=${encodeURIComponent(options.ticket)}` : ''}`;
  const protocols = ['zaplecze.chat.v1', ...(options.token ? [`bearer.${options.token}`] : [])];
  return new WebSocket(url, protocols, {
    ...(options.origin ? { origin: options.origin } : {}),
    ...(options.autoPong === false ? { autoPong: false } : {}),
  });
}

/** The HTTP status of a refused handshake, or 101 when the socket opened (then closed at once). */
export async function handshakeStatus(base: string, options: ConnectOptions): Promise<number> {
  const ws = openSocket(base, options);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('error', (err) => reject(err));
  });
}

/** A refused handshake's HTTP answer (status, headers, parsed body); throws when the socket opened. */
export async function refusedHandshake(
  base: string,
  options: ConnectOptions,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Record<string, unknown> }> {
  const ws = openSocket(base, options);
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        ws.terminate();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(Buffer.concat(chunks).toString() || '{}') });
      });
    });
    ws.once('open', () => {
      ws.close();
      reject(new Error('the handshake was not refused'));
    });
    ws.once('error', (err) => reject(err));
  });
}

/** Opens an authenticated socket (a fresh ticket for `user` unless options say otherwise) and waits for `welcome`. */
export async function connectChat(t: TestApp, base: string, user: TestUser, options: ConnectOptions = {}): Promise<ChatClient> {
  const ticket = options.ticket ?? (options.token ? undefined : await ticketFor(t, user));
  const ws = openSocket(base, { ...options, ticket });
  const frames: Frame[] = [];
  const taken = new Set<Frame>();
  const broken: string[] = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString());
    const flaw = serverFrameFlaw(frame);
    if (flaw) broken.push(`${flaw}: ${data.toString().slice(0, 200)}`);
    frames.push(frame);
  });
  const keptContract = () => {
    if (broken.length) throw new Error(`the server broke the chat protocol: ${broken.join('; ')}`);
  };
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.on('error', () => {});
  const matcher = (match: Partial<Frame> | ((f: Frame) => boolean)) =>
    typeof match === 'function' ? match : (f: Frame) => Object.entries(match).every(([k, v]) => f[k] === v);
  const client: ChatClient = {
    ws,
    frames,
    closed,
    send: (frame) => ws.send(JSON.stringify(frame)),
    all: (match) => frames.filter(matcher(match)),
    async next(match, label) {
      keptContract();
      const test = matcher(match);
      let found: Frame | undefined;
      await waitFor(
        () => {
          found = frames.find((f) => !taken.has(f) && test(f));
          return found !== undefined;
        },
        label ?? `frame ${JSON.stringify(typeof match === 'function' ? 'predicate' : match)}; got ${JSON.stringify(frames.slice(-5))}`,
      );
      taken.add(found as Frame);
      keptContract();
      return found as Frame;
    },
    async close() {
      if (ws.readyState !== ws.CLOSED) {
        ws.close();
        await closed;
      }
      keptContract();
    },
  };
  await client.next({ type: 'welcome' });
  return client;
}

/** Subscribes and waits for `subscribed`. */
export async function subscribe(client: ChatClient, room: string, lastSeq?: number): Promise<Frame> {
  client.send({ type: 'subscribe', room, ...(lastSeq === undefined ? {} : { lastSeq }) });
  return client.next({ type: 'subscribed', room });
}

/** Creates a room over REST and returns its id; members are added by the owner. */
export async function createRoom(
  t: TestApp,
  owner: TestUser,
  options: { kind?: 'public' | 'private'; name?: string; members?: TestUser[] } = {},
): Promise<string> {
  const res = await t.request({
    method: 'POST',
    url: `${CHAT}/rooms`,
    token: owner.token,
    payload: { kind: options.kind ?? 'private', name: options.name ?? 'room' },
  });
  if (res.statusCode !== 201) throw new Error(`create room: ${res.statusCode} ${res.body}`);
  const id: string = res.json().id;
  for (const member of options.members ?? []) {
    const added = await t.request({
      method: 'POST',
      url: `${CHAT}/rooms/${id}/members`,
      token: owner.token,
      payload: { userId: member.id },
    });
    if (added.statusCode !== 204) throw new Error(`add member: ${added.statusCode} ${added.body}`);
  }
  return id;
}

let clientIds = 0;
/** Sends a message and waits for its ack. */
export async function say(client: ChatClient, room: string, text: string, clientId = `c${++clientIds}`): Promise<Frame> {
  client.send({ type: 'message', room, text, clientId });
  return client.next((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId, `ack of ${clientId}`);
}

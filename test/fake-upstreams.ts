/**
 * Stand-ins for service instances behind the gateway: plain HTTP servers on 127.0.0.1 that record
 * every request (and WebSocket handshake) they get, answer with their own name, and can be told
 * to fail: drop the connection after reading a request, or answer readiness with 503.
 */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { WebSocketServer } from 'ws';

export interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Bytes of the body received before the answer (or the drop). */
  bodyBytes: number;
}

export interface FakeUpstream {
  readonly name: string;
  readonly address: string;
  /** Every non-health request, in arrival order. */
  readonly seen: Seen[];
  /** Every WebSocket handshake: its headers and the subprotocol chosen (the last offered). */
  readonly upgrades: IncomingHttpHeaders[];
  /**
   * 'ok': answers 200 with its name; 'drop': reads the request, then destroys the socket without
   * answering (a crash mid-request); 'drop-once': drops the first request of each x-request-id (on
   * whichever fake it lands), answers the next.
   */
  mode: 'ok' | 'drop' | 'drop-once';
  /** What /health/ready answers. */
  readyStatus: number;
  /** Called with the bytes received so far on each body chunk of a request. */
  onBodyChunk?: (url: string, bytesSoFar: number) => void;
  /**
   * Answers to `GET /api/v1/files/held?size=N` begun but not finished: 64 KiB of a response
   * (chunked, or of N bytes when `size` is given) written, the rest waiting for `finish()`.
   */
  readonly held: { finish(): void }[];
  close(): Promise<void>;
}

/** Request ids already dropped once by any fake, so a retry on another instance is answered. */
const dropped = new Set<string>();

export async function startFakeUpstream(name: string): Promise<FakeUpstream> {
  const upstream: FakeUpstream = {
    name,
    address: '',
    seen: [],
    upgrades: [],
    mode: 'ok',
    readyStatus: 200,
    held: [],
    close: async () => {},
  };
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/health/')) {
      res.writeHead(req.url === '/health/ready' ? upstream.readyStatus : 200, { 'content-type': 'application/json' }).end('{}');
      return;
    }
    if (req.url?.startsWith('/api/v1/files/held')) {
      const size = Number(new URL(req.url, 'http://x').searchParams.get('size')) || undefined;
      const first = Buffer.alloc(64 * 1024, 1);
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(size ? { 'content-length': size } : {}) });
      res.write(first);
      upstream.held.push({ finish: () => res.end(Buffer.alloc(size ? size - first.length : 1024, 2)) });
      return;
    }
    const record: Seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, bodyBytes: 0 };
    upstream.seen.push(record);
    req.on('data', (chunk: Buffer) => {
      record.bodyBytes += chunk.length;
      upstream.onBodyChunk?.(record.url, record.bodyBytes);
    });
    req.on('end', () => {
      const id = String(req.headers['x-request-id'] ?? '');
      const drop = upstream.mode === 'drop' || (upstream.mode === 'drop-once' && !dropped.has(id));
      if (drop) {
        dropped.add(id);
        req.socket.destroy();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: name, bodyBytes: record.bodyBytes }));
    });
  });
  const sockets = new WebSocketServer({
    server,
    // Picks the last offered protocol, so a proxy that forwards only the first one is caught.
    handleProtocols: (protocols) => [...protocols].at(-1) ?? false,
  });
  sockets.on('connection', (socket, req) => {
    upstream.upgrades.push(req.headers);
    socket.send(JSON.stringify({ upstream: name }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  Object.assign(upstream, {
    address: `127.0.0.1:${address.port}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      if (server.listening) {
        server.close();
        await once(server, 'close');
      }
    },
  });
  return upstream;
}

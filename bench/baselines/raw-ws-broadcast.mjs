/**
 * Baseline for the chat bench: the least a `ws` server can do to fan a message out. Every text
 * frame a client sends is sent as-is to every other open client: no auth, no JSON, no database,
 * no backpressure checks. Listens on PORT and HOST; GET /health/live answers for readiness.
 */
import { createServer } from 'node:http';
import { WebSocketServer } from 'ws';

const server = createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"ok"}');
});
const wss = new WebSocketServer({ server, path: '/ws' });
wss.on('connection', (socket) => {
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) if (client !== socket && client.readyState === 1) client.send(data, { binary: isBinary });
  });
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

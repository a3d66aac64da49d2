/**
 * Baseline for the health bench: the least a Node HTTP server can do to answer the same JSON
 * body as GET /health/live. No framework, no hooks, no logging. Listens on PORT and HOST.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({ status: 'ok' });
const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) };

createServer((_req, res) => {
  res.writeHead(200, headers);
  res.end(body);
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

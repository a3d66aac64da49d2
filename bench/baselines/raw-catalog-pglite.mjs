/**
 * Baseline for the embedded catalog bench: bare node:http + PGlite opened on a copy of the same
 * data folder, running the catalog's by-id SQL (catalog-sql.mjs) and sending the same JSON.
 */
import { createServer } from 'node:http';
import { PGlite } from '@electric-sql/pglite';
import { BY_ID, toWire } from './catalog-sql.mjs';

const db = await PGlite.create(process.env.PGLITE_DIR);
const UUID = /^\/api\/v1\/products\/([0-9a-f-]{36})$/;

const send = (res, status, body) => {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
};

createServer(async (req, res) => {
  try {
    const byId = UUID.exec(req.url);
    if (byId) {
      const { rows } = await db.query(BY_ID, [byId[1]]);
      if (!rows[0]) return send(res, 404, { status: 404 });
      return send(res, 200, toWire(rows[0]));
    }
    if (req.url === '/') return send(res, 200, { ok: true });
    send(res, 404, { status: 404 });
  } catch (err) {
    send(res, 500, { error: String(err) });
  }
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

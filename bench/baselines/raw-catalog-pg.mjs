/**
 * Baseline for the catalog benches on PostgreSQL: bare node:http + a pg pool of the same size
 * as Zaplecze's, running the catalog's own SQL (catalog-sql.mjs) and sending the same JSON.
 * GET /api/v1/products/:id and GET /api/v1/products?q=&kind=&limit= (sort price asc). Statements are
 * named (prepared once per connection), as Zaplecze's are.
 */
import { createServer } from 'node:http';
import pg from 'pg';
import { BY_ID, LIST_Q_KIND_PRICE, toWire } from './catalog-sql.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const UUID = /^\/api\/v1\/products\/([0-9a-f-]{36})$/;

const send = (res, status, body) => {
  const json = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(json) });
  res.end(json);
};

createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    const byId = UUID.exec(url.pathname);
    if (byId) {
      const { rows } = await pool.query({ name: 'catalog_product_by_id', text: BY_ID, values: [byId[1]] });
      if (!rows[0]) return send(res, 404, { status: 404 });
      return send(res, 200, toWire(rows[0]));
    }
    if (url.pathname === '/api/v1/products') {
      const q = url.searchParams.get('q');
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const { rows } = await pool.query({
        name: 'catalog_list',
        text: LIST_Q_KIND_PRICE,
        values: [q, 'active', q, url.searchParams.get('kind'), limit + 1],
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const nextCursor =
        rows.length > limit && last ? Buffer.from(JSON.stringify(['price:asc', last.price_cents, last.id])).toString('base64url') : null;
      return send(res, 200, { items: page.map(toWire), nextCursor });
    }
    if (url.pathname === '/') return send(res, 200, { ok: true });
    send(res, 404, { status: 404 });
  } catch (err) {
    send(res, 500, { error: String(err) });
  }
}).listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

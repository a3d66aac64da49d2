/**
 * What many teams would write instead: an idiomatic Express 5 app with the usual JSON body
 * parser and a pg pool, one route reading a product with its categories. Same SQL and the
 * same JSON as Zaplecze's GET /api/v1/products/:id, errors answered by hand.
 */
import express from 'express';
import pg from 'pg';
import { BY_ID, toWire } from './catalog-sql.mjs';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) });
const app = express();
app.use(express.json());

app.get('/', (_req, res) => {
  res.json({ ok: true });
});

app.get('/api/v1/products/:id', async (req, res) => {
  const { rows } = await pool.query(BY_ID, [req.params.id]);
  if (rows.length === 0) return res.status(404).json({ error: 'Product not found' });
  res.json(toWire(rows[0]));
});

app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1');

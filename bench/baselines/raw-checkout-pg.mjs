/**
 * The checkout bench's baseline: the same statements Zaplecze issues for "put in cart, then
 * check out", straight through pg with no HTTP, no framework and no auth. The cart write is
 * its own statement (like PUT /cart/items); the checkout is ONE transaction: idempotency key,
 * cart, prices, stock reservation (conditional UPDATE, never oversells), order and lines, cart
 * cleanup, stored response, outbox event, and the sandbox payment. One loop per customer, as
 * many as the Zaplecze side; prints one JSON line like checkout-client.mjs.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { measureLoops } from '../lib/measure-loops.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: spec.poolSize });

async function putInCart(userId, productId) {
  const { rows } = await pool.query("select id, price_cents, currency, stock from catalog.products where id = $1 and status = 'active'", [
    productId,
  ]);
  if (!rows[0] || rows[0].stock < 1) throw new Error('product unavailable');
  await pool.query(
    `insert into shop.cart_items (user_id, product_id, quantity, added_at, updated_at) values ($1, $2, 1, now(), now())
     on conflict (user_id, product_id) do update set quantity = 1, updated_at = now()`,
    [userId, productId],
  );
}

async function checkout(userId) {
  const client = await pool.connect();
  const orderId = randomUUID();
  const key = randomUUID();
  try {
    await client.query('begin');
    await client.query(
      `insert into shop.idempotency_keys (user_id, key, request_hash, order_id, status, created_at) values ($1, $2, 'h', $3, 'in_progress', now()) on conflict do nothing`,
      [userId, key, orderId],
    );
    const cart = (await client.query('select product_id, quantity from shop.cart_items where user_id = $1 order by added_at', [userId]))
      .rows;
    const ids = cart.map((c) => c.product_id);
    const products = (await client.query('select id, sku, name, price_cents, currency from catalog.products where id = any($1)', [ids]))
      .rows;
    await client.query('insert into catalog.stock_reservations (order_id, created_at) values ($1, now()) on conflict do nothing', [
      orderId,
    ]);
    let total = 0;
    const lines = [];
    for (const item of cart) {
      const taken = await client.query(
        "update catalog.products set stock = stock - $2, version = version + 1, updated_at = now() where id = $1 and status = 'active' and stock >= $2 returning id",
        [item.product_id, item.quantity],
      );
      if (taken.rowCount !== 1) throw new Error('out of stock');
      const p = products.find((x) => x.id === item.product_id);
      lines.push({ ...item, p });
      total += p.price_cents * item.quantity;
    }
    await client.query(
      'insert into catalog.stock_reservation_lines (order_id, product_id, quantity) select $1, * from unnest($2::uuid[], $3::int[])',
      [orderId, ids, cart.map((c) => c.quantity)],
    );
    await client.query(
      `insert into shop.orders (id, user_id, status, currency, total_cents, item_count, created_at, updated_at, expires_at)
       values ($1, $2, 'pending_payment', $3, $4, $5, now(), now(), now() + interval '30 minutes')`,
      [orderId, userId, lines[0].p.currency, total, lines.length],
    );
    for (const l of lines) {
      await client.query(
        'insert into shop.order_lines (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents) values ($1, $2, $3, $4, $5, $6, $7)',
        [orderId, l.product_id, l.p.sku, l.p.name, l.p.price_cents, l.quantity, l.p.price_cents * l.quantity],
      );
      await client.query('delete from shop.cart_items where user_id = $1 and product_id = $2 and quantity = $3', [
        userId,
        l.product_id,
        l.quantity,
      ]);
    }
    const response = { id: orderId, userId, total, lines: lines.map((l) => ({ productId: l.product_id, quantity: l.quantity })) };
    await client.query(
      "update shop.idempotency_keys set status = 'done', response_status = 201, response = $3 where user_id = $1 and key = $2",
      [userId, key, response],
    );
    await client.query("insert into platform.outbox_events (id, type, payload) values ($1, 'order.created', $2)", [
      randomUUID(),
      { order: response },
    ]);
    const ref = `sbpay_${orderId.replaceAll('-', '')}`;
    await client.query(
      `insert into shop.sandbox_payments (reference, order_id, amount_cents, currency, status, created_at, updated_at) values ($1, $2, $3, $4, 'requires_payment', now(), now()) on conflict (order_id) do nothing`,
      [ref, orderId, total, lines[0].p.currency],
    );
    await client.query(
      `insert into shop.payments (order_id, provider, reference, status, amount_cents, currency, created_at, updated_at) values ($1, 'sandbox', $2, 'requires_payment', $3, $4, now(), now()) on conflict do nothing`,
      [orderId, ref, total, lines[0].p.currency],
    );
    await client.query('commit');
  } catch (err) {
    await client.query('rollback');
    throw err;
  } finally {
    client.release();
  }
}

async function run(durationS, histogram, counts) {
  const until = performance.now() + durationS * 1000;
  await Promise.all(
    spec.userIds.map(async (userId, i) => {
      let n = i;
      while (performance.now() < until) {
        try {
          await putInCart(userId, spec.productIds[n++ % spec.productIds.length]);
          const started = performance.now();
          await checkout(userId);
          counts.ok++;
          histogram?.record(Math.max(1, Math.round((performance.now() - started) * 1000)));
        } catch {
          counts.errors++;
        }
      }
    }),
  );
}

await measureLoops({ warmupS: spec.warmupS, durationS: spec.durationS, cpuPid: process.pid, run });
await pool.end();

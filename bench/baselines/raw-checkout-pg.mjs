/**
 * The checkout bench's baseline: the statements Zaplecze issues for "put in cart, then check
 * out", straight through pg with no HTTP, no framework, no auth and no event publishing. The
 * cart write reads the cart and the product, then upserts the line (like PUT /cart/items). The
 * checkout is ONE transaction of the same shape as Zaplecze's: key claim with the customer's
 * checkout lock, unpaid-orders count with the cart, the products locked and priced, reservation
 * with its lines and the stock taken (conditional UPDATE, never oversells), order with its
 * lines, stored answer and cart cleanup, outbox row; then, after the commit, the sandbox ledger
 * and the payment row. One loop per customer, as many as the Zaplecze side; prints one JSON
 * line like checkout-client.mjs.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { measureLoops } from '../lib/measure-loops.mjs';

const spec = JSON.parse(process.argv[2] ?? '{}');
const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: spec.poolSize });

async function putInCart(userId, productId) {
  // The cart is read first: putting a line checks the cart's size and currency against it.
  await pool.query('select product_id, quantity from shop.cart_items where user_id = $1 order by added_at, product_id', [userId]);
  const { rows } = await pool.query('select id, price_cents, currency, stock, status from catalog.products where id = any($1::uuid[])', [
    [productId],
  ]);
  if (rows[0]?.status !== 'active' || rows[0].stock < 1) throw new Error('product unavailable');
  await pool.query(
    `insert into shop.cart_items (user_id, product_id, quantity, added_at, updated_at) values ($1, $2, 1, now(), now())
     on conflict (user_id, product_id) do update set quantity = excluded.quantity, updated_at = excluded.updated_at`,
    [userId, productId],
  );
}

async function checkout(userId) {
  const order = await placeOrder(userId);
  // The payment after the commit, as Zaplecze starts it: the provider's ledger, then the payment row.
  const ref = `sbpay_${order.id.replaceAll('-', '')}`;
  await pool.query(
    `insert into shop.sandbox_payments (reference, order_id, amount_cents, currency, status, created_at, updated_at) values ($1, $2, $3, $4, 'requires_payment', now(), now()) on conflict (order_id) do nothing returning *`,
    [ref, order.id, order.total, order.currency],
  );
  await pool.query(
    `insert into shop.payments (order_id, provider, reference, status, amount_cents, currency, created_at, updated_at) values ($1, 'sandbox', $2, 'requires_payment', $3, $4, now(), now()) on conflict do nothing`,
    [order.id, ref, order.total, order.currency],
  );
}

async function placeOrder(userId) {
  const client = await pool.connect();
  const orderId = randomUUID();
  const key = randomUUID();
  try {
    await client.query('begin');
    // Key claim and the customer's checkout lock (the unpaid-orders cap), then the cap and the cart.
    const claimed = await client.query(
      `with claimed as (insert into shop.idempotency_keys (user_id, key, request_hash, order_id, status, created_at)
                        values ($1, $2, 'h', $3, 'in_progress', now()) on conflict do nothing returning 1)
       select pg_advisory_xact_lock(24075, hashtext($1::text)) from claimed`,
      [userId, key, orderId],
    );
    if (claimed.rowCount !== 1) throw new Error('key reused');
    const state = await client.query(
      `select (select count(*) from shop.orders where user_id = $1 and status = 'pending_payment' and expires_at > now())::int as pending,
              coalesce((select json_agg(json_build_object('productId', product_id, 'quantity', quantity) order by added_at, product_id)
                        from shop.cart_items where user_id = $1), '[]'::json) as cart`,
      [userId],
    );
    const cart = state.rows[0].cart;
    if (cart.length === 0) throw new Error('cart empty');
    const ids = cart.map((c) => c.productId);
    const quantities = cart.map((c) => c.quantity);
    // Decided and priced under the row locks, then reservation, lines and stock in one statement.
    const products = (
      await client.query(
        'select id, sku, name, price_cents, currency, stock, status from catalog.products where id = any($1::uuid[]) order by id for update',
        [ids],
      )
    ).rows;
    const lines = cart.map((item) => {
      const p = products.find((x) => x.id === item.productId);
      if (p?.status !== 'active' || p.stock < item.quantity) throw new Error('out of stock');
      return { ...item, p, total: Number(p.price_cents) * item.quantity };
    });
    const taken = await client.query(
      `with reservation as (insert into catalog.stock_reservations (order_id, created_at) values ($1, now()) on conflict do nothing returning order_id),
       wanted as (select * from unnest($2::uuid[], $3::int[]) as w(product_id, quantity)),
       reserved_lines as (insert into catalog.stock_reservation_lines (order_id, product_id, quantity)
                          select reservation.order_id, wanted.product_id, wanted.quantity from reservation, wanted),
       taken as (update catalog.products set stock = stock - wanted.quantity, version = version + 1, updated_at = now()
                 from wanted, reservation where products.id = wanted.product_id and products.status = 'active' and products.stock >= wanted.quantity
                 returning products.id)
       select (select count(*) from taken)::int as taken`,
      [orderId, ids, quantities],
    );
    if (taken.rows[0].taken !== lines.length) throw new Error('out of stock');
    const total = lines.reduce((sum, l) => sum + l.total, 0);
    const currency = lines[0].p.currency;
    const response = { id: orderId, userId, total, lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })) };
    // Order, lines, the stored answer and the cart cleanup in one statement.
    await client.query(
      `with placed as (insert into shop.orders (id, user_id, status, currency, total_cents, item_count, created_at, updated_at, expires_at)
                       values ($1, $2, 'pending_payment', $3, $4, $5, now(), now(), now() + interval '30 minutes') returning id),
       placed_lines as (insert into shop.order_lines (order_id, product_id, sku, name, unit_price_cents, quantity, line_total_cents)
                        select placed.id, l.* from placed, unnest($6::uuid[], $7::text[], $8::text[], $9::bigint[], $10::int[], $11::bigint[]) as l),
       finished as (update shop.idempotency_keys set status = 'done', response_status = 201, response = $13
                    where user_id = $2 and key = $12 and status = 'in_progress' returning 1),
       emptied as (delete from shop.cart_items c using unnest($6::uuid[], $10::int[]) as l(product_id, quantity)
                   where c.user_id = $2 and c.product_id = l.product_id and c.quantity = l.quantity)
       select (select count(*) from finished)::int as finished`,
      [
        orderId,
        userId,
        currency,
        total,
        lines.reduce((n, l) => n + l.quantity, 0),
        ids,
        lines.map((l) => l.p.sku),
        lines.map((l) => l.p.name),
        lines.map((l) => l.p.price_cents),
        quantities,
        lines.map((l) => l.total),
        key,
        response,
      ],
    );
    await client.query("insert into platform.outbox_events (id, type, payload) values ($1, 'order.created', $2)", [
      randomUUID(),
      { order: response },
    ]);
    await client.query('commit');
    return { id: orderId, total, currency };
  } catch (err) {
    await client.query('rollback').catch(() => {});
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

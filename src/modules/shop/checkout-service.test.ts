import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, checkout, createProduct, putInCart, recordEvents, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { ShopEvents } from './events.js';

describe('checkout', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const cartOf = async (user: TestUser) => (await t.request({ method: 'GET', url: `${API}/cart`, token: user.token })).json();
  const ordersOf = async (user: TestUser) => (await t.request({ method: 'GET', url: `${API}/orders`, token: user.token })).json().items;

  it('when the cart is ordered, then one order snapshots name, price and quantity, stock is taken and the cart emptied', async () => {
    const user = await t.createUser();
    const a = await createProduct(t, admin, { name: 'Lamp', priceCents: 4999, stock: 5 });
    const b = await createProduct(t, admin, { name: 'Bulb', priceCents: 350, stock: 50 });
    await putInCart(t, user, a.id, 2);
    await putInCart(t, user, b.id, 4);
    const events = recordEvents(t, [ShopEvents.orderCreated]);

    const res = await checkout(t, user, randomUUID(), { note: 'Leave at the door' });
    expect(res.statusCode, res.body).toBe(201);
    const order = res.json();
    expect(res.headers.location).toBe(`${API}/orders/${order.id}`);
    expect(order).toMatchObject({
      status: 'pending_payment',
      currency: 'PLN',
      totalCents: 2 * 4999 + 4 * 350,
      itemCount: 6,
      refundedCents: 0,
      note: 'Leave at the door',
      userId: user.id,
    });
    // Lines are listed in product id order.
    expect(order.lines).toEqual(
      [
        { productId: b.id, sku: b.sku, name: 'Bulb', unitPriceCents: 350, quantity: 4, lineTotalCents: 1400 },
        { productId: a.id, sku: a.sku, name: 'Lamp', unitPriceCents: 4999, quantity: 2, lineTotalCents: 9998 },
      ].sort((x, y) => (x.productId < y.productId ? -1 : 1)),
    );
    // The sandbox payment was started; the browser gets its client secret.
    expect(order.payment).toMatchObject({ provider: 'sandbox', status: 'requires_payment' });
    expect(order.payment.clientSecret).toMatch(/_secret_/);
    expect(new Date(order.expiresAt).getTime() - new Date(order.createdAt).getTime()).toBe(30 * 60_000);

    expect(await stockOf(t, a.id)).toBe(3);
    expect(await stockOf(t, b.id)).toBe(46);
    expect((await cartOf(user)).items).toEqual([]);

    // Later catalog changes do not touch what was bought.
    await t.request({
      method: 'PATCH',
      url: `${API}/products/${a.id}`,
      token: admin.token,
      payload: { priceCents: 1, name: 'Cheap lamp' },
    });
    const again = (await t.request({ method: 'GET', url: `${API}/orders/${order.id}`, token: user.token })).json();
    expect(again.lines.find((l: { productId: string }) => l.productId === a.id)).toMatchObject({ name: 'Lamp', unitPriceCents: 4999 });
    expect(again.lines).toEqual(order.lines);
    expect(again.payment.clientSecret).toBeUndefined();

    await t.platform.bus.ready();
    await new Promise((r) => setTimeout(r, 50));
    expect(events.forOrder(order.id)).toEqual([ShopEvents.orderCreated]);
    events.stop();
  });

  it('when the same Idempotency-Key and body come again, then the first answer is replayed and nothing else happens', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 10 });
    await putInCart(t, user, p.id, 2);
    const key = randomUUID();
    const first = await checkout(t, user, key, { note: 'x' });
    expect(first.statusCode).toBe(201);
    // Something new in the cart must not be ordered by a replay.
    await putInCart(t, user, p.id, 3);
    const second = await checkout(t, user, key, { note: 'x' });
    expect(second.statusCode).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json().id).toBe(first.json().id);
    expect(second.json().totalCents).toBe(first.json().totalCents);
    expect(await stockOf(t, p.id)).toBe(8);
    expect(await ordersOf(user)).toHaveLength(1);
    expect((await cartOf(user)).items[0].quantity).toBe(3);

    // Same key, another body: refused, and still nothing ordered.
    const other = await checkout(t, user, key, { note: 'y' });
    expect(other.statusCode).toBe(422);
    expect(other.json().code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await ordersOf(user)).toHaveLength(1);

    // The key is the user's own: another user may use the same value.
    const bob = await t.createUser();
    await putInCart(t, bob, p.id, 1);
    expect((await checkout(t, bob, key, { note: 'x' })).statusCode).toBe(201);
  });

  it('when the Idempotency-Key is missing or malformed, then 400 and nothing is ordered', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    await putInCart(t, user, p.id, 1);
    const missing = await checkout(t, user, null);
    expect(missing.statusCode).toBe(400);
    expect(missing.json().code).toBe('IDEMPOTENCY_KEY_REQUIRED');
    const bad = await checkout(t, user, 'has spaces in it');
    expect(bad.statusCode).toBe(400);
    expect(await ordersOf(user)).toEqual([]);
  });

  it('when the body is invalid, then 400 with the path', async () => {
    const user = await t.createUser();
    const res = await checkout(t, user, randomUUID(), {
      shippingAddress: { name: 'A', line1: 'B', city: 'C', postalCode: '1', country: 'pl' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('/shippingAddress/country');
  });

  it('when the cart is empty, then 422 CART_EMPTY, and the same key replays that answer', async () => {
    const user = await t.createUser();
    const key = randomUUID();
    const res = await checkout(t, user, key);
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('CART_EMPTY');
    const p = await createProduct(t, admin);
    await putInCart(t, user, p.id, 1);
    const replay = await checkout(t, user, key);
    expect(replay.statusCode).toBe(422);
    expect(replay.json()).toMatchObject({ code: 'CART_EMPTY', replayed: true });
    expect((await checkout(t, user, randomUUID())).statusCode).toBe(201);
  });

  it('when one line is out of stock, then 422 OUT_OF_STOCK and nothing changes: no order, stock and cart as they were', async () => {
    const user = await t.createUser();
    const plenty = await createProduct(t, admin, { stock: 10 });
    const scarce = await createProduct(t, admin, { stock: 3 });
    await putInCart(t, user, plenty.id, 2);
    await putInCart(t, user, scarce.id, 3);
    // Someone else buys the scarce product first.
    const rival = await t.createUser();
    await putInCart(t, rival, scarce.id, 2);
    expect((await checkout(t, rival)).statusCode).toBe(201);

    const res = await checkout(t, user);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'OUT_OF_STOCK', productId: scarce.id, available: 1 });
    expect(await stockOf(t, plenty.id)).toBe(10);
    expect(await stockOf(t, scarce.id)).toBe(1);
    expect(await ordersOf(user)).toEqual([]);
    expect((await cartOf(user)).items).toHaveLength(2);
  });

  it('when writing the order fails after stock was reserved, then the reservation is released, no event is published, and a retry works', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 4 });
    await putInCart(t, user, p.id, 4);
    const events = recordEvents(t, [ShopEvents.orderCreated]);
    // A failure inside the order transaction, after the catalog reserved the stock.
    await t.platform.db.execute(sql`
      create or replace function shop.fail_order() returns trigger language plpgsql as $$
      begin raise exception 'injected failure'; end $$`);
    await t.platform.db.execute(
      sql`create trigger fail_order before insert on shop.order_lines for each row execute function shop.fail_order()`,
    );
    const key = randomUUID();
    try {
      const res = await checkout(t, user, key, {}, { contract: false });
      expect(res.statusCode).toBe(500);
      expect(await stockOf(t, p.id)).toBe(4);
      expect(await ordersOf(user)).toEqual([]);
      expect((await cartOf(user)).items).toHaveLength(1);
    } finally {
      await t.platform.db.execute(sql`drop trigger fail_order on shop.order_lines`);
    }
    const retry = await checkout(t, user, key);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(await stockOf(t, p.id)).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(events.seen.map((e) => e.payload.order.id)).toEqual([retry.json().id]);
    events.stop();
  });

  it('without a token, 401; admins check out like anyone else', async () => {
    expect((await t.request({ method: 'POST', url: `${API}/orders`, payload: {}, headers: { 'idempotency-key': 'k' } })).statusCode).toBe(
      401,
    );
    const p = await createProduct(t, admin);
    await putInCart(t, admin, p.id, 1);
    expect((await checkout(t, admin)).statusCode).toBe(201);
  });
});

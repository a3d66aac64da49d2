import { randomUUID } from 'node:crypto';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, checkout, createProduct, orderOf, putInCart, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { cartItems, orders } from './tables.js';

/** Stock hoarding (OWASP API6): one account may not hold a product's stock in unpaid orders. */
describe('stock hoarding limits', () => {
  let t: TestApp;
  let admin: TestUser;

  // The defaults: SHOP_MAX_PENDING_ORDERS=3, SHOP_MAX_LINE_QUANTITY=10.
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const pendingOf = (userId: string) =>
    t.platform.db
      .select()
      .from(orders)
      .where(and(eq(orders.userId, userId), eq(orders.status, 'pending_payment')));

  it('when a customer already holds 3 unpaid orders, then a 4th is 422 TOO_MANY_PENDING_ORDERS, no stock is taken, and the key replays it', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 20 });
    for (let i = 0; i < 3; i++) await orderOf(t, user, p.id, 2);
    await putInCart(t, user, p.id, 2);
    const key = randomUUID();
    const refused = await checkout(t, user, key);
    expect(refused.statusCode, refused.body).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'TOO_MANY_PENDING_ORDERS', limit: 3 });
    expect(await stockOf(t, p.id)).toBe(14);
    expect(await pendingOf(user.id)).toHaveLength(3);
    const replay = await checkout(t, user, key);
    expect(replay.statusCode).toBe(422);
    expect(replay.json().code).toBe('TOO_MANY_PENDING_ORDERS');
  });

  it('when one unpaid order is cancelled or has expired, then the customer may order again', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 20 });
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await orderOf(t, user, p.id));
    const cancel = await t.request({ method: 'POST', url: `${API}/orders/${held[0].id}/cancel`, token: user.token });
    expect(cancel.statusCode, cancel.body).toBe(200);
    await orderOf(t, user, p.id);
    // Past its deadline an order no longer counts, even before the sweeper has expired it.
    await t.platform.db
      .update(orders)
      .set({ expiresAt: new Date(t.clock.now().getTime() - 1) })
      .where(eq(orders.id, held[1].id));
    await orderOf(t, user, p.id);
    // Someone else's unpaid orders never count against this customer.
    await orderOf(t, await t.createUser(), p.id);
  });

  it('when a cart line asks for more than 10 units, then 422 LINE_QUANTITY_LIMIT_EXCEEDED and the cart is unchanged', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 100 });
    await putInCart(t, user, p.id, 10);
    const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: user.token, payload: { quantity: 11 } });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'LINE_QUANTITY_LIMIT_EXCEEDED', limit: 10, productId: p.id });
    const cart = (await t.request({ method: 'GET', url: `${API}/cart`, token: user.token })).json();
    expect(cart.items.map((i: { quantity: number }) => i.quantity)).toEqual([10]);
  });

  it('when a line in the cart is above the limit (put before it was lowered), then checkout is 422 and takes no stock', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 100 });
    await putInCart(t, user, p.id, 5);
    await t.platform.db
      .update(cartItems)
      .set({ quantity: 50 })
      .where(and(eq(cartItems.userId, user.id), eq(cartItems.productId, p.id)));
    const res = await checkout(t, user);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'LINE_QUANTITY_LIMIT_EXCEEDED', limit: 10 });
    expect(await stockOf(t, p.id)).toBe(100);
    expect(await pendingOf(user.id)).toHaveLength(0);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when one customer sends 12 checkouts at once, then at most 3 orders are made and the refused ones take no stock',
    async () => {
      const user = await t.createUser();
      const p = await createProduct(t, admin, { stock: 100 });
      await putInCart(t, user, p.id, 1);
      // All pass the early check and reserve stock; the cap is judged again under the customer's lock.
      // (A request that reads the cart after the first order removed the line answers CART_EMPTY.)
      const results = await Promise.all(Array.from({ length: 12 }, () => checkout(t, user)));
      const created = results.filter((r) => r.statusCode === 201);
      expect(created.length).toBeGreaterThanOrEqual(1);
      expect(created.length).toBeLessThanOrEqual(3);
      for (const r of results.filter((r) => r.statusCode !== 201)) {
        expect(r.statusCode, r.body).toBe(422);
        expect(['TOO_MANY_PENDING_ORDERS', 'CART_EMPTY']).toContain(r.json().code);
      }
      expect(await pendingOf(user.id)).toHaveLength(created.length);
      expect(await stockOf(t, p.id)).toBe(100 - created.length);
    },
    60_000,
  );
});

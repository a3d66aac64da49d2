import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, checkout, createProduct, orderOf, orderReaches, putInCart, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { MAX_AMOUNT_CENTS } from './money.js';
import { cartItems } from './tables.js';

/** 20 million PLN: the catalog's highest price is 2e9 minor units; two of them overflow a 32-bit integer. */
const PRICE = 2_000_000_000;

describe('money above 32 bits', () => {
  let t: TestApp;
  let admin: TestUser;

  // Lines of up to 1000 units, so one line can reach past the money bound.
  beforeAll(async () => {
    t = await createTestApp({ env: { SHOP_MAX_LINE_QUANTITY: '1000' } });
    admin = await t.admin();
  });
  afterAll(() => t.close());

  it('when a cart of two items of 20 million (2e9 minor units each) is ordered, paid and partly refunded, then every amount is exact and stats stay numbers', async () => {
    const user = await t.createUser();
    const a = await createProduct(t, admin, { priceCents: PRICE, currency: 'CHF' });
    const b = await createProduct(t, admin, { priceCents: PRICE, currency: 'CHF' });
    await putInCart(t, user, a.id, 1);
    const cart = await putInCart(t, user, b.id, 1);
    expect(cart.totalCents).toBe(2 * PRICE);
    const res = await checkout(t, user);
    expect(res.statusCode, res.body).toBe(201);
    const order = res.json();
    expect(order.totalCents).toBe(4_000_000_000);
    expect(order.lines.map((l: { lineTotalCents: number }) => l.lineTotalCents)).toEqual([PRICE, PRICE]);

    const pay = await t.request({ method: 'POST', url: `${API}/payments/sandbox/${order.payment.reference}/succeed`, token: user.token });
    expect(pay.statusCode, pay.body).toBe(202);
    await orderReaches(t, user, order.id, 'paid');
    const refund = await t.request({
      method: 'POST',
      url: `${API}/admin/orders/${order.id}/refund`,
      token: admin.token,
      payload: { amountCents: 3_000_000_000 },
    });
    expect(refund.statusCode, refund.body).toBe(200);
    expect(refund.json()).toMatchObject({ status: 'paid', refundedCents: 3_000_000_000 });

    const stats = (await t.request({ method: 'GET', url: `${API}/admin/stats`, token: admin.token })).json();
    expect(stats.days.filter((d: { currency: string }) => d.currency === 'CHF')).toEqual([
      expect.objectContaining({ orders: 1, paidOrders: 1, revenueCents: 1_000_000_000, refundedCents: 3_000_000_000 }),
    ]);
  });

  it('when a line would cost more than 10^12, then 422 AMOUNT_TOO_LARGE at the cart and nothing is stored', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: PRICE, stock: 1000 });
    await putInCart(t, user, p.id, 500);
    const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: user.token, payload: { quantity: 501 } });
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json()).toMatchObject({ code: 'AMOUNT_TOO_LARGE', maxCents: MAX_AMOUNT_CENTS, productId: p.id });
    const other = await createProduct(t, admin, { priceCents: PRICE, stock: 10 });
    const total = await t.request({ method: 'PUT', url: `${API}/cart/items/${other.id}`, token: user.token, payload: { quantity: 1 } });
    expect(total.statusCode, total.body).toBe(422);
    expect(total.json().code).toBe('AMOUNT_TOO_LARGE');
    const cart = (await t.request({ method: 'GET', url: `${API}/cart`, token: user.token })).json();
    expect(cart.items.map((i: { quantity: number }) => i.quantity)).toEqual([500]);
  });

  it('when the cart has grown past the bound since (prices or quantities changed), then checkout is 422 and takes no stock', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: PRICE, stock: 1000 });
    await putInCart(t, user, p.id, 1);
    await t.platform.db
      .update(cartItems)
      .set({ quantity: 501 })
      .where(and(eq(cartItems.userId, user.id), eq(cartItems.productId, p.id)));
    const res = await checkout(t, user);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().code).toBe('AMOUNT_TOO_LARGE');
    expect(await stockOf(t, p.id)).toBe(1000);
    await orderOf(t, await t.createUser(), p.id, 500);
  });

  it('when a refund asks for more than 10^12, then 400 with the field path', async () => {
    const res = await t.request({
      method: 'POST',
      url: `${API}/admin/orders/${'0'.repeat(8)}-0000-7000-8000-${'0'.repeat(12)}/refund`,
      token: admin.token,
      payload: { amountCents: MAX_AMOUNT_CENTS + 1 },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toContainEqual(expect.objectContaining({ path: '/amountCents' }));
  });
});

import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, createProduct, putInCart } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { MAX_CART_LINES } from './cart-service.js';

describe('cart', () => {
  let t: TestApp;
  let admin: TestUser;
  let alice: TestUser;
  let bob: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
    alice = await t.createUser();
    bob = await t.createUser();
  });
  afterAll(() => t.close());

  const cartOf = async (user: TestUser) => (await t.request({ method: 'GET', url: `${API}/cart`, token: user.token })).json();

  it('when products are put in the cart, then lines and the total are priced in integer cents from current prices', async () => {
    const a = await createProduct(t, admin, { priceCents: 1999, stock: 5 });
    const b = await createProduct(t, admin, { priceCents: 5, stock: 100 });
    await putInCart(t, alice, a.id, 3);
    const cart = await putInCart(t, alice, b.id, 7);
    expect(cart.items.map((i: { productId: string; lineTotalCents: number }) => [i.productId, i.lineTotalCents])).toEqual([
      [a.id, 5997],
      [b.id, 35],
    ]);
    expect(cart).toMatchObject({ currency: 'PLN', totalCents: 6032, itemCount: 10, orderable: true });

    // A later price change shows in the cart (it holds no prices of its own).
    await t.request({ method: 'PATCH', url: `${API}/products/${a.id}`, token: admin.token, payload: { priceCents: 1000 } });
    expect((await cartOf(alice)).totalCents).toBe(3035);

    // Bob's cart is his own.
    expect((await cartOf(bob)).items).toEqual([]);
  });

  it('when the quantity is set again, then it replaces the old one; deleting a line or the cart removes it', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 9 });
    await putInCart(t, user, p.id, 2);
    expect((await putInCart(t, user, p.id, 4)).items[0].quantity).toBe(4);
    const removed = await t.request({ method: 'DELETE', url: `${API}/cart/items/${p.id}`, token: user.token });
    expect(removed.json().items).toEqual([]);
    const again = await t.request({ method: 'DELETE', url: `${API}/cart/items/${p.id}`, token: user.token });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('CART_ITEM_NOT_FOUND');
    await putInCart(t, user, p.id, 1);
    expect((await t.request({ method: 'DELETE', url: `${API}/cart`, token: user.token })).statusCode).toBe(204);
    expect((await cartOf(user)).items).toEqual([]);
  });

  it('when the quantity is not available, then 422 OUT_OF_STOCK with what is available, and the cart is unchanged', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 2 });
    await putInCart(t, user, p.id, 1);
    const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: user.token, payload: { quantity: 3 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'OUT_OF_STOCK', available: 2, productId: p.id });
    expect((await cartOf(user)).items[0].quantity).toBe(1);
  });

  it('when the product is unknown or archived, then 422 PRODUCT_UNAVAILABLE; a line archived later is flagged', async () => {
    const user = await t.createUser();
    const unknown = await t.request({
      method: 'PUT',
      url: `${API}/cart/items/${randomUUID()}`,
      token: user.token,
      payload: { quantity: 1 },
    });
    expect(unknown.statusCode).toBe(422);
    expect(unknown.json().code).toBe('PRODUCT_UNAVAILABLE');

    const p = await createProduct(t, admin);
    await putInCart(t, user, p.id, 1);
    await t.request({ method: 'PATCH', url: `${API}/products/${p.id}`, token: admin.token, payload: { status: 'archived' } });
    const cart = await cartOf(user);
    expect(cart.items[0]).toMatchObject({ productId: p.id, problem: 'unavailable', lineTotalCents: 0 });
    expect(cart.orderable).toBe(false);
    const again = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: user.token, payload: { quantity: 1 } });
    expect(again.json().code).toBe('PRODUCT_UNAVAILABLE');
  });

  it('when a product in another currency is added, then 422 CURRENCY_MISMATCH', async () => {
    const user = await t.createUser();
    const pln = await createProduct(t, admin, { currency: 'PLN' });
    const eur = await createProduct(t, admin, { currency: 'EUR' });
    await putInCart(t, user, pln.id, 1);
    const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${eur.id}`, token: user.token, payload: { quantity: 1 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'CURRENCY_MISMATCH', cartCurrency: 'PLN' });
    // Replacing the only line with another currency is fine: the cart then holds EUR.
    await t.request({ method: 'DELETE', url: `${API}/cart/items/${pln.id}`, token: user.token });
    expect((await putInCart(t, user, eur.id, 1)).currency).toBe('EUR');
  });

  it('when the cart already has the maximum of lines, then one more is 422 CART_LIMIT_REACHED', async () => {
    const user = await t.createUser();
    const now = new Date();
    // Filled directly: creating 100 products through the API would only slow the test down.
    const ids = Array.from({ length: MAX_CART_LINES }, () => randomUUID());
    const { cartItems } = await import('./tables.js');
    await t.platform.db
      .insert(cartItems)
      .values(ids.map((productId) => ({ userId: user.id, productId, quantity: 1, addedAt: now, updatedAt: now })));
    const p = await createProduct(t, admin);
    const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: user.token, payload: { quantity: 1 } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'CART_LIMIT_REACHED', limit: MAX_CART_LINES });
  });

  it('when the input is bad, then 400 with the field path; without a token, 401', async () => {
    const p = await createProduct(t, admin);
    for (const quantity of [0, -1, 1.5, 1001, null]) {
      const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, token: alice.token, payload: { quantity } });
      expect(res.statusCode, String(quantity)).toBe(400);
      expect(res.json().errors[0].path).toBe('/quantity');
    }
    const badId = await t.request({ method: 'PUT', url: `${API}/cart/items/not-a-uuid`, token: alice.token, payload: { quantity: 1 } });
    expect(badId.statusCode).toBe(400);
    expect((await t.request({ method: 'GET', url: `${API}/cart` })).statusCode).toBe(401);
    expect((await t.request({ method: 'PUT', url: `${API}/cart/items/${p.id}`, payload: { quantity: 1 } })).statusCode).toBe(401);
  });
});

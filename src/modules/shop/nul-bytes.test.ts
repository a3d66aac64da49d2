import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, checkout, createProduct, getOrder, orderOf, orderReaches, putInCart, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { orders } from './tables.js';

/** PostgreSQL cannot store U+0000 in text: the shop's free-text fields answer 400 and change nothing. */
describe('NUL characters in the shop’s free text', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const address = { name: 'Jan Kowalski', line1: 'ul. Długa 1', city: 'Gdańsk', postalCode: '80-001', country: 'PL' };

  it.each([
    ['the note', { note: 'leave at the door\u0000' }, '/note'],
    ['an address line', { shippingAddress: { ...address, line1: 'ul.\u0000Długa 1' } }, '/shippingAddress/line1'],
    ['an optional address line', { shippingAddress: { ...address, line2: '\u0000' } }, '/shippingAddress/line2'],
  ])(
    'when %s of a checkout holds U+0000, then 400 with its path, no order, stock and cart unchanged, and the key still free',
    async (_, body, path) => {
      const user = await t.createUser();
      const p = await createProduct(t, admin, { stock: 5 });
      await putInCart(t, user, p.id, 2);
      const key = randomUUID();
      const res = await checkout(t, user, key, body);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [expect.objectContaining({ path })] });
      expect(await t.platform.db.select().from(orders).where(eq(orders.userId, user.id))).toEqual([]);
      expect(await stockOf(t, p.id)).toBe(5);
      const cart = (await t.request({ method: 'GET', url: `${API}/cart`, token: user.token })).json();
      expect(cart.items).toHaveLength(1);
      // The refused request did not claim the Idempotency-Key: the corrected body goes through with it.
      const fixed = await checkout(t, user, key, { note: 'leave at the door', shippingAddress: address });
      expect(fixed.statusCode, fixed.body).toBe(201);
    },
  );

  it('when a refund reason holds U+0000, then 400 with its path and nothing is refunded', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    const pay = await t.request({ method: 'POST', url: `${API}/payments/sandbox/${order.payment.reference}/succeed`, token: user.token });
    expect(pay.statusCode).toBe(202);
    await orderReaches(t, user, order.id, 'paid');
    const res = await t.request({
      method: 'POST',
      url: `${API}/admin/orders/${order.id}/refund`,
      token: admin.token,
      payload: { reason: 'damaged\u0000' },
    });
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/reason' })]);
    expect(await getOrder(t, user, order.id)).toMatchObject({ status: 'paid', refundedCents: 0 });
  });
});

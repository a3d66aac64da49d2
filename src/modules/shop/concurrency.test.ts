import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, checkout, createProduct, eventually, putInCart, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { createCatalogStock } from '../catalog/index.js';
import { idempotencyKeys, orderLines, orders } from './tables.js';

describe('checkout under concurrency and crashes', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ env: { SHOP_SWEEP_INTERVAL: '50ms', ORDER_PAYMENT_TIMEOUT: '1h' } });
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const ordersFor = (productId: string) => t.platform.db.select().from(orderLines).where(eq(orderLines.productId, productId));

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when 200 customers check out at once for 10 units, then exactly 10 orders exist and stock is 0, never negative',
    async () => {
      const p = await createProduct(t, admin, { stock: 10 });
      const users: TestUser[] = [];
      for (let i = 0; i < 200; i++) users.push(await t.createUser());
      for (const user of users) await putInCart(t, user, p.id, 1);
      const results = await Promise.all(users.map((user) => checkout(t, user)));
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(10);
      expect(codes.filter((c) => c === 422)).toHaveLength(190);
      for (const r of results.filter((r) => r.statusCode === 422)) expect(r.json().code).toBe('OUT_OF_STOCK');
      expect(await stockOf(t, p.id)).toBe(0);
      expect(await ordersFor(p.id)).toHaveLength(10);
    },
    120_000,
  );

  it('when the same Idempotency-Key is sent 50 times at once, then one order exists and every success names it', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 100 });
    await putInCart(t, user, p.id, 2);
    const key = randomUUID();
    const results = await Promise.all(Array.from({ length: 50 }, () => checkout(t, user, key, { note: 'once' })));
    const created = results.filter((r) => r.statusCode === 201);
    // The others either replayed the finished answer or were told the first is still running.
    expect(results.every((r) => r.statusCode === 201 || (r.statusCode === 409 && r.json().code === 'IDEMPOTENCY_KEY_IN_PROGRESS'))).toBe(
      true,
    );
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((r) => r.json().id)).size).toBe(1);
    expect(await ordersFor(p.id)).toHaveLength(1);
    expect(await stockOf(t, p.id)).toBe(98);
    const after = await checkout(t, user, key, { note: 'once' });
    expect(after.statusCode).toBe(201);
    expect(after.json().id).toBe(created[0]?.json().id);
  });

  it('when a checkout died after reserving stock, then the sweeper releases the stock and forgets the key, and a retry works', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 3 });
    await putInCart(t, user, p.id, 3);
    // What a process leaves behind when it dies between the reservation and the order write.
    const key = randomUUID();
    const orderId = randomUUID();
    const { requestHash } = await import('./checkout-service.js');
    await t.platform.db
      .insert(idempotencyKeys)
      .values({ userId: user.id, key, requestHash: requestHash({}), orderId, status: 'in_progress', createdAt: t.clock.now() });
    await createCatalogStock(t.platform).reserveStock(orderId, [{ productId: p.id, quantity: 3 }]);
    expect(await stockOf(t, p.id)).toBe(0);

    const busy = await checkout(t, user, key);
    expect(busy.statusCode).toBe(409);
    t.clock.advance(3 * 60_000);
    await eventually(
      () => stockOf(t, p.id),
      (s) => s === 3,
      'stock released',
    );
    await eventually(
      () => t.platform.db.select().from(idempotencyKeys).where(eq(idempotencyKeys.key, key)),
      (rows) => rows.length === 0,
      'key forgotten',
    );
    expect(await t.platform.db.select().from(orders).where(eq(orders.id, orderId))).toEqual([]);
    const retry = await checkout(t, await t.login(user.email, user.password), key);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(await stockOf(t, p.id)).toBe(0);
  });

  it('when the customer is deleted, then their cart goes with them', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    await putInCart(t, user, p.id, 1);
    const fresh = await t.admin();
    const res = await t.request({ method: 'DELETE', url: `${API}/admin/users/${user.id}`, token: fresh.token });
    expect(res.statusCode, res.body).toBe(204);
    const { cartItems } = await import('./tables.js');
    await eventually(
      () => t.platform.db.select().from(cartItems).where(eq(cartItems.userId, user.id)),
      (rows) => rows.length === 0,
      'cart gone',
    );
  });
});

describe('the expiry job across a restart', () => {
  it('when the instance that took an order stops, then the next one to start expires it and releases its stock', async () => {
    const first = await createTestApp({ env: { ORDER_PAYMENT_TIMEOUT: '5m', SHOP_SWEEP_INTERVAL: '1h' } });
    const admin = await first.admin();
    const user = await first.createUser();
    const p = await createProduct(first, admin, { stock: 2 });
    await putInCart(first, user, p.id, 2);
    const order = (await checkout(first, user)).json();
    expect(order.status).toBe('pending_payment');
    // The process stops: its routes and jobs end, the database keeps the order.
    await first.http.close();
    const second = await createTestApp({ shareWith: first, env: { ORDER_PAYMENT_TIMEOUT: '5m', SHOP_SWEEP_INTERVAL: '50ms' } });
    try {
      second.clock.advance(6 * 60_000);
      const [expired] = await eventually(
        () => second.platform.db.select().from(orders).where(eq(orders.id, order.id)),
        (rows) => rows[0]?.status === 'expired' && rows[0].stockReleasedAt !== null,
        'expired and released by the next instance',
      );
      expect(expired?.closeReason).toBe('expired');
      expect(await stockOf(second, p.id)).toBe(2);
    } finally {
      await second.close();
      await first.close();
    }
  });
});

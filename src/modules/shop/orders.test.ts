import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, createProduct, eventually, getOrder, orderOf, orderReaches, recordEvents } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { ShopEvents } from './events.js';
import { sandboxPayments } from './tables.js';

describe('orders and admin', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    // The list test below holds five unpaid orders of one customer at once.
    t = await createTestApp({ env: { SHOP_MAX_PENDING_ORDERS: '10' } });
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const pay = async (user: TestUser, order: { id: string; payment: { reference: string } }) => {
    const res = await t.request({ method: 'POST', url: `${API}/payments/sandbox/${order.payment.reference}/succeed`, token: user.token });
    expect(res.statusCode, res.body).toBe(202);
    return orderReaches(t, user, order.id, 'paid');
  };
  const patch = (id: string, status: string, token = admin.token) =>
    t.request({ method: 'PATCH', url: `${API}/admin/orders/${id}`, token, payload: { status } });
  const refund = (id: string, payload: Record<string, unknown>, token = admin.token) =>
    t.request({ method: 'POST', url: `${API}/admin/orders/${id}/refund`, token, payload });

  it('when a customer lists or reads orders, then only their own exist; someone else’s order is a 404', async () => {
    const alice = await t.createUser();
    const bob = await t.createUser();
    const p = await createProduct(t, admin, { stock: 20 });
    const a1 = await orderOf(t, alice, p.id);
    const a2 = await orderOf(t, alice, p.id);
    const b1 = await orderOf(t, bob, p.id);
    const list = (await t.request({ method: 'GET', url: `${API}/orders?limit=1`, token: alice.token })).json();
    expect(list.items.map((o: { id: string }) => o.id)).toEqual([a2.id]);
    const next = (await t.request({ method: 'GET', url: `${API}/orders?limit=1&cursor=${list.nextCursor}`, token: alice.token })).json();
    expect(next.items.map((o: { id: string }) => o.id)).toEqual([a1.id]);
    expect(next.nextCursor).toBeNull();
    const foreign = await t.request({ method: 'GET', url: `${API}/orders/${b1.id}`, token: alice.token });
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('ORDER_NOT_FOUND');
    expect((await t.request({ method: 'GET', url: `${API}/orders/${randomUUID()}`, token: alice.token })).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: `${API}/orders/${b1.id}/payment`, token: alice.token })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `${API}/orders/not-a-uuid`, token: alice.token })).statusCode).toBe(400);
  });

  it('when a non-admin calls an admin route, then 403; without a token, 401', async () => {
    const user = await t.createUser();
    const id = randomUUID();
    const routes = [
      { method: 'GET' as const, url: `${API}/admin/orders` },
      { method: 'GET' as const, url: `${API}/admin/orders/${id}` },
      { method: 'PATCH' as const, url: `${API}/admin/orders/${id}`, payload: { status: 'fulfilled' } },
      { method: 'POST' as const, url: `${API}/admin/orders/${id}/refund`, payload: {} },
      { method: 'GET' as const, url: `${API}/admin/stats` },
    ];
    for (const route of routes) {
      expect((await t.request(route)).statusCode, route.url).toBe(401);
      expect((await t.request({ ...route, token: user.token })).statusCode, route.url).toBe(403);
    }
  });

  it('when an admin moves an order along fulfilment, then only the next step is allowed', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    const unpaid = await patch(order.id, 'fulfilled');
    expect(unpaid.statusCode).toBe(422);
    expect(unpaid.json()).toMatchObject({ code: 'INVALID_STATUS_TRANSITION', status: 422, orderStatus: 'pending_payment' });
    await pay(user, order);
    expect((await patch(order.id, 'shipped')).statusCode).toBe(422);
    const events = recordEvents(t, [ShopEvents.orderStatusChanged]);
    for (const status of ['fulfilled', 'shipped', 'delivered']) {
      const res = await patch(order.id, status);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().status).toBe(status);
    }
    expect((await patch(order.id, 'fulfilled')).statusCode).toBe(422);
    expect((await patch(order.id, 'paid')).statusCode).toBe(400);
    expect((await patch(randomUUID(), 'fulfilled')).statusCode).toBe(404);
    await eventually(
      async () => events.forOrder(order.id),
      (e) => e.length === 3,
      'status events',
    );
    events.stop();
  });

  it('when an admin refunds, then partial refunds add up, a full refund moves the order to refunded, and more is refused', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 1000, stock: 5 });
    const order = await orderOf(t, user, p.id, 3);
    expect((await refund(order.id, {})).statusCode).toBe(422);
    await pay(user, order);
    const events = recordEvents(t, [ShopEvents.orderRefunded]);

    const partial = await refund(order.id, { amountCents: 1200, reason: 'one broke' });
    expect(partial.statusCode, partial.body).toBe(200);
    expect(partial.json()).toMatchObject({ status: 'paid', refundedCents: 1200 });
    const tooMuch = await refund(order.id, { amountCents: 1801 });
    expect(tooMuch.statusCode).toBe(422);
    expect(tooMuch.json()).toMatchObject({ code: 'REFUND_EXCEEDS_PAID', refundableCents: 1800 });
    const rest = await refund(order.id, {});
    expect(rest.json()).toMatchObject({ status: 'refunded', refundedCents: 3000 });
    expect((await refund(order.id, { amountCents: 1 })).statusCode).toBe(422);
    expect((await refund(order.id, { amountCents: 0 })).statusCode).toBe(400);
    // The gateway's refund callbacks report the same totals: nothing is counted twice.
    await new Promise((r) => setTimeout(r, 100));
    expect((await getOrder(t, user, order.id)).refundedCents).toBe(3000);
    await eventually(
      async () => events.seen.filter((e) => e.payload.order.id === order.id),
      (e) => e.length === 2,
      'refund events',
    );
    expect(events.seen.map((e) => e.payload.refundedCents)).toEqual([1200, 3000]);
    events.stop();
  });

  it('when two admins refund everything at once, then exactly one refund goes through', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 2500 });
    const order = await orderOf(t, user, p.id);
    await pay(user, order);
    const [a, b] = await Promise.all([refund(order.id, {}), refund(order.id, {})]);
    // Which answers depends on timing: the second request may repeat the first one's pending refund
    // (same provider idempotency key: 200 both), or find it counted or done (422).
    const answers = [a, b].map((r) => (r.statusCode === 200 ? 200 : `${r.statusCode} ${r.json().code}`));
    expect(answers).toContain(200);
    for (const answer of answers) expect([200, '422 REFUND_EXCEEDS_PAID', '422 INVALID_STATUS_TRANSITION']).toContain(answer);
    const after = await getOrder(t, user, order.id);
    expect(after).toMatchObject({ status: 'refunded', refundedCents: 2500 });
    const provider = await t.platform.db.select().from(sandboxPayments).where(eq(sandboxPayments.reference, order.payment.reference));
    expect(provider[0]?.refundedCents).toBe(2500);
  });

  it('when an admin lists orders, then status, user and time filters combine and pages do not overlap', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 50 });
    const from = new Date(t.clock.now().getTime() - 1).toISOString();
    const orders = [];
    for (let i = 0; i < 5; i++) orders.push(await orderOf(t, user, p.id));
    await pay(user, orders[1]);
    await pay(user, orders[3]);
    const query = (q: string) => t.request({ method: 'GET', url: `${API}/admin/orders?userId=${user.id}&${q}`, token: admin.token });
    const paid = (await query('status=paid')).json().items.map((o: { id: string }) => o.id);
    expect(paid).toEqual([orders[3].id, orders[1].id]);
    const seen: string[] = [];
    let cursor = '';
    do {
      const page = (await query(`limit=2&from=${encodeURIComponent(from)}${cursor ? `&cursor=${cursor}` : ''}`)).json();
      seen.push(...page.items.map((o: { id: string }) => o.id));
      cursor = page.nextCursor ?? '';
    } while (cursor);
    expect(seen).toEqual(orders.map((o) => o.id).reverse());
    const future = new Date(t.clock.now().getTime() + 60_000).toISOString();
    expect((await query(`from=${encodeURIComponent(future)}`)).json().items).toEqual([]);
    expect((await query('status=nonsense')).statusCode).toBe(400);
    const one = await t.request({ method: 'GET', url: `${API}/admin/orders/${orders[0].id}`, token: admin.token });
    expect(one.json().id).toBe(orders[0].id);
  });

  it('when an admin asks for stats, then orders, paid orders and revenue per day, and products low on stock', async () => {
    const t2 = await createTestApp();
    try {
      const admin2 = await t2.admin();
      const user = await t2.createUser();
      const cheap = await createProduct(t2, admin2, { priceCents: 500, stock: 3, currency: 'EUR' });
      await createProduct(t2, admin2, { priceCents: 100, stock: 100, currency: 'EUR' });
      const first = await orderOf(t2, user, cheap.id, 2);
      await orderOf(t2, user, cheap.id, 1);
      const res = await t2.request({
        method: 'POST',
        url: `${API}/payments/sandbox/${first.payment.reference}/succeed`,
        token: user.token,
      });
      expect(res.statusCode).toBe(202);
      await orderReaches(t2, user, first.id, 'paid');
      await t2.request({
        method: 'POST',
        url: `${API}/admin/orders/${first.id}/refund`,
        token: admin2.token,
        payload: { amountCents: 100 },
      });
      const stats = (await t2.request({ method: 'GET', url: `${API}/admin/stats?lowStockThreshold=0`, token: admin2.token })).json();
      const today = t2.clock.now().toISOString().slice(0, 10);
      expect(stats.days).toEqual([{ day: today, currency: 'EUR', orders: 2, paidOrders: 1, revenueCents: 900, refundedCents: 100 }]);
      expect(stats.lowStock.map((l: { productId: string; stock: number }) => [l.productId, l.stock])).toEqual([[cheap.id, 0]]);
      const bad = await t2.request({
        method: 'GET',
        url: `${API}/admin/stats?from=2026-01-01T00:00:00Z&to=2025-01-01T00:00:00Z`,
        token: admin2.token,
      });
      expect(bad.statusCode).toBe(400);
    } finally {
      await t2.close();
    }
  });
});

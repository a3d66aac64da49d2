import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, createProduct, eventually, getOrder, orderOf, orderReaches, recordEvents, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { ShopEvents } from './events.js';
import { createSandboxGateway } from './payments/sandbox.js';
import { signPayload } from './payments/signature.js';
import { paymentEvents, sandboxPayments } from './tables.js';

const SECRET = 'sandbox-secret-for-tests-0123456789abcdef';

describe('payments with the sandbox gateway', () => {
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    // The fake clock moves forward in the expiry tests; a 5m timeout keeps every token (15m) valid throughout.
    t = await createTestApp({ env: { PAYMENT_SANDBOX_WEBHOOK_SECRET: SECRET, SHOP_SWEEP_INTERVAL: '50ms', ORDER_PAYMENT_TIMEOUT: '5m' } });
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const settle = (user: TestUser, ref: string, outcome: 'succeed' | 'fail') =>
    t.request({ method: 'POST', url: `${API}/payments/sandbox/${ref}/${outcome}`, token: user.token });

  const callback = (body: Record<string, unknown>, at = t.clock.now()) => {
    const raw = JSON.stringify(body);
    return t.request({
      method: 'POST',
      url: `${API}/payments/sandbox/webhook`,
      payload: raw,
      headers: { 'content-type': 'application/json', 'sandbox-signature': signPayload(raw, SECRET, Math.floor(at.getTime() / 1000)) },
    });
  };

  it('when the customer pays, then the order becomes paid once and order.paid is published', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 3 });
    const order = await orderOf(t, user, p.id, 2);
    const events = recordEvents(t, [ShopEvents.orderPaid]);
    const res = await settle(user, order.payment.reference, 'succeed');
    expect(res.statusCode, res.body).toBe(202);
    const paid = await orderReaches(t, user, order.id, 'paid');
    expect(paid.payment.status).toBe('succeeded');
    expect(paid.paidAt).not.toBeNull();
    expect(await stockOf(t, p.id)).toBe(1);
    await eventually(
      async () => events.forOrder(order.id),
      (e) => e.length === 1,
      'order.paid',
    );
    events.stop();

    const twice = await settle(user, order.payment.reference, 'succeed');
    expect(twice.statusCode).toBe(422);
    expect(twice.json().code).toBe('PAYMENT_NOT_PENDING');
  });

  it('when an attempt is declined, then the order stays pending with its stock, and the customer can still pay it', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 3 });
    const order = await orderOf(t, user, p.id, 3);
    const events = recordEvents(t, [ShopEvents.orderCancelled]);
    expect((await settle(user, order.payment.reference, 'fail')).statusCode).toBe(202);
    await eventually(
      () => t.platform.db.select().from(paymentEvents).where(eq(paymentEvents.reference, order.payment.reference)),
      (rows) => rows.length === 1 && rows[0]?.processedAt != null,
      'decline applied',
    );
    expect(await getOrder(t, user, order.id)).toMatchObject({ status: 'pending_payment', closedAt: null, payment: { status: 'failed' } });
    expect(await stockOf(t, p.id)).toBe(0);
    expect(events.seen).toEqual([]);
    events.stop();
    expect((await settle(user, order.payment.reference, 'succeed')).statusCode).toBe(202);
    await orderReaches(t, user, order.id, 'paid');
  });

  it('when someone else settles a payment, then 404; without a token, 401', async () => {
    const user = await t.createUser();
    const other = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    expect((await settle(other, order.payment.reference, 'succeed')).statusCode).toBe(404);
    expect((await t.request({ method: 'POST', url: `${API}/payments/sandbox/${order.payment.reference}/succeed` })).statusCode).toBe(401);
    expect((await getOrder(t, user, order.id)).status).toBe('pending_payment');
  });

  it('when a callback is signed wrongly or too long ago, then 400 and nothing changes; a repeated event id is recorded once', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    const body = { id: 'sbevt_test_1', type: 'payment.succeeded', reference: order.payment.reference };
    const raw = JSON.stringify(body);

    const forged = await t.request({
      method: 'POST',
      url: `${API}/payments/sandbox/webhook`,
      payload: raw,
      headers: {
        'content-type': 'application/json',
        'sandbox-signature': signPayload(raw, 'another-secret-entirely-0123456789', Math.floor(Date.now() / 1000)),
      },
    });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const unsigned = await t.request({
      method: 'POST',
      url: `${API}/payments/sandbox/webhook`,
      payload: raw,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.statusCode).toBe(400);
    const stale = await callback(body, new Date(t.clock.now().getTime() - 301_000));
    expect(stale.statusCode).toBe(400);
    // A body changed after signing.
    const signature = signPayload(raw, SECRET, Math.floor(t.clock.now().getTime() / 1000));
    const tampered = await t.request({
      method: 'POST',
      url: `${API}/payments/sandbox/webhook`,
      payload: raw.replace('sbevt_test_1', 'sbevt_test_2'),
      headers: { 'content-type': 'application/json', 'sandbox-signature': signature },
    });
    expect(tampered.statusCode).toBe(400);

    // The event claims success, but the worker asks the gateway, where the payment is still open.
    const first = await callback(body);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    const second = await callback(body);
    expect(second.json()).toEqual({ received: true, duplicate: true });
    await new Promise((r) => setTimeout(r, 100));
    expect((await getOrder(t, user, order.id)).status).toBe('pending_payment');
  });

  it('when events arrive out of order, then the order follows the gateway’s current state', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 2 });
    const order = await orderOf(t, user, p.id);
    expect((await settle(user, order.payment.reference, 'succeed')).statusCode).toBe(202);
    await orderReaches(t, user, order.id, 'paid');
    // A late "failed" event for the same payment must not cancel a paid order.
    expect((await callback({ id: 'sbevt_late_fail', type: 'payment.failed', reference: order.payment.reference })).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect((await getOrder(t, user, order.id)).status).toBe('paid');
    expect(await stockOf(t, p.id)).toBe(1);
  });

  it('when the customer cancels an unpaid order, then its stock comes back; a paid or foreign order cannot be cancelled', async () => {
    const user = await t.createUser();
    const other = await t.createUser();
    const p = await createProduct(t, admin, { stock: 5 });
    const order = await orderOf(t, user, p.id, 2);
    expect((await t.request({ method: 'POST', url: `${API}/orders/${order.id}/cancel`, token: other.token })).statusCode).toBe(404);
    const res = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/cancel`, token: user.token });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'cancelled', closeReason: 'customer' });
    expect(await stockOf(t, p.id)).toBe(5);
    // The sandbox payment was canceled too: it can no longer be paid.
    expect((await settle(user, order.payment.reference, 'succeed')).statusCode).toBe(422);
    const again = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/cancel`, token: user.token });
    expect(again.statusCode).toBe(422);
    expect(again.json().code).toBe('INVALID_STATUS_TRANSITION');
    expect(await stockOf(t, p.id)).toBe(5);

    const paid = await orderOf(t, user, p.id);
    await settle(user, paid.payment.reference, 'succeed');
    await orderReaches(t, user, paid.id, 'paid');
    expect((await t.request({ method: 'POST', url: `${API}/orders/${paid.id}/cancel`, token: user.token })).statusCode).toBe(422);
  });

  it('when ORDER_PAYMENT_TIMEOUT (5m here) passes, then the unpaid order expires and its stock is released', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 4 });
    const order = await orderOf(t, user, p.id, 4);
    const events = recordEvents(t, [ShopEvents.orderExpired]);
    t.clock.advance(4 * 60_000);
    await new Promise((r) => setTimeout(r, 150));
    expect((await getOrder(t, user, order.id)).status).toBe('pending_payment');
    t.clock.advance(2 * 60_000);
    const expired = await orderReaches(t, user, order.id, 'expired');
    expect(expired.closeReason).toBe('expired');
    await eventually(
      () => stockOf(t, p.id),
      (s) => s === 4,
      'stock released',
    );
    await eventually(
      async () => events.forOrder(order.id),
      (e) => e.length === 1,
      'order.expired',
    );
    events.stop();
  });

  it('when a payment succeeds after its order expired, then it is refunded in full and the order stays closed', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 1, priceCents: 777 });
    const order = await orderOf(t, user, p.id);
    t.clock.advance(6 * 60_000);
    await orderReaches(t, user, order.id, 'expired');
    // Closing ends with canceling the payment at the gateway; wait for that, then rewind it:
    // the customer's payment went through at the gateway just before the cancel reached it.
    const ledger = () => t.platform.db.select().from(sandboxPayments).where(eq(sandboxPayments.reference, order.payment.reference));
    await eventually(ledger, (rows) => rows[0]?.status === 'canceled', 'payment canceled at the gateway');
    await t.platform.db
      .update(sandboxPayments)
      .set({ status: 'requires_payment' })
      .where(eq(sandboxPayments.reference, order.payment.reference));
    expect((await settle(user, order.payment.reference, 'succeed')).statusCode).toBe(202);
    const refunded = await eventually(
      () => getOrder(t, user, order.id),
      (o) => o.refundedCents === 777,
      'refund',
    );
    expect(refunded.status).toBe('expired');
    expect((await ledger())[0]?.refundedCents).toBe(777);
    await eventually(
      () => stockOf(t, p.id),
      (s) => s === 1,
      'stock released',
    );
  });

  it('when a payment is asked for again, then the same payment comes back; a closed order takes none', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    const res = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/payment`, token: user.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(order.payment);
    await t.request({ method: 'POST', url: `${API}/orders/${order.id}/cancel`, token: user.token });
    const closed = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/payment`, token: user.token });
    expect(closed.json()).toMatchObject({ reference: order.payment.reference });
    expect(closed.json().clientSecret).toBeUndefined();
  });

  it('when a refund is repeated with its idempotency key, even at once, then it is refunded once and the same refund comes back', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 900 });
    const order = await orderOf(t, user, p.id);
    expect((await settle(user, order.payment.reference, 'succeed')).statusCode).toBe(202);
    await orderReaches(t, user, order.id, 'paid');
    // The provider's side on its own: a second gateway over the same ledger, as a retrying client sees it.
    const gateway = createSandboxGateway({ db: t.platform.db, clock: t.clock });
    const call = { reference: order.payment.reference, amountCents: 900, idempotencyKey: `refund-${order.id}` };
    const [first, second] = await Promise.all([gateway.refund(call), gateway.refund(call)]);
    expect(second).toEqual(first);
    expect(await gateway.refund(call)).toEqual(first);
    expect((await gateway.retrievePayment(order.payment.reference)).refundedCents).toBe(900);
    await expect(gateway.refund({ ...call, amountCents: 100 })).rejects.toMatchObject({ code: 'REFUND_REJECTED' });
    await expect(gateway.refund({ ...call, idempotencyKey: 'another' })).rejects.toMatchObject({ code: 'REFUND_EXCEEDS_PAID' });
    expect((await gateway.retrievePayment(order.payment.reference)).refundedCents).toBe(900);
  });
});

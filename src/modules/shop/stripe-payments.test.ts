import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeStripe, startFakeStripe } from '../../../test/fake-stripe.js';
import { API, createProduct, eventually, getOrder, orderOf, orderReaches, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { paymentEvents } from './tables.js';

const WEBHOOK_SECRET = 'whsec_test_secret_for_the_fake';

describe('payments through Stripe (the official SDK against a local fake API)', () => {
  let stripe: FakeStripe;
  let t: TestApp;
  let admin: TestUser;

  beforeAll(async () => {
    stripe = await startFakeStripe(WEBHOOK_SECRET);
    t = await createTestApp({
      env: {
        PAYMENT_PROVIDER: 'stripe',
        STRIPE_SECRET_KEY: 'sk_test_fake',
        STRIPE_WEBHOOK_SECRET: WEBHOOK_SECRET,
        STRIPE_API_URL: stripe.url,
        STRIPE_TIMEOUT: '2s',
      },
    });
    admin = await t.admin();
  });
  afterAll(async () => {
    await t.close();
    await stripe.close();
  });

  const deliver = (event: { payload: string; signature: string }) =>
    t.request({
      method: 'POST',
      url: `${API}/payments/stripe/webhook`,
      payload: event.payload,
      headers: { 'content-type': 'application/json', 'stripe-signature': event.signature },
    });

  /** The customer pays at Stripe and the success webhook arrives; resolves once the order is paid. */
  const payAtStripe = async (user: TestUser, order: { id: string; payment: { reference: string } }) => {
    stripe.succeed(order.payment.reference);
    await deliver(stripe.event('payment_intent.succeeded', stripe.intentObject(order.payment.reference)));
    return orderReaches(t, user, order.id, 'paid');
  };

  it('when an order is placed, then one PaymentIntent is created with amount, currency, metadata.orderId and an idempotency key', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 2599, currency: 'EUR' });
    const order = await orderOf(t, user, p.id, 2);
    expect(order.payment).toMatchObject({ provider: 'stripe', status: 'requires_payment' });
    const intent = stripe.intents.get(order.payment.reference);
    expect(intent).toMatchObject({ amount: 5198, currency: 'eur', metadata: { orderId: order.id } });
    expect(order.payment.clientSecret).toBe(intent?.client_secret);
    const create = stripe.requests.find((r) => r.path === '/v1/payment_intents' && r.form.get('metadata[orderId]') === order.id);
    expect(create?.idempotencyKey).toBe(`order-${order.id}-payment`);
    // Asking again returns the same intent instead of creating a second one.
    const again = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/payment`, token: user.token });
    expect(again.json().reference).toBe(order.payment.reference);
    expect(stripe.requests.filter((r) => r.form.get('metadata[orderId]') === order.id)).toHaveLength(1);
  });

  it('when payment_intent.succeeded arrives twice, then the order is paid once and the repeat is acknowledged as a duplicate', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    stripe.succeed(order.payment.reference);
    const event = stripe.event('payment_intent.succeeded', stripe.intentObject(order.payment.reference));
    const first = await deliver(event);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    expect((await deliver(event)).json()).toEqual({ received: true, duplicate: true });
    const paid = await orderReaches(t, user, order.id, 'paid');
    expect(paid.payment.status).toBe('succeeded');
  });

  it('when events come out of order, then the re-fetched PaymentIntent decides: a stale failure does not cancel a paid order', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 1 });
    const order = await orderOf(t, user, p.id);
    const staleFailure = stripe.event('payment_intent.payment_failed', {
      ...stripe.intentObject(order.payment.reference),
      status: 'requires_payment_method',
    });
    await payAtStripe(user, order);
    expect((await deliver(staleFailure)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 150));
    expect((await getOrder(t, user, order.id)).status).toBe('paid');
    expect(await stockOf(t, p.id)).toBe(0);

    // The reverse: success delivered before the failure event that preceded it.
    const other = await t.createUser();
    const q = await createProduct(t, admin, { stock: 1 });
    const second = await orderOf(t, other, q.id);
    stripe.succeed(second.payment.reference);
    await deliver(stripe.event('payment_intent.payment_failed', stripe.intentObject(second.payment.reference)));
    await orderReaches(t, other, second.id, 'paid');
  });

  it('when an attempt is declined, then the order stays pending with its stock, and the customer pays again with the same intent', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { stock: 2 });
    const order = await orderOf(t, user, p.id, 2);
    const reference = order.payment.reference;
    stripe.decline(reference);
    const declined = stripe.event('payment_intent.payment_failed', stripe.intentObject(reference));
    expect((await deliver(declined)).statusCode).toBe(200);
    await eventually(
      () =>
        t.platform.db
          .select()
          .from(paymentEvents)
          .where(eq(paymentEvents.eventId, JSON.parse(declined.payload).id)),
      (rows) => rows[0]?.processedAt != null,
      'decline applied',
    );
    const pending = await getOrder(t, user, order.id);
    expect(pending).toMatchObject({ status: 'pending_payment', closedAt: null, payment: { reference, status: 'failed' } });
    expect(await stockOf(t, p.id)).toBe(0);
    expect(stripe.intents.get(reference)?.status).toBe('requires_payment_method');

    // Paying again: the same intent and client secret come back, and its success pays the order.
    const again = await t.request({ method: 'POST', url: `${API}/orders/${order.id}/payment`, token: user.token });
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toMatchObject({ reference, clientSecret: order.payment.clientSecret });
    await payAtStripe(user, order);
    expect(stripe.requests.filter((r) => r.path === '/v1/payment_intents' && r.form.get('metadata[orderId]') === order.id)).toHaveLength(1);
    expect(await stockOf(t, p.id)).toBe(0);
  });

  it('when payment_intent.canceled arrives, then the unpaid order is cancelled', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    const pi = stripe.intents.get(order.payment.reference);
    if (pi) pi.status = 'canceled';
    await deliver(stripe.event('payment_intent.canceled', stripe.intentObject(order.payment.reference)));
    const cancelled = await orderReaches(t, user, order.id, 'cancelled');
    expect(cancelled.closeReason).toBe('payment_canceled');
  });

  it('when the signature is bad, made with another secret or stale, then 400 and nothing is recorded', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin);
    const order = await orderOf(t, user, p.id);
    stripe.succeed(order.payment.reference);
    const object = stripe.intentObject(order.payment.reference);
    const wrongSecret = stripe.event('payment_intent.succeeded', object, { secret: 'whsec_someone_else' });
    const stale = stripe.event('payment_intent.succeeded', object, { timestamp: Math.floor(t.clock.now().getTime() / 1000) - 301 });
    const good = stripe.event('payment_intent.succeeded', object);
    for (const bad of [
      wrongSecret,
      stale,
      { payload: good.payload.replace('"livemode":false', '"livemode":true'), signature: good.signature },
      { payload: good.payload, signature: '' },
    ]) {
      const res = await deliver(bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().code).toBe('WEBHOOK_SIGNATURE_INVALID');
    }
    await new Promise((r) => setTimeout(r, 100));
    expect((await getOrder(t, user, order.id)).status).toBe('pending_payment');
    // Unrelated event types are acknowledged and ignored.
    expect((await deliver(stripe.event('customer.created', { id: 'cus_1', object: 'customer' }))).statusCode).toBe(200);
  });

  it('when an admin refunds, then Stripe is asked with an idempotency key; charge.refunded later changes nothing more', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 1000 });
    const order = await orderOf(t, user, p.id, 2);
    await payAtStripe(user, order);

    const res = await t.request({
      method: 'POST',
      url: `${API}/admin/orders/${order.id}/refund`,
      token: admin.token,
      payload: { amountCents: 500 },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toMatchObject({ status: 'paid', refundedCents: 500 });
    const call = stripe.requests.find((r) => r.path === '/v1/refunds' && r.form.get('payment_intent') === order.payment.reference);
    expect(call?.form.get('amount')).toBe('500');
    expect(call?.idempotencyKey).toMatch(/^refund-/);

    await deliver(stripe.event('charge.refunded', stripe.chargeObject(order.payment.reference)));
    await new Promise((r) => setTimeout(r, 150));
    expect((await getOrder(t, user, order.id)).refundedCents).toBe(500);

    // A refund made in the Stripe dashboard reaches us only through the webhook.
    const pi = stripe.intents.get(order.payment.reference);
    if (pi) pi.amount_refunded = 2000;
    await deliver(stripe.event('charge.refunded', stripe.chargeObject(order.payment.reference)));
    const full = await eventually(
      () => getOrder(t, user, order.id),
      (o) => o.refundedCents === 2000,
      'dashboard refund',
    );
    expect(full.status).toBe('refunded');
  });

  it('when Stripe fails, then the SDK retries with the same key; when it keeps failing, 502 and nothing is refunded', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 300 });
    // One 500 is retried transparently: the order still gets its intent.
    stripe.failNext(1);
    const order = await orderOf(t, user, p.id);
    expect(order.payment?.provider).toBe('stripe');
    await payAtStripe(user, order);

    stripe.failNext(10);
    const res = await t.request({ method: 'POST', url: `${API}/admin/orders/${order.id}/refund`, token: admin.token, payload: {} });
    stripe.failNext(0);
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('PAYMENT_PROVIDER_UNAVAILABLE');
    expect((await getOrder(t, user, order.id)).refundedCents).toBe(0);
    // The failed attempt no longer blocks the amount: a retry refunds it all.
    const retry = await t.request({ method: 'POST', url: `${API}/admin/orders/${order.id}/refund`, token: admin.token, payload: {} });
    expect(retry.json()).toMatchObject({ status: 'refunded', refundedCents: 300 });
  });

  it('when the answer to a refund is lost, then it stays pending and repeating it refunds once, with the same key', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 1000 });
    const order = await orderOf(t, user, p.id, 2);
    await payAtStripe(user, order);
    const refund = (payload: object) =>
      t.request({ method: 'POST', url: `${API}/admin/orders/${order.id}/refund`, token: admin.token, payload });

    // Stripe refunds, but neither the first answer nor the SDK's two retries come back.
    stripe.loseResponses(3);
    const lost = await refund({ amountCents: 500 });
    expect(lost.statusCode).toBe(502);
    expect(lost.json()).toMatchObject({ code: 'PAYMENT_PROVIDER_UNAVAILABLE', pendingAmountCents: 500 });
    expect(stripe.intents.get(order.payment.reference)?.amount_refunded).toBe(500);
    expect((await getOrder(t, user, order.id)).refundedCents).toBe(0);

    // Another amount must wait until the unknown one is settled.
    const other = await refund({ amountCents: 300 });
    expect(other.statusCode).toBe(409);
    expect(other.json()).toMatchObject({ code: 'REFUND_PENDING', pendingAmountCents: 500 });

    const repeated = await refund({ amountCents: 500 });
    expect(repeated.statusCode, repeated.body).toBe(200);
    expect(repeated.json()).toMatchObject({ status: 'paid', refundedCents: 500 });
    expect(stripe.intents.get(order.payment.reference)?.amount_refunded).toBe(500);
    const keys = stripe.requests
      .filter((r) => r.path === '/v1/refunds' && r.form.get('payment_intent') === order.payment.reference)
      .map((r) => r.idempotencyKey);
    expect(new Set(keys).size).toBe(1);
  });

  it('when Stripe refuses a refund, then 422 REFUND_REJECTED and the amount is free again', async () => {
    const user = await t.createUser();
    const p = await createProduct(t, admin, { priceCents: 800 });
    const order = await orderOf(t, user, p.id);
    await payAtStripe(user, order);
    // Refunded in the dashboard meanwhile, unknown to us yet: Stripe refuses more.
    const pi = stripe.intents.get(order.payment.reference);
    if (pi) pi.amount_refunded = 800;
    const res = await t.request({ method: 'POST', url: `${API}/admin/orders/${order.id}/refund`, token: admin.token, payload: {} });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('REFUND_REJECTED');
    if (pi) pi.amount_refunded = 0;
    const retry = await t.request({ method: 'POST', url: `${API}/admin/orders/${order.id}/refund`, token: admin.token, payload: {} });
    expect(retry.json()).toMatchObject({ status: 'refunded', refundedCents: 800 });
  });

  it('the sandbox routes do not exist while Stripe is the provider', async () => {
    const user = await t.createUser();
    expect((await t.request({ method: 'POST', url: `${API}/payments/sandbox/sbpay_x/succeed`, token: user.token })).statusCode).toBe(404);
  });
});

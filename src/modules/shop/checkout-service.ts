/**
 * POST /orders: turns the caller's cart into an order, exactly once per Idempotency-Key.
 *
 * One transaction claims the key, reserves the stock through the catalog's contract (which
 * takes this transaction: shop and catalog run in one deployable), writes the order and its
 * lines, empties the ordered cart lines, stores the answer for replays and writes
 * `order.created` to the outbox. A crash or a failure anywhere rolls all of it back, so nothing
 * is ever half done and the client's retry starts afresh. A business refusal (422) is stored
 * with the key in that same transaction, having written nothing else. The payment is started
 * after the commit (a call to the provider must not hold the transaction open), and its row is
 * written after the provider answered.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import type { Clock } from '../../platform/clock.js';
import type { Executor } from '../../platform/db/database.js';
import { AppError } from '../../platform/http/errors.js';
import { newId } from '../../platform/ids.js';
import type { ProductForOrder, StockContract } from '../catalog/index.js';
import { lineQuantityLimit } from './cart-service.js';
import {
  CartEmpty,
  CurrencyMismatch,
  IdempotencyKeyInFlight,
  IdempotencyKeyReused,
  ProductNotOrderable,
  TooManyPendingOrders,
} from './errors.js';
import { ShopEvents } from './events.js';
import { checkAmount } from './money.js';
import type { PaymentService } from './payment-service.js';
import type { ShopRepo } from './repo.js';
import type { OrderLineRow, OrderRow } from './tables.js';

type CartLine = { productId: string; quantity: number };

import { type OrderWire, toOrderWire } from './wire.js';

export interface CheckoutInput {
  shippingAddress?: Record<string, string>;
  note?: string;
}

interface RecordedCheckout {
  status: number;
  body: unknown;
  /** True when this answer is the stored answer of an earlier request with the same key. */
  replayed: boolean;
}

/** The answer of POST /orders: the order with its payment (null when the provider failed; retryable). */
export interface CheckoutResult {
  status: number;
  order: OrderWire;
  replayed: boolean;
}

/** JSON with sorted keys, so the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

export const requestHash = (body: unknown) =>
  createHash('sha256')
    .update(canonical(body ?? {}))
    .digest('hex');

export type CheckoutService = ReturnType<typeof createCheckoutService>;

export function createCheckoutService(deps: {
  repo: ShopRepo;
  stock: StockContract;
  relay: OutboxRelay;
  payments: Pick<PaymentService, 'startPayment' | 'ensurePayment'>;
  clock: Clock;
  log: Logger;
  paymentTimeoutMs: number;
  /** SHOP_MAX_PENDING_ORDERS and SHOP_MAX_LINE_QUANTITY: how much stock one customer may hold unpaid. */
  maxPendingOrders: number;
  maxLineQuantity: number;
}) {
  const { repo, stock, relay, payments, clock, log, maxPendingOrders } = deps;

  /** Refuses a checkout that would leave the customer holding more unpaid orders than allowed. */
  function checkPendingCap(pending: number) {
    if (pending >= maxPendingOrders) {
      throw TooManyPendingOrders(`At most ${maxPendingOrders} unpaid orders at a time: pay or cancel one first`, {
        limit: maxPendingOrders,
      });
    }
  }

  async function replay(userId: string, key: string, hash: string): Promise<RecordedCheckout> {
    const existing = await repo.findKey(userId, key);
    if (!existing) throw IdempotencyKeyInFlight('The earlier request with this key was abandoned; send it again');
    if (existing.requestHash !== hash) {
      throw IdempotencyKeyReused('This Idempotency-Key was used with a different request body; use a new key for a new order');
    }
    if (existing.status !== 'done')
      throw IdempotencyKeyInFlight(
        'A request with this Idempotency-Key is still being processed; retry shortly',
        {},
        { 'retry-after': '1' },
      );
    const status = existing.responseStatus ?? 200;
    if (status >= 400) {
      const p = existing.response as { code: string; title: string; detail: string; extras: Record<string, unknown> };
      throw new AppError(p.code, status, p.title, p.detail, { ...p.extras, replayed: true });
    }
    return { status, body: existing.response, replayed: true };
  }

  /**
   * Prices the cart from the products as the catalog locked them for the reservation; throws a
   * refusal before anything is written.
   */
  function priceLines(cart: CartLine[], found: ProductForOrder[], orderId: string) {
    const products = new Map(found.map((p) => [p.id, p]));
    const lines: OrderLineRow[] = cart.map((item) => {
      const p = products.get(item.productId);
      if (p?.status !== 'active') throw ProductNotOrderable(`Product ${item.productId} cannot be ordered`, { productId: item.productId });
      // A line put in the cart before the limit was lowered is held to the limit of today.
      if (item.quantity > deps.maxLineQuantity) throw lineQuantityLimit(item.productId, deps.maxLineQuantity);
      return {
        orderId,
        productId: p.id,
        sku: p.sku,
        name: p.name,
        unitPriceCents: p.priceCents,
        quantity: item.quantity,
        lineTotalCents: checkAmount(p.priceCents * item.quantity, 'line total', { productId: p.id }),
      };
    });
    checkAmount(
      lines.reduce((sum, l) => sum + l.lineTotalCents, 0),
      'order total',
    );
    // Product id order: the order the API lists lines in.
    lines.sort((a, b) => (a.productId < b.productId ? -1 : 1));
    const currencies = new Set(lines.map((l) => products.get(l.productId)?.currency));
    if (currencies.size !== 1) throw CurrencyMismatch('The products in the cart are now priced in different currencies');
    return { lines, currency: [...currencies][0] as string };
  }

  /** Attaches the payment (with the client secret) to the order; a provider failure leaves it null and retryable. */
  async function withPayment(order: OrderWire, userId: string, fresh: boolean): Promise<OrderWire> {
    try {
      return { ...order, payment: fresh ? await payments.startPayment(order) : await payments.ensurePayment(order.id, userId) };
    } catch (err) {
      log.warn({ err, orderId: order.id }, 'payment not started; the client may retry POST /orders/:id/payment');
      return order;
    }
  }

  /**
   * Writes the order of this key in the caller's transaction; a business refusal is thrown
   * before anything but the key is written. The caller holds the customer's checkout lock.
   */
  async function writeOrder(tx: ShopRepo, executor: Executor, userId: string, key: string, orderId: string, input: CheckoutInput) {
    const now = clock.now();
    const { pending, cart } = await tx.checkoutState(userId, now);
    checkPendingCap(pending);
    if (cart.length === 0) throw CartEmpty('Add products to the cart before ordering');
    let priced: ReturnType<typeof priceLines> | undefined;
    // Priced under the reservation's row locks: the order charges exactly the prices it reserved at.
    await stock.reserveStock(orderId, cart, {
      tx: executor,
      check: (products) => {
        priced = priceLines(cart, products, orderId);
      },
    });
    if (!priced) throw new Error(`order ${orderId} was reserved before it was priced`);
    const { lines, currency } = priced;
    const row: OrderRow = {
      id: orderId,
      userId,
      status: 'pending_payment',
      currency,
      totalCents: lines.reduce((sum, l) => sum + l.lineTotalCents, 0),
      refundedCents: 0,
      itemCount: lines.reduce((sum, l) => sum + l.quantity, 0),
      shippingAddress: input.shippingAddress ?? null,
      note: input.note ?? null,
      createdAt: now,
      updatedAt: now,
      expiresAt: new Date(now.getTime() + deps.paymentTimeoutMs),
      paidAt: null,
      closedAt: null,
      closeReason: null,
      stockReleasedAt: null,
      version: 1,
    };
    const wire = toOrderWire(row, lines, undefined);
    // The claim above is this transaction's own row: nobody else can have finished or removed it.
    if (!(await tx.placeOrder(row, lines, key, wire))) throw new Error('idempotency key vanished inside its transaction');
    await tx.enqueue(ShopEvents.orderCreated, { order: wire });
    return wire;
  }

  /** The order for this key: recorded now, or the first answer replayed. */
  async function recordOrder(userId: string, key: string, input: CheckoutInput): Promise<RecordedCheckout> {
    const hash = requestHash(input);
    const orderId = newId();
    const outcome = await repo.transaction(async (tx, executor) => {
      // A concurrent request with the same key waits on this row until we commit, then replays our
      // answer. A new key also takes the customer's checkout lock: two checkouts of one customer
      // at once must not both pass the unpaid-orders cap.
      if (!(await tx.claimKeyAndLock({ userId, key, requestHash: hash, orderId, createdAt: clock.now() })))
        return { claimed: false as const };
      try {
        return { claimed: true as const, order: await writeOrder(tx, executor, userId, key, orderId, input) };
      } catch (err) {
        if (!(err instanceof AppError && err.status < 500)) throw err;
        // Refused before anything but the key was written: the answer is stored with the key,
        // so the same key gives the same answer.
        await tx.completeKey(userId, key, err.status, { code: err.code, title: err.title, detail: err.detail, extras: err.extras });
        return { claimed: true as const, refused: err };
      }
    });
    if (!outcome.claimed) return replay(userId, key, hash);
    if (outcome.refused) throw outcome.refused;
    relay.kick();
    return { status: 201, body: outcome.order, replayed: false };
  }

  return {
    /**
     * Places the order once per key, then starts its payment (a replay fetches the payment the
     * first answer started, or starts it if that failed).
     */
    async placeOrder(userId: string, key: string, input: CheckoutInput): Promise<CheckoutResult> {
      const recorded = await recordOrder(userId, key, input);
      const order = await withPayment(recorded.body as OrderWire, userId, !recorded.replayed);
      return { status: recorded.status, order, replayed: recorded.replayed };
    },
  };
}

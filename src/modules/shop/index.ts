/**
 * The shop module: cart, idempotent checkout, orders, payments (Stripe or the sandbox
 * gateway) with a webhook inbox, and the declared job that expires unpaid orders. Stock belongs to the
 * catalog: the shop reserves and releases it only through the catalog's exported contract.
 */

import { API_PREFIX } from '../../platform/http/api-prefix.js';
import type { ModuleFactory, Platform } from '../../platform/platform.js';
import { createCatalogStock } from '../catalog/index.js';
import { IdentityEvents } from '../identity/index.js';
import { shopAdminRoutes } from './admin-routes.js';
import { createCartService } from './cart-service.js';
import { createCheckoutService } from './checkout-service.js';
import { createOrderLifecycle } from './order-lifecycle.js';
import { createOrderQueries } from './order-queries.js';
import { paymentRoutes } from './payment-routes.js';
import { createPaymentService } from './payment-service.js';
import type { PaymentGateway } from './payments/gateway.js';
import { createSandboxGateway } from './payments/sandbox.js';
import { createStripeGateway } from './payments/stripe.js';
import { createShopRepo } from './repo.js';
import { shopRoutes } from './routes.js';
import * as S from './schema.js';
import { shopSettings } from './settings.js';
import { withCheckoutMetrics, withPaymentMetrics } from './shop-metrics.js';
import { createSweepJob } from './sweeper.js';

export { type OrderEvent, ShopEventMap, ShopEvents } from './events.js';
export type { OrderWire } from './wire.js';

/** The gateway PAYMENT_PROVIDER names (config has checked that Stripe comes with its keys). */
function openGateway(platform: Platform): PaymentGateway {
  const config = shopSettings.read(platform.config);
  if (config.PAYMENT_PROVIDER === 'stripe') {
    if (!config.STRIPE_SECRET_KEY || !config.STRIPE_WEBHOOK_SECRET) throw new Error('PAYMENT_PROVIDER=stripe needs the Stripe keys');
    return createStripeGateway({
      secretKey: config.STRIPE_SECRET_KEY,
      webhookSecret: config.STRIPE_WEBHOOK_SECRET,
      apiUrl: config.STRIPE_API_URL,
      timeoutMs: config.STRIPE_TIMEOUT,
      maxNetworkRetries: 2,
      clock: platform.clock,
    });
  }
  return createSandboxGateway({ db: platform.db, clock: platform.clock, secret: config.PAYMENT_SANDBOX_WEBHOOK_SECRET });
}

const SANDBOX_WARNING =
  'payments run on the sandbox gateway: signed-in customers can mark their own orders paid and no money moves; set PAYMENT_PROVIDER=stripe for real payments';
const SANDBOX_NOTE =
  `**Payments: sandbox gateway.** This server takes no real payments: \`POST ${API_PREFIX}/payments/sandbox/{ref}/succeed\` lets the ` +
  'customer mark their own order paid. Production runs with `PAYMENT_PROVIDER=stripe`.';

export const shopModule: ModuleFactory = (platform) => {
  const { clock } = platform;
  const config = shopSettings.read(platform.config);
  const log = platform.log.child({ module: 'shop' });
  const repo = createShopRepo(platform.db);
  const stock = createCatalogStock(platform);
  const { relay } = platform;
  const gateway = openGateway(platform);
  const cart = createCartService({ repo, stock, clock, maxLineQuantity: config.SHOP_MAX_LINE_QUANTITY });
  const lifecycle = withPaymentMetrics(createOrderLifecycle({ repo, stock, gateway, relay, clock, log }), platform.metrics);
  const payments = createPaymentService({ repo, gateway, lifecycle, clock, log: log.child({ part: 'payments' }) });
  const checkout = withCheckoutMetrics(
    createCheckoutService({
      repo,
      stock,
      relay,
      payments,
      clock,
      log,
      paymentTimeoutMs: config.ORDER_PAYMENT_TIMEOUT,
      maxPendingOrders: config.SHOP_MAX_PENDING_ORDERS,
      maxLineQuantity: config.SHOP_MAX_LINE_QUANTITY,
    }),
    platform.metrics,
  );
  const orders = createOrderQueries({ repo, stock, clock, lowStockThreshold: config.SHOP_LOW_STOCK_THRESHOLD });
  const sweep = createSweepJob({
    repo,
    stock,
    lifecycle,
    payments,
    clock,
    log: log.child({ part: 'sweeper' }),
    everyMs: config.SHOP_SWEEP_INTERVAL,
    idempotencyKeyTtlMs: config.IDEMPOTENCY_KEY_TTL,
  });
  if (gateway.provider === 'sandbox') {
    // The sandbox's own callbacks (cancellations, refunds) reach the same inbox as webhooks.
    gateway.onCallback(async (cb) => {
      await payments.ingest(cb.rawBody, cb.signature);
    });
  }

  const sandbox = gateway.provider === 'sandbox';

  return {
    name: 'shop',
    openApiNote: sandbox ? SANDBOX_NOTE : undefined,
    routes: async (app) => {
      // Shared by the customer, admin and payment routes below.
      for (const schema of [S.Cart, S.Payment, S.Order]) app.addSchema(schema);
      await app.register(shopRoutes, { cart, checkout, lifecycle, orders, payments });
      await app.register(shopAdminRoutes, { lifecycle, orders });
      await app.register(paymentRoutes, { provider: gateway.provider, payments });
    },
    jobs: [sweep],
    subscribe: () => [
      // A deleted account's cart goes with it; its orders stay (they are the shop's records).
      platform.bus.subscribe('shop', IdentityEvents.userDeleted, async (event) => {
        await cart.clear(event.payload.userId);
      }),
    ],
    async start() {
      if (sandbox) log.warn({ payments: 'sandbox' }, SANDBOX_WARNING);
      else log.info({ payments: gateway.provider }, 'shop ready');
    },
    async stop() {
      // The platform stopped the sweep job before this.
      await payments.flush();
      await gateway.close?.();
    },
  };
};

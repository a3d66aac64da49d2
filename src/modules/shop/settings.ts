/**
 * Shop settings: order timeouts and limits, the sweeper, idempotency, and the payment gateway
 * (sandbox or Stripe) with its keys.
 * Composed into the app by src/settings.ts; the module reads them with `shopSettings.read(platform.config)`.
 */
import { type ConfigOf, defineSettings, durationBetween, fail, int, isSplit, oneOf, secret, url } from '../../platform/config.js';

/** Every variable the shop module reads. Order is the order of the docs. */
export const shopSettings = defineSettings(
  'shop',
  {
    ORDER_PAYMENT_TIMEOUT: {
      doc: 'How long an order waits for payment; then it expires and its stock is released (by a job that survives restarts).',
      example: '30m',
      default: '30m',
      parse: durationBetween('1s', '7d'),
    },
    SHOP_SWEEP_INTERVAL: {
      doc: 'How often the shop job runs: expires unpaid orders, finishes interrupted stock releases and checkouts, retries webhook events.',
      example: '10s',
      default: '10s',
      parse: durationBetween('10ms', '1h'),
    },
    IDEMPOTENCY_KEY_TTL: {
      doc: 'How long an Idempotency-Key of POST /orders is remembered (at least 24h).',
      example: '24h',
      default: '24h',
      parse: durationBetween('24h'),
    },
    SHOP_LOW_STOCK_THRESHOLD: {
      doc: 'GET /admin/stats lists active products with at most this many units left.',
      example: '5',
      default: '5',
      parse: int(0, 1_000_000),
    },
    SHOP_MAX_PENDING_ORDERS: {
      doc: 'Unpaid orders one customer may hold at once (each reserves stock until paid or expired); one more is 422 TOO_MANY_PENDING_ORDERS.',
      example: '3',
      default: '3',
      parse: int(1, 1_000_000),
    },
    SHOP_MAX_LINE_QUANTITY: {
      doc: 'Units of one product in a cart line, and so in an order line; more is 422 LINE_QUANTITY_LIMIT_EXCEEDED.',
      example: '10',
      default: '10',
      parse: int(1, 1000),
    },
    PAYMENT_PROVIDER: {
      doc: 'stripe, or sandbox: a test gateway where customers mark their own orders paid. Required with DATABASE_URL; embedded default: sandbox.',
      example: 'stripe',
      default: 'sandbox',
      parse: oneOf('sandbox', 'stripe'),
    },
    STRIPE_SECRET_KEY: {
      doc: 'Stripe secret key (sk_test_... or sk_live_...); required with PAYMENT_PROVIDER=stripe.',
      example: 'sk_test_your_key',
      parse: (raw) => (/^(sk|rk)_(test|live)_\S+$/.test(raw) ? raw : fail('must look like sk_test_... or sk_live_...')),
    },
    STRIPE_WEBHOOK_SECRET: {
      doc: 'Signing secret of the Stripe webhook endpoint (whsec_...); required with STRIPE_SECRET_KEY.',
      example: 'whsec_your_endpoint_secret',
      parse: (raw) => (raw.startsWith('whsec_') ? raw : fail('must start with whsec_')),
    },
    STRIPE_API_URL: {
      doc: 'Another Stripe API base URL (a proxy, or a local fake in tests). Unset: https://api.stripe.com.',
      example: 'http://127.0.0.1:12111',
      parse: url('http:', 'https:'),
    },
    STRIPE_TIMEOUT: {
      doc: 'Timeout of each call to Stripe; the SDK retries network errors, 409, 429 and 5xx twice with the same idempotency key.',
      example: '10s',
      default: '10s',
      parse: durationBetween('100ms', '80s'),
    },
    PAYMENT_SANDBOX_WEBHOOK_SECRET: {
      doc: 'Secret that signs the sandbox gateway callbacks (Sandbox-Signature). Unset: a random one per process.',
      example: 'change-me-to-32-or-more-random-characters',
      parse: secret,
    },
  },
  {
    check: (given, env) => {
      const problems: string[] = [];
      // A real deployment must choose its payments: the sandbox would let customers mark orders paid.
      if (given('DATABASE_URL') && !given('PAYMENT_PROVIDER')) {
        problems.push('PAYMENT_PROVIDER must be set when DATABASE_URL is: stripe, or sandbox (customers mark their own orders paid)');
      }
      const provider = env.PAYMENT_PROVIDER?.trim();
      if (provider === 'stripe' && !given('STRIPE_SECRET_KEY')) {
        problems.push('STRIPE_SECRET_KEY must be set when PAYMENT_PROVIDER is stripe');
      }
      if (given('STRIPE_SECRET_KEY') && provider !== 'stripe') {
        problems.push('PAYMENT_PROVIDER must be stripe when STRIPE_SECRET_KEY is set (otherwise the sandbox would take the payments)');
      }
      // In the split, the instance that starts a sandbox payment is rarely the one its callback reaches.
      if (isSplit(env) && provider === 'sandbox' && !given('PAYMENT_SANDBOX_WEBHOOK_SECRET')) {
        problems.push(
          'PAYMENT_SANDBOX_WEBHOOK_SECRET must be set (and shared) when DEPLOYMENT is a service of the split and PAYMENT_PROVIDER is sandbox',
        );
      }
      if (given('STRIPE_SECRET_KEY') && !given('STRIPE_WEBHOOK_SECRET')) {
        problems.push('STRIPE_WEBHOOK_SECRET must be set together with STRIPE_SECRET_KEY (webhooks cannot be verified without it)');
      }
      return problems;
    },
  },
);

/** The parsed shop settings. */
export type ShopConfig = ConfigOf<typeof shopSettings>;

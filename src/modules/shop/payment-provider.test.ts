import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/test-app.js';
import { ConfigError } from '../../platform/config.js';
import { loadAppConfig as loadConfig } from '../../settings.js';
import { shopModule } from './index.js';

const DATABASE = { DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zaplecze', JWT_SECRET: 'x'.repeat(40) };
const STRIPE_KEYS = { STRIPE_SECRET_KEY: 'sk_test_abc', STRIPE_WEBHOOK_SECRET: 'whsec_abc' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('choosing the payment provider (PAYMENT_PROVIDER)', () => {
  it('when DATABASE_URL is set without PAYMENT_PROVIDER, then the configuration is refused, naming PAYMENT_PROVIDER', () => {
    expect(problemsOf(DATABASE)).toEqual([expect.stringMatching(/^PAYMENT_PROVIDER must be set when DATABASE_URL is/)]);
    expect(loadConfig({ ...DATABASE, PAYMENT_PROVIDER: 'sandbox' }).PAYMENT_PROVIDER).toBe('sandbox');
    expect(loadConfig({ ...DATABASE, ...STRIPE_KEYS, PAYMENT_PROVIDER: 'stripe' }).PAYMENT_PROVIDER).toBe('stripe');
  });

  it('when nothing is set (embedded), then the sandbox is the default', () => {
    expect(loadConfig({}).PAYMENT_PROVIDER).toBe('sandbox');
  });

  it('when stripe is chosen without its keys, or the keys come without choosing stripe, then the configuration is refused', () => {
    expect(problemsOf({ PAYMENT_PROVIDER: 'stripe' })).toEqual([
      expect.stringMatching(/^STRIPE_SECRET_KEY must be set when PAYMENT_PROVIDER is stripe/),
    ]);
    expect(problemsOf({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_abc' })).toEqual([
      expect.stringMatching(/^STRIPE_WEBHOOK_SECRET must be set together with STRIPE_SECRET_KEY/),
    ]);
    expect(problemsOf(STRIPE_KEYS)).toEqual([expect.stringMatching(/^PAYMENT_PROVIDER must be stripe when STRIPE_SECRET_KEY is set/)]);
    expect(problemsOf({ ...STRIPE_KEYS, PAYMENT_PROVIDER: 'sandbox' })).toHaveLength(1);
    expect(problemsOf({ PAYMENT_PROVIDER: 'paypal' })).toEqual([expect.stringMatching(/^PAYMENT_PROVIDER must be one of sandbox, stripe/)]);
  });

  /** An app whose log records are kept, and its OpenAPI description. */
  async function startWith(env: Record<string, string>) {
    const records: { level: number; msg: string; payments?: string }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void records.push(JSON.parse(line)) });
    // The shop alone: the platform builds the OpenAPI document and the log, the module adds its note.
    const t = await createTestApp({ env, log, modules: [shopModule] });
    try {
      const description: string = (await t.request({ method: 'GET', url: '/openapi.json' })).json().info.description;
      const sandboxRoute = await t.request({ method: 'POST', url: '/api/v1/payments/sandbox/sbpay_x/succeed' });
      return { records, description, sandboxRouteStatus: sandboxRoute.statusCode };
    } finally {
      await t.close();
    }
  }

  it('when the sandbox takes the payments, then the start log warns and the OpenAPI description says so', async () => {
    const { records, description } = await startWith({ PAYMENT_PROVIDER: 'sandbox' });
    const warning = records.find((r) => r.payments === 'sandbox');
    expect(warning?.level).toBe(40);
    expect(warning?.msg).toMatch(/customers can mark their own orders paid.*PAYMENT_PROVIDER=stripe/);
    expect(description).toMatch(/Payments: sandbox gateway/);
  }, 120_000);

  it('when Stripe takes the payments, then no sandbox warning, no sandbox note and no sandbox routes', async () => {
    const { records, description, sandboxRouteStatus } = await startWith({
      PAYMENT_PROVIDER: 'stripe',
      ...STRIPE_KEYS,
      STRIPE_API_URL: 'http://127.0.0.1:9',
    });
    expect(records.find((r) => r.payments === 'stripe')?.level).toBe(30);
    expect(records.some((r) => r.payments === 'sandbox')).toBe(false);
    expect(description).not.toMatch(/sandbox/i);
    expect(sandboxRouteStatus).toBe(404);
  }, 120_000);
});

/**
 * Payment provider endpoints: the Stripe webhook, or (with the sandbox adapter only) the
 * sandbox's callback and the routes that settle a sandbox payment. Webhooks are verified on
 * the raw bytes, so this plugin parses JSON bodies as buffers.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { caller } from '../../platform/http/access.js';
import { problem } from '../../platform/http/route-helpers.js';
import type { PaymentService } from './payment-service.js';
import type { PaymentGateway } from './payments/gateway.js';
import { SANDBOX_SIGNATURE_HEADER } from './payments/sandbox.js';
import * as S from './schema.js';

export interface PaymentRoutesOptions {
  /** Which provider's endpoints to serve. */
  provider: PaymentGateway['provider'];
  payments: PaymentService;
}

// Providers retry on their own schedule; our global per-IP limit must not turn their retries into 429s.
const webhook = { access: 'public' as const, rateLimit: false as const };

export const paymentRoutes: FastifyPluginAsyncTypebox<PaymentRoutesOptions> = async (app, { provider, payments }) => {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 256 * 1024 }, (_request, body, done) => done(null, body));
  const tags = ['payments'];

  const receive = (headerName: string) => async (request: { body: unknown; headers: Record<string, string | string[] | undefined> }) => {
    const header = request.headers[headerName];
    return { received: true, ...(await payments.ingest(request.body as Buffer, typeof header === 'string' ? header : undefined)) };
  };

  if (provider === 'stripe') {
    app.post(
      '/payments/stripe/webhook',
      {
        config: webhook,
        schema: {
          tags,
          summary: 'Stripe webhook (Stripe-Signature verified on the raw body)',
          description:
            'Handles payment_intent.succeeded, payment_intent.payment_failed (a declined attempt: the order stays pending_payment and can be paid again), payment_intent.canceled and charge.refunded. Each event id is recorded once and applied in the background; repeats answer 200 with `duplicate: true`.',
          response: { 200: S.WebhookAck, 400: problem('WEBHOOK_SIGNATURE_INVALID: bad or stale signature') },
        },
      },
      receive('stripe-signature'),
    );
    return;
  }

  app.post(
    '/payments/sandbox/webhook',
    {
      config: webhook,
      schema: {
        tags,
        summary: 'Sandbox gateway callback (Sandbox-Signature verified on the raw body)',
        response: { 200: S.WebhookAck, 400: problem('WEBHOOK_SIGNATURE_INVALID') },
      },
    },
    receive(SANDBOX_SIGNATURE_HEADER),
  );

  for (const outcome of ['succeed', 'fail'] as const) {
    app.post(
      `/payments/sandbox/:ref/${outcome}`,
      {
        config: { access: 'user' },
        schema: {
          tags,
          summary: outcome === 'succeed' ? 'Sandbox: the customer pays' : 'Sandbox: an attempt is declined (the order stays payable)',
          description:
            'Only with PAYMENT_PROVIDER=sandbox (never in production: no money moves). Settles the payment at the sandbox gateway, which then sends its signed callback through the same path as a real webhook. The order changes shortly after (poll GET /orders/:id). The order’s owner or an admin.',
          params: S.PaymentRefParams,
          response: {
            202: Type.Object({ reference: Type.String(), status: Type.String() }),
            404: problem('PAYMENT_NOT_FOUND'),
            422: problem('PAYMENT_NOT_PENDING: already settled or canceled'),
          },
        },
      },
      async (request, reply) => {
        const settled = await payments.settleSandboxPayment(
          caller(request),
          request.params.ref,
          outcome === 'succeed' ? 'succeeded' : 'failed',
        );
        return reply.code(202).send(settled);
      },
    );
  }
};

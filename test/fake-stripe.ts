/**
 * A local stand-in for the part of the Stripe API the shop uses (PaymentIntents and refunds),
 * so the real SDK can be exercised without the network. It keeps Stripe's contracts that matter
 * here: form-encoded requests, Idempotency-Key replays, `expand[]=latest_charge`, cancel of a
 * succeeded intent answering `payment_intent_unexpected_state`, and refunds bounded by the amount.
 * Tests drive outcomes (succeed, fail) and inject server errors.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';

export interface FakeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  client_secret: string;
  metadata: Record<string, string>;
  last_payment_error: { code: string } | null;
  latest_charge: string | null;
  amount_refunded: number;
}

export interface FakeStripe {
  url: string;
  intents: Map<string, FakeIntent>;
  /** Every request as (method, path, idempotency key, form fields). */
  requests: { method: string; path: string; idempotencyKey: string | undefined; form: URLSearchParams }[];
  /** The next `n` requests answer 500 (the SDK retries them). */
  failNext(n: number): void;
  /** The next `n` requests are carried out but answered 500, as when a response is lost on the way back. */
  loseResponses(n: number): void;
  succeed(id: string): void;
  /** A declined attempt: back to requires_payment_method with last_payment_error; the intent can be paid again. */
  decline(id: string): void;
  /** A webhook event with a Stripe-Signature header made by the SDK's own test helper. */
  event(
    type: string,
    object: unknown,
    options?: { id?: string; timestamp?: number; secret?: string },
  ): { payload: string; signature: string };
  /** The intent as a webhook carries it. */
  intentObject(id: string): Record<string, unknown>;
  chargeObject(id: string): Record<string, unknown>;
  close(): Promise<void>;
}

const rid = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

export async function startFakeStripe(webhookSecret: string): Promise<FakeStripe> {
  const intents = new Map<string, FakeIntent>();
  const idempotent = new Map<string, { status: number; body: string }>();
  const requests: FakeStripe['requests'] = [];
  let failures = 0;
  let lost = 0;
  const signer = new Stripe('sk_test_signer');

  const charge = (pi: FakeIntent) => ({
    id: pi.latest_charge,
    object: 'charge',
    payment_intent: pi.id,
    amount: pi.amount,
    amount_refunded: pi.amount_refunded,
  });
  const view = (pi: FakeIntent, expand: boolean) => {
    const { amount_refunded: _, ...rest } = pi;
    return { ...rest, latest_charge: expand && pi.latest_charge ? charge(pi) : pi.latest_charge };
  };
  const error = (status: number, type: string, code: string, message: string) => ({ status, body: { error: { type, code, message } } });

  function handle(method: string, url: URL, form: URLSearchParams): { status: number; body: unknown } {
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/payment_intents') {
      const pi: FakeIntent = {
        id: rid('pi'),
        object: 'payment_intent',
        amount: Number(form.get('amount')),
        currency: String(form.get('currency')),
        status: 'requires_payment_method',
        client_secret: '',
        metadata: { orderId: String(form.get('metadata[orderId]')) },
        last_payment_error: null,
        latest_charge: null,
        amount_refunded: 0,
      };
      pi.client_secret = `${pi.id}_secret_${randomBytes(8).toString('hex')}`;
      intents.set(pi.id, pi);
      return { status: 200, body: view(pi, false) };
    }
    const one = /^\/v1\/payment_intents\/([^/]+)(\/cancel)?$/.exec(path);
    if (one) {
      const pi = intents.get(one[1] as string);
      if (!pi) return error(404, 'invalid_request_error', 'resource_missing', 'No such payment_intent');
      if (method === 'GET')
        return {
          status: 200,
          body: view(
            pi,
            url.searchParams.getAll('expand[]').includes('latest_charge') || url.searchParams.getAll('expand[0]').includes('latest_charge'),
          ),
        };
      if (one[2]) {
        if (pi.status === 'succeeded' || pi.status === 'canceled') {
          return error(
            400,
            'invalid_request_error',
            'payment_intent_unexpected_state',
            `You cannot cancel this PaymentIntent because it has a status of ${pi.status}.`,
          );
        }
        pi.status = 'canceled';
        return { status: 200, body: view(pi, false) };
      }
    }
    if (method === 'POST' && path === '/v1/refunds') {
      const pi = intents.get(String(form.get('payment_intent')));
      if (!pi) return error(404, 'invalid_request_error', 'resource_missing', 'No such payment_intent');
      const amount = Number(form.get('amount') ?? pi.amount - pi.amount_refunded);
      if (pi.status !== 'succeeded' || pi.amount_refunded + amount > pi.amount) {
        return error(400, 'invalid_request_error', 'charge_already_refunded', 'Refund amount exceeds what is left');
      }
      pi.amount_refunded += amount;
      return { status: 200, body: { id: rid('re'), object: 'refund', amount, status: 'succeeded', payment_intent: pi.id } };
    }
    return error(404, 'invalid_request_error', 'unknown', `No route ${method} ${path}`);
  }

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const key = req.headers['idempotency-key'] as string | undefined;
    requests.push({ method: req.method ?? '', path: url.pathname, idempotencyKey: key, form });
    const send = (status: number, body: string) =>
      res.writeHead(status, { 'content-type': 'application/json', 'request-id': rid('req') }).end(body);
    if (failures > 0) {
      failures -= 1;
      return send(500, JSON.stringify({ error: { type: 'api_error', message: 'injected failure' } }));
    }
    let answer = key ? idempotent.get(key) : undefined;
    if (!answer) {
      const out = handle(req.method ?? 'GET', url, form);
      answer = { status: out.status, body: JSON.stringify(out.body) };
      if (key && req.method === 'POST' && out.status < 500) idempotent.set(key, answer);
    }
    if (lost > 0) {
      lost -= 1;
      return send(500, JSON.stringify({ error: { type: 'api_error', message: 'response lost' } }));
    }
    send(answer.status, answer.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const must = (id: string) => {
    const pi = intents.get(id);
    if (!pi) throw new Error(`no intent ${id}`);
    return pi;
  };

  return {
    url: `http://127.0.0.1:${port}`,
    intents,
    requests,
    failNext(n) {
      failures = n;
    },
    loseResponses(n) {
      lost = n;
    },
    succeed(id) {
      const pi = must(id);
      pi.status = 'succeeded';
      pi.latest_charge = rid('ch');
      // Stripe clears the error of an earlier declined attempt when a later one succeeds.
      pi.last_payment_error = null;
    },
    decline(id) {
      const pi = must(id);
      pi.status = 'requires_payment_method';
      pi.last_payment_error = { code: 'card_declined' };
    },
    intentObject: (id) => view(must(id), false),
    chargeObject: (id) => charge(must(id)),
    event(type, object, options = {}) {
      const payload = JSON.stringify({
        id: options.id ?? rid('evt'),
        object: 'event',
        type,
        api_version: '2025-01-01',
        created: Math.floor(Date.now() / 1000),
        livemode: false,
        data: { object },
      });
      const signature = signer.webhooks.generateTestHeaderString({
        payload,
        secret: options.secret ?? webhookSecret,
        timestamp: options.timestamp,
      });
      return { payload, signature };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

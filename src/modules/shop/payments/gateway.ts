/**
 * The payments port: what the shop needs of a payment provider. Two adapters: `stripe` (the
 * official SDK) and `sandbox` (embedded, asynchronous like a real gateway). Webhooks of both
 * are verified here and turned into `PaymentNotice`s that one code path applies.
 */
import type { PaymentStatus } from '../tables.js';

export interface CreatePayment {
  orderId: string;
  amountCents: number;
  currency: string;
}

/** A payment as the provider currently sees it. */
export interface ProviderPayment {
  reference: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  /** What the browser needs to confirm the payment (Stripe's client_secret). Never logged or stored. */
  clientSecret: string;
  /** Total refunded so far, as the provider counts it. */
  refundedCents: number;
  orderId: string | undefined;
}

/** A verified webhook event, reduced to what the shop acts on. */
export interface PaymentNotice {
  eventId: string;
  /** The provider's event type, kept for the inbox and logs. */
  type: string;
  kind: 'payment' | 'refund' | 'ignored';
  reference: string;
  payload: unknown;
}

/** What every provider does. */
interface GatewayOperations {
  /** Creates the order's payment, or returns the one already created for it (idempotent by order id). */
  createPayment(input: CreatePayment): Promise<ProviderPayment>;
  /** The current state at the provider: webhooks may arrive late, twice or out of order. */
  retrievePayment(reference: string): Promise<ProviderPayment>;
  /** Cancels an unpaid payment so it cannot succeed later; a no-op when it already ended. */
  cancelPayment(reference: string): Promise<void>;
  /**
   * Refunds `amountCents`; `idempotencyKey` makes a retried call refund once. A 4xx AppError means
   * the provider refused (nothing refunded); any other failure leaves the outcome unknown.
   */
  refund(input: { reference: string; amountCents: number; idempotencyKey: string }): Promise<{ refundId: string; succeeded: boolean }>;
  /** Checks the signature of a webhook on its raw body; throws WEBHOOK_SIGNATURE_INVALID otherwise. */
  verifyWebhook(rawBody: Buffer, signatureHeader: string | undefined): PaymentNotice;
  close?(): Promise<void>;
}

/** Stripe: payments are settled by the customer at Stripe; its webhooks report them. */
export interface StripeGateway extends GatewayOperations {
  readonly provider: 'stripe';
}

/** A signed callback, as the sandbox would POST it to the webhook endpoint. */
export interface SandboxCallback {
  rawBody: Buffer;
  signature: string;
}

/** The embedded sandbox: the customer settles a payment through the API, and callbacks stay in-process. */
export interface SandboxGateway extends GatewayOperations {
  readonly provider: 'sandbox';
  /** Settles an open payment and returns the signed callback that reports it. */
  settle(reference: string, outcome: 'succeeded' | 'failed'): Promise<SandboxCallback>;
  /** Where callbacks go (the webhook ingest); set by the module. */
  onCallback(deliver: (callback: SandboxCallback) => Promise<void>): void;
  /** The order a payment belongs to, for the owner check of the settle routes. */
  orderOf(reference: string): Promise<string | undefined>;
}

/** The port, discriminated by `provider`: narrowing on it gives the sandbox's extra operations. */
export type PaymentGateway = StripeGateway | SandboxGateway;

/**
 * The sandbox gateway, the embedded default: it behaves like a hosted gateway with
 * asynchronous confirmation. Creating a payment only opens it; it succeeds or fails later,
 * when someone settles it (POST /payments/sandbox/:ref/succeed|fail). The gateway then sends a
 * signed callback that goes through the same verification, inbox and worker as a Stripe
 * webhook. Its ledger (sandbox_payments) stands in for the provider's side.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import type { Clock } from '../../../platform/clock.js';
import type { Db } from '../../../platform/db/database.js';
import { newId } from '../../../platform/ids.js';
import { PaymentNotFound, PaymentNotPending, RefundRejected, RefundTooLarge, WebhookSignatureInvalid } from '../errors.js';
import { sandboxPayments, sandboxRefunds } from '../tables.js';
import type { PaymentNotice, ProviderPayment, SandboxCallback, SandboxGateway } from './gateway.js';

export type { SandboxCallback, SandboxGateway } from './gateway.js';

import { signPayload, verifySignature } from './signature.js';

export const SANDBOX_SIGNATURE_HEADER = 'sandbox-signature';
const TOLERANCE_SECONDS = 300;

export function createSandboxGateway(deps: { db: Db; clock: Clock; secret?: string }): SandboxGateway {
  const { db, clock } = deps;
  // Without a configured secret the callbacks are signed with a per-process key: nobody outside
  // can forge one, and the settle routes sign their own.
  const secret = deps.secret ?? randomBytes(32).toString('hex');
  let deliver: ((callback: SandboxCallback) => Promise<void>) | undefined;

  // Every checkout opens a payment: prepared once instead of building the SQL per call.
  const opening = db
    .insert(sandboxPayments)
    .values({
      reference: sql.placeholder('reference'),
      orderId: sql.placeholder('orderId'),
      amountCents: sql.placeholder('amountCents'),
      currency: sql.placeholder('currency'),
      status: 'requires_payment',
      createdAt: sql.placeholder('now'),
      updatedAt: sql.placeholder('now'),
    })
    .onConflictDoNothing({ target: sandboxPayments.orderId })
    .returning()
    .prepare('shop_open_sandbox_payment');

  const clientSecretOf = (reference: string) =>
    `${reference}_secret_${createHmac('sha256', secret).update(reference).digest('base64url').slice(0, 24)}`;

  async function find(reference: string) {
    const [row] = await db.select().from(sandboxPayments).where(eq(sandboxPayments.reference, reference));
    if (!row) throw PaymentNotFound(`No sandbox payment ${reference}`);
    return row;
  }

  const toPayment = (row: typeof sandboxPayments.$inferSelect): ProviderPayment => ({
    reference: row.reference,
    status: row.status,
    amountCents: row.amountCents,
    currency: row.currency,
    clientSecret: clientSecretOf(row.reference),
    refundedCents: row.refundedCents,
    orderId: row.orderId,
  });

  function callback(type: string, reference: string, extra: Record<string, unknown> = {}): SandboxCallback {
    const now = clock.now();
    const body = JSON.stringify({ id: `sbevt_${newId()}`, type, reference, created: Math.floor(now.getTime() / 1000), ...extra });
    return { rawBody: Buffer.from(body), signature: signPayload(body, secret, Math.floor(now.getTime() / 1000)) };
  }

  /** Sends a callback in the background, like a gateway would; failures are the gateway's to retry. */
  function send(cb: SandboxCallback) {
    setImmediate(() => void deliver?.(cb).catch(() => {}));
  }

  return {
    provider: 'sandbox',

    async createPayment({ orderId, amountCents, currency }) {
      const now = clock.now();
      const [created] = await opening.execute({ reference: `sbpay_${orderId.replaceAll('-', '')}`, orderId, amountCents, currency, now });
      // A repeated call (same order) returns the payment made the first time.
      const [row] = created ? [created] : await db.select().from(sandboxPayments).where(eq(sandboxPayments.orderId, orderId));
      if (!row) throw new Error('sandbox payment vanished');
      return toPayment(row);
    },

    async retrievePayment(reference) {
      return toPayment(await find(reference));
    },

    async cancelPayment(reference) {
      const [row] = await db
        .update(sandboxPayments)
        .set({ status: 'canceled', updatedAt: clock.now() })
        .where(sql`${sandboxPayments.reference} = ${reference} and ${sandboxPayments.status} in ('requires_payment', 'failed')`)
        .returning();
      if (row) send(callback('payment.canceled', reference));
    },

    async refund({ reference, amountCents, idempotencyKey }) {
      // The key is claimed first, in the refund's own transaction: a concurrent call with the same
      // key waits on it, then answers the first call's refund instead of refunding again.
      const outcome = await db.transaction(async (tx) => {
        const now = clock.now();
        const [claimed] = await tx
          .insert(sandboxRefunds)
          .values({ idempotencyKey, reference, amountCents, refundId: `sbref_${newId()}`, createdAt: now })
          .onConflictDoNothing()
          .returning();
        if (!claimed) {
          const [earlier] = await tx.select().from(sandboxRefunds).where(eq(sandboxRefunds.idempotencyKey, idempotencyKey));
          if (!earlier || earlier.reference !== reference || earlier.amountCents !== amountCents) {
            throw RefundRejected(`The idempotency key ${idempotencyKey} was used for another refund`);
          }
          return { refundId: earlier.refundId, refundedCents: undefined };
        }
        const [row] = await tx
          .update(sandboxPayments)
          .set({ refundedCents: sql`${sandboxPayments.refundedCents} + ${amountCents}`, updatedAt: now })
          .where(
            sql`${sandboxPayments.reference} = ${reference} and ${sandboxPayments.status} = 'succeeded'
              and ${sandboxPayments.refundedCents} + ${amountCents} <= ${sandboxPayments.amountCents}`,
          )
          .returning();
        if (!row) throw RefundTooLarge(`The sandbox payment ${reference} cannot refund ${amountCents} more`);
        return { refundId: claimed.refundId, refundedCents: row.refundedCents };
      });
      if (outcome.refundedCents !== undefined) send(callback('charge.refunded', reference, { amountRefunded: outcome.refundedCents }));
      return { refundId: outcome.refundId, succeeded: true };
    },

    async settle(reference, outcome) {
      const [row] = await db
        .update(sandboxPayments)
        .set({ status: outcome, updatedAt: clock.now() })
        .where(sql`${sandboxPayments.reference} = ${reference} and ${sandboxPayments.status} in ('requires_payment', 'failed')`)
        .returning();
      if (!row) {
        await find(reference);
        throw PaymentNotPending(`The sandbox payment ${reference} is no longer open`);
      }
      return callback(outcome === 'succeeded' ? 'payment.succeeded' : 'payment.failed', reference);
    },

    onCallback(fn) {
      deliver = fn;
    },

    async orderOf(reference) {
      const [row] = await db
        .select({ orderId: sandboxPayments.orderId })
        .from(sandboxPayments)
        .where(eq(sandboxPayments.reference, reference));
      return row?.orderId;
    },

    verifyWebhook(rawBody, signatureHeader): PaymentNotice {
      const now = Math.floor(clock.now().getTime() / 1000);
      if (!verifySignature(rawBody, signatureHeader, secret, now, TOLERANCE_SECONDS)) {
        throw WebhookSignatureInvalid('The Sandbox-Signature header does not sign this body, or is too old');
      }
      const event = JSON.parse(rawBody.toString('utf8')) as { id: string; type: string; reference: string };
      const kind = event.type === 'charge.refunded' ? 'refund' : event.type.startsWith('payment.') ? 'payment' : 'ignored';
      return { eventId: event.id, type: event.type, kind, reference: event.reference, payload: event };
    },
  };
}

/**
 * The shop's declared job (`shop.sweep`, started and stopped by the platform, see
 * platform/jobs.ts). Its state is all in the database, so it survives restarts and any number
 * of instances may run it at once: each step re-checks under a row lock, and an order another
 * instance is closing right now is skipped (SKIP LOCKED) rather than waited for.
 * - unpaid orders past ORDER_PAYMENT_TIMEOUT expire and give their stock back (all of them, each pass);
 * - closed orders whose stock release did not complete are released again;
 * - checkouts of earlier versions that died between reserving stock and writing the order are
 *   undone (a checkout now commits its key, reservation and order together, so it leaves no
 *   such key; this step can go once no instance of an earlier version runs);
 * - Idempotency-Keys older than IDEMPOTENCY_KEY_TTL are forgotten;
 * - webhook events that failed to apply are retried.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../platform/clock.js';
import type { Job } from '../../platform/jobs.js';
import type { StockContract } from '../catalog/index.js';
import type { OrderLifecycle } from './order-lifecycle.js';
import type { PaymentService } from './payment-service.js';
import type { ShopRepo } from './repo.js';

/** A checkout still in progress after this long is considered dead. */
const ABANDONED_CHECKOUT_MS = 2 * 60_000;
/** Orders read per query while expiring; a pass keeps reading until none are due. */
export const EXPIRY_BATCH = 100;

export function createSweepJob(deps: {
  repo: ShopRepo;
  stock: StockContract;
  lifecycle: OrderLifecycle;
  payments: PaymentService;
  clock: Clock;
  log: Logger;
  everyMs: number;
  idempotencyKeyTtlMs: number;
}): Job {
  const { repo, stock, lifecycle, payments, clock, log } = deps;

  /** Every order due now, in batches: a backlog (after downtime, or a burst) is cleared in one pass. */
  async function expireDue() {
    const now = clock.now();
    let after: { expiresAt: Date; id: string } | undefined;
    for (;;) {
      const batch = await repo.dueForExpiry(now, after, EXPIRY_BATCH);
      for (const order of batch) {
        // One order that cannot be closed now must not hold back the rest; the next pass retries it.
        await lifecycle
          .closeUnpaid(order.id, 'expired', { skipLocked: true })
          .catch((err) => log.error({ err, orderId: order.id }, 'expiring an order failed'));
      }
      if (batch.length < EXPIRY_BATCH) return;
      after = batch[batch.length - 1];
    }
  }

  async function releaseLeftovers() {
    for (const { id } of await repo.unreleased(100)) await lifecycle.releaseStock(id);
  }

  async function undoAbandonedCheckouts() {
    const before = new Date(clock.now().getTime() - ABANDONED_CHECKOUT_MS);
    for (const key of await repo.staleKeys(before, 100)) {
      const reclaimed = await repo.transaction(async (tx) => {
        const row = await tx.findKey(key.userId, key.key, true);
        if (row?.status !== 'in_progress') return false;
        await tx.deleteKey(key.userId, key.key);
        return true;
      });
      if (reclaimed) {
        await stock.releaseStock(key.orderId);
        log.warn({ orderId: key.orderId }, 'abandoned checkout undone: stock released, key forgotten');
      }
    }
  }

  async function sweep() {
    for (const step of [expireDue, releaseLeftovers, undoAbandonedCheckouts]) {
      try {
        await step();
      } catch (err) {
        log.error({ err, step: step.name }, 'shop sweep step failed; will retry');
      }
    }
    await repo.pruneKeys(new Date(clock.now().getTime() - deps.idempotencyKeyTtlMs)).catch((err) => log.error({ err }, 'prune failed'));
    await payments.kick();
  }

  return {
    name: 'shop.sweep',
    everyMs: deps.everyMs,
    // Right after start: finish what a crash or a stop interrupted, and expire what fell due meanwhile.
    runAtStart: true,
    run: sweep,
  };
}

/**
 * The bound on every amount the shop handles: a line (unit price x quantity), an order or cart
 * total, a refund. 10^12 minor units (10 billion of the major unit) is far above any real
 * order, fits the bigint columns, and leaves sums of many orders (admin stats) exact as JSON
 * numbers (below Number.MAX_SAFE_INTEGER, ~9 x 10^15). Above it the answer is a 422, never an
 * overflow.
 */
import { AmountTooLarge } from './errors.js';

export const MAX_AMOUNT_CENTS = 1_000_000_000_000;

/** Throws 422 AMOUNT_TOO_LARGE when `cents` is above MAX_AMOUNT_CENTS; `what` names the amount. */
export function checkAmount(cents: number, what: string, extras: Record<string, unknown> = {}) {
  if (cents > MAX_AMOUNT_CENTS) {
    throw AmountTooLarge(`The ${what} (${cents}) is above the maximum of ${MAX_AMOUNT_CENTS} minor units`, {
      ...extras,
      maxCents: MAX_AMOUNT_CENTS,
    });
  }
  return cents;
}

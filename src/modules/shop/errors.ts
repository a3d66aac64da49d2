/** The shop module's coded errors. */
import { defineError } from '../../platform/http/errors.js';

export const ProductNotOrderable = defineError('PRODUCT_UNAVAILABLE', 422, 'Product not available');
export const NotEnoughStock = defineError('OUT_OF_STOCK', 422, 'Not enough stock');
export const CurrencyMismatch = defineError('CURRENCY_MISMATCH', 422, 'A cart holds one currency');
export const CartLimit = defineError('CART_LIMIT_REACHED', 422, 'Too many lines in the cart');
export const LineQuantityLimit = defineError('LINE_QUANTITY_LIMIT_EXCEEDED', 422, 'Too many units of one product');
export const TooManyPendingOrders = defineError('TOO_MANY_PENDING_ORDERS', 422, 'Too many unpaid orders');
export const AmountTooLarge = defineError('AMOUNT_TOO_LARGE', 422, 'Amount above the maximum');
export const CartEmpty = defineError('CART_EMPTY', 422, 'The cart is empty');
export const CartItemNotFound = defineError('CART_ITEM_NOT_FOUND', 404, 'Not in the cart');
export const OrderNotFound = defineError('ORDER_NOT_FOUND', 404, 'Order not found');
export const InvalidTransition = defineError('INVALID_STATUS_TRANSITION', 422, 'The order cannot move to that status');
export const IdempotencyKeyMissing = defineError('IDEMPOTENCY_KEY_REQUIRED', 400, 'Idempotency-Key header required');
export const IdempotencyKeyReused = defineError('IDEMPOTENCY_KEY_REUSED', 422, 'Idempotency-Key used with another request');
export const IdempotencyKeyInFlight = defineError('IDEMPOTENCY_KEY_IN_PROGRESS', 409, 'A request with this Idempotency-Key is in progress');
export const RefundTooLarge = defineError('REFUND_EXCEEDS_PAID', 422, 'Refund larger than what is left to refund');
export const PaymentProviderFailed = defineError('PAYMENT_PROVIDER_UNAVAILABLE', 502, 'The payment provider failed');
export const WebhookSignatureInvalid = defineError('WEBHOOK_SIGNATURE_INVALID', 400, 'Webhook signature invalid');
export const PaymentNotFound = defineError('PAYMENT_NOT_FOUND', 404, 'Payment not found');
export const PaymentNotPending = defineError('PAYMENT_NOT_PENDING', 422, 'The payment is no longer waiting for confirmation');
export const RefundRejected = defineError('REFUND_REJECTED', 422, 'The payment provider refused the refund');
export const RefundPending = defineError('REFUND_PENDING', 409, 'An earlier refund still waits for the provider');

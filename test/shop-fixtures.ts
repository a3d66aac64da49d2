/** Helpers for shop tests: products, carts, checkouts, and waiting for background work. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { ShopEventType } from '../src/modules/shop/events.js';
import type { RequestOptions, TestApp, TestUser } from './test-app.js';

export const API = '/api/v1';
let seq = 0;

export interface ProductInput {
  stock?: number;
  priceCents?: number;
  currency?: string;
  name?: string;
}

export async function createProduct(t: TestApp, admin: TestUser, input: ProductInput = {}): Promise<{ id: string; sku: string }> {
  seq += 1;
  const res = await t.request({
    method: 'POST',
    url: `${API}/products`,
    token: admin.token,
    payload: {
      sku: `SHOP-${process.pid}-${seq}-${randomUUID().slice(0, 8)}`,
      kind: 'product',
      name: input.name ?? `Shop thing ${seq}`,
      priceCents: input.priceCents ?? 1250,
      currency: input.currency ?? 'PLN',
      stock: input.stock ?? 10,
    },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function stockOf(t: TestApp, productId: string): Promise<number> {
  return (await t.request({ method: 'GET', url: `${API}/products/${productId}` })).json().stock;
}

export async function putInCart(t: TestApp, user: TestUser, productId: string, quantity: number) {
  const res = await t.request({ method: 'PUT', url: `${API}/cart/items/${productId}`, token: user.token, payload: { quantity } });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export function checkout(
  t: TestApp,
  user: TestUser,
  key: string | null = randomUUID(),
  payload: Record<string, unknown> = {},
  options: Pick<RequestOptions, 'contract'> = {},
) {
  return t.request({
    ...options,
    method: 'POST',
    url: `${API}/orders`,
    token: user.token,
    payload,
    headers: key === null ? {} : { 'idempotency-key': key },
  });
}

/** Puts `quantity` of a product in the cart and orders it; returns the 201 order. */
export async function orderOf(t: TestApp, user: TestUser, productId: string, quantity = 1) {
  await putInCart(t, user, productId, quantity);
  const res = await checkout(t, user);
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export async function getOrder(t: TestApp, user: TestUser, id: string) {
  const res = await t.request({ method: 'GET', url: `${API}/orders/${id}`, token: user.token });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

/** Polls `read` until `done` holds (background work: webhooks, the sweeper, the outbox); fails after ~5 s. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what = 'condition'): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 250; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(last)}`);
}

/** Waits until the order (read as its owner) has `status`, e.g. after a webhook or the sweeper; returns it. */
export function orderReaches(t: TestApp, user: TestUser, id: string, status: string) {
  return eventually(
    () => getOrder(t, user, id),
    (o) => o.status === status,
    `order ${status}`,
  );
}

let recorders = 0;

/** Records every bus event of the given types (as a module of its own, so it misses none). */
export function recordEvents(t: TestApp, types: ShopEventType[]) {
  const seen: { type: string; payload: { order: { id: string; status: string }; reason?: string; refundedCents?: number } }[] = [];
  recorders += 1;
  const module = `test-recorder-${recorders}`;
  const stops = types.map((type) => t.platform.bus.subscribe(module, type, (e) => void seen.push({ type: e.type, payload: e.payload })));
  return {
    seen,
    forOrder: (id: string) => seen.filter((e) => e.payload.order.id === id).map((e) => e.type),
    stop: () => {
      for (const s of stops) s();
    },
  };
}

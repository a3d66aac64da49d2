import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { AppError } from '../../platform/http/errors.js';
import { newId } from '../../platform/ids.js';
import { identityModule } from '../identity/index.js';
import { catalogModule, createCatalogStock, type StockContract } from './index.js';

const P = '/api/v1/products';
let seq = 0;

describe('stock contract', () => {
  let t: TestApp;
  let admin: TestUser;
  let stock: StockContract;

  beforeAll(async () => {
    t = await createTestApp({ modules: [identityModule, catalogModule] });
    admin = await t.admin();
    stock = createCatalogStock(t.platform);
  });
  afterAll(() => t.close());

  const product = async (units: number) => {
    const res = await t.request({
      method: 'POST',
      url: P,
      payload: { sku: `ST-${++seq}`, kind: 'product', name: `Thing ${seq}`, priceCents: 100, currency: 'PLN', stock: units },
      token: admin.token,
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { id: string };
  };
  const stockOf = async (id: string) => (await t.request({ method: 'GET', url: `${P}/${id}` })).json().stock as number;
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => undefined,
      (err: unknown) => (err instanceof AppError ? { code: err.code, status: err.status, ...err.extras } : err),
    );

  it('when an order reserves, then stock drops once; a replay changes nothing; release gives it back once', async () => {
    const a = await product(5);
    const b = await product(2);
    const orderId = newId();
    const first = await stock.reserveStock(orderId, [
      { productId: a.id, quantity: 2 },
      { productId: b.id, quantity: 1 },
      { productId: a.id, quantity: 1 },
    ]);
    expect(first).toMatchObject({ status: 'reserved', created: true });
    expect(first.lines).toEqual(
      expect.arrayContaining([
        { productId: a.id, quantity: 3 },
        { productId: b.id, quantity: 1 },
      ]),
    );
    expect(await stockOf(a.id)).toBe(2);

    const replay = await stock.reserveStock(orderId, [{ productId: a.id, quantity: 2 }]);
    expect(replay).toMatchObject({ status: 'reserved', created: false });
    expect(replay.lines).toEqual(first.lines);
    expect(await stockOf(a.id)).toBe(2);

    expect(await stock.releaseStock(orderId)).toBe(true);
    expect(await stock.releaseStock(orderId)).toBe(false);
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(2);
    expect((await stock.reserveStock(orderId, [{ productId: a.id, quantity: 1 }])).status).toBe('released');
    expect(await stock.releaseStock(newId())).toBe(false);
  });

  it('when one line is short, then 422 OUT_OF_STOCK and no line is taken', async () => {
    const a = await product(5);
    const b = await product(1);
    const err = await failure(
      stock.reserveStock(newId(), [
        { productId: a.id, quantity: 2 },
        { productId: b.id, quantity: 2 },
      ]),
    );
    expect(err).toMatchObject({ code: 'OUT_OF_STOCK', status: 422, productId: b.id, available: 1 });
    expect(await stockOf(a.id)).toBe(5);
  });

  it("when a reservation in the caller's transaction is refused, then it wrote nothing and the caller may still commit", async () => {
    const a = await product(5);
    const b = await product(1);
    const refused = newId();
    await t.platform.db.transaction(async (tx) => {
      const err = await failure(
        stock.reserveStock(
          refused,
          [
            { productId: a.id, quantity: 2 },
            { productId: b.id, quantity: 2 },
          ],
          { tx },
        ),
      );
      expect(err).toMatchObject({ code: 'OUT_OF_STOCK', productId: b.id, available: 1 });
    });
    expect(await stockOf(a.id)).toBe(5);
    expect(await stockOf(b.id)).toBe(1);
    // No reservation was left under that order id either: it can still reserve.
    expect((await stock.reserveStock(refused, [{ productId: a.id, quantity: 1 }])).created).toBe(true);
    expect(await stockOf(a.id)).toBe(4);
  });

  it("when the caller's check refuses, then its error is the answer and nothing was written; else it saw the products it reserved", async () => {
    const a = await product(5);
    const refused = newId();
    // The caller catches the refusal and commits its own transaction, as the checkout does with a 422.
    await t.platform.db.transaction(async (tx) => {
      const err = await failure(
        stock.reserveStock(refused, [{ productId: a.id, quantity: 2 }], {
          tx,
          check: () => {
            throw new AppError('PRICE_CHANGED', 422, 'Price changed', 'The price changed');
          },
        }),
      );
      expect(err).toMatchObject({ code: 'PRICE_CHANGED' });
    });
    expect(await stockOf(a.id)).toBe(5);
    expect(await stock.releaseStock(refused)).toBe(false);

    let seen: { id: string; stock: number; priceCents: number }[] = [];
    const reserved = await stock.reserveStock(newId(), [{ productId: a.id, quantity: 2 }], {
      check: (products) => {
        seen = products;
      },
    });
    // The products as locked, before the stock was taken: what the caller prices the order from.
    expect(seen).toEqual([expect.objectContaining({ id: a.id, stock: 5, priceCents: 100 })]);
    expect(reserved.products).toEqual(seen);
    expect(await stockOf(a.id)).toBe(3);
  });

  it("when the caller's transaction rolls back, then its reservation is gone with it", async () => {
    const a = await product(5);
    const orderId = newId();
    const err = await failure(
      t.platform.db.transaction(async (tx) => {
        expect((await stock.reserveStock(orderId, [{ productId: a.id, quantity: 4 }], { tx })).created).toBe(true);
        throw new Error('the caller failed after reserving');
      }),
    );
    expect((err as Error).message).toBe('the caller failed after reserving');
    expect(await stockOf(a.id)).toBe(5);
    expect(await stock.releaseStock(orderId)).toBe(false);
  });

  it('when a product is archived or unknown, then 422 PRODUCT_UNAVAILABLE; bad lines are 400', async () => {
    const a = await product(5);
    await t.request({ method: 'PATCH', url: `${P}/${a.id}`, payload: { status: 'archived' }, token: admin.token });
    expect(await failure(stock.reserveStock(newId(), [{ productId: a.id, quantity: 1 }]))).toMatchObject({ code: 'PRODUCT_UNAVAILABLE' });
    expect(await failure(stock.reserveStock(newId(), [{ productId: newId(), quantity: 1 }]))).toMatchObject({
      code: 'PRODUCT_UNAVAILABLE',
    });
    expect(await failure(stock.reserveStock(newId(), [{ productId: a.id, quantity: 0 }]))).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(await failure(stock.reserveStock(newId(), []))).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('when an order referenced a product, then DELETE archives it (200) instead of deleting it', async () => {
    const a = await product(3);
    await stock.reserveStock(newId(), [{ productId: a.id, quantity: 1 }]);
    const res = await t.request({ method: 'DELETE', url: `${P}/${a.id}`, token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: a.id, status: 'archived' });
    const again = await t.request({ method: 'DELETE', url: `${P}/${a.id}`, token: admin.token });
    expect(again.statusCode).toBe(200);
    const forOrder = await stock.getProductsForOrder([a.id, newId()]);
    expect(forOrder).toEqual([expect.objectContaining({ id: a.id, status: 'archived', stock: 2, priceCents: 100, currency: 'PLN' })]);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when many orders race for the last units, then exactly the stock is sold and never more',
    async () => {
      const a = await product(10);
      const b = await product(10);
      // Orders take a and b in opposite line order: sorted locking keeps them from deadlocking.
      const attempts = Array.from({ length: 40 }, (_, i) =>
        failure(
          stock.reserveStock(
            newId(),
            i % 2
              ? [
                  { productId: a.id, quantity: 1 },
                  { productId: b.id, quantity: 1 },
                ]
              : [
                  { productId: b.id, quantity: 1 },
                  { productId: a.id, quantity: 1 },
                ],
          ),
        ),
      );
      const results = await Promise.all(attempts);
      expect(results.filter((r) => r === undefined)).toHaveLength(10);
      expect(results.filter((r) => r !== undefined).every((r) => (r as { code: string }).code === 'OUT_OF_STOCK')).toBe(true);
      expect(await stockOf(a.id)).toBe(0);
      expect(await stockOf(b.id)).toBe(0);

      // The same order id sent 10 times at once reserves once.
      const c = await product(5);
      const orderId = newId();
      const replays = await Promise.all(Array.from({ length: 10 }, () => stock.reserveStock(orderId, [{ productId: c.id, quantity: 2 }])));
      expect(replays.filter((r) => r.created)).toHaveLength(1);
      expect(await stockOf(c.id)).toBe(3);
    },
  );
});

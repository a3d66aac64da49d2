import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProduct, stockOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import type { OutboxRelay } from '../../platform/bus/outbox.js';
import { outboxEvents } from '../../platform/bus/tables.js';
import { createCatalogStock } from '../catalog/index.js';
import { ShopEvents } from './events.js';
import { createOrderLifecycle } from './order-lifecycle.js';
import type { PaymentService } from './payment-service.js';
import { createSandboxGateway } from './payments/sandbox.js';
import { createShopRepo } from './repo.js';
import { createSweepJob, EXPIRY_BATCH } from './sweeper.js';
import { orders } from './tables.js';

describe('the shop sweeper', () => {
  let t: TestApp;

  // The module's own job (it runs once at start) stays out of the way after that: this test runs its pass itself.
  beforeAll(async () => {
    t = await createTestApp({ env: { SHOP_SWEEP_INTERVAL: '1h' } });
  });
  afterAll(() => t.close());

  function sweeperOf(app: TestApp) {
    const { db, clock } = app.platform;
    const log = pino({ level: 'silent' });
    const repo = createShopRepo(db);
    const stock = createCatalogStock(app.platform);
    const relay = { kick() {} } as unknown as OutboxRelay;
    const gateway = createSandboxGateway({ db, clock });
    const lifecycle = createOrderLifecycle({ repo, stock, gateway, relay, clock, log });
    const payments = { kick: async () => {} } as unknown as PaymentService;
    return createSweepJob({ repo, stock, lifecycle, payments, clock, log, everyMs: 3_600_000, idempotencyKeyTtlMs: 86_400_000 });
  }

  it('when more orders are due than one batch holds, then a single pass expires every one of them', async () => {
    const userId = randomUUID();
    const now = t.clock.now();
    const due = 2 * EXPIRY_BATCH + 1;
    const rows = Array.from({ length: due }, (_, i) => ({
      id: randomUUID(),
      userId,
      status: 'pending_payment' as const,
      currency: 'PLN',
      totalCents: 100,
      itemCount: 1,
      createdAt: now,
      updatedAt: now,
      // Some share a deadline, so paging must not skip or repeat orders with equal expiresAt.
      expiresAt: new Date(now.getTime() - 1000 - (i % 7)),
    }));
    const notYet = { ...rows[0], id: randomUUID(), expiresAt: new Date(now.getTime() + 60_000) } as (typeof rows)[number];
    await t.platform.db.insert(orders).values([...rows, notYet]);

    await sweeperOf(t).run();

    const left = await t.platform.db.select({ id: orders.id, status: orders.status }).from(orders).where(eq(orders.userId, userId));
    expect(left.filter((o) => o.status === 'expired')).toHaveLength(due);
    expect(left.filter((o) => o.status === 'pending_payment').map((o) => o.id)).toEqual([notYet.id]);
  }, 120_000);

  it('when two instances sweep the same due orders at once, then each order expires once: one event and one stock release each', async () => {
    const admin = await t.admin();
    const product = await createProduct(t, admin, { stock: 30 });
    const userId = randomUUID();
    const now = t.clock.now();
    const ids = Array.from({ length: 20 }, () => randomUUID());
    await t.platform.db.insert(orders).values(
      ids.map((id) => ({
        id,
        userId,
        status: 'pending_payment' as const,
        currency: 'PLN',
        totalCents: 100,
        itemCount: 1,
        createdAt: now,
        updatedAt: now,
        expiresAt: new Date(now.getTime() - 1000),
      })),
    );
    const stock = createCatalogStock(t.platform);
    for (const id of ids) await stock.reserveStock(id, [{ productId: product.id, quantity: 1 }]);
    expect(await stockOf(t, product.id)).toBe(10);

    await Promise.all([sweeperOf(t).run(), sweeperOf(t).run()]);

    const closed = await t.platform.db.select({ status: orders.status }).from(orders).where(inArray(orders.id, ids));
    expect(closed.every((o) => o.status === 'expired')).toBe(true);
    const events = await t.platform.db
      .select({ orderId: sql<string>`${outboxEvents.payload}->'order'->>'id'` })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.type, ShopEvents.orderExpired), inArray(sql`${outboxEvents.payload}->'order'->>'id'`, ids)));
    expect(events.map((e) => e.orderId).sort()).toEqual([...ids].sort());
    expect(await stockOf(t, product.id)).toBe(30);
  }, 120_000);
});

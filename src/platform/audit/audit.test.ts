/**
 * The audit trail: each admin action leaves one record in the transaction of the change (none when
 * it rolls back), naming who, what, the changed fields, the request and the address; admins read it
 * with filters and a cursor, nobody else can.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API, createProduct, eventually, orderOf } from '../../../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { deadEvents } from '../bus/tables.js';
import { newId } from '../ids.js';
import { SYSTEM_ACTOR } from './actor.js';
import { changedFields, recordAudit } from './audit.js';

interface AuditRecord {
  id: string;
  at: string;
  actor: { id: string; role: string | null } | null;
  action: string;
  target: { type: string; id: string };
  changes: Record<string, { before?: unknown; after?: unknown }>;
  requestId: string | null;
  clientAddress: string | null;
}

describe('changed fields', () => {
  it('keeps only what differs, with both sides; a creation has only after, a deletion only before', () => {
    expect(changedFields({ a: 1, b: [1, 2], c: 'x' }, { a: 1, b: [1, 3], c: 'y' })).toEqual({
      b: { before: [1, 2], after: [1, 3] },
      c: { before: 'x', after: 'y' },
    });
    expect(changedFields(undefined, { a: 1 })).toEqual({ a: { after: 1 } });
    expect(changedFields({ a: 1 }, undefined)).toEqual({ a: { before: 1 } });
    expect(changedFields({ a: null }, { a: null })).toEqual({});
  });
});

describe('the audit trail', () => {
  let t: TestApp;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
    user = await t.createUser();
  });
  afterAll(() => t?.close());

  async function audit(query = ''): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
    const res = await t.request({ method: 'GET', url: `${API}/admin/audit${query}`, token: admin.token });
    expect(res.statusCode, res.body).toBe(200);
    return res.json();
  }
  const ofTarget = async (type: string, id: string) => (await audit(`?targetType=${type}&targetId=${id}`)).items;

  it('a product created, changed and deleted by an admin leaves one record each, with actor, request, address and only the changed fields', async () => {
    const requestId = `audit-${randomUUID()}`;
    const created = await t.request({
      method: 'POST',
      url: `${API}/products`,
      token: admin.token,
      headers: { 'x-request-id': requestId },
      payload: { sku: `AUD-${randomUUID().slice(0, 8)}`, kind: 'product', name: 'Audited', priceCents: 100, currency: 'PLN', stock: 5 },
    });
    expect(created.statusCode, created.body).toBe(201);
    const product = created.json();
    const patched = await t.request({
      method: 'PATCH',
      url: `${API}/products/${product.id}`,
      token: admin.token,
      payload: { priceCents: 150 },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    const removed = await t.request({ method: 'DELETE', url: `${API}/products/${product.id}`, token: admin.token });
    expect(removed.statusCode).toBe(204);

    const [deletion, update, creation] = await ofTarget('product', product.id);
    expect(creation).toMatchObject({
      action: 'catalog.product.created',
      actor: { id: admin.id, role: 'admin' },
      requestId,
      clientAddress: '127.0.0.1',
      changes: { name: { after: 'Audited' }, priceCents: { after: 100 } },
    });
    expect(update).toMatchObject({ action: 'catalog.product.updated', changes: { priceCents: { before: 100, after: 150 } } });
    expect(Object.keys(update?.changes ?? {})).toEqual(['priceCents']);
    expect(deletion).toMatchObject({ action: 'catalog.product.deleted', changes: { priceCents: { before: 150 } } });
    expect(deletion?.changes.priceCents).not.toHaveProperty('after');
  });

  it('a change that rolls back leaves no record: a stale If-Match, an import with a taken SKU', async () => {
    const product = await createProduct(t, admin);
    const stale = await t.request({
      method: 'PATCH',
      url: `${API}/products/${product.id}`,
      token: admin.token,
      headers: { 'if-match': '"stale"' },
      payload: { priceCents: 1 },
    });
    expect(stale.statusCode).toBe(412);
    expect((await ofTarget('product', product.id)).map((r) => r.action)).toEqual(['catalog.product.created']);

    const fresh = `AUD-${randomUUID().slice(0, 8)}`;
    const row = (sku: string) => ({ sku, kind: 'product', name: 'Imported', priceCents: 100, currency: 'PLN', stock: 1 });
    const refused = await t.request({
      method: 'POST',
      url: `${API}/products/import`,
      token: admin.token,
      payload: [row(fresh), row(product.sku)],
    });
    expect(refused.statusCode).toBe(400);
    expect((await audit('?action=catalog.product.imported')).items.filter((r) => r.changes.sku?.after === fresh)).toEqual([]);

    const imported = await t.request({ method: 'POST', url: `${API}/products/import`, token: admin.token, payload: [row(fresh)] });
    expect(imported.statusCode, imported.body).toBe(201);
    expect((await audit('?action=catalog.product.imported')).items.filter((r) => r.changes.sku?.after === fresh)).toHaveLength(1);
  });

  it('a record is written in the transaction of the change: a rollback after it takes it back', async () => {
    const target = { type: 'product', id: randomUUID() };
    await expect(
      t.platform.db.transaction(async (tx) => {
        await recordAudit(tx, SYSTEM_ACTOR, t.clock.now(), [
          { action: 'catalog.product.updated', target, before: { a: 1 }, after: { a: 2 } },
        ]);
        throw new Error('the change failed after its record');
      }),
    ).rejects.toThrow('the change failed');
    expect(await ofTarget(target.type, target.id)).toEqual([]);
  });

  it("an order's fulfilment step and a refund are recorded against the order", async () => {
    const product = await createProduct(t, admin, { priceCents: 1000 });
    const order = await orderOf(t, user, product.id);
    const paid = await t.request({ method: 'POST', url: `${API}/payments/sandbox/${order.payment.reference}/succeed`, token: user.token });
    expect(paid.statusCode).toBe(202);
    await eventually(
      async () => (await t.request({ method: 'GET', url: `${API}/orders/${order.id}`, token: user.token })).json().status,
      (s) => s === 'paid',
      'the order paid',
    );
    const fulfilled = await t.request({
      method: 'PATCH',
      url: `${API}/admin/orders/${order.id}`,
      token: admin.token,
      payload: { status: 'fulfilled' },
    });
    expect(fulfilled.statusCode, fulfilled.body).toBe(200);
    const refunded = await t.request({
      method: 'POST',
      url: `${API}/admin/orders/${order.id}/refund`,
      token: admin.token,
      payload: { amountCents: 300 },
    });
    expect(refunded.statusCode, refunded.body).toBe(200);

    const records = await ofTarget('order', order.id);
    expect(records.map((r) => [r.action, r.changes])).toEqual([
      ['shop.order.refund_requested', { refundId: { after: expect.any(String) }, amountCents: { after: 300 }, reason: { after: null } }],
      ['shop.order.status_changed', { status: { before: 'paid', after: 'fulfilled' } }],
    ]);
    // Each route hands its caller down: none of these is the system's.
    expect(records.map((r) => r.actor?.id)).toEqual([admin.id, admin.id]);
  });

  it("an account's role change, disable, re-enable and deletion are recorded; a refused change (the last admin) is not", async () => {
    const target = await t.createUser();
    const patch = (payload: object) => t.request({ method: 'PATCH', url: `${API}/admin/users/${target.id}`, token: admin.token, payload });
    expect((await patch({ role: 'admin' })).statusCode).toBe(200);
    expect((await patch({ disabled: true })).statusCode).toBe(200);
    expect((await patch({ disabled: false, role: 'user' })).statusCode).toBe(200);
    expect((await t.request({ method: 'DELETE', url: `${API}/admin/users/${target.id}`, token: admin.token })).statusCode).toBe(204);
    const records = await ofTarget('user', target.id);
    expect(records.every((r) => r.actor?.id === admin.id && r.clientAddress === '127.0.0.1')).toBe(true);
    expect(records.map((r) => [r.action, r.changes])).toEqual([
      ['identity.user.deleted', { role: { before: 'user' }, disabled: { before: false } }],
      ['identity.user.enabled', { disabled: { before: true, after: false } }],
      ['identity.user.role_changed', { role: { before: 'admin', after: 'user' } }],
      ['identity.user.disabled', { disabled: { before: false, after: true } }],
      ['identity.user.role_changed', { role: { before: 'user', after: 'admin' } }],
    ]);

    const lastAdmin = await t.request({
      method: 'PATCH',
      url: `${API}/admin/users/${admin.id}`,
      token: admin.token,
      payload: { role: 'user' },
    });
    expect(lastAdmin.statusCode).toBe(422);
    expect(await ofTarget('user', admin.id)).toEqual([]);
  });

  it('a dead-letter replay is recorded; an already replayed one (409) is not recorded again', async () => {
    const id = newId();
    await t.platform.db.insert(deadEvents).values({
      id,
      eventId: randomUUID(),
      module: 'nobody',
      type: 'product.deleted',
      payload: { productId: randomUUID(), sku: 'X' },
      occurredAt: new Date(),
      deliveries: 5,
      error: 'Error: test',
    });
    const replay = () => t.request({ method: 'POST', url: `${API}/admin/events/dead/${id}/replay`, token: admin.token });
    expect((await replay()).statusCode).toBe(202);
    expect((await replay()).statusCode).toBe(409);
    const records = await ofTarget('dead_event', id);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      action: 'platform.dead_event.replayed',
      actor: { id: admin.id, role: 'admin' },
      changes: { replayedAt: { before: null } },
    });
  });

  it('filters by actor and time, and pages newest first with a cursor', async () => {
    // Records carry the app's (fake) clock, as every other timestamp does.
    t.clock.advance(60_000);
    const before = t.clock.now().toISOString();
    for (let i = 0; i < 3; i++) await createProduct(t, admin);
    const recent = (await audit(`?from=${encodeURIComponent(before)}&actor=${admin.id}`)).items;
    expect(recent.map((r) => r.action)).toEqual(['catalog.product.created', 'catalog.product.created', 'catalog.product.created']);
    expect((await audit(`?actor=${user.id}`)).items).toEqual([]);
    expect((await audit(`?to=${encodeURIComponent(before)}`)).items.every((r) => r.at < before)).toBe(true);

    const first = await audit('?limit=2');
    expect(first.items).toHaveLength(2);
    const second = await audit(`?limit=2&cursor=${first.nextCursor}`);
    expect((second.items[0]?.id ?? '') < (first.items[1]?.id ?? '')).toBe(true);
  });

  it('only admins read it; bad filters are a 400 problem', async () => {
    expect((await t.request({ method: 'GET', url: `${API}/admin/audit`, token: user.token })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: `${API}/admin/audit` })).statusCode).toBe(401);
    for (const query of ['?actor=nope', '?from=yesterday', '?action=DROP%20TABLE', '?cursor=garbage', '?extra=1']) {
      const res = await t.request({ method: 'GET', url: `${API}/admin/audit${query}`, token: admin.token });
      expect(res.statusCode, query).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });
});

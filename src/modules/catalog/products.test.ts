import { Compile } from 'typebox/compile';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import type { BusEvent } from '../../platform/bus/event-bus.js';
import { identityModule } from '../identity/index.js';
import { CatalogEventMap, catalogModule, type ProductChanged, type ProductDeleted } from './index.js';

const P = '/api/v1/products';
let seq = 0;
const book = (over: Record<string, unknown> = {}) => ({
  sku: `BK-${++seq}`,
  kind: 'book',
  name: 'Solaris',
  description: 'A planet-sized ocean that answers back.',
  priceCents: 3999,
  currency: 'PLN',
  stock: 5,
  attributes: { author: 'Stanisław Lem', isbn: '978-83-08-04969-3', pages: 240 },
  ...over,
});
const movie = (over: Record<string, unknown> = {}) => ({
  sku: `MV-${++seq}`,
  kind: 'movie',
  name: 'Stalker',
  priceCents: 5999,
  currency: 'EUR',
  stock: 2,
  attributes: { director: 'Andrei Tarkovsky', year: 1979, runtimeMinutes: 162, genres: ['sci-fi', 'drama'] },
  ...over,
});

describe('catalog products', () => {
  let t: TestApp;
  let admin: TestUser;
  let user: TestUser;
  const events: BusEvent<ProductChanged | ProductDeleted>[] = [];

  beforeAll(async () => {
    t = await createTestApp({ modules: [identityModule, catalogModule] });
    admin = await t.admin();
    user = await t.createUser();
    for (const type of ['product.created', 'product.updated', 'product.archived', 'product.deleted'] as const) {
      t.platform.bus.subscribe('test', type, (e) => {
        events.push(e);
      });
    }
  });
  afterAll(() => t.close());

  const create = async (body: Record<string, unknown>) => {
    const res = await t.request({ method: 'POST', url: P, payload: body, token: admin.token });
    expect(res.statusCode, res.body).toBe(201);
    return res.json();
  };
  /** Events of one product, after a later marker event proves the relay got past them. */
  const eventsOf = async (productId: string) => {
    const marker = await create(book());
    const idOf = ({ payload }: (typeof events)[number]) => ('product' in payload ? payload.product.id : payload.productId);
    await expect.poll(() => events.some((e) => idOf(e) === marker.id)).toBe(true);
    return events.filter((e) => idOf(e) === productId);
  };

  describe('validation per kind', () => {
    it.each([
      [
        'a bad ISBN checksum',
        book({ attributes: { author: 'Lem', isbn: '978-83-08-04969-5' } }),
        '/attributes/isbn',
        'invalid ISBN checksum',
      ],
      ['a negative price', book({ priceCents: -1 }), '/priceCents', undefined],
      ['an unknown currency', book({ currency: 'XXY' }), '/currency', "'XXY' is not an ISO 4217 currency code"],
      [
        'a movie attribute on a book',
        book({ attributes: { author: 'Lem', isbn: '9788308049693', director: 'X' } }),
        '/attributes/director',
        'is not an attribute of a book',
      ],
      [
        'a book attribute on a movie',
        movie({ attributes: { director: 'X', year: 1990, genres: [], isbn: '9788308049693' } }),
        '/attributes/isbn',
        'is not an attribute of a movie',
      ],
      ['a movie without director', movie({ attributes: { year: 1990, genres: [] } }), '/attributes/director', 'is required'],
      ['negative stock', book({ stock: -3 }), '/stock', undefined],
      ['an unknown kind', book({ kind: 'game' }), '/kind', undefined],
    ])('when a product has %s, then 400 names %s', async (_, body, path, message) => {
      const res = await t.request({ method: 'POST', url: P, payload: body, token: admin.token });
      expect(res.statusCode).toBe(400);
      const problem = res.json();
      expect(problem.code).toBe('VALIDATION_FAILED');
      expect(problem.errors).toEqual(expect.arrayContaining([message ? { path, message } : expect.objectContaining({ path })]));
    });

    it('when a category id does not exist, then 400 names the array member', async () => {
      const res = await t.request({
        method: 'POST',
        url: P,
        payload: book({ categoryIds: ['0190b6b4-0000-7000-8000-000000000000'] }),
        token: admin.token,
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: '/categoryIds/0', message: 'no such category' }]);
    });
  });

  describe('access', () => {
    it.each([
      ['POST', P],
      ['PUT', `${P}/0190b6b4-0000-7000-8000-000000000000`],
      ['PATCH', `${P}/0190b6b4-0000-7000-8000-000000000000`],
      ['DELETE', `${P}/0190b6b4-0000-7000-8000-000000000000`],
      ['POST', `${P}/import`],
      ['POST', '/api/v1/categories'],
    ] as const)('when anonymous calls %s %s, then 401, and a user gets 403', async (method, url) => {
      const anonymous = await t.request({ method, url, payload: book() });
      expect(anonymous.statusCode).toBe(401);
      const asUser = await t.request({ method, url, payload: book(), token: user.token });
      expect(asUser.statusCode).toBe(403);
    });

    it('when a user asks for archived products, then 403; an admin gets them', async () => {
      expect((await t.request({ method: 'GET', url: `${P}?status=archived`, token: user.token })).statusCode).toBe(403);
      const res = await t.request({ method: 'GET', url: `${P}?status=archived`, token: admin.token });
      expect(res.statusCode).toBe(200);
      expect(res.headers['cache-control']).toBe('private, no-store');
    });
  });

  describe('reads and writes', () => {
    it('when an admin creates a product, then 201 with Location and ETag, readable by id and by SKU with caching headers', async () => {
      const res = await t.request({ method: 'POST', url: P, payload: book({ sku: 'BK-SOLARIS-1' }), token: admin.token });
      expect(res.statusCode).toBe(201);
      const created = res.json();
      expect(res.headers.location).toBe(`${P}/${created.id}`);
      expect(created).toMatchObject({ version: 1, status: 'active', categoryIds: [], imageIds: [], description: expect.any(String) });
      expect(created.attributes.isbn).toBe('9788308049693');

      const byId = await t.request({ method: 'GET', url: `${P}/${created.id}` });
      expect(byId.statusCode).toBe(200);
      expect(byId.headers.etag).toBe(res.headers.etag);
      expect(byId.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
      expect(byId.json()).toEqual(created);

      const bySku = await t.request({ method: 'GET', url: `${P}/by-sku/BK-SOLARIS-1` });
      expect(bySku.json().id).toBe(created.id);
      expect((await t.request({ method: 'GET', url: `${P}/by-sku/NOPE` })).statusCode).toBe(404);
    });

    it('when the SKU is taken, then 409 SKU_TAKEN', async () => {
      const first = await create(book());
      const res = await t.request({ method: 'POST', url: P, payload: book({ sku: first.sku }), token: admin.token });
      expect(res.statusCode).toBe(409);
      expect(res.json().code).toBe('SKU_TAKEN');
    });

    it('when If-None-Match carries the current ETag, then 304 without a body; after a change, 200', async () => {
      const p = await create(book());
      const first = await t.request({ method: 'GET', url: `${P}/${p.id}` });
      const etag = first.headers.etag as string;
      const again = await t.request({ method: 'GET', url: `${P}/${p.id}`, headers: { 'if-none-match': etag } });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
      expect((await t.request({ method: 'GET', url: `${P}/${p.id}`, headers: { 'if-none-match': `"x", W/${etag}` } })).statusCode).toBe(
        304,
      );

      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { stock: 9 }, token: admin.token });
      const changed = await t.request({ method: 'GET', url: `${P}/${p.id}`, headers: { 'if-none-match': etag } });
      expect(changed.statusCode).toBe(200);
      expect(changed.headers.etag).not.toBe(etag);
    });

    it('when If-Match is stale on PUT, PATCH or DELETE, then 412 and nothing changes', async () => {
      const p = await create(book());
      const stale = (await t.request({ method: 'GET', url: `${P}/${p.id}` })).headers.etag as string;
      const ok = await t.request({
        method: 'PATCH',
        url: `${P}/${p.id}`,
        payload: { name: 'Solaris (2nd ed.)' },
        token: admin.token,
        headers: { 'if-match': stale },
      });
      expect(ok.statusCode).toBe(200);
      expect(ok.json().version).toBe(2);

      for (const [method, payload] of [
        ['PATCH', { name: 'Lost' }],
        ['PUT', book({ sku: p.sku, name: 'Lost' })],
        ['DELETE', undefined],
      ] as const) {
        const res = await t.request({ method, url: `${P}/${p.id}`, payload, token: admin.token, headers: { 'if-match': stale } });
        expect(res.statusCode, method).toBe(412);
        expect(res.json()).toMatchObject({ code: 'PRECONDITION_FAILED', currentEtag: ok.headers.etag });
      }
      const now = (await t.request({ method: 'GET', url: `${P}/${p.id}` })).json();
      expect(now).toMatchObject({ name: 'Solaris (2nd ed.)', version: 2 });
    });

    it('when PATCH is a merge patch (either content type), then members merge and nulls remove optional ones', async () => {
      const p = await create(book({ attributes: { author: 'Lem', isbn: '9788308049693', publisher: 'Wydawnictwo', pages: 200 } }));
      const res = await t.request({
        method: 'PATCH',
        url: `${P}/${p.id}`,
        payload: JSON.stringify({ priceCents: 2500, attributes: { publisher: null, pages: 210 } }),
        headers: { 'content-type': 'application/merge-patch+json' },
        token: admin.token,
      });
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json()).toMatchObject({ priceCents: 2500, attributes: { author: 'Lem', isbn: '9788308049693', pages: 210 }, version: 2 });
      expect(res.json().attributes).not.toHaveProperty('publisher');

      const removeAuthor = await t.request({
        method: 'PATCH',
        url: `${P}/${p.id}`,
        payload: { attributes: { author: null } },
        token: admin.token,
      });
      expect(removeAuthor.statusCode).toBe(400);
      expect(removeAuthor.json().errors).toEqual([{ path: '/attributes/author', message: 'is required' }]);

      const wrongType = await t.request({
        method: 'PATCH',
        url: `${P}/${p.id}`,
        payload: 'stock=1',
        headers: { 'content-type': 'text/plain' },
        token: admin.token,
      });
      expect(wrongType.statusCode).toBe(415);
    });

    it('when PUT replaces a product, then omitted optional members take their defaults', async () => {
      const p = await create(book({ description: 'long text' }));
      const res = await t.request({
        method: 'PUT',
        url: `${P}/${p.id}`,
        payload: book({ sku: p.sku, description: undefined }),
        token: admin.token,
      });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ description: '', version: 2 });
      const missing = await t.request({
        method: 'PUT',
        url: `${P}/0190b6b4-0000-7000-8000-000000000000`,
        payload: book(),
        token: admin.token,
      });
      expect(missing.statusCode).toBe(404);
    });

    it('when a product no order references is deleted, then 204 and it is gone', async () => {
      const p = await create(book());
      const res = await t.request({ method: 'DELETE', url: `${P}/${p.id}`, token: admin.token });
      expect(res.statusCode).toBe(204);
      expect((await t.request({ method: 'GET', url: `${P}/${p.id}` })).statusCode).toBe(404);
      expect((await eventsOf(p.id)).map((e) => e.type)).toEqual(['product.created', 'product.deleted']);
    });
  });

  describe('import', () => {
    it('when one row is bad, then nothing is imported and errors[] names every bad row', async () => {
      const rows = [book(), book(), book({ attributes: { author: 'X', isbn: '978-83-08-04969-5' } }), movie({ currency: 'ABC' })];
      const res = await t.request({ method: 'POST', url: `${P}/import`, payload: rows, token: admin.token });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([
        { path: '/2/attributes/isbn', message: 'invalid ISBN checksum' },
        { path: '/3/currency', message: "'ABC' is not an ISO 4217 currency code" },
      ]);
      for (const row of rows) expect((await t.request({ method: 'GET', url: `${P}/by-sku/${row.sku}` })).statusCode).toBe(404);
    });

    it('when a SKU repeats in the batch or already exists, then the rows are named and nothing is imported', async () => {
      const existing = await create(book());
      const dup = book();
      const rows = [book(), dup, { ...book(), sku: dup.sku }, book({ sku: existing.sku })];
      const res = await t.request({ method: 'POST', url: `${P}/import`, payload: rows, token: admin.token });
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([{ path: '/2/sku', message: 'repeats the SKU of row 1' }]);
      const res2 = await t.request({
        method: 'POST',
        url: `${P}/import`,
        payload: [book(), book({ sku: existing.sku })],
        token: admin.token,
      });
      expect(res2.json().errors).toEqual([{ path: '/1/sku', message: 'is already used' }]);
      expect((await t.request({ method: 'GET', url: `${P}/by-sku/${rows[0]?.sku}` })).statusCode).toBe(404);
    });

    it('when the import is valid, then every row is created and each gets exactly one product.created event', async () => {
      const rows = [
        book(),
        movie(),
        {
          sku: `PR-${++seq}`,
          kind: 'product',
          name: 'Kettle',
          priceCents: 9900,
          currency: 'PLN',
          stock: 1,
          attributes: { brand: 'Tatra' },
        },
      ];
      const res = await t.request({ method: 'POST', url: `${P}/import`, payload: rows, token: admin.token });
      expect(res.statusCode, res.body).toBe(201);
      const { created, items } = res.json();
      expect(created).toBe(3);
      for (const item of items) expect((await eventsOf(item.id)).map((e) => e.type)).toEqual(['product.created']);
    });

    it('when the import has more than 1000 rows, then 400 before any work', async () => {
      const rows = Array.from({ length: 1001 }, () => ({ sku: 'x' }));
      const res = await t.request({ method: 'POST', url: `${P}/import`, payload: rows, token: admin.token });
      expect(res.statusCode).toBe(400);
    });
  });

  describe('events', () => {
    it('when the catalog publishes events, then every payload matches its schema in CatalogEventMap', async () => {
      const p = await create(book());
      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { status: 'archived' }, token: admin.token });
      await expect.poll(() => events.filter((e) => e.type === 'product.archived').length).toBeGreaterThan(0);
      expect(events.length).toBeGreaterThan(1);
      for (const event of events) {
        const schema = CatalogEventMap[event.type as keyof typeof CatalogEventMap];
        expect(
          [...Compile(schema).Errors(event.payload)].map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`),
          event.type,
        ).toEqual([]);
      }
    });

    it('when changes commit, then each publishes one event; failed changes publish none', async () => {
      const p = await create(book());
      const etag = `"${p.id}.1"`;
      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { stock: 1 }, token: admin.token, headers: { 'if-match': etag } });
      // Rolled back: stale If-Match, invalid merged document, SKU clash.
      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { stock: 2 }, token: admin.token, headers: { 'if-match': etag } });
      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { currency: 'ZZZ' }, token: admin.token });
      const other = await create(book());
      const clash = await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { sku: other.sku }, token: admin.token });
      expect(clash.statusCode).toBe(409);
      await t.request({ method: 'PATCH', url: `${P}/${p.id}`, payload: { status: 'archived' }, token: admin.token });

      const mine = await eventsOf(p.id);
      expect(mine.map((e) => e.type)).toEqual(['product.created', 'product.updated', 'product.archived']);
      expect(new Set(mine.map((e) => e.id)).size).toBe(3);
      const updated = mine[1]?.payload;
      expect(updated && 'product' in updated ? updated.product : undefined).toMatchObject({
        stock: 1,
        version: 2,
      });
    });
  });

  it('when the OpenAPI document is read, then every catalog route is in it with its access', async () => {
    const spec = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    expect(spec.paths['/api/v1/products'].get['x-access']).toBe('public');
    expect(spec.paths['/api/v1/products'].post['x-access']).toBe('admin');
    expect(spec.paths['/api/v1/products/{id}'].patch.security).toEqual([{ bearerAuth: [] }]);
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining(['/api/v1/products/import', '/api/v1/products/by-sku/{sku}', '/api/v1/categories/{id}']),
    );
  });

  describe('categories', () => {
    it('when categories form a tree, then admins manage it, anyone reads it, and cycles and in-use deletes are refused', async () => {
      const post = (payload: object) => t.request({ method: 'POST', url: '/api/v1/categories', payload, token: admin.token });
      const books = (await post({ slug: 'books', name: 'Books' })).json();
      const fiction = (await post({ slug: 'fiction', name: 'Fiction', parentId: books.id })).json();
      const scifi = await post({ slug: 'sf', name: 'SF', parentId: fiction.id });
      expect(scifi.statusCode).toBe(201);
      expect(scifi.headers.location).toBe(`/api/v1/categories/${scifi.json().id}`);
      expect((await post({ slug: 'books', name: 'Again' })).json().code).toBe('SLUG_TAKEN');
      const reslug = await t.request({
        method: 'PATCH',
        url: `/api/v1/categories/${fiction.id}`,
        payload: { slug: 'books' },
        token: admin.token,
      });
      expect([reslug.statusCode, reslug.json().code]).toEqual([409, 'SLUG_TAKEN']);
      expect((await post({ slug: 'Bad Slug', name: 'x' })).statusCode).toBe(400);

      const read = await t.request({ method: 'GET', url: '/api/v1/categories/fiction' });
      expect(read.json()).toMatchObject({ id: fiction.id, parentId: books.id });
      const children = await t.request({ method: 'GET', url: '/api/v1/categories?parent=books' });
      expect(children.json().items.map((c: { slug: string }) => c.slug)).toEqual(['fiction']);

      const cycle = await t.request({
        method: 'PATCH',
        url: `/api/v1/categories/${books.id}`,
        payload: { parentId: scifi.json().id },
        token: admin.token,
      });
      expect(cycle.statusCode).toBe(422);
      expect(cycle.json().code).toBe('CATEGORY_CYCLE');
      const self = await t.request({
        method: 'PATCH',
        url: `/api/v1/categories/${books.id}`,
        payload: { parentId: books.id },
        token: admin.token,
      });
      expect(self.statusCode).toBe(422);

      await create(book({ categoryIds: [scifi.json().id] }));
      const inUse = await t.request({ method: 'DELETE', url: `/api/v1/categories/${scifi.json().id}`, token: admin.token });
      expect(inUse.statusCode).toBe(409);
      expect(inUse.json()).toMatchObject({ code: 'CATEGORY_IN_USE', products: 1 });
      const parent = await t.request({ method: 'DELETE', url: `/api/v1/categories/${books.id}`, token: admin.token });
      expect(parent.json()).toMatchObject({ code: 'CATEGORY_IN_USE', children: 1 });

      const moved = await t.request({
        method: 'PATCH',
        url: `/api/v1/categories/${fiction.id}`,
        payload: { parentId: null, name: 'Fiction!' },
        token: admin.token,
      });
      expect(moved.json()).toMatchObject({ parentId: null, name: 'Fiction!', version: 2 });
      const empty = (await post({ slug: 'empty', name: 'Empty' })).json();
      expect((await t.request({ method: 'DELETE', url: `/api/v1/categories/${empty.id}`, token: admin.token })).statusCode).toBe(204);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { identityModule } from '../identity/index.js';
import { catalogModule } from './index.js';
import { isbn13 } from './seed-data.js';

const P = '/api/v1/products';

interface Wire {
  id: string;
  sku: string;
  kind: string;
  name: string;
  priceCents: number;
  stock: number;
  createdAt: string;
  categoryIds: string[];
}

describe('catalog search, filters and pagination', () => {
  let t: TestApp;
  let admin: TestUser;
  const cat: Record<string, string> = {};

  const get = async (query: string) => {
    const res = await t.request({ method: 'GET', url: `${P}?${query}` });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as { items: Wire[]; nextCursor: string | null };
  };
  const importRows = async (rows: object[]) => {
    const res = await t.request({ method: 'POST', url: `${P}/import`, payload: rows, token: admin.token });
    expect(res.statusCode, res.body).toBe(201);
  };
  /** Follows nextCursor to the end; `between` runs after each page (e.g. inserts). */
  const walk = async (query: string, between?: (page: number) => Promise<void>) => {
    const seen: Wire[] = [];
    let cursor: string | null = null;
    let page = 0;
    do {
      const body = await get(`${query}${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...body.items);
      cursor = body.nextCursor;
      await between?.(page++);
    } while (cursor);
    return seen;
  };

  const book = (sku: string, name: string, priceCents: number, over: Record<string, unknown> = {}) => ({
    sku,
    kind: 'book',
    name,
    priceCents,
    currency: 'PLN',
    stock: 3,
    attributes: { author: 'Anonymous', isbn: isbn13(sku.length * 31 + priceCents) },
    ...over,
  });

  beforeAll(async () => {
    t = await createTestApp({ modules: [identityModule, catalogModule] });
    admin = await t.admin();
    const post = async (slug: string, parent?: string) => {
      const res = await t.request({
        method: 'POST',
        url: '/api/v1/categories',
        payload: { slug, name: slug, parentId: parent },
        token: admin.token,
      });
      cat[slug] = res.json().id;
    };
    await post('media');
    await post('books', cat.media);
    await post('fiction', cat.books);
    await post('movies', cat.media);
    await post('garden');
    await importRows([
      book('S-1', 'The Ocean at the End', 4500, { categoryIds: [cat.fiction], description: 'A boy and a pond.' }),
      book('S-2', 'Tides', 1500, {
        categoryIds: [cat.books],
        description: 'On the ocean and the moon.',
        attributes: { author: 'Rachel Carson', isbn: isbn13(2) },
      }),
      book('S-3', 'Ocean Ocean Ocean', 9900, { categoryIds: [cat.fiction], stock: 0 }),
      book('S-4', 'Salt', 2500, { categoryIds: [cat.books], attributes: { author: 'Mark Ocean', isbn: isbn13(4) } }),
      {
        sku: 'S-5',
        kind: 'movie',
        name: 'Deep Blue',
        description: 'Documentary about the ocean.',
        priceCents: 3000,
        currency: 'EUR',
        stock: 4,
        categoryIds: [cat.movies],
        attributes: { director: 'Alastair Fothergill', year: 2003, genres: ['documentary'] },
      },
      {
        sku: 'S-6',
        kind: 'product',
        name: 'Garden Hose',
        priceCents: 2000,
        currency: 'PLN',
        stock: 10,
        categoryIds: [cat.garden],
        attributes: { brand: 'Tatra' },
      },
    ]);
  });
  afterAll(() => t.close());

  it('when filters and a sort are combined, then exactly the matching rows come back in that order, with public caching', async () => {
    const res = await t.request({
      method: 'GET',
      url: `${P}?category=media&kind=book&minPrice=1500&maxPrice=9900&inStock=true&sort=price&order=desc`,
    });
    expect(res.headers['cache-control']).toMatch(/^public, max-age=\d+$/);
    expect(res.json().items.map((p: Wire) => p.sku)).toEqual(['S-1', 'S-4', 'S-2']);
    expect((await get('category=books&sort=name')).items.map((p) => p.sku)).toEqual(['S-3', 'S-4', 'S-1', 'S-2']);
    expect((await get(`category=${cat.movies}`)).items.map((p) => p.sku)).toEqual(['S-5']);
    expect((await get('inStock=false')).items.map((p) => p.sku)).toEqual(['S-3']);
    expect((await get('category=no-such-slug')).items).toEqual([]);
    expect((await get('kind=product&sort=createdAt&order=asc')).items.map((p) => p.sku)).toEqual(['S-6']);
  });

  it('when searching, then matches in the name rank above the author, and the author above the description', async () => {
    const found = (await get('q=ocean')).items.map((p) => p.sku);
    expect(found.slice(0, 2).sort()).toEqual(['S-1', 'S-3']);
    expect(found[0]).toBe('S-3'); // the name says it three times
    expect(found.indexOf('S-4')).toBeLessThan(found.indexOf('S-2'));
    expect(found.indexOf('S-4')).toBeLessThan(found.indexOf('S-5'));
    expect(found).toHaveLength(5);
    expect((await get('q=oceans&kind=movie')).items.map((p) => p.sku)).toEqual(['S-5']); // stemmed
    expect((await get('q=carson')).items.map((p) => p.sku)).toEqual(['S-2']);
    expect((await get('q=ocean -tides&sort=price&order=asc')).items.map((p) => p.sku)).toEqual(['S-4', 'S-5', 'S-1', 'S-3']);
  });

  it('when the relevance order is paged one by one, then the walk returns the same rows as one page', async () => {
    const all = (await get('q=ocean&limit=100')).items.map((p) => p.id);
    const walked = (await walk('q=ocean&limit=1')).map((p) => p.id);
    expect(walked).toEqual(all);
  });

  it('when list parameters contradict, then 400 names them; a cursor of another sort is refused', async () => {
    const relevance = await t.request({ method: 'GET', url: `${P}?sort=relevance` });
    expect(relevance.json().errors).toEqual([{ path: '/querystring/sort', message: 'relevance needs a search query q' }]);
    const range = await t.request({ method: 'GET', url: `${P}?minPrice=10&maxPrice=5` });
    expect(range.statusCode).toBe(400);
    const cursor = (await get('sort=price&limit=1')).nextCursor;
    const other = await t.request({ method: 'GET', url: `${P}?sort=name&limit=1&cursor=${cursor}` });
    expect(other.statusCode).toBe(400);
    expect(other.json().code).toBe('INVALID_CURSOR');
    expect((await t.request({ method: 'GET', url: `${P}?cursor=garbage` })).json().code).toBe('INVALID_CURSOR');
    expect((await t.request({ method: 'GET', url: `${P}?limit=101` })).statusCode).toBe(400);
  });

  it('when 1,000 products are paged while others are inserted, then no row is repeated and none is skipped', async () => {
    // Prices collide on purpose (only 50 distinct), so the id tie-break is exercised.
    const rows = Array.from({ length: 1000 }, (_, i) => ({
      sku: `WALK-${i}`,
      kind: 'product',
      name: `Walk item ${String((i * 7919) % 1000).padStart(4, '0')}`,
      priceCents: 10_000 + ((i * 37) % 50) * 100,
      currency: 'PLN',
      stock: 1,
      attributes: {},
    }));
    await importRows(rows);
    const originals = new Set(rows.map((r) => r.sku));

    for (const sort of ['price&order=asc', 'price&order=desc', 'name&order=asc', 'createdAt&order=desc']) {
      let inserted = 0;
      const seen = await walk(`sort=${sort}&limit=97&minPrice=10000`, async () => {
        t.clock.advance(1000);
        // New rows land before, inside and after the pages already read.
        const extra = [10_000, 10_000 + 2500, 99_900].map((priceCents) => ({
          sku: `NEW-${sort.replace(/\W/g, '-')}-${inserted++}`,
          kind: 'product',
          name: `Walk item ${inserted % 3 === 0 ? '0000' : '9999'}`,
          priceCents,
          currency: 'PLN',
          stock: 1,
          attributes: {},
        }));
        await importRows(extra);
      });
      const skus = seen.map((p) => p.sku);
      expect(new Set(skus).size, `duplicates in ${sort}`).toBe(skus.length);
      const missing = [...originals].filter((sku) => !skus.includes(sku));
      expect(missing, `gaps in ${sort}`).toEqual([]);
      const key = (p: Wire) => (sort.startsWith('price') ? p.priceCents : sort.startsWith('name') ? p.name : p.createdAt);
      const keys = seen.map(key);
      const sorted = [...keys].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      if (sort.endsWith('desc')) sorted.reverse();
      expect(keys).toEqual(sorted);
    }
  });
});

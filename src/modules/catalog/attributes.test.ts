import { describe, expect, it } from 'vitest';
import { applyMergePatch, isCurrency, isValidIsbn, productProblems } from './attributes.js';
import { isbn13, seedProducts } from './seed-data.js';

const book = {
  sku: 'BK-1',
  kind: 'book',
  name: 'Solaris',
  priceCents: 3999,
  currency: 'PLN',
  stock: 3,
  attributes: { author: 'Stanisław Lem', isbn: '978-83-08-04969-3' },
};

describe('product rules', () => {
  it.each([
    ['0-306-40615-2', true],
    ['080442957X', true],
    ['978-0-306-40615-7', true],
    ['9780306406157', true],
    ['978-0-306-40615-8', false],
    ['0-306-40615-3', false],
    ['1234567890123', false],
    ['abc', false],
  ])('when the ISBN is %s, then valid is %s', (isbn, valid) => {
    expect(isValidIsbn(isbn)).toBe(valid);
  });

  it('when a currency is ISO 4217, then it is accepted, and made-up codes are not', () => {
    expect(isCurrency('PLN')).toBe(true);
    expect(isCurrency('EUR')).toBe(true);
    expect(isCurrency('XYZ')).toBe(false);
  });

  it('when a book is valid, then there are no problems', () => {
    expect(productProblems(book)).toEqual([]);
  });

  it('when a book has a bad checksum, a movie attribute and no author, then each has its path', () => {
    const problems = productProblems({ ...book, attributes: { isbn: '978-83-08-04969-5', director: 'Tarkovsky' } });
    expect(problems).toEqual(
      expect.arrayContaining([
        { path: '/attributes/author', message: 'is required' },
        { path: '/attributes/director', message: 'is not an attribute of a book' },
      ]),
    );
    expect(productProblems({ ...book, attributes: { author: 'Lem', isbn: '978-83-08-04969-5' } })).toEqual([
      { path: '/attributes/isbn', message: 'invalid ISBN checksum' },
    ]);
  });

  it('when a row of an import is bad, then paths start with the row index', () => {
    const problems = productProblems({ ...book, priceCents: -1, currency: 'ABC' }, '/3');
    expect(problems.map((p) => p.path)).toContain('/3/priceCents');
    expect(productProblems({ ...book, currency: 'ABC' }, '/3')).toEqual([
      { path: '/3/currency', message: "'ABC' is not an ISO 4217 currency code" },
    ]);
  });

  it('when a movie lacks genres or has a wrong year, then the attribute paths say so', () => {
    const problems = productProblems({ ...book, kind: 'movie', attributes: { director: 'Lang', year: 1800 } });
    expect(problems.map((p) => p.path).sort()).toEqual(['/attributes/genres', '/attributes/year']);
  });

  it('when a merge patch has nulls and nested objects, then it follows RFC 7396', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: null, b: { c: null, x: 1 }, e: [2] })).toEqual({
      b: { d: 3, x: 1 },
      e: [2],
    });
  });

  it('when the demo catalog is generated, then it has 200+ valid products with unique SKUs, the same every time', () => {
    const products = seedProducts();
    expect(products.length).toBeGreaterThanOrEqual(200);
    expect(new Set(products.map((p) => p.sku)).size).toBe(products.length);
    for (const { categorySlugs: _, ...p } of products) expect(productProblems(p), p.sku).toEqual([]);
    expect(seedProducts()).toEqual(products);
    expect(isValidIsbn(isbn13(7))).toBe(true);
  });
});

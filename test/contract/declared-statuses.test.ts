import { describe, expect, it } from 'vitest';
import { createStatusContract } from './declared-statuses.js';

const contract = createStatusContract({
  paths: {
    '/api/v1/products/{id}': { get: { responses: { 200: {}, 304: {}, 404: {} } }, patch: { responses: { 200: {}, 412: {} } } },
    '/api/v1/products/by-sku/{sku}': { get: { responses: { 200: {} } } },
    '/api/v1/products/import': { post: { responses: { 201: {}, 409: {} } } },
    '/api/v1/anything': { get: { responses: { default: {} } } },
  },
});

describe('declared statuses', () => {
  it('when a status is declared for the operation, then the answer keeps the contract', () => {
    expect(contract('GET', '/api/v1/products/abc?fields=x', 304)).toBeUndefined();
    expect(contract('HEAD', '/api/v1/products/abc', 404)).toBeUndefined();
    expect(contract('GET', '/api/v1/anything', 418)).toBeUndefined();
  });

  it('when a status is not declared, then the broken promise names the operation and what it declares', () => {
    expect(contract('PATCH', '/api/v1/products/abc', 409)).toBe(
      'PATCH /api/v1/products/abc answered 409, which PATCH /api/v1/products/{id} does not declare in the OpenAPI document (declared: 200, 412)',
    );
    expect(contract('GET', '/api/v1/products/abc', 500)).toMatch(/answered 500/);
  });

  it('when a literal segment and a parameter both match, then the literal route is judged, as the router picks it', () => {
    expect(contract('POST', '/api/v1/products/import', 409)).toBeUndefined();
    expect(contract('GET', '/api/v1/products/by-sku/BK-1', 404)).toMatch(/GET \/api\/v1\/products\/by-sku\/\{sku\} does not declare/);
  });

  it('when the path or the method is not in the document, then the answer is not judged', () => {
    expect(contract('GET', '/app/index.html', 500)).toBeUndefined();
    expect(contract('DELETE', '/api/v1/products/import', 405)).toBeUndefined();
    expect(contract('GET', '/api/v1/products/', 404)).toBeUndefined();
  });
});

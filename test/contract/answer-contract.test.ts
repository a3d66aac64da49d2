import { describe, expect, it } from 'vitest';
import { type Answer, createAnswerContract } from './answer-contract.js';

const check = createAnswerContract({
  paths: {
    '/api/v1/products/{id}': { get: { responses: { 200: {}, 304: {}, 404: {} } }, patch: { responses: { 200: {}, 412: {} } } },
    '/api/v1/products/by-sku/{sku}': { get: { responses: { 200: {} } } },
    '/api/v1/products/import': { post: { responses: { 201: {}, 409: {} } } },
    '/api/v1/anything': { get: { responses: { default: {} } } },
    '/api/v1/uploads/{id}': { get: { responses: { 200: {} } }, head: { responses: { 200: {}, 410: {} } } },
    '/health/ready': {
      get: { responses: { 200: { content: { 'application/json': {} } }, 503: { content: { 'application/json': {} } } } },
    },
  },
});

const PROBLEM = 'application/problem+json; charset=utf-8';
const problem = (status: number, fields: Record<string, unknown> = {}): Answer => ({
  statusCode: status,
  headers: { 'content-type': PROBLEM },
  body: JSON.stringify({ type: '/problems/x', title: 'X', status, code: 'X', ...fields }),
});
const plain = (status: number): Answer => ({ statusCode: status, headers: {}, body: '' });

describe('answer contract', () => {
  it('when a status is declared for the operation, then the answer keeps the contract', () => {
    expect(check('GET', '/api/v1/products/abc?fields=x', plain(304))).toBeUndefined();
    expect(check('GET', '/api/v1/products/abc', problem(404))).toBeUndefined();
    expect(check('GET', '/api/v1/anything', problem(418))).toBeUndefined();
    // A HEAD operation of its own is judged by its own statuses, not its GET's.
    expect(check('HEAD', '/api/v1/uploads/abc', plain(410))).toBeUndefined();
    expect(check('GET', '/api/v1/uploads/abc', problem(410))).toMatch(/GET \/api\/v1\/uploads\/\{id\} does not declare/);
  });

  it('when a status is not declared, then the broken promise names the operation and what it declares', () => {
    expect(check('PATCH', '/api/v1/products/abc', problem(409))).toBe(
      'PATCH /api/v1/products/abc answered 409, which PATCH /api/v1/products/{id} does not declare in the OpenAPI document (declared: 200, 412)',
    );
    expect(check('GET', '/api/v1/products/abc', problem(500))).toMatch(/answered 500/);
  });

  it('when an error is not a problem document, then the check says what is wrong with it, unless the document declares another body', () => {
    const html: Answer = { statusCode: 404, headers: { 'content-type': 'text/html' }, body: '<h1>Not found</h1>' };
    expect(check('GET', '/api/v1/products/abc', html)).toMatch(/is of type 'text\/html', not application\/problem\+json/);
    expect(check('GET', '/api/v1/products/abc', { ...problem(404), body: '{' })).toMatch(/is not JSON/);
    expect(check('GET', '/api/v1/products/abc', problem(404, { status: 400 }))).toMatch(/says status 400/);
    expect(check('GET', '/api/v1/products/abc', problem(404, { code: undefined, title: 7 }))).toMatch(/has no title, code/);
    expect(check('GET', '/health/ready', { statusCode: 503, headers: { 'content-type': 'application/json' }, body: '{}' })).toBeUndefined();
    // A HEAD answer has no body to judge.
    expect(check('HEAD', '/api/v1/products/abc', plain(404))).toBeUndefined();
  });

  it('when a literal segment and a parameter both match, then the literal route is judged, as the router picks it', () => {
    expect(check('POST', '/api/v1/products/import', problem(409))).toBeUndefined();
    expect(check('GET', '/api/v1/products/by-sku/BK-1', problem(404))).toMatch(/GET \/api\/v1\/products\/by-sku\/\{sku\} does not declare/);
  });

  it('when the path or the method is not in the document, then the answer is not judged', () => {
    expect(check('GET', '/app/index.html', plain(500))).toBeUndefined();
    expect(check('DELETE', '/api/v1/products/import', plain(405))).toBeUndefined();
    expect(check('GET', '/api/v1/products/', plain(404))).toBeUndefined();
  });
});

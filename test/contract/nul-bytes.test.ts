/**
 * PostgreSQL refuses U+0000 in text. Any string that reaches the database with one must be a 400
 * naming the field, from one platform-wide rule, and must change nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findNulByte } from '../../src/platform/http/nul-bytes.js';
import { createTestApp, type TestApp, type TestUser } from '../test-app.js';

describe('NUL characters in input', () => {
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    user = await t.createUser();
  });
  afterAll(() => t?.close());

  it.each([
    ['a todo list name', 'POST', '/api/v1/todo-lists', { name: 'Gro\u0000ceries' }, '/name'],
    ['a nested todo field', 'POST', '/api/v1/todos', { title: 'ok', tags: ['a', 'b\u0000'] }, '/tags/1'],
    ['a chat room name', 'POST', '/api/v1/chat/rooms', { name: 'ro\u0000om', kind: 'private' }, '/name'],
    ['a property name', 'POST', '/api/v1/todo-lists', { 'na\u0000me': 'x' }, '/na\u0000me'],
  ])(
    'when %s carries U+0000, then 400 VALIDATION_FAILED with its path and nothing is written',
    async (_what, method, url, payload, path) => {
      const before = (await t.request({ method: 'GET', url: '/api/v1/todo-lists', token: user.token })).json().items.length;
      const res = await t.request({ method: method as 'POST', url, payload, token: user.token });
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path }] });
      const after = (await t.request({ method: 'GET', url: '/api/v1/todo-lists', token: user.token })).json().items.length;
      expect(after).toBe(before);
    },
  );

  it('when a query parameter carries U+0000, then 400 names it, also without a token', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/products?q=pan%00tadeusz' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/querystring/q', message: expect.stringContaining('NUL') }]);
  });

  it('when a path parameter carries U+0000, then 400 names it', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/categories/a%00b' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toMatch(/^\/params\//);
  });

  it('when values are walked, then the first NUL is found by its JSON pointer and clean values pass', () => {
    expect(findNulByte({ a: [{ 'b/c': 'x\u0000' }] })).toBe('/a/0/b~1c');
    expect(findNulByte('\u0000')).toBe('/');
    expect(findNulByte({ a: 1, b: null, c: ['x', true], d: Buffer.from([0]) })).toBeUndefined();
  });
});

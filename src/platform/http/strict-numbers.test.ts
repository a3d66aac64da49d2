import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

describe('numeric query parameters', () => {
  let t: TestApp;
  let admin: { token: string };
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  it.each([
    [' ', 'a blank'],
    ['0x10', 'hex'],
    ['1e1', 'an exponent'],
    ['Infinity', 'Infinity'],
    ['5.5', 'a fraction for an integer'],
  ])('when limit is %j (%s), then 400 with the field path and nothing is listed', async (value) => {
    const res = await t.request({ method: 'GET', url: `/api/v1/admin/users?limit=${encodeURIComponent(value)}`, token: admin.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/querystring/limit', message: 'must be a whole number' }]);
  });

  it('when limit is a plain number, then it is used', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/admin/users?limit=1', token: admin.token });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toHaveLength(1);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

describe('problem details', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('when a route does not exist, then 404 problem details with the request id as instance', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/nothing-here', headers: { 'x-request-id': 'trace-123' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['x-request-id']).toBe('trace-123');
    expect(res.json()).toMatchObject({ status: 404, code: 'NOT_FOUND', instance: 'trace-123', type: '/problems/not-found' });
  });

  it('when the body misses fields and has unknown ones, then 400 lists each field path', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/register', payload: { email: 'a@b.co', role: 'admin' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { path: '/role', message: 'is not a known property' },
        { path: '/password', message: 'is required' },
      ]),
    );
  });
});

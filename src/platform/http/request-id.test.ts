import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request id', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('when the caller sends a sane x-request-id, then it is echoed on a success', async () => {
    const res = await t.request({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123.trace:9@edge/1' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-request-id']).toBe('abc-123.trace:9@edge/1');
  });

  it('when the caller sends none, then a UUID is generated and echoed', async () => {
    const res = await t.request({ method: 'GET', url: '/health/live' });
    expect(res.headers['x-request-id']).toMatch(UUID);
  });

  it.each([
    ['500 characters', 'a'.repeat(500)],
    ['spaces', 'has spaces in it'],
    ['a log-injection attempt', 'x"}\\n{"level":60'],
    ['an empty value', ''],
  ])('when the given id has %s, then it is replaced by a UUID', async (_what, id) => {
    const res = await t.request({ method: 'GET', url: '/api/v1/nothing', headers: { 'x-request-id': id } });
    expect(res.statusCode).toBe(404);
    const echoed = res.headers['x-request-id'];
    expect(echoed).toMatch(UUID);
    expect(res.json().instance).toBe(echoed);
  });

  it('when a request fails validation, then the error carries the same id as the header', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: {},
      headers: { 'x-request-id': 'validation-trace' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toBe('validation-trace');
    expect(res.json().instance).toBe('validation-trace');
  });
});

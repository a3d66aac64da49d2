import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { DEPLOYMENTS } from '../../deployments.js';
import type { ModuleFactory } from '../platform.js';

const pingModule: ModuleFactory = () => ({
  name: 'ping-test',
  routes: async (app) => {
    app.get('/ping', { config: { access: 'public' }, schema: { response: { 200: Type.Object({ pong: Type.Boolean() }) } } }, async () => ({
      pong: true,
    }));
  },
});

describe('global rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { RATE_LIMIT_MAX: '3' }, modules: [...DEPLOYMENTS['all-in-one'], pingModule] });
  });
  afterAll(() => t.close());

  it('when a client exceeds RATE_LIMIT_MAX, then 429 problem details with Retry-After, while health checks stay unlimited', async () => {
    const ping = () => t.request({ method: 'GET', url: '/api/v1/ping', remoteAddress: '203.0.113.7' });
    for (let i = 0; i < 3; i++) expect((await ping()).statusCode).toBe(200);

    const limited = await ping();
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED', type: '/problems/rate-limited' });

    // Another client has its own budget.
    expect((await t.request({ method: 'GET', url: '/api/v1/ping', remoteAddress: '203.0.113.8' })).statusCode).toBe(200);

    for (let i = 0; i < 10; i++) {
      expect((await t.request({ method: 'GET', url: '/health/live', remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
      expect((await t.request({ method: 'GET', url: '/health/ready', remoteAddress: '203.0.113.7' })).statusCode).toBe(200);
    }
  });
});

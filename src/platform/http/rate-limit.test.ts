import { Type } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { DEPLOYMENTS } from '../../deployments.js';
import type { ModuleFactory } from '../platform.js';
import { installRateLimit } from './rate-limit.js';

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
    t = await createTestApp({ env: { RATE_LIMIT_MAX: '3' }, modules: [...DEPLOYMENTS['all-in-one'].modules, pingModule] });
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

describe('global rate limit when Redis fails', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    return { lines, log: pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) }) };
  };

  it('when the Redis store is unreachable, then requests pass (never 500), the outage is logged once and every skip is counted', async () => {
    // Nothing listens on port 1; without an offline queue every command fails at once.
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const { lines, log } = capture();
    const app = Fastify({ loggerInstance: log as FastifyBaseLogger });
    try {
      const stats = await installRateLimit(app, { max: 2, windowMs: 60_000, redis: down, keyPrefix: 'test:' });
      app.get('/ping', async () => ({ pong: true }));
      app.get('/login', { config: { rateLimit: { max: 1, timeWindow: 60_000 } } }, async () => ({ ok: true }));
      for (let i = 0; i < 4; i++) {
        expect((await app.inject({ method: 'GET', url: '/ping' })).statusCode).toBe(200);
        expect((await app.inject({ method: 'GET', url: '/login' })).statusCode).toBe(200);
      }
      expect(stats.storeErrors()).toBe(8);
      const outage = lines.filter((l) => /rate limit: Redis failed/.test(String(l.msg)));
      expect(outage).toHaveLength(1);
      expect(outage[0]).toMatchObject({ level: 50, err: expect.objectContaining({ message: expect.any(String) }) });
    } finally {
      await app.close();
      down.disconnect();
    }
  });

  it.skipIf(!process.env.TEST_REDIS_URL)('when the Redis connection of a running app stops, then routes still answer', async () => {
    const t = await createTestApp({ env: { RATE_LIMIT_MAX: '3' }, modules: [...DEPLOYMENTS['all-in-one'].modules, pingModule] });
    try {
      expect((await t.request({ method: 'GET', url: '/api/v1/ping' })).statusCode).toBe(200);
      t.platform.redis?.disconnect();
      for (let i = 0; i < 5; i++) expect((await t.request({ method: 'GET', url: '/api/v1/ping' })).statusCode).toBe(200);
    } finally {
      await t.close();
    }
  });
});

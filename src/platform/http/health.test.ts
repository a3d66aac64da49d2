import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

describe('health', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('when the database answers, then /health/ready is 200 with database ok and /health/live is 200', async () => {
    t = await createTestApp();
    const ready = await t.request({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ok', checks: { database: 'ok', bus: 'ok' } });
    const live = await t.request({ method: 'GET', url: '/health/live' });
    expect(live.statusCode).toBe(200);
    expect(live.json()).toEqual({ status: 'ok' });
  });

  it('when the database is closed, then /health/ready is 503 naming the database while /health/live stays 200', async () => {
    t = await createTestApp();
    await t.platform.database.close();
    const ready = await t.request({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', checks: { database: 'failing', bus: 'ok' } });
    expect((await t.request({ method: 'GET', url: '/health/live' })).statusCode).toBe(200);
  });

  it('when the app is draining, then /health/ready is 503 with server draining', async () => {
    t = await createTestApp();
    t.drain();
    const ready = await t.request({ method: 'GET', url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ status: 'unavailable', checks: { server: 'draining', database: 'ok', bus: 'ok' } });
  });
});

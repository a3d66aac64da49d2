import { afterAll, describe, expect, it } from 'vitest';
import { exitOf, killAllServers, startServer } from './server-process.js';

describe('server process: configuration errors', () => {
  afterAll(() => killAllServers());

  it('when PORT is not a number, then the server exits non-zero with a message naming PORT', async () => {
    const server = await startServer({ PORT: 'abc', DATA_DIR: '/nonexistent/never-created' });
    const code = await exitOf(server);
    expect(code).not.toBe(0);
    expect(code).toBe(78);
    expect(server.output()).toMatch(/PORT must be a whole number, got 'abc'/);
  });

  it('when several variables are bad, then each is named in one message', async () => {
    const server = await startServer({ PORT: 'abc', LOG_LEVEL: 'loud', DATABASE_URL: 'postgres://127.0.0.1/x' });
    expect(await exitOf(server)).toBe(78);
    const output = server.output();
    expect(output).toMatch(/PORT must be/);
    expect(output).toMatch(/LOG_LEVEL must be one of/);
    expect(output).toMatch(/JWT_SECRET must be set when DATABASE_URL is/);
  });

  it('when DATABASE_URL is set without PAYMENT_PROVIDER, then the server exits 78 naming PAYMENT_PROVIDER', async () => {
    const server = await startServer({ DATABASE_URL: 'postgres://127.0.0.1:1/x', JWT_SECRET: 'x'.repeat(40) });
    expect(await exitOf(server)).toBe(78);
    expect(server.output()).toMatch(/PAYMENT_PROVIDER must be set when DATABASE_URL is/);
  });

  it('when DEPLOYMENT names a service of the split without its shared engines, then the server exits 78 naming each missing one', async () => {
    const server = await startServer({ DEPLOYMENT: 'commerce', PAYMENT_PROVIDER: 'sandbox' });
    expect(await exitOf(server)).toBe(78);
    for (const key of [
      'DATABASE_URL',
      'REDIS_URL',
      'NATS_URL',
      'S3_BUCKET',
      'JWT_SECRET',
      'PUBLIC_URL',
      'TRUST_PROXY',
      'PAYMENT_SANDBOX_WEBHOOK_SECRET',
    ]) {
      expect(server.output()).toMatch(new RegExp(`${key} must be set`));
    }
  });
});

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, publicUrl } from './config.js';

const problemsOf = (env: Record<string, string | undefined>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
};

const SECRET = 'x'.repeat(32);

describe('config', () => {
  it('when the environment is empty, then every default applies and optional settings are undefined', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: resolve('./data'),
      LOG_LEVEL: 'info',
      BODY_LIMIT: 1024 * 1024,
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      RATE_LIMIT_MAX: 300,
      RATE_LIMIT_WINDOW: 60_000,
      ACCESS_TOKEN_TTL: 15 * 60_000,
      REFRESH_TOKEN_TTL: 30 * 86_400_000,
      DEPLOYMENT: 'all-in-one',
      SHUTDOWN_TIMEOUT: 10_000,
      REDIS_KEY_PREFIX: 'zaplecze:',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config.ADMIN_EMAIL).toBeUndefined();
    expect(config.PUBLIC_URL).toBeUndefined();
    expect(publicUrl(config)).toBe('http://localhost:3000');
  });

  it('when values are given, then they are parsed into numbers, sizes, durations and origins', () => {
    const config = loadConfig({
      PORT: '8080',
      BODY_LIMIT: '512kb',
      RATE_LIMIT_WINDOW: '30s',
      CORS_ORIGINS: 'http://localhost:5173, https://app.example.com/',
      ADMIN_EMAIL: ' Admin@Example.COM ',
      ADMIN_PASSWORD: 'long-enough',
      TRUST_PROXY: '2',
      PUBLIC_URL: 'https://api.example.com/',
    });
    expect(config.PORT).toBe(8080);
    expect(config.BODY_LIMIT).toBe(512 * 1024);
    expect(config.RATE_LIMIT_WINDOW).toBe(30_000);
    expect(config.CORS_ORIGINS).toEqual(['http://localhost:5173', 'https://app.example.com']);
    expect(config.ADMIN_EMAIL).toBe('admin@example.com');
    expect(config.TRUST_PROXY).toBe(2);
    expect(publicUrl(config)).toBe('https://api.example.com');
  });

  it('when several variables are bad, then one error names each of them with its reason', () => {
    const problems = problemsOf({
      PORT: 'abc',
      BODY_LIMIT: 'huge',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://localhost/db',
      JWT_SECRET: 'short',
      PAYMENT_PROVIDER: 'sandbox',
      CORS_ORIGINS: '*',
      SHUTDOWN_TIMEOUT: '10',
    });
    const byName = (name: string) => problems.find((p) => p.startsWith(`${name} `));
    expect(byName('PORT')).toMatch(/whole number.*'abc'/);
    expect(byName('BODY_LIMIT')).toMatch(/size.*'huge'/);
    expect(byName('LOG_LEVEL')).toMatch(/one of .*'loud'/);
    expect(byName('DATABASE_URL')).toMatch(/postgres.*'mysql:'/);
    expect(byName('JWT_SECRET')).toMatch(/at least 32 characters/);
    expect(byName('CORS_ORIGINS')).toMatch(/'\*' is not allowed/);
    expect(byName('SHUTDOWN_TIMEOUT')).toMatch(/duration/);
    expect(problems).toHaveLength(7);
  });

  it('when the error is shown, then its message lists every problem on its own line', () => {
    try {
      loadConfig({ PORT: '70000', RATE_LIMIT_MAX: '0' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(
        /^Invalid configuration:\n {2}- PORT must be between 0 and 65535, got 70000\n {2}- RATE_LIMIT_MAX/,
      );
    }
  });

  it('when a CORS origin is a URL with a path, then it is refused', () => {
    expect(problemsOf({ CORS_ORIGINS: 'https://app.example.com/login' })).toEqual([
      expect.stringMatching(/^CORS_ORIGINS .*must be an origin/),
    ]);
  });

  it('when ADMIN_EMAIL is set without ADMIN_PASSWORD, then the pair is refused', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@example.com' })).toEqual([
      expect.stringMatching(/ADMIN_PASSWORD must be set together with ADMIN_EMAIL/),
    ]);
  });

  it('when ADMIN_PASSWORD is missing and another variable is bad too, then both are reported', () => {
    const problems = problemsOf({ ADMIN_EMAIL: 'admin@example.com', PORT: 'abc' });
    expect(problems).toEqual([expect.stringMatching(/^PORT /), expect.stringMatching(/^ADMIN_PASSWORD must be set together/)]);
  });

  it('when a partner variable is given but invalid, then only its own reason is reported', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' })).toEqual([
      expect.stringMatching(/^ADMIN_PASSWORD must be 8 to 128 characters/),
    ]);
    expect(problemsOf({ DATABASE_URL: 'postgres://127.0.0.1/z', JWT_SECRET: 'short', PAYMENT_PROVIDER: 'sandbox' })).toEqual([
      expect.stringMatching(/^JWT_SECRET must be at least 32 characters/),
    ]);
  });

  it('when DATABASE_URL is set without JWT_SECRET, then JWT_SECRET is demanded', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zaplecze', PAYMENT_PROVIDER: 'sandbox' })).toEqual([
      expect.stringMatching(/^JWT_SECRET must be set when DATABASE_URL is/),
    ]);
    expect(
      loadConfig({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zaplecze', JWT_SECRET: SECRET, PAYMENT_PROVIDER: 'sandbox' })
        .JWT_SECRET,
    ).toBe(SECRET);
  });

  it('when a variable is an empty or blank string, then it counts as unset', () => {
    const config = loadConfig({ PORT: '', DATABASE_URL: '', JWT_SECRET: '  ', ADMIN_EMAIL: '', LOG_LEVEL: ' ' });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config.ADMIN_EMAIL).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('when loaded, then the result is frozen', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });
});

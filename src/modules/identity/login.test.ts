import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import { createTestApp, DEFAULT_PASSWORD, type TestApp } from '../../../test/test-app.js';
import { createFallbackStore } from '../../platform/cache/fallback-store.js';
import { createMemoryStore } from '../../platform/cache/memory-store.js';
import { createRedisStore } from '../../platform/cache/redis-store.js';
import { createLoginThrottle } from './login-throttle.js';

const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString());
const headerOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[0] as string, 'base64url').toString());

// Every test that fails logins on purpose uses its own client IP, so the per-IP counter of
// one test never locks another.
let ipCounter = 0;
const newIp = () => `203.0.113.${++ipCounter}`;

describe('POST /auth/login', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const login = (email: string, password: string, ip = '127.0.0.1') =>
    t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });

  it('when the credentials are right, then 200 with a token pair (not to be stored), Bearer, 900 s and the user without secrets', async () => {
    const u = await t.createUser();
    const res = await login(u.email, u.password);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    expect(body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      tokenType: 'Bearer',
      expiresIn: 900,
      user: expect.objectContaining({ id: u.id, email: u.email, role: 'user', disabled: false }),
    });
    expect(Object.keys(body.user).sort()).toEqual(['createdAt', 'disabled', 'email', 'emailVerified', 'id', 'name', 'role', 'updatedAt']);
    expect(res.body).not.toMatch(/passwordHash|password_hash|\$argon2/);
    // 256 random bits, base64url.
    expect(body.refreshToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(headerOf(body.accessToken).alg).toBe('HS256');
    const claims = claimsOf(body.accessToken);
    expect(claims).toMatchObject({ sub: u.id, role: 'user', sid: expect.any(String) });
    expect(claims.exp - claims.iat).toBe(900);
    const me = await t.request({ method: 'GET', url: '/api/v1/users/me', token: body.accessToken });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(u.id);
  });

  it('when each login succeeds, then each gets its own session and its own refresh token', async () => {
    const u = await t.createUser();
    const a = (await login(u.email, u.password)).json();
    const b = (await login(u.email, u.password)).json();
    expect(claimsOf(a.accessToken).sid).not.toBe(claimsOf(b.accessToken).sid);
    expect(a.refreshToken).not.toBe(b.refreshToken);
  });

  it('when the email differs only in case and surrounding spaces, then the login succeeds', async () => {
    const u = await t.createUser();
    expect((await login(`  ${u.email.toUpperCase()} `, u.password)).statusCode).toBe(200);
  });

  it('when the password is wrong or the email unknown, then the same 401 INVALID_CREDENTIALS', async () => {
    const u = await t.createUser();
    const ip = newIp();
    const wrongPassword = await login(u.email, 'not-the-password', ip);
    const unknownEmail = await login(`nobody-${u.email}`, u.password, ip);
    expect(wrongPassword.statusCode).toBe(401);
    expect(unknownEmail.statusCode).toBe(401);
    const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined });
    expect(strip(wrongPassword.json())).toEqual(strip(unknownEmail.json()));
    expect(wrongPassword.json()).toMatchObject({ code: 'INVALID_CREDENTIALS', status: 401 });
    // The password is checked case-sensitively.
    expect((await login(u.email, u.password.toUpperCase(), ip)).statusCode).toBe(401);
  });

  it('when fields are missing, unknown or hold control characters, then 400 with their paths', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: 'a@b.co', extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/password', message: 'is required' },
        { path: '/extra', message: 'is not a known property' },
      ]),
    );
    // PostgreSQL refuses NUL in text; this must be a clean 400, never a 500.
    const nul = await login('a\u0000b@test.local', 'whatever-password');
    expect(nul.statusCode).toBe(400);
    expect(nul.json().errors).toEqual([expect.objectContaining({ path: '/email' })]);
  });

  it('when an account fails 4 times, then the right password still works and resets the count', async () => {
    const u = await t.createUser();
    const ip = newIp();
    for (let i = 0; i < 4; i++) expect((await login(u.email, 'wrong-password', ip)).statusCode).toBe(401);
    expect((await login(u.email, u.password, ip)).statusCode).toBe(200);
    // After the success, 4 more failures are again allowed before a lock.
    for (let i = 0; i < 4; i++) expect((await login(u.email, 'wrong-password', ip)).statusCode).toBe(401);
    expect((await login(u.email, u.password, ip)).statusCode).toBe(200);
  });

  it('when an account fails 5 times from one address, then that address gets 429 LOGIN_LOCKED even with the right password, and the owner elsewhere logs in', async () => {
    const u = await t.createUser();
    const ip = newIp();
    for (let i = 0; i < 5; i++) expect((await login(u.email, 'wrong-password', ip)).statusCode).toBe(401);
    const locked = await login(u.email, u.password, ip);
    expect(locked.statusCode).toBe(429);
    expect(locked.json()).toMatchObject({ code: 'LOGIN_LOCKED', status: 429 });
    const retryAfter = Number(locked.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(15 * 60);
    // The guesser locked only itself: the owner, on an address that has not failed, logs in.
    expect((await login(u.email, u.password, newIp())).statusCode).toBe(200);
    // Other accounts are not affected by this pair's lock.
    const other = await t.createUser();
    expect((await login(other.email, other.password, ip)).statusCode).toBe(200);
  });

  it('when an unknown email fails 5 times, then it locks exactly like a real account', async () => {
    const ip = newIp();
    const ghost = `ghost-${ipCounter}@test.local`;
    for (let i = 0; i < 5; i++) expect((await login(ghost, 'wrong-password', ip)).statusCode).toBe(401);
    const res = await login(ghost, 'wrong-password', ip);
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('LOGIN_LOCKED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('when one IP fails 20 times across many accounts, then that IP is locked for every account but others are not', async () => {
    const ip = newIp();
    const victim = await t.createUser();
    // 4 failures per email stays under the per-account limit; 5 emails x 4 = 20 = 4 x LOGIN_MAX_FAILURES.
    for (let e = 0; e < 5; e++) {
      for (let i = 0; i < 4; i++) expect((await login(`spray${e}-${ip}@test.local`, 'wrong-password', ip)).statusCode).toBe(401);
    }
    const res = await login(victim.email, victim.password, ip);
    expect(res.statusCode).toBe(429);
    expect(res.json().code).toBe('LOGIN_LOCKED');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(victim.email, victim.password, newIp())).statusCode).toBe(200);
  });

  it.skipIf(process.env.TEST_REDIS_URL)(
    'when the lock has passed, then a login works again, and a further failure locks for longer (embedded store)',
    async () => {
      const u = await t.createUser();
      const ip = newIp();
      for (let i = 0; i < 5; i++) await login(u.email, 'wrong-password', ip);
      const first = Number((await login(u.email, u.password, ip)).headers['retry-after']);
      t.clock.advance(first * 1000 + 1000);
      expect((await login(u.email, 'wrong-password', ip)).statusCode).toBe(401);
      const second = await login(u.email, u.password, ip);
      expect(second.statusCode).toBe(429);
      expect(Number(second.headers['retry-after'])).toBeGreaterThan(first);
      t.clock.advance(Number(second.headers['retry-after']) * 1000 + 1000);
      expect((await login(u.email, u.password, ip)).statusCode).toBe(200);
    },
  );
});

describe('login throttle', () => {
  it('when failures pass the limit, then the lock starts at 30 s and doubles per failure up to 15 min', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 3);
    const waits: number[] = [];
    for (let i = 0; i < 10; i++) {
      await throttle.recordFailure('a@test.local', '192.0.2.1');
      waits.push(await throttle.retryAfterMs('a@test.local', '192.0.2.1'));
    }
    expect(waits).toEqual([0, 0, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]);
    expect(await throttle.retryAfterMs('b@test.local', '192.0.2.2')).toBe(0);
  });

  it('when the 15-minute window passes without a lock, then old failures are forgotten', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 3);
    await throttle.recordFailure('a@test.local', '192.0.2.1');
    await throttle.recordFailure('a@test.local', '192.0.2.1');
    clock.advance(15 * 60_000 + 1);
    await throttle.recordFailure('a@test.local', '192.0.2.1');
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.1')).toBe(0);
  });

  it('when one address fails past the limit, then only that (account, address) pair is locked', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 3);
    for (let i = 0; i < 3; i++) await throttle.recordFailure('a@test.local', '192.0.2.1');
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.1')).toBe(30_000);
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.2')).toBe(0);
    expect(await throttle.retryAfterMs('b@test.local', '192.0.2.1')).toBe(0);
  });

  it('when a success follows failures, then the pair starts counting afresh', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 3);
    for (let i = 0; i < 2; i++) await throttle.recordFailure('a@test.local', '192.0.2.1');
    await throttle.recordSuccess('a@test.local', '192.0.2.1');
    for (let i = 0; i < 2; i++) await throttle.recordFailure('a@test.local', '192.0.2.1');
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.1')).toBe(0);
  });

  it('when an account fails 20x the limit across many addresses, then each failing address is locked at once and clean ones are not', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 2);
    // 40 addresses, one failure each: no pair reaches its own limit of 2.
    for (let i = 0; i < 39; i++) await throttle.recordFailure('a@test.local', `198.51.100.${i}`);
    expect(await throttle.retryAfterMs('a@test.local', '198.51.100.0')).toBe(0);
    await throttle.recordFailure('a@test.local', '198.51.100.39');
    // The 40th failure put the account under attack: its own address is now locked after one failure.
    expect(await throttle.retryAfterMs('a@test.local', '198.51.100.39')).toBe(30_000);
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.200')).toBe(0);
    await throttle.recordFailure('a@test.local', '192.0.2.201');
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.201')).toBe(30_000);
    // Other accounts on those addresses are untouched.
    expect(await throttle.retryAfterMs('b@test.local', '192.0.2.201')).toBe(0);
  });

  it('when an IP fails 4x the account limit across accounts, then the IP is locked for any account', async () => {
    const clock = createFakeClock();
    const throttle = createLoginThrottle(createMemoryStore({ clock }), 2);
    for (let i = 0; i < 8; i++) await throttle.recordFailure(`u${i}@test.local`, '192.0.2.9');
    expect(await throttle.retryAfterMs('fresh@test.local', '192.0.2.9')).toBe(30_000);
    expect(await throttle.retryAfterMs('fresh@test.local', '192.0.2.10')).toBe(0);
  });
});

describe('POST /auth/login with LOGIN_MAX_FAILURES=2', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '2' } });
  });
  afterAll(() => t.close());

  it('when an account fails twice, then the next attempt is locked (the setting is honoured)', async () => {
    const u = await t.createUser({ password: DEFAULT_PASSWORD });
    const ip = newIp();
    const attempt = (password: string) =>
      t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password }, remoteAddress: ip });
    expect((await attempt('wrong-password')).statusCode).toBe(401);
    expect((await attempt('wrong-password')).statusCode).toBe(401);
    expect((await attempt(DEFAULT_PASSWORD)).statusCode).toBe(429);
  });

  it('when an account fails 40 times from 40 addresses, then it is slowed, not locked: failed addresses wait, a clean one logs in', async () => {
    const u = await t.createUser({ password: DEFAULT_PASSWORD });
    const attempt = (password: string, ip: string) =>
      t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password }, remoteAddress: ip });
    const botnet = Array.from({ length: 40 }, (_, i) => `2001:db8::${(i + 1).toString(16)}`);
    for (const ip of botnet) expect((await attempt('wrong-password', ip)).statusCode).toBe(401);
    // Under attack, one more failure of a bot locks its address at once, even for the right password.
    expect((await attempt('wrong-password', botnet[0] as string)).statusCode).toBe(401);
    const slowed = await attempt(DEFAULT_PASSWORD, botnet[0] as string);
    expect(slowed.statusCode).toBe(429);
    expect(Number(slowed.headers['retry-after'])).toBeGreaterThan(0);
    expect((await attempt(DEFAULT_PASSWORD, newIp())).statusCode).toBe(200);
    // A new address that fails once now waits before its second guess.
    const guesser = newIp();
    expect((await attempt('wrong-password', guesser)).statusCode).toBe(401);
    expect((await attempt('wrong-password', guesser)).statusCode).toBe(429);
  });
});

describe('login throttle when Redis fails', () => {
  const captured = () => {
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    return { lines, log };
  };

  it('when Redis is unreachable, then the throttle counts in process, logs the outage once, and still locks', async () => {
    // Nothing listens on port 1; without an offline queue every command fails at once.
    const down = new Redis('redis://127.0.0.1:1', { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const { lines, log } = captured();
    const store = createFallbackStore(createRedisStore(down), createMemoryStore({ clock: createFakeClock() }), log, 'login throttle');
    const throttle = createLoginThrottle(store, 2);
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.1')).toBe(0);
    await throttle.recordFailure('a@test.local', '192.0.2.1');
    await throttle.recordFailure('a@test.local', '192.0.2.1');
    expect(await throttle.retryAfterMs('a@test.local', '192.0.2.1')).toBe(30_000);
    expect(store.fallbacks()).toBeGreaterThan(0);
    const outage = lines.filter((l) => /shared store failed/.test(String(l.msg)));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatchObject({ level: 50, err: expect.objectContaining({ message: expect.any(String) }) });
    down.disconnect();
  });

  it.skipIf(!process.env.TEST_REDIS_URL)(
    'when the Redis connection stops under a running app, then login still works and failures still lock the pair',
    async () => {
      const t = await createTestApp({ env: { LOGIN_MAX_FAILURES: '2' } });
      try {
        const u = await t.createUser({ password: DEFAULT_PASSWORD });
        t.platform.redis?.disconnect();
        const attempt = (password: string, ip: string) =>
          t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email: u.email, password }, remoteAddress: ip });
        expect((await attempt(DEFAULT_PASSWORD, '192.0.2.50')).statusCode).toBe(200);
        expect((await attempt('wrong-password', '192.0.2.51')).statusCode).toBe(401);
        expect((await attempt('wrong-password', '192.0.2.51')).statusCode).toBe(401);
        expect((await attempt(DEFAULT_PASSWORD, '192.0.2.51')).statusCode).toBe(429);
      } finally {
        await t.close();
      }
    },
  );
});

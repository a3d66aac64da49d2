import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, DEFAULT_PASSWORD, type TestApp } from '../../../test/test-app.js';
import { readOutbox } from '../../platform/mail/mailer.js';

let n = 0;
const freshEmail = () => `reg${++n}-${Math.random().toString(36).slice(2, 8)}@test.local`;

describe('POST /auth/register', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const register = (payload: Record<string, unknown>) => t.request({ method: 'POST', url: '/api/v1/auth/register', payload });
  const login = (email: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  it('when the input is valid, then 202 accepted, the account (role user, name trimmed) logs in and a verification link is mailed', async () => {
    const email = freshEmail();
    const res = await register({ email, password: DEFAULT_PASSWORD, name: '  Ada Lovelace ' });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted' });
    expect(res.headers.location).toBeUndefined();
    const session = await login(email, DEFAULT_PASSWORD);
    expect(session.statusCode).toBe(200);
    expect(session.json().user).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      email,
      name: 'Ada Lovelace',
      role: 'user',
      emailVerified: false,
      disabled: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect((await t.mailTo(email, /Confirm/)).text).toMatch(/verify-email\?token=/);
  });

  it('when the body carries a role, then 400 with path /role and no account is created', async () => {
    const email = freshEmail();
    const res = await register({ email, password: DEFAULT_PASSWORD, name: 'Mallory', role: 'admin' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ path: '/role', message: 'is not a known property' }] });
    expect((await login(email, DEFAULT_PASSWORD)).statusCode).toBe(401);
  });

  it('when fields are missing or malformed, then 400 names each field path', async () => {
    const res = await register({ email: 'not-an-email', name: '' });
    expect(res.statusCode).toBe(400);
    const paths = (res.json().errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/email', '/password', '/name']));
  });

  it.each([
    ['NUL', 'a\u0000b'],
    ['a newline', 'Ada\nLovelace'],
    ['only spaces', '   '],
  ])('when the name holds %s, then 400 with path /name (never a 500)', async (_what, name) => {
    const res = await register({ email: freshEmail(), password: DEFAULT_PASSWORD, name });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/name' })]);
  });

  it('when the body is not JSON, then 400 problem details rather than 500', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: '{"email":',
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  });

  it('when the email has spaces and capitals, then it is stored trimmed and lower-cased and logs in in any case', async () => {
    const local = `Mixed.Case${++n}`;
    const res = await register({ email: `${local}@Test.LOCAL`, password: DEFAULT_PASSWORD, name: 'Mixed' });
    expect(res.statusCode).toBe(202);
    const session = await login(`${local.toLowerCase()}@test.local`, DEFAULT_PASSWORD);
    expect(session.statusCode).toBe(200);
    expect(session.json().user.email).toBe(`${local.toLowerCase()}@test.local`);
    expect((await login(` ${local.toUpperCase()}@TEST.LOCAL `, DEFAULT_PASSWORD)).statusCode).toBe(200);
  });

  it('when the email is already registered (in another case), then the same 202 answer, the owner is told by mail and keeps the password', async () => {
    const email = freshEmail();
    const fresh = await register({ email, password: DEFAULT_PASSWORD, name: 'First' });
    const taken = await register({ email: email.toUpperCase(), password: 'another-good-passphrase', name: 'Second' });
    // No enumeration: same status, same body, no header that differs.
    expect(taken.statusCode).toBe(fresh.statusCode);
    expect(taken.body).toBe(fresh.body);
    expect(Object.keys(taken.headers).sort()).toEqual(Object.keys(fresh.headers).sort());
    const notice = await t.mailTo(email, /tried to sign up/);
    expect(notice.text).toContain('already has one');
    expect(notice.text).not.toMatch(/token=/i);
    // The first account keeps its password; the second sign-up changed nothing.
    expect((await login(email, DEFAULT_PASSWORD)).statusCode).toBe(200);
    expect((await login(email, 'another-good-passphrase')).statusCode).toBe(401);
  });

  it('when a taken address is signed up with again and again, then its owner gets one notice, not one per attempt', async () => {
    const email = freshEmail();
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'Owner' })).statusCode).toBe(202);
    const notices = async () => (await readOutbox(t.platform.db, email, 50)).filter((m) => /tried to sign up/.test(m.subject));
    for (let i = 0; i < 3; i++) expect((await register({ email, password: DEFAULT_PASSWORD, name: 'Spam' })).statusCode).toBe(202);
    await t.mailTo(email, /tried to sign up/);
    // A mail queued after the three attempts has arrived, so theirs have been handled too.
    const witness = freshEmail();
    expect((await register({ email: witness, password: DEFAULT_PASSWORD, name: 'Witness' })).statusCode).toBe(202);
    await t.mailTo(witness, /Confirm/);
    expect(await notices()).toHaveLength(1);
    if (process.env.TEST_REDIS_URL) return; // the fake clock moves only the embedded store's time
    t.clock.advance(60 * 60_000 + 1000);
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'An hour later' })).statusCode).toBe(202);
    await expect.poll(notices).toHaveLength(2);
  });

  it('when the email is already registered, then the password is still hashed (the answer takes as long as for a new address)', async () => {
    const email = freshEmail();
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'First' })).statusCode).toBe(202);
    const hash = vi.spyOn(t.platform.passwords, 'hash');
    try {
      expect((await register({ email, password: 'another-good-passphrase', name: 'Second' })).statusCode).toBe(202);
      expect(hash).toHaveBeenCalledTimes(1);
    } finally {
      hash.mockRestore();
    }
  });

  it.each([
    ['7 characters', 'abcdefg'],
    ['7 code points that are 14 UTF-16 units', '🍎🍐🍊🍋🍌🍉🍇'],
    ['129 characters', `${'abcdefghij'.repeat(12)}abcdefghi`],
    ['a common password', 'password1'],
    ['a common password in other case', 'BaseBall'],
    ['one repeated character', 'zzzzzzzzzz'],
  ])('when the password is %s, then 400 with path /password', async (_what, password) => {
    const email = freshEmail();
    const res = await register({ email, password, name: 'Weak' });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/password' })]);
    expect((await login(email, password)).statusCode).toBe(401);
  });

  it('when the password equals the email, then 400 with path /password', async () => {
    const email = freshEmail();
    const res = await register({ email, password: email.toUpperCase(), name: 'Lazy' });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/password' })]);
  });

  it.each([
    ['exactly 8 characters', 'kq3#vLp9'],
    ['128 characters', 'kq3#vLp9x'.repeat(14).slice(0, 128)],
    ['128 code points that are 256 UTF-16 units', '🍎🍐🍊🍋🍌🍉🍇🍓'.repeat(16)],
    ['spaces and no digits or symbols', 'correct horse battery staple'],
  ])('when the password is %s, then it is accepted and works for login', async (_what, password) => {
    const email = freshEmail();
    const res = await register({ email, password, name: 'Strong' });
    expect(res.statusCode).toBe(202);
    expect((await login(email, password)).statusCode).toBe(200);
  });

  it('when a user registers, then user.registered is published with the id and email', async () => {
    const seen: unknown[] = [];
    const unsubscribe = t.platform.bus.subscribe('test', 'user.registered', (event) => {
      seen.push(event.payload);
    });
    const email = freshEmail();
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'Evented' })).statusCode).toBe(202);
    const { user } = (await login(email, DEFAULT_PASSWORD)).json();
    await expect.poll(() => seen).toContainEqual({ userId: user.id, email });
    // A sign-up with a taken address creates nothing and publishes nothing.
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'Again' })).statusCode).toBe(202);
    await t.mailTo(email, /tried to sign up/);
    expect(seen.filter((e) => (e as { email: string }).email === email)).toHaveLength(1);
    unsubscribe();
  });
});

describe('POST /auth/register rate limit', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { AUTH_RATE_LIMIT_MAX: '3' } });
  });
  afterAll(() => t.close());

  it('when one IP registers a 4th time within a minute, then 429 RATE_LIMITED with Retry-After, and another IP still may', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await t.request({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: freshEmail(), password: DEFAULT_PASSWORD, name: 'Bot' },
        remoteAddress: '198.51.100.7',
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([202, 202, 202]);
    const email = freshEmail();
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: DEFAULT_PASSWORD, name: 'Bot' },
      remoteAddress: '198.51.100.7',
    });
    expect(res.statusCode).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.json()).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const other = await t.request({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: DEFAULT_PASSWORD, name: 'Human' },
      remoteAddress: '198.51.100.8',
    });
    expect(other.statusCode).toBe(202);
  });
});

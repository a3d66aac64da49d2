import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, DEFAULT_PASSWORD, type TestApp } from '../../../test/test-app.js';

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

  it('when the input is valid, then 201 with a plain user, role user, and a Location of the new user', async () => {
    const email = freshEmail();
    const res = await register({ email, password: DEFAULT_PASSWORD, name: '  Ada Lovelace ' });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      email,
      name: 'Ada Lovelace',
      role: 'user',
      emailVerified: false,
      disabled: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    expect(res.headers.location).toBe(`/api/v1/admin/users/${body.id}`);
    expect(res.body).not.toMatch(/password|argon2/i);
    const admin = await t.admin();
    const fetched = await t.request({ method: 'GET', url: res.headers.location as string, token: admin.token });
    expect(fetched.statusCode).toBe(200);
    expect(fetched.json().email).toBe(email);
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
    expect(res.statusCode).toBe(201);
    expect(res.json().email).toBe(`${local.toLowerCase()}@test.local`);
    expect((await login(`${local.toLowerCase()}@test.local`, DEFAULT_PASSWORD)).statusCode).toBe(200);
    expect((await login(` ${local.toUpperCase()}@TEST.LOCAL `, DEFAULT_PASSWORD)).statusCode).toBe(200);
  });

  it('when the email is already registered in another case, then 409 EMAIL_TAKEN without SQL in the answer', async () => {
    const email = freshEmail();
    expect((await register({ email, password: DEFAULT_PASSWORD, name: 'First' })).statusCode).toBe(201);
    const res = await register({ email: email.toUpperCase(), password: 'another-good-passphrase', name: 'Second' });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ status: 409, code: 'EMAIL_TAKEN' });
    expect(res.body).not.toMatch(/duplicate key|users_email_key|constraint|insert into|identity\./i);
    // The first account keeps its password.
    expect((await login(email, DEFAULT_PASSWORD)).statusCode).toBe(200);
    expect((await login(email, 'another-good-passphrase')).statusCode).toBe(401);
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
    expect(res.statusCode).toBe(201);
    expect((await login(email, password)).statusCode).toBe(200);
  });

  it('when a user registers, then user.registered is published with the id and email', async () => {
    const seen: unknown[] = [];
    const unsubscribe = t.platform.bus.subscribe('test', 'user.registered', (event) => {
      seen.push(event.payload);
    });
    const email = freshEmail();
    const res = await register({ email, password: DEFAULT_PASSWORD, name: 'Evented' });
    await expect.poll(() => seen).toContainEqual({ userId: res.json().id, email });
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
    expect(statuses).toEqual([201, 201, 201]);
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
    expect(other.statusCode).toBe(201);
  });
});

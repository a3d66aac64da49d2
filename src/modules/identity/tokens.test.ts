import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1] as string, 'base64url').toString());

describe('access tokens', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });
  const adminList = (token: string) => t.request({ method: 'GET', url: '/api/v1/admin/users', token });

  /** Signs claims like the server does, with a chosen key and algorithm. */
  const forge = (claims: Record<string, unknown>, secret: string, alg = 'HS256') => {
    const now = Math.floor(t.clock.now().getTime() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg, typ: 'JWT' })
      .setIssuer('zaplecze')
      .setAudience('zaplecze-api')
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(new TextEncoder().encode(secret));
  };

  const expectRefused = (res: { statusCode: number; headers: Record<string, unknown>; json(): Record<string, unknown> }) => {
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="zaplecze"/);
    expect(res.json()).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  };

  it('when a token is 14 minutes old, then it still works; at 16 minutes, then 401 with WWW-Authenticate invalid_token', async () => {
    const u = await t.createUser();
    t.clock.advance(14 * 60_000);
    expect((await me(u.token)).statusCode).toBe(200);
    t.clock.advance(2 * 60_000);
    const res = await me(u.token);
    expectRefused(res);
    expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
  });

  it('when the payload is edited to claim admin, then the signature fails: 401 on user and admin routes', async () => {
    const u = await t.createUser();
    const [header, payload, signature] = u.token.split('.') as [string, string, string];
    const tampered = `${header}.${b64({ ...claimsOf(u.token), role: 'admin' })}.${signature}`;
    expectRefused(await me(tampered));
    expectRefused(await adminList(tampered));
    // Control: the untouched token is accepted, so the 401 is about the edit.
    expect((await me(`${header}.${payload}.${signature}`)).statusCode).toBe(200);
  });

  it('when the token is unsigned (alg none), then 401', async () => {
    const u = await t.createUser();
    const admin = await t.admin();
    const none = (claims: Record<string, unknown>) => `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expectRefused(await me(none(claimsOf(u.token))));
    expectRefused(await adminList(none(claimsOf(admin.token))));
  });

  it('when the token is signed with another secret, then 401; with the server secret, then accepted (control)', async () => {
    const admin = await t.admin();
    const claims = claimsOf(admin.token);
    const payload = { sub: claims.sub, role: 'admin', sid: claims.sid };
    expectRefused(await adminList(await forge(payload, randomBytes(32).toString('hex'))));
    const secret = t.platform.config.JWT_SECRET as string;
    expect((await adminList(await forge(payload, secret))).statusCode).toBe(200);
  });

  it('when the token uses HS512 with the server secret, then 401 (only HS256 is accepted)', async () => {
    const u = await t.createUser();
    const claims = claimsOf(u.token);
    const token = await forge({ sub: claims.sub, role: 'user', sid: claims.sid }, t.platform.config.JWT_SECRET as string, 'HS512');
    expectRefused(await me(token));
  });

  it('when a validly signed token names a session that does not exist, then 401', async () => {
    const u = await t.createUser();
    const token = await forge(
      { sub: u.id, role: 'user', sid: '0190a000-0000-7000-8000-000000000000' },
      t.platform.config.JWT_SECRET as string,
    );
    expectRefused(await me(token));
  });

  it.each([
    ['"Bearer" without a token', 'Bearer'],
    ['"Bearer " with only a space', 'Bearer '],
    ['Basic credentials', 'Basic x'],
    ['two words after Bearer', 'Bearer a b'],
    ['garbage after Bearer', 'Bearer not.a.jwt'],
    ['a bare token without a scheme', 'eyJhbGciOiJIUzI1NiJ9.e30.x'],
  ])('when the Authorization header is %s, then 401 with WWW-Authenticate', async (_what, authorization) => {
    const res = await t.request({ method: 'GET', url: '/api/v1/users/me', headers: { authorization } });
    expectRefused(res);
  });

  it('when there is no Authorization header, then 401 with a plain Bearer challenge', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/users/me' });
    expectRefused(res);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="zaplecze"');
  });

  it('when the scheme is written in lower case, then the token is still accepted', async () => {
    const u = await t.createUser();
    const res = await t.request({ method: 'GET', url: '/api/v1/users/me', headers: { authorization: `bearer ${u.token}` } });
    expect(res.statusCode).toBe(200);
  });

  it('when the user is deleted, then their still-unexpired token is refused', async () => {
    const u = await t.createUser();
    const admin = await t.admin();
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${u.id}`, token: admin.token })).statusCode).toBe(204);
    expectRefused(await me(u.token));
  });
});

describe('POST /auth/refresh', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const refresh = (refreshToken: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });

  it('when a refresh token is used, then a new pair of the same session is issued (not to be stored) and the token rotates', async () => {
    const u = await t.createUser();
    const res = await refresh(u.refreshToken);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 900, user: { id: u.id, role: 'user' } });
    expect(body.refreshToken).not.toBe(u.refreshToken);
    expect(claimsOf(body.accessToken)).toMatchObject({ sub: u.id, sid: u.sessionId, role: 'user' });
    expect((await me(body.accessToken)).statusCode).toBe(200);
    expect(res.body).not.toMatch(/passwordHash|\$argon2/);
  });

  it('when the access token has expired, then the refresh token still gets a working one', async () => {
    const u = await t.createUser();
    t.clock.advance(16 * 60_000);
    expect((await me(u.token)).statusCode).toBe(401);
    const res = await refresh(u.refreshToken);
    expect(res.statusCode).toBe(200);
    expect((await me(res.json().accessToken)).statusCode).toBe(200);
  });

  it('when an already-used refresh token comes back, then 401 and the whole family is revoked', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const rotated = (await refresh(u.refreshToken)).json();
    const reuse = await refresh(u.refreshToken);
    expect(reuse.statusCode).toBe(401);
    expect(reuse.json()).toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
    // The legitimate holder's newer token of the same family is dead too ...
    const next = await refresh(rotated.refreshToken);
    expect(next.statusCode).toBe(401);
    // ... and so are the family's access tokens, old and new.
    expect((await me(rotated.accessToken)).statusCode).toBe(401);
    expect((await me(u.token)).statusCode).toBe(401);
    // Another session of the same user is untouched.
    expect((await me(other.token)).statusCode).toBe(200);
    expect((await refresh(other.refreshToken)).statusCode).toBe(200);
  });

  it('when the refresh token is unknown, then 401 INVALID_REFRESH_TOKEN', async () => {
    const res = await refresh(randomBytes(32).toString('base64url'));
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('INVALID_REFRESH_TOKEN');
  });

  it('when the body is missing the token or has extra fields, then 400 with paths', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { token: 'x' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual(
      expect.arrayContaining([
        { path: '/refreshToken', message: 'is required' },
        { path: '/token', message: 'is not a known property' },
      ]),
    );
  });

  it('when a session is unused for longer than REFRESH_TOKEN_TTL (30 d), then refresh is 401; each use slides the expiry', async () => {
    const u = await t.createUser();
    const stale = await t.login(u.email, u.password);
    t.clock.advance(20 * 24 * 3600_000);
    const first = await refresh(u.refreshToken);
    expect(first.statusCode).toBe(200);
    t.clock.advance(20 * 24 * 3600_000);
    expect((await refresh(first.json().refreshToken)).statusCode).toBe(200);
    // The session not used for 40 days has expired.
    expect((await refresh(stale.refreshToken)).statusCode).toBe(401);
  });

  // The second use is a reuse and revokes the session; when that revocation lands before the
  // first request has read its session back, the first is refused too. Never both succeed.
  it.runIf(process.env.TEST_DATABASE_URL)(
    'when the same refresh token is sent twice at once, then at most one succeeds and the other is refused',
    async () => {
      for (let round = 0; round < 10; round++) {
        const u = await t.createUser();
        const results = await Promise.all([refresh(u.refreshToken), refresh(u.refreshToken)]);
        const statuses = results.map((r) => r.statusCode).sort();
        expect([
          [200, 401],
          [401, 401],
        ]).toContainEqual(statuses);
      }
    },
  );
});

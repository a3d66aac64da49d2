import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { buildApp } from '../../app.js';
import { DEPLOYMENTS } from '../../deployments.js';
import { createAdminService } from './admin-service.js';
import { createIdentityRepo } from './repo.js';
import type { IdentityService } from './service.js';

interface WireUser {
  id: string;
  email: string;
  name: string;
  role: string;
  disabled: boolean;
}

describe('admin: list and read users', () => {
  let t: TestApp;
  let admin: TestUser;
  const tag = `zq${Math.random().toString(36).slice(2, 7)}`;
  const made: TestUser[] = [];
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
    for (let i = 0; i < 7; i++) made.push(await t.createUser({ email: `${tag}-${i}@test.local`, name: `Member ${i}` }));
    await t.createUser({ name: `Someone ${tag} Named` });
  });
  afterAll(() => t.close());

  const list = (query: string) => t.request({ method: 'GET', url: `/api/v1/admin/users?${query}`, token: admin.token });

  it('when an admin searches by part of the email, in any case, then only matching users come back', async () => {
    const res = await list(`q=${tag.toUpperCase()}-3`);
    expect(res.statusCode).toBe(200);
    expect((res.json().items as WireUser[]).map((u) => u.email)).toEqual([`${tag}-3@test.local`]);
    expect(res.json().nextCursor).toBeNull();
    expect(res.body).not.toMatch(/password|\$argon2/i);
  });

  it('when an admin searches by part of the name, then users with that name match', async () => {
    const items = (await list(`q=${tag}%20named`)).json().items as WireUser[];
    expect(items.map((u) => u.name)).toEqual([`Someone ${tag} Named`]);
  });

  it('when the search holds LIKE wildcards, then they match literally', async () => {
    expect((await list('q=%25')).json().items).toEqual([]);
    expect((await list('q=_')).json().items).toEqual([]);
  });

  it('when an admin filters by role, then only that role comes back', async () => {
    const admins = (await list('role=admin&limit=100')).json().items as WireUser[];
    expect(admins.map((u) => u.email)).toEqual([ADMIN.email]);
    const users = (await list('role=user&limit=100')).json().items as WireUser[];
    expect(users.length).toBeGreaterThanOrEqual(8);
    expect(users.every((u) => u.role === 'user')).toBe(true);
  });

  it('when an admin walks every page, then each user appears exactly once, newest first', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `q=${tag}-&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const res = await list(query);
      expect(res.statusCode).toBe(200);
      const body = res.json() as { items: WireUser[]; nextCursor: string | null };
      expect(body.items.length).toBeLessThanOrEqual(2);
      seen.push(...body.items.map((u) => u.email));
      cursor = body.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(pages).toBe(4);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(made.map((u) => u.email).reverse());
  });

  it('when users register between pages, then the walk neither repeats nor skips the users it started with', async () => {
    const first = (await list(`q=${tag}-&limit=3`)).json();
    await t.createUser({ email: `${tag}-late@test.local` });
    const rest: string[] = [];
    let cursor: string | null = first.nextCursor;
    while (cursor) {
      const body = (await list(`q=${tag}-&limit=3&cursor=${encodeURIComponent(cursor)}`)).json();
      rest.push(...(body.items as WireUser[]).map((u) => u.email));
      cursor = body.nextCursor;
    }
    const all = [...(first.items as WireUser[]).map((u) => u.email), ...rest];
    expect(all).toEqual(made.map((u) => u.email).reverse());
  });

  it.each([
    ['limit above 100', 'limit=101', '/querystring/limit'],
    ['limit 0', 'limit=0', '/querystring/limit'],
    ['an unknown role', 'role=root', '/querystring/role'],
    ['an unknown parameter', 'sort=email', '/querystring/sort'],
    ['a NUL in the search', 'q=%00', '/querystring/q'],
  ])('when the query has %s, then 400 with that path', async (_what, query, path) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect((res.json().errors as { path: string }[]).map((e) => e.path)).toContain(path);
  });

  it.each([
    ['not base64 JSON', 'garbage!'],
    ['a key that is not a UUID', Buffer.from('["x"]').toString('base64url')],
    ['a key of the wrong arity', Buffer.from('["a","b"]').toString('base64url')],
  ])('when the cursor is %s, then 400 INVALID_CURSOR (never a 500)', async (_what, cursor) => {
    const res = await list(`cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_CURSOR');
  });

  it('when an admin reads one user, then 200; an unknown id, then 404 USER_NOT_FOUND; a bad id, then 400', async () => {
    const u = made[0] as TestUser;
    const one = await t.request({ method: 'GET', url: `/api/v1/admin/users/${u.id}`, token: admin.token });
    expect(one.statusCode).toBe(200);
    expect(one.json()).toMatchObject({ id: u.id, email: u.email, role: 'user' });
    expect(one.body).not.toMatch(/password|\$argon2/i);
    const missing = await t.request({ method: 'GET', url: '/api/v1/admin/users/0190a000-0000-7000-8000-000000000000', token: admin.token });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('USER_NOT_FOUND');
    const bad = await t.request({ method: 'GET', url: '/api/v1/admin/users/42', token: admin.token });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: '/params/id' })]);
  });
});

describe('admin: change, disable and delete users', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const patch = (id: string, payload: Record<string, unknown>, token = admin.token) =>
    t.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, token, payload });
  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });
  const login = (email: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const refresh = (refreshToken: string) => t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });

  it('when an admin disables a user, then login is 403 ACCOUNT_DISABLED, refresh 401 and their access token 401 at once', async () => {
    const u = await t.createUser();
    expect((await me(u.token)).statusCode).toBe(200);
    const res = await patch(u.id, { disabled: true });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.id, disabled: true });
    expect((await me(u.token)).statusCode).toBe(401);
    expect((await refresh(u.refreshToken)).statusCode).toBe(401);
    const denied = await login(u.email, u.password);
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('ACCOUNT_DISABLED');
    // A wrong password still answers 401, so the 403 is given only to who knows the password.
    expect((await login(u.email, 'wrong-password-here')).statusCode).toBe(401);
  });

  it('when an admin re-enables a user, then they can log in again', async () => {
    const u = await t.createUser();
    await patch(u.id, { disabled: true });
    const res = await patch(u.id, { disabled: false });
    expect(res.json().disabled).toBe(false);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('when an admin promotes a user, then after a new login that user passes admin routes', async () => {
    const u = await t.createUser();
    expect((await me(u.token)).statusCode).toBe(200);
    const res = await patch(u.id, { role: 'admin' });
    expect(res.statusCode).toBe(200);
    expect(res.json().role).toBe('admin');
    // The old token carries role user; it is refused rather than trusted with either role.
    expect((await t.request({ method: 'GET', url: '/api/v1/admin/users', token: u.token })).statusCode).toBe(401);
    const fresh = await t.login(u.email, u.password);
    expect((await t.request({ method: 'GET', url: '/api/v1/admin/users', token: fresh.token })).statusCode).toBe(200);
    await patch(u.id, { role: 'user' });
  });

  it('when an admin is demoted, then their old token no longer passes admin routes', async () => {
    const u = await t.createUser();
    await patch(u.id, { role: 'admin' });
    const second = await t.login(u.email, u.password);
    expect((await t.request({ method: 'GET', url: '/api/v1/admin/users', token: second.token })).statusCode).toBe(200);
    expect((await patch(u.id, { role: 'user' })).statusCode).toBe(200);
    const res = await t.request({ method: 'GET', url: '/api/v1/admin/users', token: second.token });
    expect([401, 403]).toContain(res.statusCode);
    // Logged in again, they are an ordinary user.
    const again = await t.login(u.email, u.password);
    expect((await t.request({ method: 'GET', url: '/api/v1/admin/users', token: again.token })).statusCode).toBe(403);
    expect((await me(again.token)).json().role).toBe('user');
  });

  it('when an admin deletes a user, then 204, the user is gone, their token is refused and the email is free again', async () => {
    const u = await t.createUser();
    expect((await me(u.token)).statusCode).toBe(200);
    const res = await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${u.id}`, token: admin.token });
    expect(res.statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: `/api/v1/admin/users/${u.id}`, token: admin.token })).statusCode).toBe(404);
    expect((await me(u.token)).statusCode).toBe(401);
    expect((await refresh(u.refreshToken)).statusCode).toBe(401);
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await t.createUser({ email: u.email })).email).toBe(u.email);
  });

  it('when the target does not exist, then PATCH and DELETE answer 404 USER_NOT_FOUND', async () => {
    const ghost = '0190a000-0000-7000-8000-000000000001';
    const p = await patch(ghost, { disabled: true });
    expect(p.statusCode).toBe(404);
    expect(p.json().code).toBe('USER_NOT_FOUND');
    const d = await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${ghost}`, token: admin.token });
    expect(d.statusCode).toBe(404);
  });

  it.each([
    ['an empty body', {}],
    ['an unknown role', { role: 'root' }],
    ['an unknown field', { email: 'x@y.z' }],
    ['a non-boolean disabled', { disabled: 'yes' }],
  ])('when the patch has %s, then 400 and nothing changes', async (_what, payload) => {
    const u = await t.createUser();
    const res = await patch(u.id, payload);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('VALIDATION_FAILED');
    expect((await me(u.token)).json()).toMatchObject({ role: 'user', disabled: false });
  });
});

describe('admin: the last admin', () => {
  let t: TestApp;
  let admin: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
  });
  afterAll(() => t.close());

  const patch = (id: string, payload: Record<string, unknown>, token = admin.token) =>
    t.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, token, payload });

  it.each([
    ['demoted', (id: string) => patch(id, { role: 'user' })],
    ['disabled', (id: string) => patch(id, { disabled: true })],
    ['deleted', (id: string) => t.request({ method: 'DELETE', url: `/api/v1/admin/users/${id}`, token: admin.token })],
  ])('when the only admin would be %s, then 422 LAST_ADMIN and they stay an active admin', async (_what, act) => {
    const res = await act(admin.id);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ status: 422, code: 'LAST_ADMIN' });
    const self = await t.request({ method: 'GET', url: `/api/v1/admin/users/${admin.id}`, token: admin.token });
    expect(self.json()).toMatchObject({ role: 'admin', disabled: false });
  });

  it('when there is a second admin, then the first may be demoted; the second then is the last', async () => {
    const u = await t.createUser();
    expect((await patch(u.id, { role: 'admin' })).statusCode).toBe(200);
    const second = await t.login(u.email, u.password);
    expect((await patch(admin.id, { role: 'user' }, second.token)).statusCode).toBe(200);
    const last = await patch(second.id, { disabled: true }, second.token);
    expect(last.statusCode).toBe(422);
    expect(last.json().code).toBe('LAST_ADMIN');
    // Restore the configured admin for the tests that follow.
    expect((await patch(admin.id, { role: 'admin' }, second.token)).statusCode).toBe(200);
    admin = await t.admin();
    expect((await patch(second.id, { role: 'user' })).statusCode).toBe(200);
  });

  it('when the other admin is disabled, then the remaining admin counts as the last one', async () => {
    const u = await t.createUser();
    await patch(u.id, { role: 'admin' });
    expect((await patch(u.id, { disabled: true })).statusCode).toBe(200);
    // A disabled admin does not count: demoting the configured one would leave no active admin.
    expect((await patch(admin.id, { role: 'user' })).statusCode).toBe(422);
    // Changing a disabled admin is allowed: it removes no active admin.
    expect((await patch(u.id, { role: 'user' })).statusCode).toBe(200);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when two admins demote each other at the same time, then at least one admin remains',
    async () => {
      const repo = createIdentityRepo(t.platform.db);
      for (let round = 0; round < 10; round++) {
        const u = await t.createUser();
        await patch(u.id, { role: 'admin' });
        const other = await t.login(u.email, u.password);
        const results = await Promise.all([patch(u.id, { role: 'user' }, admin.token), patch(admin.id, { role: 'user' }, other.token)]);
        // One wins; the other is refused by the guard (422), or by the access check when it started after the win (401).
        expect(results.filter((r) => r.statusCode === 200)).toHaveLength(1);
        expect(results.every((r) => [200, 401, 422].includes(r.statusCode))).toBe(true);
        const admins = (await repo.listUsers({ role: 'admin', limit: 10 })).filter((a) => a.disabledAt === null);
        expect(admins).toHaveLength(1);
        // Back to the configured admin alone for the next round.
        await repo.updateUser(admin.id, { role: 'admin' }, t.clock.now());
        await repo.updateUser(u.id, { role: 'user' }, t.clock.now());
        admin = await t.admin();
      }
    },
  );
});

describe('admin: ADMIN_EMAIL bootstrap', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const admins = async () => {
    const a = await t.admin();
    return (await t.request({ method: 'GET', url: `/api/v1/admin/users?q=${encodeURIComponent(ADMIN.email)}`, token: a.token })).json()
      .items as WireUser[];
  };

  it('when the app is built twice on the same database, then there is still exactly one configured admin', async () => {
    expect(await admins()).toHaveLength(1);
    const second = await buildApp(t.platform, DEPLOYMENTS['all-in-one'].modules);
    await second.http.close();
    const found = await admins();
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ email: ADMIN.email, role: 'admin', disabled: false });
  });

  it('when the configured admin was demoted and disabled, then the next start restores it and keeps its password', async () => {
    const a = await t.admin();
    const u = await t.createUser();
    const patch = (id: string, payload: Record<string, unknown>, token: string) =>
      t.request({ method: 'PATCH', url: `/api/v1/admin/users/${id}`, token, payload });
    await patch(u.id, { role: 'admin' }, a.token);
    const other = await t.login(u.email, u.password);
    expect((await patch(a.id, { role: 'user', disabled: true }, other.token)).statusCode).toBe(200);
    const second = await buildApp(t.platform, DEPLOYMENTS['all-in-one'].modules);
    await second.http.close();
    const [restored] = await admins();
    expect(restored).toMatchObject({ id: a.id, role: 'admin', disabled: false });
  });

  describe('ensureAdmin', () => {
    const service = () =>
      createAdminService({
        repo: createIdentityRepo(t.platform.db),
        identity: { forgetSessions: () => {}, sessionsChanged: () => {} } as unknown as IdentityService,
        passwords: t.platform.passwords,
        relay: t.platform.relay,
        clock: t.clock,
      });

    it('when the email is new, then it creates an admin once and is unchanged afterwards', async () => {
      const email = `boot-${Date.now()}@test.local`;
      expect(await service().ensureAdmin(`  ${email.toUpperCase()} `, 'a-boot-passphrase')).toBe('created');
      expect(await service().ensureAdmin(email, 'a-boot-passphrase')).toBe('unchanged');
      const a = await t.admin();
      const found = (await t.request({ method: 'GET', url: `/api/v1/admin/users?q=${email}`, token: a.token })).json().items;
      expect(found).toEqual([expect.objectContaining({ email, role: 'admin', emailVerified: true })]);
      expect(
        (await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: 'a-boot-passphrase' } })).statusCode,
      ).toBe(200);
    });

    it('when a user with that email exists, then it is promoted, keeps its password, and no duplicate is made', async () => {
      const u = await t.createUser();
      expect(await service().ensureAdmin(u.email.toUpperCase(), 'ignored-admin-passphrase')).toBe('promoted');
      expect(await service().ensureAdmin(u.email, 'ignored-admin-passphrase')).toBe('unchanged');
      const fresh = await t.login(u.email, u.password);
      const found = (await t.request({ method: 'GET', url: `/api/v1/admin/users?q=${u.email}`, token: fresh.token })).json().items;
      expect(found).toEqual([expect.objectContaining({ id: u.id, role: 'admin' })]);
    });

    it('when two starts race on a new email, then exactly one admin row exists', async () => {
      const email = `race-${Date.now()}@test.local`;
      const outcomes = await Promise.all([
        service().ensureAdmin(email, 'a-boot-passphrase'),
        service().ensureAdmin(email, 'a-boot-passphrase'),
      ]);
      expect(outcomes).toContain('created');
      const a = await t.admin();
      expect((await t.request({ method: 'GET', url: `/api/v1/admin/users?q=${email}`, token: a.token })).json().items).toHaveLength(1);
    });
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

describe('sessions: logout, logout-all, list, revoke', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (u: Pick<TestUser, 'token'>) => t.request({ method: 'GET', url: '/api/v1/users/me', token: u.token });
  const refresh = (u: Pick<TestUser, 'refreshToken'>) =>
    t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: u.refreshToken } });
  const sessions = (u: TestUser) => t.request({ method: 'GET', url: '/api/v1/auth/sessions', token: u.token });

  async function loginFrom(email: string, password: string, ip: string, userAgent: string): Promise<TestUser> {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
      remoteAddress: ip,
      headers: { 'user-agent': userAgent },
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const sid = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString()).sid;
    return { id: body.user.id, email, password, token: body.accessToken, refreshToken: body.refreshToken, sessionId: sid };
  }

  it('when a user has logged in on two devices, then GET /auth/sessions lists both with device, IP and which is current', async () => {
    const u = await t.createUser();
    const phone = await loginFrom(u.email, u.password, '192.0.2.10', 'Phone/1.0');
    const laptop = await loginFrom(u.email, u.password, '192.0.2.20', 'Laptop/2.0');
    const res = await sessions(laptop);
    expect(res.statusCode).toBe(200);
    const items = res.json().items as { id: string; ip: string; userAgent: string; current: boolean; lastUsedAt: string }[];
    expect(items.map((s) => s.id).sort()).toEqual([u.sessionId, phone.sessionId, laptop.sessionId].sort());
    expect(items.find((s) => s.id === phone.sessionId)).toMatchObject({ ip: '192.0.2.10', userAgent: 'Phone/1.0', current: false });
    expect(items.find((s) => s.id === laptop.sessionId)).toMatchObject({ ip: '192.0.2.20', userAgent: 'Laptop/2.0', current: true });
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(Date.parse(items[0]?.lastUsedAt ?? '')).not.toBeNaN();
    expect(res.body).not.toMatch(/token|hash/i);
  });

  it("when listing sessions, then another user's sessions are never included", async () => {
    const a = await t.createUser();
    const b = await t.createUser();
    const ids = ((await sessions(a)).json().items as { id: string }[]).map((s) => s.id);
    expect(ids).toEqual([a.sessionId]);
    expect(ids).not.toContain(b.sessionId);
  });

  it('when a user logs out, then that session ends (access and refresh) and the other session keeps working', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: u.token });
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await me(u)).statusCode).toBe(401);
    expect((await refresh(u)).statusCode).toBe(401);
    expect((await me(other)).statusCode).toBe(200);
    expect(((await sessions(other)).json().items as { id: string }[]).map((s) => s.id)).toEqual([other.sessionId]);
  });

  it('when a user logs out everywhere, then every session of theirs ends and other users are untouched', async () => {
    const u = await t.createUser();
    const second = await t.login(u.email, u.password);
    const bystander = await t.createUser();
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/logout-all', token: second.token });
    expect(res.statusCode).toBe(204);
    for (const s of [u, second]) {
      expect((await me(s)).statusCode).toBe(401);
      expect((await refresh(s)).statusCode).toBe(401);
    }
    expect((await me(bystander)).statusCode).toBe(200);
    // Logging in again starts a fresh session.
    expect((await me(await t.login(u.email, u.password))).statusCode).toBe(200);
  });

  it('when a user revokes one of their other sessions, then 204, that session ends and the current one stays', async () => {
    const u = await t.createUser();
    const stolen = await t.login(u.email, u.password);
    const res = await t.request({ method: 'DELETE', url: `/api/v1/auth/sessions/${stolen.sessionId}`, token: u.token });
    expect(res.statusCode).toBe(204);
    expect((await me(stolen)).statusCode).toBe(401);
    expect((await refresh(stolen)).statusCode).toBe(401);
    expect((await me(u)).statusCode).toBe(200);
    expect(((await sessions(u)).json().items as { id: string }[]).map((s) => s.id)).toEqual([u.sessionId]);
  });

  it('when a session is revoked twice, then the second answer is 404', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const url = `/api/v1/auth/sessions/${other.sessionId}`;
    expect((await t.request({ method: 'DELETE', url, token: u.token })).statusCode).toBe(204);
    const again = await t.request({ method: 'DELETE', url, token: u.token });
    expect(again.statusCode).toBe(404);
    expect(again.json().code).toBe('SESSION_NOT_FOUND');
  });

  it("when a user tries to revoke someone else's session, then 404 and that session keeps working", async () => {
    const attacker = await t.createUser();
    const victim = await t.createUser();
    const res = await t.request({ method: 'DELETE', url: `/api/v1/auth/sessions/${victim.sessionId}`, token: attacker.token });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'SESSION_NOT_FOUND' });
    expect((await me(victim)).statusCode).toBe(200);
    expect((await refresh(victim)).statusCode).toBe(200);
  });

  it('when the session id is not a UUID, then 400 with path /params/id', async () => {
    const u = await t.createUser();
    const res = await t.request({ method: 'DELETE', url: '/api/v1/auth/sessions/not-a-uuid', token: u.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/params/id' })]);
  });

  it('when a session is refreshed, then its last-used time moves forward', async () => {
    const u = await t.createUser();
    const before = (await sessions(u)).json().items[0].lastUsedAt as string;
    t.clock.advance(60_000);
    const rotated = (await refresh(u)).json();
    const after = (await t.request({ method: 'GET', url: '/api/v1/auth/sessions', token: rotated.accessToken })).json().items[0];
    expect(after.id).toBe(u.sessionId);
    expect(Date.parse(after.lastUsedAt)).toBeGreaterThan(Date.parse(before));
  });
});

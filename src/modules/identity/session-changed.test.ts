/**
 * Every path that ends or changes a session writes one `session.changed` per affected session to
 * the outbox, in the transaction of the change: other services mirror these to refuse revoked
 * tokens. A refused change writes none.
 */
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { outboxEvents } from '../../platform/bus/tables.js';

const API = '/api/v1';

describe('session.changed in the outbox', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  /** The session.changed payloads written for `userId`, as `sid=role`, sorted. */
  async function changesOf(userId: string): Promise<string[]> {
    const rows = await t.platform.db
      .select({ payload: outboxEvents.payload })
      .from(outboxEvents)
      .where(and(eq(outboxEvents.type, 'session.changed'), sql`${outboxEvents.payload}->>'userId' = ${userId}`));
    return (rows as { payload: { sid: string; role: string | null } }[]).map(({ payload }) => `${payload.sid}=${payload.role}`).sort();
  }
  const as = (role: string | null, ...users: TestUser[]) => users.map((u) => `${u.sessionId}=${role}`).sort();

  const post = (url: string, token: string, payload?: object) => t.request({ method: 'POST', url: `${API}${url}`, token, payload });
  const patchUser = async (id: string, payload: object) =>
    t.request({ method: 'PATCH', url: `${API}/admin/users/${id}`, token: (await t.admin()).token, payload });
  const twoSessions = async (): Promise<[TestUser, TestUser]> => {
    const u = await t.createUser();
    return [u, await t.login(u.email, u.password)];
  };

  it('when a user logs out, then exactly that session is reported ended (not the other one)', async () => {
    const [u] = await twoSessions();
    expect((await post('/auth/logout', u.token)).statusCode).toBe(204);
    expect(await changesOf(u.id)).toEqual(as(null, u));
  });

  it('when a user logs out everywhere, then each session is reported ended once', async () => {
    const [u, other] = await twoSessions();
    expect((await post('/auth/logout-all', u.token)).statusCode).toBe(204);
    expect(await changesOf(u.id)).toEqual(as(null, u, other));
  });

  it('when a user revokes another session of theirs, then that one is reported; revoking it again or someone else’s writes nothing', async () => {
    const [u, other] = await twoSessions();
    const url = `${API}/auth/sessions/${other.sessionId}`;
    expect((await t.request({ method: 'DELETE', url, token: u.token })).statusCode).toBe(204);
    expect((await t.request({ method: 'DELETE', url, token: u.token })).statusCode).toBe(404);
    expect(await changesOf(u.id)).toEqual(as(null, other));

    const victim = await t.createUser();
    const attack = await t.request({ method: 'DELETE', url: `${API}/auth/sessions/${victim.sessionId}`, token: u.token });
    expect(attack.statusCode).toBe(404);
    expect(await changesOf(victim.id)).toEqual([]);
  });

  it('when a used refresh token is presented again, then its session is reported ended (not the other one)', async () => {
    const [u] = await twoSessions();
    const refresh = () => t.request({ method: 'POST', url: `${API}/auth/refresh`, payload: { refreshToken: u.refreshToken } });
    expect((await refresh()).statusCode).toBe(200);
    expect(await changesOf(u.id)).toEqual([]);
    expect((await refresh()).statusCode).toBe(401);
    expect(await changesOf(u.id)).toEqual(as(null, u));
  });

  it('when a password is changed, then every other session is reported ended and the current one is not; a wrong current password writes nothing', async () => {
    const [u, other] = await twoSessions();
    const wrong = await post('/users/me/password', u.token, {
      currentPassword: 'not-my-password-at-all',
      newPassword: 'a-new-fine-passphrase',
    });
    expect(wrong.statusCode).toBe(403);
    expect(await changesOf(u.id)).toEqual([]);
    const res = await post('/users/me/password', u.token, { currentPassword: u.password, newPassword: 'a-new-fine-passphrase' });
    expect(res.statusCode).toBe(204);
    expect(await changesOf(u.id)).toEqual(as(null, other));
  });

  it('when a password is reset, then every session is reported ended; a rejected new password writes nothing', async () => {
    const u = await t.createUser({ verified: true });
    const other = await t.login(u.email, u.password);
    await t.request({ method: 'POST', url: `${API}/auth/password-reset/request`, payload: { email: u.email } });
    const token = /Token: (\S+)/.exec((await t.mailTo(u.email, /Reset/)).text)?.[1];
    const confirm = (newPassword: string) =>
      t.request({ method: 'POST', url: `${API}/auth/password-reset/confirm`, payload: { token, newPassword } });
    // Refused inside the transaction (it is the address), after the token was consumed: all rolled back.
    expect((await confirm(u.email)).statusCode).toBe(400);
    expect(await changesOf(u.id)).toEqual([]);
    expect((await confirm('another-fine-passphrase')).statusCode).toBe(204);
    expect(await changesOf(u.id)).toEqual(as(null, u, other));
  });

  it('when an admin disables a user, then each session is reported ended', async () => {
    const [u, other] = await twoSessions();
    expect((await patchUser(u.id, { disabled: true })).statusCode).toBe(200);
    expect(await changesOf(u.id)).toEqual(as(null, u, other));
  });

  it('when an admin changes a role, then each live session is reported with the new role; refused or unchanged, nothing', async () => {
    const [u, other] = await twoSessions();
    expect((await patchUser(u.id, { role: 'user' })).statusCode).toBe(200);
    expect(await changesOf(u.id)).toEqual([]);
    expect((await patchUser(u.id, { role: 'admin' })).statusCode).toBe(200);
    expect(await changesOf(u.id)).toEqual(as('admin', u, other));

    // The last active admin cannot demote itself: refused in the transaction, no event.
    const admin = await t.admin();
    const adminId = (await t.request({ method: 'GET', url: `${API}/users/me`, token: admin.token })).json().id as string;
    expect((await patchUser(u.id, { role: 'user' })).statusCode).toBe(200);
    expect(await changesOf(u.id)).toEqual([...as('admin', u, other), ...as('user', u, other)].sort());
    const before = await changesOf(adminId);
    const refused = await t.request({
      method: 'PATCH',
      url: `${API}/admin/users/${adminId}`,
      token: admin.token,
      payload: { role: 'user' },
    });
    expect(refused.statusCode).toBe(422);
    expect(await changesOf(adminId)).toEqual(before);
  });

  it('when an admin deletes an account, then each live session is reported ended', async () => {
    const [u, other] = await twoSessions();
    const admin = await t.admin();
    expect((await t.request({ method: 'DELETE', url: `${API}/admin/users/${u.id}`, token: admin.token })).statusCode).toBe(204);
    expect(await changesOf(u.id)).toEqual(as(null, u, other));
  });
});

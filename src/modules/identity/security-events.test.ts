import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { readOutbox } from '../../platform/mail/mailer.js';
import { securityEvents } from './tables.js';

interface SecurityEventWire {
  id: string;
  at: string;
  type: string;
  ip: string | null;
  userAgent: string | null;
  sessionId: string | null;
  current: boolean;
  details: Record<string, unknown>;
}

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0';
const FIREFOX_LINUX_NEWER = 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1';

describe('security events: GET /users/me/security-events', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const from = (ip: string, userAgent: string) => ({ remoteAddress: ip, headers: { 'user-agent': userAgent } });

  async function loginFrom(email: string, password: string, ip: string, userAgent: string): Promise<TestUser> {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, ...from(ip, userAgent) });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    const sid = JSON.parse(Buffer.from(body.accessToken.split('.')[1], 'base64url').toString()).sid;
    return { id: body.user.id, email, password, token: body.accessToken, refreshToken: body.refreshToken, sessionId: sid };
  }

  async function eventsOf(u: Pick<TestUser, 'token'>): Promise<SecurityEventWire[]> {
    const res = await t.request({ method: 'GET', url: '/api/v1/users/me/security-events?limit=100', token: u.token });
    expect(res.statusCode).toBe(200);
    return res.json().items;
  }

  const newDeviceMails = async (email: string) => (await readOutbox(t.platform.db, email, 50)).filter((m) => /New sign-in/.test(m.subject));

  it('when a user logs in from a new device, then login and login_new_device appear with its address and user agent, and a mail says when, what and from where', async () => {
    const u = await t.createUser();
    const phone = await loginFrom(u.email, u.password, '192.0.2.31', SAFARI_IPHONE);
    const events = await eventsOf(phone);
    const [newest, next] = events;
    expect(newest).toMatchObject({
      type: 'login_new_device',
      ip: '192.0.2.31',
      userAgent: SAFARI_IPHONE,
      sessionId: phone.sessionId,
      current: true,
      details: { device: 'Safari on iOS' },
    });
    expect(next).toMatchObject({ type: 'login', ip: '192.0.2.31', userAgent: SAFARI_IPHONE, sessionId: phone.sessionId, current: true });
    // The account's first login (createUser's) is a login, not an alert, and is not this session.
    expect(events.at(-1)).toMatchObject({ type: 'login', sessionId: u.sessionId, current: false });
    expect(events.filter((e) => e.type === 'login_new_device')).toHaveLength(1);

    const mail = await t.mailTo(u.email, /New sign-in/);
    expect(mail.text).toContain('Safari on iOS');
    expect(mail.text).toContain('192.0.2.31');
    // The raw header is the client's free text: only the device family reaches the mail.
    expect(mail.text).not.toContain(SAFARI_IPHONE);
    expect(mail.text).toContain(newest?.at);
    expect(mail.text).toMatch(/if this was not you/i);
    expect(mail.text).toContain('/reset-password');
    expect(mail.text).toContain(`/auth/sessions/${phone.sessionId}`);
  });

  it('when a user logs in again with the same browser and OS (a newer version), then no new-device event and no mail; another browser gets both', async () => {
    const u = await t.createUser();
    await loginFrom(u.email, u.password, '192.0.2.40', FIREFOX_LINUX);
    await t.mailTo(u.email, /New sign-in/);
    const again = await loginFrom(u.email, u.password, '198.51.100.7', FIREFOX_LINUX_NEWER);
    const events = await eventsOf(again);
    expect(events[0]).toMatchObject({
      type: 'login',
      sessionId: again.sessionId,
      ip: '198.51.100.7',
      details: { device: 'Firefox on Linux' },
    });
    expect(events.filter((e) => e.type === 'login_new_device')).toHaveLength(1);

    const phone = await loginFrom(u.email, u.password, '192.0.2.41', SAFARI_IPHONE);
    expect((await eventsOf(phone)).slice(0, 2).map((e) => e.type)).toEqual(['login_new_device', 'login']);
    // Mail goes out in the background: once the phone's has arrived, a mail for the same-browser login would have too.
    await expect.poll(async () => (await newDeviceMails(u.email)).length).toBe(2);
    const mails = await newDeviceMails(u.email);
    expect(mails.some((m) => m.text.includes('198.51.100.7'))).toBe(false);
    expect(mails.map((m) => (m.text.includes('Safari on iOS') ? 'phone' : 'firefox')).sort()).toEqual(['firefox', 'phone']);
  });

  it('when someone types a wrong password for the account, then its owner sees login_failed with the address and user agent', async () => {
    const u = await t.createUser();
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: u.email, password: 'not-the-password' },
      ...from('203.0.113.9', 'curl/8.5.0'),
    });
    expect(res.statusCode).toBe(401);
    // Written in the background so the 401 takes as long as for an unknown address.
    await expect.poll(async () => (await eventsOf(u))[0]?.type).toBe('login_failed');
    expect((await eventsOf(u))[0]).toMatchObject({ ip: '203.0.113.9', userAgent: 'curl/8.5.0', sessionId: null, current: false });
  });

  it('when the user changes the password, then password_changed (this session) and a session_revoked for each other session; a wrong current password writes nothing', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const before = await eventsOf(u);
    const wrong = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/password',
      token: u.token,
      payload: { currentPassword: 'not-the-password', newPassword: 'a-brand-new-passphrase' },
      ...from('192.0.2.50', FIREFOX_LINUX),
    });
    expect(wrong.statusCode).toBe(403);
    expect(await eventsOf(u)).toEqual(before);

    const res = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/password',
      token: u.token,
      payload: { currentPassword: u.password, newPassword: 'a-brand-new-passphrase' },
      ...from('192.0.2.50', FIREFOX_LINUX),
    });
    expect(res.statusCode).toBe(204);
    const events = await eventsOf(u);
    const added = events.slice(0, events.length - before.length);
    expect(added).toHaveLength(2);
    expect(added.find((e) => e.type === 'password_changed')).toMatchObject({
      ip: '192.0.2.50',
      userAgent: FIREFOX_LINUX,
      sessionId: u.sessionId,
      current: true,
    });
    expect(added.find((e) => e.type === 'session_revoked')).toMatchObject({
      ip: '192.0.2.50',
      sessionId: other.sessionId,
      current: false,
      details: { reason: 'password-changed' },
    });
  });

  it('when sessions end (one revoked, refresh-token reuse, logout-all), then each is a session_revoked with its reason', async () => {
    const u = await t.createUser();
    const second = await t.login(u.email, u.password);
    const third = await t.login(u.email, u.password);
    const revoke = await t.request({
      method: 'DELETE',
      url: `/api/v1/auth/sessions/${second.sessionId}`,
      token: u.token,
      ...from('192.0.2.60', FIREFOX_LINUX),
    });
    expect(revoke.statusCode).toBe(204);
    expect((await eventsOf(u))[0]).toMatchObject({
      type: 'session_revoked',
      sessionId: second.sessionId,
      ip: '192.0.2.60',
      userAgent: FIREFOX_LINUX,
      details: { reason: 'revoked-by-user' },
    });

    const refresh = () =>
      t.request({
        method: 'POST',
        url: '/api/v1/auth/refresh',
        payload: { refreshToken: third.refreshToken },
        ...from('203.0.113.66', 'Thief/1.0'),
      });
    expect((await refresh()).statusCode).toBe(200);
    expect((await refresh()).statusCode).toBe(401);
    expect((await eventsOf(u))[0]).toMatchObject({
      type: 'session_revoked',
      sessionId: third.sessionId,
      ip: '203.0.113.66',
      userAgent: 'Thief/1.0',
      details: { reason: 'refresh-token-reuse' },
    });

    const before = await eventsOf(u);
    expect(
      (await t.request({ method: 'POST', url: '/api/v1/auth/logout-all', token: u.token, ...from('192.0.2.61', FIREFOX_LINUX) }))
        .statusCode,
    ).toBe(204);
    const fresh = await t.login(u.email, u.password);
    const events = await eventsOf(fresh);
    const ended = events.slice(0, events.length - before.length).filter((e) => e.type === 'session_revoked');
    expect(ended).toEqual([expect.objectContaining({ sessionId: u.sessionId, ip: '192.0.2.61', details: { reason: 'logout-all' } })]);
  });

  it('when the password is reset by mail, then password_reset and the ended sessions appear with the address that confirmed it', async () => {
    const u = await t.createUser({ verified: true });
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: u.email } })).statusCode).toBe(
      202,
    );
    const token = /Token: (\S+)/.exec((await t.mailTo(u.email, /Reset/)).text)?.[1];
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token, newPassword: 'a-brand-new-passphrase' },
      ...from('192.0.2.70', SAFARI_IPHONE),
    });
    expect(res.statusCode).toBe(204);
    const after = await t.login(u.email, 'a-brand-new-passphrase');
    const events = await eventsOf(after);
    expect(events.find((e) => e.type === 'password_reset')).toMatchObject({ ip: '192.0.2.70', userAgent: SAFARI_IPHONE, sessionId: null });
    expect(events.find((e) => e.type === 'session_revoked')).toMatchObject({
      ip: '192.0.2.70',
      sessionId: u.sessionId,
      details: { reason: 'password-reset' },
    });
  });

  it('when an email change is confirmed, then email_changed shows both addresses; asking with a wrong password writes nothing', async () => {
    const u = await t.createUser();
    const newEmail = `moved-${u.id.slice(-8)}@test.local`;
    const before = await eventsOf(u);
    const wrong = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/email',
      token: u.token,
      payload: { email: newEmail, currentPassword: 'not-the-password' },
    });
    expect(wrong.statusCode).toBe(403);
    expect(await eventsOf(u)).toEqual(before);

    const ask = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/email',
      token: u.token,
      payload: { email: newEmail, currentPassword: u.password },
    });
    expect(ask.statusCode).toBe(202);
    // Asking changes nothing yet.
    expect(await eventsOf(u)).toEqual(before);
    const token = /Token: (\S+)/.exec((await t.mailTo(newEmail, /Confirm your new email/)).text)?.[1];
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/verify-email/confirm',
      payload: { token },
      ...from('192.0.2.80', FIREFOX_LINUX),
    });
    expect(res.statusCode).toBe(200);
    expect((await eventsOf(u))[0]).toMatchObject({
      type: 'email_changed',
      ip: '192.0.2.80',
      userAgent: FIREFOX_LINUX,
      details: { from: u.email, to: newEmail },
    });
  });

  it('when an admin changes the role or disables the account, then role_changed and the ended sessions appear, without the admin’s address; not in the admin’s own history', async () => {
    const u = await t.createUser();
    const admin = await t.admin();
    const patch = (body: object) =>
      t.request({
        method: 'PATCH',
        url: `/api/v1/admin/users/${u.id}`,
        token: admin.token,
        payload: body,
        ...from('10.0.0.1', 'AdminBrowser/1'),
      });
    expect((await patch({ role: 'admin' })).statusCode).toBe(200);
    expect((await patch({ role: 'user' })).statusCode).toBe(200);
    const events = await eventsOf(u);
    expect(events.slice(0, 2)).toMatchObject([
      { type: 'role_changed', ip: null, userAgent: null, details: { from: 'admin', to: 'user' } },
      { type: 'role_changed', ip: null, userAgent: null, details: { from: 'user', to: 'admin' } },
    ]);
    expect((await eventsOf(admin)).some((e) => e.type === 'role_changed')).toBe(false);

    expect((await patch({ disabled: true })).statusCode).toBe(200);
    expect((await patch({ disabled: false })).statusCode).toBe(200);
    const back = await t.login(u.email, u.password);
    expect((await eventsOf(back)).find((e) => e.type === 'session_revoked')).toMatchObject({
      sessionId: u.sessionId,
      ip: null,
      details: { reason: 'user-disabled' },
    });
  });

  it('when listing, then newest first, paged by cursor without gaps or repeats, and never another user’s events', async () => {
    const u = await t.createUser();
    const other = await t.createUser();
    for (let i = 0; i < 4; i++) await t.login(u.email, u.password);
    await t.login(other.email, other.password);
    const all = await eventsOf(u);
    expect(all.length).toBe(5);
    expect(all.every((e) => e.type === 'login')).toBe(true);
    expect([...all.map((e) => e.id)].sort().reverse()).toEqual(all.map((e) => e.id));

    const paged: SecurityEventWire[] = [];
    let cursor: string | null = null;
    do {
      const res = await t.request({
        method: 'GET',
        url: `/api/v1/users/me/security-events?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        token: u.token,
      });
      expect(res.statusCode).toBe(200);
      const page = res.json() as { items: SecurityEventWire[]; nextCursor: string | null };
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);

    const otherSessions = new Set((await eventsOf(other)).map((e) => e.sessionId));
    expect(all.some((e) => otherSessions.has(e.sessionId))).toBe(false);
    expect((await eventsOf(other)).length).toBe(2);
  });

  it('when the cursor is not one the API issued, then 400 INVALID_CURSOR; without a token, 401', async () => {
    const u = await t.createUser();
    const bad = await t.request({ method: 'GET', url: '/api/v1/users/me/security-events?cursor=bm90LWEtY3Vyc29y', token: u.token });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toBe('INVALID_CURSOR');
    expect((await t.request({ method: 'GET', url: '/api/v1/users/me/security-events' })).statusCode).toBe(401);
  });

  it('when an account is deleted, then its security events are gone with it', async () => {
    const u = await t.createUser();
    await loginFrom(u.email, u.password, '192.0.2.90', SAFARI_IPHONE);
    const rows = () => t.platform.db.select().from(securityEvents).where(eq(securityEvents.userId, u.id));
    expect((await rows()).length).toBeGreaterThan(0);
    const admin = await t.admin();
    expect((await t.request({ method: 'DELETE', url: `/api/v1/admin/users/${u.id}`, token: admin.token })).statusCode).toBe(204);
    expect(await rows()).toEqual([]);
  });

  it('when a user logs in and changes the password after an admin changed their role, then the admin audit trail holds only the admin’s action', async () => {
    const admin = await t.admin();
    const u = await t.createUser();
    expect(
      (await t.request({ method: 'PATCH', url: `/api/v1/admin/users/${u.id}`, token: admin.token, payload: { role: 'admin' } })).statusCode,
    ).toBe(200);
    // A role change makes older tokens stale: the user logs in again.
    const phone = await loginFrom(u.email, u.password, '192.0.2.95', SAFARI_IPHONE);
    const change = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/password',
      token: phone.token,
      payload: { currentPassword: u.password, newPassword: 'yet-another-passphrase' },
    });
    expect(change.statusCode).toBe(204);
    const res = await t.request({ method: 'GET', url: `/api/v1/admin/audit?targetType=user&targetId=${u.id}`, token: admin.token });
    expect(res.statusCode).toBe(200);
    expect((res.json().items as { action: string }[]).map((r) => r.action)).toEqual(['identity.user.role_changed']);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { readOutbox } from '../../platform/mail/mailer.js';

const tokenIn = (mail: { text: string }) => /Token: (\S+)/.exec(mail.text)?.[1] ?? '';

describe('GET and PATCH /users/me', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });
  const patchMe = (token: string, payload: Record<string, unknown>) =>
    t.request({ method: 'PATCH', url: '/api/v1/users/me', token, payload });

  async function verifiedUser() {
    const u = await t.createUser();
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/auth/verify-email/confirm',
      payload: { token: tokenIn(await t.mailTo(u.email, /Confirm/)) },
    });
    expect(res.json().emailVerified).toBe(true);
    return u;
  }

  it('when a user asks for themselves, then 200 with their own account and no password hash', async () => {
    const u = await t.createUser({ name: 'Grace Hopper' });
    const res = await me(u.token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.id, email: u.email, name: 'Grace Hopper', role: 'user', disabled: false });
    expect(res.body).not.toMatch(/password|\$argon2/i);
  });

  it('when the name is changed, then it is stored trimmed and the email stays verified', async () => {
    const u = await verifiedUser();
    const res = await patchMe(u.token, { name: '  Ada King  ' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'Ada King', emailVerified: true, email: u.email });
    expect((await me(u.token)).json().name).toBe('Ada King');
  });

  it('when the email is changed, then it is normalised, emailVerified turns false and a confirmation goes to the new address', async () => {
    const u = await verifiedUser();
    const newEmail = `New-${u.email}`.toUpperCase();
    const res = await patchMe(u.token, { email: newEmail });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ email: newEmail.toLowerCase(), emailVerified: false });
    const mail = await t.mailTo(newEmail.toLowerCase(), /Confirm/);
    expect(tokenIn(mail)).not.toBe('');
    // The account now logs in with the new address only.
    const login = (email: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password: u.password } });
    expect((await login(newEmail)).statusCode).toBe(200);
    expect((await login(u.email)).statusCode).toBe(401);
  });

  it('when the email is set to the current one in another case, then nothing changes and no mail is sent', async () => {
    const u = await verifiedUser();
    const res = await patchMe(u.token, { email: u.email.toUpperCase() });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ email: u.email, emailVerified: true });
    expect((await readOutbox(t.platform.db, u.email, 10)).filter((m) => /Confirm/.test(m.subject))).toHaveLength(1);
  });

  it("when the email is another user's, then 409 EMAIL_TAKEN and the account is unchanged", async () => {
    const u = await verifiedUser();
    const other = await t.createUser();
    const res = await patchMe(u.token, { email: other.email.toUpperCase() });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_TAKEN');
    expect(res.body).not.toMatch(/duplicate key|constraint|users_email_key/i);
    expect((await me(u.token)).json()).toMatchObject({ email: u.email, emailVerified: true });
  });

  it.each([
    ['a role', { role: 'admin' }, '/role'],
    ['an empty name', { name: '' }, '/name'],
    ['a blank name', { name: '   ' }, '/name'],
    ['a NUL in the name', { name: 'a\u0000b' }, '/name'],
    ['a malformed email', { email: 'nope' }, '/email'],
  ])('when the patch has %s, then 400 with that path and nothing changes', async (_what, payload, path) => {
    const u = await t.createUser({ name: 'Unchanged' });
    const res = await patchMe(u.token, payload);
    expect(res.statusCode).toBe(400);
    expect((res.json().errors as { path: string }[]).map((e) => e.path)).toContain(path);
    expect((await me(u.token)).json()).toMatchObject({ name: 'Unchanged', role: 'user', email: u.email });
  });

  it('when the patch is empty, then 400', async () => {
    const u = await t.createUser();
    expect((await patchMe(u.token, {})).statusCode).toBe(400);
  });
});

describe('POST /users/me/password', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const change = (token: string, currentPassword: string, newPassword: string) =>
    t.request({ method: 'POST', url: '/api/v1/users/me/password', token, payload: { currentPassword, newPassword } });
  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });
  const login = (email: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  it('when the current password is right, then 204, the new one works, other sessions end and this one stays', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const res = await change(u.token, u.password, 'my-new-long-passphrase');
    expect(res.statusCode).toBe(204);
    expect((await me(u.token)).statusCode).toBe(200);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: u.refreshToken } })).statusCode).toBe(
      200,
    );
    expect((await me(other.token)).statusCode).toBe(401);
    expect(
      (await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: other.refreshToken } })).statusCode,
    ).toBe(401);
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await login(u.email, 'my-new-long-passphrase')).statusCode).toBe(200);
  });

  it('when the current password is wrong, then 403 WRONG_PASSWORD and nothing changes', async () => {
    const u = await t.createUser();
    const other = await t.login(u.email, u.password);
    const res = await change(u.token, 'not-my-password', 'my-new-long-passphrase');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('WRONG_PASSWORD');
    expect((await me(other.token)).statusCode).toBe(200);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it.each([
    ['too short', 'short'],
    ['common', 'password1'],
    ['the email', ''],
  ])('when the new password is %s, then 400 with path /newPassword and nothing changes', async (_what, weak) => {
    const u = await t.createUser();
    const res = await change(u.token, u.password, weak || u.email);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([expect.objectContaining({ path: '/newPassword' })]);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('when the current password is missing, then 400 with path /currentPassword', async () => {
    const u = await t.createUser();
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/password',
      token: u.token,
      payload: { newPassword: 'whatever-passphrase' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/currentPassword', message: 'is required' }]);
  });
});

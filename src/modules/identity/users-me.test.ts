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

  const changeEmail = (u: { token: string }, email: string, currentPassword: string) =>
    t.request({ method: 'POST', url: '/api/v1/users/me/email', token: u.token, payload: { email, currentPassword } });
  const login = (email: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });

  it('when an email change is asked with the password, then 202; the old address stays until the new one confirms, and both are told', async () => {
    const u = await verifiedUser();
    const newEmail = `New-${u.email}`.toUpperCase();
    const res = await changeEmail(u, newEmail, u.password);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ status: 'accepted' });
    const mail = await t.mailTo(newEmail.toLowerCase(), /Confirm your new email/);
    expect((await t.mailTo(u.email, /about to change/)).text).toContain(newEmail.toLowerCase());
    // Pending: the account keeps its verified old address and logs in with it only.
    expect((await me(u.token)).json()).toMatchObject({ email: u.email, emailVerified: true });
    expect((await login(u.email, u.password)).statusCode).toBe(200);
    expect((await login(newEmail, u.password)).statusCode).toBe(401);

    const confirmed = await t.request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: { token: tokenIn(mail) } });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ email: newEmail.toLowerCase(), emailVerified: true });
    expect((await login(newEmail, u.password)).statusCode).toBe(200);
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await t.mailTo(u.email, /was changed/)).text).toContain(newEmail.toLowerCase());
  });

  it('when the current password is wrong, then 403 WRONG_PASSWORD and no mail goes to the new address', async () => {
    const u = await verifiedUser();
    const newEmail = `wrongpw-${u.email}`;
    const res = await changeEmail(u, newEmail, 'not-my-password');
    expect(res.statusCode).toBe(403);
    expect(res.json().code).toBe('WRONG_PASSWORD');
    // A later, valid change to another address proves the background mail has run by then.
    expect((await changeEmail(u, `later-${u.email}`, u.password)).statusCode).toBe(202);
    await t.mailTo(`later-${u.email}`, /Confirm/);
    expect(await readOutbox(t.platform.db, newEmail, 10)).toEqual([]);
    expect((await me(u.token)).json().email).toBe(u.email);
  });

  it("when the new address is another account's, then the same 202, that owner gets a notice without a token and nothing changes", async () => {
    const u = await verifiedUser();
    const other = await t.createUser();
    const free = await changeEmail(u, `free-${u.email}`, u.password);
    const taken = await changeEmail(u, other.email.toUpperCase(), u.password);
    expect(taken.statusCode).toBe(202);
    expect(taken.body).toBe(free.body);
    const notice = await t.mailTo(other.email, /move an account to your address/);
    expect(notice.text).not.toMatch(/token/i);
    expect((await me(u.token)).json()).toMatchObject({ email: u.email, emailVerified: true });
    expect((await me(other.token)).json().email).toBe(other.email);
  });

  it('when the new address is registered between the request and the confirmation, then 409 EMAIL_TAKEN and nothing changes', async () => {
    const u = await verifiedUser();
    const newEmail = `race-${u.email}`;
    expect((await changeEmail(u, newEmail, u.password)).statusCode).toBe(202);
    const token = tokenIn(await t.mailTo(newEmail, /Confirm/));
    await t.createUser({ email: newEmail });
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: { token } });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('EMAIL_TAKEN');
    expect(res.body).not.toMatch(/duplicate key|constraint|users_email_key/i);
    expect((await me(u.token)).json()).toMatchObject({ email: u.email, emailVerified: true });
  });

  it('when the email change is confirmed, then a reset link mailed to the old address before no longer works', async () => {
    const u = await verifiedUser();
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: u.email } })).statusCode).toBe(
      202,
    );
    const resetToken = tokenIn(await t.mailTo(u.email, /Reset/));
    const newEmail = `after-reset-${u.email}`;
    expect((await changeEmail(u, newEmail, u.password)).statusCode).toBe(202);
    const token = tokenIn(await t.mailTo(newEmail, /Confirm/));
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: { token } })).statusCode).toBe(200);
    const reset = await t.request({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token: resetToken, newPassword: 'a-takeover-passphrase' },
    });
    expect(reset.statusCode).toBe(400);
  });

  it('when the email is set to the current one in another case, then 202 and no mail is sent', async () => {
    const u = await verifiedUser();
    expect((await changeEmail(u, u.email.toUpperCase(), u.password)).statusCode).toBe(202);
    expect((await me(u.token)).json()).toMatchObject({ email: u.email, emailVerified: true });
    // A real change afterwards mails the old address; by then, only its verification mail is older.
    expect((await changeEmail(u, `real-${u.email}`, u.password)).statusCode).toBe(202);
    await t.mailTo(u.email, /about to change/);
    expect((await readOutbox(t.platform.db, u.email, 10)).map((m) => m.subject)).toEqual([
      'Your email address is about to change',
      'Confirm your email address',
    ]);
  });

  it('when PATCH /users/me carries an email, then 400 with path /email (the change needs the password) and nothing changes', async () => {
    const u = await verifiedUser();
    const res = await patchMe(u.token, { email: `patched-${u.email}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/email', message: 'is not a known property' }]);
    expect((await me(u.token)).json().email).toBe(u.email);
  });

  it.each([
    ['a role', { role: 'admin' }, '/role'],
    ['an empty name', { name: '' }, '/name'],
    ['a blank name', { name: '   ' }, '/name'],
    ['a NUL in the name', { name: 'a\u0000b' }, '/name'],
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { readOutbox } from '../../platform/mail/mailer.js';

const tokenIn = (mail: { text: string }) => {
  const match = /Token: (\S+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token in mail: ${mail.text}`);
  return match[1];
};

describe('email verification', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const confirm = (token: string) => t.request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: { token } });
  const me = (token: string) => t.request({ method: 'GET', url: '/api/v1/users/me', token });
  const confirmMails = async (email: string) => (await readOutbox(t.platform.db, email, 50)).filter((m) => /Confirm/.test(m.subject));

  it('when a user registers, then a confirmation mail arrives and confirming sets emailVerified', async () => {
    const u = await t.createUser();
    expect((await me(u.token)).json().emailVerified).toBe(false);
    const mail = await t.mailTo(u.email, /Confirm/);
    const token = tokenIn(mail);
    expect(mail.text).toContain(`verify-email?token=${token}`);
    const res = await confirm(token);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: u.id, emailVerified: true });
    expect(res.body).not.toMatch(/passwordHash|\$argon2/);
    expect((await me(u.token)).json().emailVerified).toBe(true);
  });

  it('when the token is used again, then 400 INVALID_TOKEN', async () => {
    const u = await t.createUser();
    const token = tokenIn(await t.mailTo(u.email, /Confirm/));
    expect((await confirm(token)).statusCode).toBe(200);
    const again = await confirm(token);
    expect(again.statusCode).toBe(400);
    expect(again.json().code).toBe('INVALID_TOKEN');
  });

  it('when the token is older than 48 hours, then 400 INVALID_TOKEN and the email stays unverified', async () => {
    const u = await t.createUser();
    const token = tokenIn(await t.mailTo(u.email, /Confirm/));
    t.clock.advance(48 * 3600_000 + 1000);
    expect((await confirm(token)).statusCode).toBe(400);
    const fresh = await t.login(u.email, u.password);
    expect((await me(fresh.token)).json().emailVerified).toBe(false);
  });

  it('when the token is made up or a password-reset token, then 400 INVALID_TOKEN and the reset token stays usable', async () => {
    const u = await t.createUser({ verified: true });
    expect((await confirm('made-up')).statusCode).toBe(400);
    await t.request({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email: u.email } });
    const reset = tokenIn(await t.mailTo(u.email, /Reset/));
    expect((await confirm(reset)).statusCode).toBe(400);
    const used = await t.request({
      method: 'POST',
      url: '/api/v1/auth/password-reset/confirm',
      payload: { token: reset, newPassword: 'still-a-usable-passphrase' },
    });
    expect(used.statusCode).toBe(204);
  });

  it('when an unverified user asks again, then 202 and a new token that works, and the old one is void', async () => {
    const u = await t.createUser();
    const first = tokenIn(await t.mailTo(u.email, /Confirm/));
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/verify-email/request', token: u.token });
    expect(res.statusCode).toBe(202);
    await expect.poll(async () => (await confirmMails(u.email)).length).toBe(2);
    const second = tokenIn(await t.mailTo(u.email, /Confirm/));
    expect(second).not.toBe(first);
    expect((await confirm(first)).statusCode).toBe(400);
    expect((await confirm(second)).statusCode).toBe(200);
  });

  it('when the user changed their email after the mail, then the old token verifies neither address', async () => {
    const u = await t.createUser();
    const oldToken = tokenIn(await t.mailTo(u.email, /Confirm/));
    const newEmail = `moved-${u.email}`;
    const change = await t.request({
      method: 'POST',
      url: '/api/v1/users/me/email',
      token: u.token,
      payload: { email: newEmail, currentPassword: u.password },
    });
    expect(change.statusCode).toBe(202);
    const newToken = tokenIn(await t.mailTo(newEmail, /Confirm/));
    expect((await confirm(newToken)).statusCode).toBe(200);
    expect((await me(u.token)).json()).toMatchObject({ email: newEmail, emailVerified: true });
    expect((await confirm(oldToken)).statusCode).toBe(400);
  });

  it('when the body has no token, then 400 with path /token', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/verify-email/confirm', payload: {} });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/token', message: 'is required' }]);
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { readOutbox } from '../../platform/mail/mailer.js';

const tokenIn = (mail: { text: string }) => {
  const match = /Token: (\S+)/.exec(mail.text);
  if (!match?.[1]) throw new Error(`no token in mail: ${mail.text}`);
  return match[1];
};

describe('password reset', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  const requestReset = (email: string) => t.request({ method: 'POST', url: '/api/v1/auth/password-reset/request', payload: { email } });
  const confirm = (token: string, newPassword: string) =>
    t.request({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { token, newPassword } });
  const login = (email: string, password: string) => t.request({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  const resetMails = async (email: string) => (await readOutbox(t.platform.db, email, 50)).filter((m) => /Reset/.test(m.subject));

  /** Requests a reset and returns the token from the newest reset mail. */
  async function resetToken(email: string, previous?: string): Promise<string> {
    expect((await requestReset(email)).statusCode).toBe(202);
    for (let i = 0; i < 100; i++) {
      const token = tokenIn(await t.mailTo(email, /Reset/));
      if (token !== previous) return token;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error('no new reset mail');
  }

  it('when the token is confirmed with a new password, then the new password works, the old does not, and every session ends', async () => {
    const u = await t.createUser({ verified: true });
    const second = await t.login(u.email, u.password);
    const token = await resetToken(u.email);
    const res = await confirm(token, 'a-brand-new-passphrase');
    expect(res.statusCode).toBe(204);
    expect((await login(u.email, u.password)).statusCode).toBe(401);
    expect((await login(u.email, 'a-brand-new-passphrase')).statusCode).toBe(200);
    for (const s of [u, second]) {
      expect((await t.request({ method: 'GET', url: '/api/v1/users/me', token: s.token })).statusCode).toBe(401);
      const refreshed = await t.request({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken: s.refreshToken } });
      expect(refreshed.statusCode).toBe(401);
    }
  });

  it('when the reset is asked in upper case, then the mail goes to the stored address and carries a link with the token', async () => {
    const u = await t.createUser({ verified: true });
    expect((await requestReset(u.email.toUpperCase())).statusCode).toBe(202);
    const mail = await t.mailTo(u.email, /Reset/);
    const token = tokenIn(mail);
    expect(mail.text).toContain(`reset-password?token=${token}`);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('when the email is unknown, then the same 202 answer and no mail is sent', async () => {
    const known = await t.createUser({ verified: true });
    const unknown = `nobody-${Date.now()}@test.local`;
    const a = await requestReset(unknown);
    const b = await requestReset(known.email);
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    expect(a.body).toBe(b.body);
    expect(a.json()).toEqual({ status: 'accepted' });
    // The known address's mail, requested after, has arrived; the unknown one got none.
    await t.mailTo(known.email, /Reset/);
    expect(await readOutbox(t.platform.db, unknown)).toEqual([]);
  });

  it('when a token is used a second time, then 400 INVALID_TOKEN and the password stays the first new one', async () => {
    const u = await t.createUser({ verified: true });
    const token = await resetToken(u.email);
    expect((await confirm(token, 'first-new-passphrase')).statusCode).toBe(204);
    const again = await confirm(token, 'second-new-passphrase');
    expect(again.statusCode).toBe(400);
    expect(again.json()).toMatchObject({ code: 'INVALID_TOKEN', status: 400 });
    expect((await login(u.email, 'second-new-passphrase')).statusCode).toBe(401);
    expect((await login(u.email, 'first-new-passphrase')).statusCode).toBe(200);
  });

  it('when the token is 59 minutes old, then it works', async () => {
    const u = await t.createUser({ verified: true });
    const token = await resetToken(u.email);
    t.clock.advance(59 * 60_000);
    expect((await confirm(token, 'just-in-time-passphrase')).statusCode).toBe(204);
  });

  it('when the token is more than an hour old, then 400 INVALID_TOKEN and the password is unchanged', async () => {
    const u = await t.createUser({ verified: true });
    const token = await resetToken(u.email);
    t.clock.advance(60 * 60_000 + 1000);
    const res = await confirm(token, 'too-late-passphrase');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('when a newer reset is requested, then the older token no longer works', async () => {
    const u = await t.createUser({ verified: true });
    const older = await resetToken(u.email);
    const newer = await resetToken(u.email, older);
    expect((await confirm(older, 'from-the-old-link-1')).statusCode).toBe(400);
    expect((await confirm(newer, 'from-the-new-link-1')).statusCode).toBe(204);
  });

  it('when the new password is weak, then 400 with path /newPassword and the token can still be used', async () => {
    const u = await t.createUser({ verified: true });
    const token = await resetToken(u.email);
    for (const weak of ['short', 'password1', u.email]) {
      const res = await confirm(token, weak);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toEqual([expect.objectContaining({ path: '/newPassword' })]);
    }
    expect((await confirm(token, 'finally-a-good-passphrase')).statusCode).toBe(204);
  });

  it('when the token is made up, then 400 INVALID_TOKEN', async () => {
    const res = await confirm('made-up-token', 'whatever-good-passphrase');
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_TOKEN');
  });

  it('when an email-verification token is used for a reset, then 400 INVALID_TOKEN', async () => {
    const u = await t.createUser();
    const verification = tokenIn(await t.mailTo(u.email, /Confirm/));
    expect((await confirm(verification, 'hijacked-passphrase')).statusCode).toBe(400);
    expect((await login(u.email, u.password)).statusCode).toBe(200);
  });

  it('when fields are missing or unknown, then 400 with paths', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/auth/password-reset/confirm', payload: { password: 'x' } });
    expect(res.statusCode).toBe(400);
    expect((res.json().errors as { path: string }[]).map((e) => e.path)).toEqual(
      expect.arrayContaining(['/token', '/newPassword', '/password']),
    );
    const bad = await requestReset('not-an-email');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual([expect.objectContaining({ path: '/email' })]);
  });

  it('when the address is not confirmed, then no reset link but a verification link; once confirmed, a reset works', async () => {
    const u = await t.createUser();
    expect((await requestReset(u.email)).statusCode).toBe(202);
    await expect.poll(async () => (await readOutbox(t.platform.db, u.email, 10)).length).toBe(2);
    const [newest] = await readOutbox(t.platform.db, u.email, 10);
    expect(newest?.subject).toBe('Confirm your email address');
    expect(newest?.text).toContain('A password reset was asked');
    expect(await resetMails(u.email)).toEqual([]);
    expect(
      (
        await t.request({
          method: 'POST',
          url: '/api/v1/auth/verify-email/confirm',
          payload: { token: tokenIn(newest as { text: string }) },
        })
      ).statusCode,
    ).toBe(200);
    const token = await resetToken(u.email);
    expect((await confirm(token, 'confirmed-then-reset-passphrase')).statusCode).toBe(204);
  });

  it('when a disabled user asks for a reset, then 202 but no mail, so a reset cannot re-enable the account', async () => {
    const u = await t.createUser({ verified: true });
    const admin = await t.admin();
    await t.request({ method: 'PATCH', url: `/api/v1/admin/users/${u.id}`, token: admin.token, payload: { disabled: true } });
    expect((await requestReset(u.email)).statusCode).toBe(202);
    // Another user's mail requested after it has arrived; the disabled one got none.
    const witness = await t.createUser({ verified: true });
    await requestReset(witness.email);
    await t.mailTo(witness.email, /Reset/);
    expect(await resetMails(u.email)).toEqual([]);
  });
});

/**
 * Access tokens are signed without jose (a synchronous HMAC) but verified with it, here and by
 * any other JWT library a client or service uses: what the platform signs must be a standard
 * HS256 JWT with exactly the claims it always had.
 */
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import { createAccessTokens } from './access-tokens.js';

const secret = 'a-test-secret-that-is-long-enough-0123456789';
const principal = { id: '0193a0b0-0000-7000-8000-000000000001', role: 'admin' as const, sid: '0193a0b0-0000-7000-8000-000000000002' };

describe('access tokens', () => {
  it('when a token is signed, then jose verifies it as HS256 with the secret, and its claims are sub, role, sid, iss, aud, iat and exp', async () => {
    const clock = createFakeClock(new Date('2026-12-06T10:00:00Z'));
    const tokens = createAccessTokens({ secret, ttlMs: 900_000, clock });
    const token = await tokens.sign(principal);

    expect(decodeProtectedHeader(token)).toEqual({ alg: 'HS256', typ: 'JWT' });
    const { payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      issuer: 'zaplecze',
      audience: 'zaplecze-api',
      currentDate: clock.now(),
    });
    const iat = Date.parse('2026-12-06T10:00:00Z') / 1000;
    expect(payload).toEqual({
      sub: principal.id,
      role: 'admin',
      sid: principal.sid,
      iss: 'zaplecze',
      aud: 'zaplecze-api',
      iat,
      exp: iat + 900,
    });
  });

  it('when a token is verified by the platform that signed it, then the principal comes back until it expires', async () => {
    const clock = createFakeClock();
    const tokens = createAccessTokens({ secret, ttlMs: 900_000, clock });
    const token = await tokens.sign(principal);
    expect(await tokens.verify(token)).toEqual(principal);
    clock.advance(901_000);
    expect(await tokens.verify(token)).toBe('expired');
  });

  it('when a token is signed with another secret, then it is invalid', async () => {
    const clock = createFakeClock();
    const other = await createAccessTokens({ secret: `${secret}-other`, ttlMs: 900_000, clock }).sign(principal);
    expect(await createAccessTokens({ secret, ttlMs: 900_000, clock }).verify(other)).toBe('invalid');
  });
});

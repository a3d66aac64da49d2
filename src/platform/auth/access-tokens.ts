/**
 * Short-lived access tokens: HS256 JWTs with `sub`, `role` and `sid` claims. Only HS256 is
 * accepted on verify, so `alg: none` and tokens signed with another algorithm are refused.
 */
import { createHmac, createSecretKey } from 'node:crypto';
import { errors as joseErrors, jwtVerify } from 'jose';
import type { Clock } from '../clock.js';

/** Who a request is made by, as proven by its access token. */
export interface Principal {
  /** User id. */
  id: string;
  role: Role;
  /** Session (refresh-token family) id, so a revoked session stops its access tokens. */
  sid: string;
}

/** The roles, in increasing power. */
export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Why a token was refused; the guard maps every reason to the same 401. */
export type TokenProblem = 'expired' | 'invalid';

export interface AccessTokens {
  readonly ttlSeconds: number;
  sign(principal: Principal): Promise<string>;
  /** The principal, or the reason the token is not acceptable. */
  verify(token: string): Promise<Principal | TokenProblem>;
}

const ISSUER = 'zaplecze';
const AUDIENCE = 'zaplecze-api';
const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url');
/** Verified tokens remembered; a client sends the same token for up to its whole lifetime. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Creates the signer/verifier over one secret. */
export function createAccessTokens(options: { secret: string; ttlMs: number; clock: Clock }): AccessTokens {
  // For jose, a WebCrypto key imported once: it turns raw bytes and even a node KeyObject of a
  // secret back into bytes and imports them on every call.
  const key = crypto.subtle.importKey('raw', Buffer.from(options.secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const signingKey = createSecretKey(Buffer.from(options.secret, 'utf8'));
  const ttlSeconds = Math.floor(options.ttlMs / 1000);
  // A token's signature and claims never change, so a verified one needs only its expiry checked
  // again. This skips jose's asynchronous WebCrypto HMAC on every request (about a tenth of the
  // CPU of a checkout). Only successes are kept; the oldest entry goes when the map is full.
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  return {
    ttlSeconds,
    // Signed here, not by jose: jose signs only through WebCrypto, a job on the thread pool that
    // the login bench's core shares with argon2 (41 us of CPU and two thread switches per token,
    // against 11 us for this HMAC). It encodes our own claims only; parsing untrusted tokens
    // stays with jose (verify), and access-tokens.test.ts checks that jose accepts these.
    async sign({ id, role, sid }) {
      const now = Math.floor(options.clock.now().getTime() / 1000);
      const claims = { role, sid, sub: id, iss: ISSUER, aud: AUDIENCE, iat: now, exp: now + ttlSeconds };
      const input = `${HEADER}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
      return `${input}.${createHmac('sha256', signingKey).update(input).digest('base64url')}`;
    },
    async verify(token) {
      const known = verified.get(token);
      if (known) {
        if (options.clock.now().getTime() < known.expiresAtMs) return known.principal;
        verified.delete(token);
        return 'expired';
      }
      try {
        const { payload } = await jwtVerify(token, await key, {
          algorithms: ['HS256'],
          issuer: ISSUER,
          audience: AUDIENCE,
          currentDate: options.clock.now(),
          requiredClaims: ['sub', 'exp', 'iat'],
        });
        const { sub, role, sid, exp } = payload;
        if (typeof sub !== 'string' || typeof sid !== 'string' || !ROLES.includes(role as Role)) return 'invalid';
        const principal: Principal = { id: sub, role: role as Role, sid };
        if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
        verified.set(token, { principal, expiresAtMs: (exp as number) * 1000 });
        return principal;
      } catch (err) {
        return err instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
      }
    },
  };
}

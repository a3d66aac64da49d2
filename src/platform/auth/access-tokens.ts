/**
 * Short-lived access tokens: HS256 JWTs with `sub`, `role` and `sid` claims. Only HS256 is
 * accepted on verify, so `alg: none` and tokens signed with another algorithm are refused.
 */
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
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
/** Verified tokens remembered; a client sends the same token for up to its whole lifetime. */
const VERIFIED_CACHE_SIZE = 10_000;

/** Creates the signer/verifier over one secret. */
export function createAccessTokens(options: { secret: string; ttlMs: number; clock: Clock }): AccessTokens {
  // A WebCrypto key, imported once: jose turns raw bytes and even a node KeyObject of a secret
  // back into bytes and imports them on every sign and verify, which doubled the CPU of a sign.
  const key = crypto.subtle.importKey('raw', Buffer.from(options.secret, 'utf8'), { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  const ttlSeconds = Math.floor(options.ttlMs / 1000);
  // A token's signature and claims never change, so a verified one needs only its expiry checked
  // again. This skips jose's asynchronous WebCrypto HMAC on every request (about a tenth of the
  // CPU of a checkout). Only successes are kept; the oldest entry goes when the map is full.
  const verified = new Map<string, { principal: Principal; expiresAtMs: number }>();
  return {
    ttlSeconds,
    async sign({ id, role, sid }) {
      const now = Math.floor(options.clock.now().getTime() / 1000);
      return new SignJWT({ role, sid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(id)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(await key);
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

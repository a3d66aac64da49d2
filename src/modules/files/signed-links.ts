/**
 * Expiring download links: `/files/:id/content?expires=<unix seconds>&signature=<HMAC-SHA256>`.
 * The key is FILE_LINK_SECRET, or else derived from the JWT secret with HKDF-SHA256 (its own
 * `info`, so a link signature can never double as anything else signed with that secret).
 */
import { createHmac, hkdf, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const hkdfAsync = promisify(hkdf);

export interface LinkSigner {
  sign(fileId: string, expiresAt: number): Promise<string>;
  /** 'ok', 'expired' (valid signature, past its time) or 'invalid' (tampered or foreign). */
  verify(fileId: string, expiresAt: number, signature: string, now: Date): Promise<'ok' | 'expired' | 'invalid'>;
}

/** `secret`: FILE_LINK_SECRET when set; `deriveFrom`: the JWT secret, used through HKDF otherwise. */
export function createLinkSigner(options: { secret: string | undefined; deriveFrom: () => Promise<string> }): LinkSigner {
  let key: Promise<Buffer> | undefined;
  const keyOf = () => {
    key ??= options.secret
      ? Promise.resolve(Buffer.from(options.secret, 'utf8'))
      : options.deriveFrom().then(async (jwt) => Buffer.from(await hkdfAsync('sha256', jwt, 'zaplecze', 'files/signed-links/v1', 32)));
    return key;
  };
  const mac = async (fileId: string, expiresAt: number) =>
    createHmac('sha256', await keyOf())
      .update(`${fileId}\n${expiresAt}`)
      .digest();

  return {
    async sign(fileId, expiresAt) {
      return (await mac(fileId, expiresAt)).toString('base64url');
    },
    async verify(fileId, expiresAt, signature, now) {
      const expected = await mac(fileId, expiresAt);
      const given = Buffer.from(signature, 'base64url');
      // Check the signature first: an expiry can only be trusted once it is known to be ours.
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'invalid';
      return expiresAt * 1000 <= now.getTime() ? 'expired' : 'ok';
    },
  };
}

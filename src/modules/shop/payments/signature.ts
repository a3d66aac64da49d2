/**
 * The sandbox's webhook signature, modelled on Stripe's: `t=<unix seconds>,v1=<hex HMAC-SHA256
 * of "<t>.<raw body>">`, checked in constant time and refused outside the tolerance window so a
 * captured callback cannot be replayed later.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signPayload(payload: string, secret: string, nowSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${nowSeconds}.${payload}`).digest('hex');
  return `t=${nowSeconds},v1=${v1}`;
}

/** True when `header` signs `payload` with `secret` and its time is within `toleranceSeconds` of now. */
export function verifySignature(payload: Buffer, header: string | undefined, secret: string, nowSeconds: number, toleranceSeconds: number) {
  if (!header) return false;
  const parts = new Map<string, string[]>();
  for (const item of header.split(',')) {
    const [k, v] = item.split('=', 2);
    if (k && v) parts.set(k.trim(), [...(parts.get(k.trim()) ?? []), v.trim()]);
  }
  const t = Number(parts.get('t')?.[0]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.`).update(payload).digest();
  return (parts.get('v1') ?? []).some((sig) => {
    const given = Buffer.from(sig, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}

/**
 * NIST SP 800-63B password rules: 8 to 128 characters (counted as Unicode code points), no
 * composition rules, and not one of the ~49k most common passwords (zxcvbn-ts's list).
 */
import { dictionary } from '@zxcvbn-ts/language-common';

const COMMON = new Set((dictionary['passwords-common'] as string[]).filter((p) => p.length >= 8).map((p) => p.toLowerCase()));

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 128;

/** Why a password is refused, or null when it is acceptable. */
export function passwordProblem(password: string, context: { email?: string } = {}): string | null {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return `must be at least ${PASSWORD_MIN} characters`;
  if (length > PASSWORD_MAX) return `must be at most ${PASSWORD_MAX} characters`;
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) return 'is one of the most common passwords; choose another';
  if (context.email && lower === context.email.toLowerCase()) return 'must not be your email address';
  if (/^(.)\1+$/u.test(password)) return 'must not repeat a single character';
  return null;
}

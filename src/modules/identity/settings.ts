/**
 * Accounts' settings: session lifetime, the first admin, and how hard login and the other
 * auth routes are throttled.
 * Composed into the app by src/settings.ts; the module reads them with `identitySettings.read(platform.config)`.
 */
import { type ConfigOf, defineSettings, duration, email, fail, int } from '../../platform/config.js';

/** Every variable the identity module reads. Order is the order of the docs. */
export const identitySettings = defineSettings(
  'identity',
  {
    REFRESH_TOKEN_TTL: {
      doc: 'How long an unused session (refresh token family) stays valid.',
      example: '30d',
      default: '30d',
      parse: duration,
    },
    ADMIN_EMAIL: {
      doc: 'With ADMIN_PASSWORD: create this admin at start, or promote the existing user. Idempotent.',
      example: 'admin@example.com',
      parse: email,
    },
    ADMIN_PASSWORD: {
      doc: 'Password for ADMIN_EMAIL when the account is created (an existing password is left alone).',
      example: 'a-long-admin-passphrase',
      parse: (raw) => (raw.length >= 8 && raw.length <= 128 ? raw : fail('must be 8 to 128 characters')),
    },
    AUTH_RATE_LIMIT_MAX: {
      doc: 'Requests per client IP per minute on each login, register, refresh and reset route.',
      example: '20',
      default: '20',
      parse: int(1, 1_000_000),
    },
    LOGIN_MAX_FAILURES: {
      doc: 'Failed logins per (account, address) before that pair locks for a growing delay; 4x per address locks the address; 20x per account slows it (see Security notes).',
      example: '5',
      default: '5',
      parse: int(1, 1000),
    },
  },
  {
    check: (given) => (given('ADMIN_EMAIL') && !given('ADMIN_PASSWORD') ? ['ADMIN_PASSWORD must be set together with ADMIN_EMAIL'] : []),
  },
);

/** The parsed identity settings. */
export type IdentityConfig = ConfigOf<typeof identitySettings>;

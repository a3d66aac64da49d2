import { describe, expect, it } from 'vitest';
import { ConfigError, type Env, loadConfig, platformSettings } from '../../platform/config.js';
import { identitySettings } from './settings.js';

const GROUPS = [platformSettings, identitySettings] as const;

const problemsOf = (env: Env): string[] => {
  try {
    loadConfig(env, GROUPS);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
};

describe('identity settings', () => {
  it('when nothing is set, then sessions last 30 days and no admin is created', () => {
    const config = loadConfig({}, GROUPS);
    expect(config.REFRESH_TOKEN_TTL).toBe(30 * 86_400_000);
    expect(config.ADMIN_EMAIL).toBeUndefined();
    expect(config.AUTH_RATE_LIMIT_MAX).toBe(20);
  });

  it('when ADMIN_EMAIL is given, then it is trimmed and lower-cased', () => {
    expect(loadConfig({ ADMIN_EMAIL: ' Admin@Example.COM ', ADMIN_PASSWORD: 'long-enough' }, GROUPS).ADMIN_EMAIL).toBe('admin@example.com');
  });

  it('when ADMIN_EMAIL is set without ADMIN_PASSWORD, then the pair is refused', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@example.com' })).toEqual([
      expect.stringMatching(/ADMIN_PASSWORD must be set together with ADMIN_EMAIL/),
    ]);
  });

  it('when ADMIN_PASSWORD is missing and a platform variable is bad too, then both are reported', () => {
    const problems = problemsOf({ ADMIN_EMAIL: 'admin@example.com', PORT: 'abc' });
    expect(problems).toEqual([expect.stringMatching(/^PORT /), expect.stringMatching(/^ADMIN_PASSWORD must be set together/)]);
  });

  it('when the partner ADMIN_PASSWORD is given but invalid, then only its own reason is reported', () => {
    expect(problemsOf({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'short' })).toEqual([
      expect.stringMatching(/^ADMIN_PASSWORD must be 8 to 128 characters/),
    ]);
  });
});

/**
 * The app's composition of settings: each owner's keys come from its own settings file, no key
 * is declared twice, the README shows each key once under its owner, and a module's
 * cross-checks still run when the whole app's configuration is loaded.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ownerHeading } from '../scripts/config-table.js';
import { ConfigError, type Env, platformSettings } from './platform/config.js';
import { loadAppConfig, SETTING_GROUPS, SETTINGS, settingsFileOf } from './settings.js';

const root = new URL('../', import.meta.url);

const problemsOf = (env: Env): string[] => {
  try {
    loadAppConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadAppConfig accepted the environment');
};

describe('app settings', () => {
  it('when the app composes its settings, then the platform comes first and every module with a settings.ts follows, once', () => {
    const modules = readdirSync(new URL('src/modules/', root)).filter((m) => existsSync(new URL(`src/modules/${m}/settings.ts`, root)));
    const owners = SETTING_GROUPS.map((g) => g.owner);
    expect(owners[0]).toBe('platform');
    expect([...owners.slice(1)].sort()).toEqual([...modules].sort());
    expect(new Set(owners).size).toBe(owners.length);
  });

  it.each(SETTING_GROUPS.map((g) => [g.owner, g] as const))(
    "when %s's group is composed, then it is the one its own settings file exports",
    async (owner, group) => {
      const file = settingsFileOf(owner);
      const exported = Object.values(await import(new URL(file, root).href));
      expect(exported, `${file} must export the group of ${owner}`).toContain(group);
    },
  );

  it('when the groups are merged, then no variable is declared twice and every one keeps its declaration', () => {
    const declared = SETTING_GROUPS.flatMap((g) => Object.keys(g.settings));
    expect(declared.length).toBe(new Set(declared).size);
    expect(Object.keys(SETTINGS)).toEqual(declared);
    for (const group of SETTING_GROUPS) for (const [key, setting] of Object.entries(group.settings)) expect(SETTINGS[key]).toBe(setting);
  });

  it('when the platform declares its settings, then no module prefix is among them', () => {
    const modulePrefixes = /^(ADMIN|AUTH|LOGIN|REFRESH|CATALOG|TODO|FILES?|MAX_UPLOAD|CHAT|WEATHER|ORDER|SHOP|PAYMENT|STRIPE|IDEMPOTENCY)_/;
    expect(Object.keys(platformSettings.settings).filter((key) => modulePrefixes.test(key))).toEqual([]);
  });

  it('when the README is generated, then it lists every variable exactly once, under the heading of its owner', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    // The generated part only: other sections (the distributed setup) may name variables too.
    const lines = readme.slice(readme.indexOf('<!-- config-table:start -->'), readme.indexOf('<!-- config-table:end -->')).split('\n');
    expect(lines.length).toBeGreaterThan(1);
    const placed = new Map<string, string[]>();
    let heading = '';
    for (const line of lines) {
      if (/^#{1,6}\s/.test(line)) heading = line.trim();
      const key = /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|/.exec(line)?.[1];
      if (key && key in SETTINGS) placed.set(key, [...(placed.get(key) ?? []), heading]);
    }
    for (const group of SETTING_GROUPS) {
      for (const key of Object.keys(group.settings)) {
        expect(placed.get(key), `README rows of ${key}: regenerate with npm run config:table -- --write`).toEqual([
          ownerHeading(group.owner),
        ]);
      }
    }
  });

  it('when Stripe is chosen with its key but without the webhook secret, then loading the app fails naming STRIPE_WEBHOOK_SECRET', () => {
    expect(problemsOf({ PAYMENT_PROVIDER: 'stripe', STRIPE_SECRET_KEY: 'sk_test_abc' })).toEqual([
      'STRIPE_WEBHOOK_SECRET must be set together with STRIPE_SECRET_KEY (webhooks cannot be verified without it)',
    ]);
  });

  it("when DATABASE_URL (a platform variable) is set without PAYMENT_PROVIDER, then the shop's check refuses it", () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://127.0.0.1/z', JWT_SECRET: 'x'.repeat(32) })).toEqual([
      expect.stringMatching(/^PAYMENT_PROVIDER must be set when DATABASE_URL is/),
    ]);
  });

  it('when every module reads its group, then the loaded app config serves them all', () => {
    const config = loadAppConfig({});
    for (const group of SETTING_GROUPS) expect(() => group.read(config)).not.toThrow();
  });
});

import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  defineSettings,
  durationBetween,
  type Env,
  int,
  loadConfig,
  platformSettings,
  publicUrl,
  type SettingsGroup,
  str,
} from './config.js';

const load = (env: Env) => loadConfig(env, [platformSettings]);

const problemsOf = (env: Env, groups: readonly SettingsGroup[] = [platformSettings]): string[] => {
  try {
    loadConfig(env, groups);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loadConfig accepted the environment');
};

const SECRET = 'x'.repeat(32);

describe('config', () => {
  it('when the environment is empty, then every default applies and optional settings are undefined', () => {
    const config = load({});
    expect(config).toMatchObject({
      PORT: 3000,
      HOST: '0.0.0.0',
      DATA_DIR: resolve('./data'),
      LOG_LEVEL: 'info',
      BODY_LIMIT: 1024 * 1024,
      CORS_ORIGINS: [],
      TRUST_PROXY: false,
      RATE_LIMIT_MAX: 300,
      RATE_LIMIT_WINDOW: 60_000,
      ACCESS_TOKEN_TTL: 15 * 60_000,
      DEPLOYMENT: 'all-in-one',
      SHUTDOWN_TIMEOUT: 10_000,
      REDIS_KEY_PREFIX: 'zaplecze:',
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.REDIS_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config.PUBLIC_URL).toBeUndefined();
    expect(config.METRICS_PORT).toBeUndefined();
    expect(config.METRICS_HOST).toBe('127.0.0.1');
    expect(publicUrl(config)).toBe('http://localhost:3000');
  });

  it('when values are given, then they are parsed into numbers, sizes, durations and origins', () => {
    const config = load({
      PORT: '8080',
      BODY_LIMIT: '512kb',
      RATE_LIMIT_WINDOW: '30s',
      CORS_ORIGINS: 'http://localhost:5173, https://app.example.com/',
      TRUST_PROXY: '2',
      PUBLIC_URL: 'https://api.example.com/',
    });
    expect(config.PORT).toBe(8080);
    expect(config.BODY_LIMIT).toBe(512 * 1024);
    expect(config.RATE_LIMIT_WINDOW).toBe(30_000);
    expect(config.CORS_ORIGINS).toEqual(['http://localhost:5173', 'https://app.example.com']);
    expect(config.TRUST_PROXY).toBe(2);
    expect(publicUrl(config)).toBe('https://api.example.com');
  });

  it('when several variables are bad, then one error names each of them with its reason', () => {
    const problems = problemsOf({
      PORT: 'abc',
      BODY_LIMIT: 'huge',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://localhost/db',
      JWT_SECRET: 'short',
      CORS_ORIGINS: '*',
      SHUTDOWN_TIMEOUT: '10',
    });
    const byName = (name: string) => problems.find((p) => p.startsWith(`${name} `));
    expect(byName('PORT')).toMatch(/whole number.*'abc'/);
    expect(byName('BODY_LIMIT')).toMatch(/size.*'huge'/);
    expect(byName('LOG_LEVEL')).toMatch(/one of .*'loud'/);
    expect(byName('DATABASE_URL')).toMatch(/postgres.*'mysql:'/);
    expect(byName('JWT_SECRET')).toMatch(/at least 32 characters/);
    expect(byName('CORS_ORIGINS')).toMatch(/'\*' is not allowed/);
    expect(byName('SHUTDOWN_TIMEOUT')).toMatch(/duration/);
    expect(problems).toHaveLength(7);
  });

  it('when the error is shown, then its message lists every problem on its own line', () => {
    try {
      load({ PORT: '70000', RATE_LIMIT_MAX: '0' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).toMatch(
        /^Invalid configuration:\n {2}- PORT must be between 0 and 65535, got 70000\n {2}- RATE_LIMIT_MAX/,
      );
    }
  });

  it('when a CORS origin is a URL with a path, then it is refused', () => {
    expect(problemsOf({ CORS_ORIGINS: 'https://app.example.com/login' })).toEqual([
      expect.stringMatching(/^CORS_ORIGINS .*must be an origin/),
    ]);
  });

  it('when a partner variable is given but invalid, then only its own reason is reported', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://127.0.0.1/z', JWT_SECRET: 'short' })).toEqual([
      expect.stringMatching(/^JWT_SECRET must be at least 32 characters/),
    ]);
  });

  it('when DATABASE_URL is set without JWT_SECRET, then JWT_SECRET is demanded', () => {
    expect(problemsOf({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zaplecze' })).toEqual([
      expect.stringMatching(/^JWT_SECRET must be set when DATABASE_URL is/),
    ]);
    expect(load({ DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/zaplecze', JWT_SECRET: SECRET }).JWT_SECRET).toBe(SECRET);
  });

  it('when METRICS_PORT is the public port, then it is refused (metrics never go on the public listener)', () => {
    expect(problemsOf({ METRICS_PORT: '3000' })).toEqual([expect.stringMatching(/^METRICS_PORT must differ from PORT/)]);
    expect(problemsOf({ PORT: '8080', METRICS_PORT: '8080' })).toEqual([expect.stringMatching(/^METRICS_PORT must differ from PORT/)]);
    expect(load({ PORT: '8080', METRICS_PORT: '9464' }).METRICS_PORT).toBe(9464);
    // 0 asks the system for a free port each time, so two zeros never collide.
    expect(load({ PORT: '0', METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it('when the tracing settings are given, then the sampler share is a number from 0 to 1 and the endpoint a URL', () => {
    expect(load({ OTEL_TRACES_SAMPLER_ARG: '0.25' }).OTEL_TRACES_SAMPLER_ARG).toBe(0.25);
    expect(load({}).OTEL_TRACES_SAMPLER).toBe('parentbased_always_on');
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toEqual([
      expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG must be a number from 0 to 1/),
    ]);
    expect(problemsOf({ OTEL_TRACES_SAMPLER_ARG: '-0' })).toEqual([expect.stringMatching(/^OTEL_TRACES_SAMPLER_ARG/)]);
    expect(problemsOf({ OTEL_TRACES_SAMPLER: 'sometimes' })).toEqual([expect.stringMatching(/^OTEL_TRACES_SAMPLER must be one of/)]);
    expect(problemsOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toEqual([expect.stringMatching(/^OTEL_EXPORTER_OTLP_ENDPOINT/)]);
  });

  it('when only one of the S3 keys is set, then the pair is refused', () => {
    expect(problemsOf({ S3_ACCESS_KEY_ID: 'id' })).toEqual([
      expect.stringMatching(/^S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together/),
    ]);
  });

  it('when a variable is an empty or blank string, then it counts as unset', () => {
    const config = load({ PORT: '', DATABASE_URL: '', JWT_SECRET: '  ', LOG_LEVEL: ' ' });
    expect(config.PORT).toBe(3000);
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.JWT_SECRET).toBeUndefined();
    expect(config.LOG_LEVEL).toBe('info');
  });

  it('when loaded, then the result is frozen', () => {
    const config = load({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config as { PORT: number }).PORT = 1;
    }).toThrow(TypeError);
  });

  it('when a duration is outside its bounds, then the refusal names the bounds as written', () => {
    expect(() => durationBetween('100ms', '10m')('11m')).toThrow(/^must be between 100ms and 10m$/);
    expect(() => durationBetween('1s')('999ms')).toThrow(/^must be at least 1s$/);
    expect(durationBetween('100ms', '10m')('10m')).toBe(600_000);
    expect(() => durationBetween('1s')('soon')).toThrow(/must be a duration like/);
  });
});

describe('settings groups', () => {
  const greetings = defineSettings(
    'greetings',
    {
      GREETING: { doc: 'What to say.', example: 'hello', default: 'hello', parse: str },
      GREETING_REPEAT: { doc: 'How often.', example: '2', parse: int(1, 5) },
    },
    // Reads another group's variable from the raw environment, as a module's check may.
    {
      check: (given, env) => (given('DATABASE_URL') && env.GREETING?.trim() === 'hi' ? ['GREETING must be formal with DATABASE_URL'] : []),
    },
  );

  it('when several groups are loaded, then one object holds every key, typed per group', () => {
    const config = loadConfig({ GREETING_REPEAT: '3' }, [platformSettings, greetings]);
    expect(config.PORT).toBe(3000);
    expect(config.GREETING).toBe('hello');
    expect(config.GREETING_REPEAT).toBe(3);
  });

  it("when a group's check fails on another group's variable, then it is reported after every parser's problems", () => {
    expect(
      problemsOf({ GREETING: 'hi', PORT: 'abc', DATABASE_URL: 'postgres://h/db', JWT_SECRET: SECRET }, [greetings, platformSettings]),
    ).toEqual([expect.stringMatching(/^PORT must be a whole number/), 'GREETING must be formal with DATABASE_URL']);
  });

  it("when a group's variable is bad, then it is named like a platform one", () => {
    expect(problemsOf({ GREETING_REPEAT: '9' }, [platformSettings, greetings])).toEqual(['GREETING_REPEAT must be between 1 and 5, got 9']);
  });

  it('when two groups declare the same variable, then loading throws naming both owners', () => {
    const clash = defineSettings('clash', { PORT: { doc: 'Mine.', example: '1', parse: str } });
    expect(() => loadConfig({}, [platformSettings, clash])).toThrow(/PORT is declared by both platform and clash/);
  });

  it('when an owner reads its group from a loaded config, then it gets the same object with its keys', () => {
    const config = loadConfig({}, [platformSettings, greetings]);
    const mine = greetings.read(config);
    expect(mine).toBe(config);
    expect(mine.GREETING).toBe('hello');
  });

  it('when an owner reads a group that was not loaded, then it throws instead of handing out undefined', () => {
    expect(() => greetings.read(load({}))).toThrow(/settings of greetings were not loaded \(missing GREETING, GREETING_REPEAT\)/);
  });
});

import { Writable } from 'node:stream';
import { sql } from 'drizzle-orm';
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../test/test-app.js';
import { DEPLOYMENTS } from '../deployments.js';
import { newId } from './ids.js';
import { createLogger, testing } from './log.js';
import type { ModuleFactory } from './platform.js';

/** A stream that keeps what is written; `isTTY` pretends to be a terminal. */
function captureStream(isTTY = false) {
  const lines: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => lines.join('') };
}

describe('logger redaction', () => {
  it('when a body or headers with secrets are logged, then the secrets are replaced', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = createLogger('info', sink);
    log.child({ reqId: 'r1' }).info(
      {
        body: {
          email: 'a@b.co',
          password: 'hunter22',
          currentPassword: 'old-secret',
          newPassword: 'new-secret',
          refreshToken: 'rt',
          token: 'tk',
        },
        headers: { authorization: 'Bearer abc', cookie: 'sid=1' },
        req: { headers: { authorization: 'Bearer def', cookie: 'sid=2' } },
      },
      'logged',
    );
    const text = lines.join('');
    for (const secret of ['hunter22', 'old-secret', 'new-secret', '"rt"', '"tk"', 'Bearer abc', 'Bearer def', 'sid=1', 'sid=2']) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('a@b.co');
    expect(text).toContain('"reqId":"r1"');
  });
});

describe('database errors in the log', () => {
  const capture = () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    return { lines, log: createLogger('info', sink) };
  };

  it('when a wrapped PostgreSQL error is logged, then no bound parameter or row value appears, but the SQLSTATE and constraint do', () => {
    const pgError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
      code: '23505',
      detail: 'Key (email)=(victim@example.com) already exists.',
      constraint: 'users_email_key',
    });
    const wrapped = new DrizzleQueryError(
      'insert into "users" ("email", "hash") values ($1, $2)',
      ['victim@example.com', 'multi\nline $argon2id$hash'],
      pgError,
    );
    const { lines, log } = capture();
    log.error({ err: wrapped }, 'request failed');
    const text = lines.join('');
    for (const secret of ['victim@example.com', 'argon2id', 'multi']) expect(text).not.toContain(secret);
    const entry = JSON.parse(lines[0] as string);
    expect(entry.err).toMatchObject({
      type: 'DrizzleQueryError',
      query: 'insert into "users" ("email", "hash") values ($1, $2)',
      sqlState: '23505',
      constraint: 'users_email_key',
      databaseMessage: 'duplicate key value violates unique constraint "users_email_key"',
    });
    expect(entry.err.stack).toContain('params: [redacted]');
  });

  it('when something other than an error is logged under err, then it is left as it is', () => {
    const { lines, log } = capture();
    log.warn({ err: { reason: 'plain' } }, 'odd');
    expect(JSON.parse(lines[0] as string).err).toEqual({ reason: 'plain' });
  });

  it('when a failing insert and a failing cast answer 500 in the app, then the logs hold no parameter of either', async () => {
    const { lines, log } = capture();
    const secretEmail = `leak-${Date.now()}@secret.test`;
    const secretHash = '$argon2id$v=19$m=19456,t=2,p=1$c2VjcmV0LXNhbHQ$secret-hash-value';
    const secretToken = 'not-a-uuid-secret-token-value';
    const leakyModule: ModuleFactory = (platform) => ({
      name: 'leaky-test',
      routes: async (app) => {
        app.post('/leaky/insert', { config: { access: 'public' }, schema: { hide: true } }, async () => {
          const insert = () =>
            platform.db.execute(sql`insert into identity.users (id, email, name, password_hash, created_at, updated_at)
              values (${newId()}, ${secretEmail}, 'Leak', ${secretHash}, now(), now())`);
          await insert();
          await insert();
          return {};
        });
        app.post('/leaky/cast', { config: { access: 'public' }, schema: { hide: true } }, async () => {
          await platform.db.execute(sql`select ${secretToken}::uuid`);
          return {};
        });
      },
    });
    const t = await createTestApp({ log, modules: [...DEPLOYMENTS['all-in-one'].modules, leakyModule] });
    try {
      const insert = await t.request({ method: 'POST', url: '/api/v1/leaky/insert' });
      const cast = await t.request({ method: 'POST', url: '/api/v1/leaky/cast' });
      expect([insert.statusCode, cast.statusCode]).toEqual([500, 500]);
    } finally {
      await t.close();
    }
    const failures = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request failed');
    expect(failures.map((f) => f.err.sqlState)).toEqual(['23505', '22P02']);
    const text = lines.join('');
    for (const secret of [secretEmail, 'secret-hash-value', secretToken]) expect(text).not.toContain(secret);
  });
});

describe('log format', () => {
  it('when the format is pretty, then records are readable lines, not JSON, and secrets stay redacted', () => {
    const out = captureStream();
    createLogger('info', out.stream, 'pretty').info({ body: { password: 'hunter22' } }, 'hello people');
    const text = out.text();
    expect(text).toContain('hello people');
    expect(text).toContain('INFO');
    expect(text).not.toContain('hunter22');
    expect(() => JSON.parse(text.split('\n')[0] ?? '')).toThrow();
  });

  it('when the format is auto and the output is not a terminal, then records are JSON lines', () => {
    const out = captureStream(false);
    createLogger('info', out.stream, 'auto').info('for machines');
    expect(JSON.parse(out.text().trim())).toMatchObject({ level: 30, msg: 'for machines' });
  });

  it('when the format is auto and the output is a terminal, then records are pretty', () => {
    const out = captureStream(true);
    createLogger('info', out.stream, 'auto').info('for people');
    expect(out.text()).toContain('for people');
    expect(() => JSON.parse(out.text().trim())).toThrow();
  });

  it('when pino-pretty is not installed (production), then no pretty stream is made and JSON is used', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module 'pino-pretty'"), { code: 'MODULE_NOT_FOUND' });
    };
    expect(testing.openPrettyStream(captureStream(true).stream, missing)).toBeUndefined();
  });

  it('when pino-pretty fails to load for another reason, then the error is not hidden', () => {
    const broken = () => {
      throw new Error('syntax error in pino-pretty');
    };
    expect(() => testing.openPrettyStream(captureStream(true).stream, broken)).toThrow(/syntax error/);
  });
});

import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, testing } from './log.js';

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

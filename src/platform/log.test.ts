import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './log.js';

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

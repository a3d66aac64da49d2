import { Writable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import { describe, expect, it } from 'vitest';
import { createTestApp } from '../../../test/test-app.js';
import { createLogger } from '../log.js';
import type { ModuleFactory } from '../platform.js';

const whoAmI: ModuleFactory = () => ({
  name: 'who-am-i-test',
  routes: async (app) => {
    app.get(
      '/who-am-i',
      { config: { access: 'public' }, schema: { response: { 200: Type.Object({ ip: Type.String() }) } } },
      async (request) => ({
        ip: request.ip,
      }),
    );
  },
});

async function startWith(trustProxy: string) {
  const lines: { level: number; msg: string }[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const t = await createTestApp({ env: { TRUST_PROXY: trustProxy }, modules: [whoAmI], log: createLogger('info', sink) });
  const ipFor = async (forwardedFor: string) =>
    (
      await t.request({ method: 'GET', url: '/api/v1/who-am-i', remoteAddress: '10.0.0.2', headers: { 'x-forwarded-for': forwardedFor } })
    ).json().ip;
  return { t, ipFor, warnings: () => lines.filter((l) => l.level === 40 && /TRUST_PROXY=/.test(l.msg)) };
}

describe('TRUST_PROXY', () => {
  it('when it is true, then the start warns, since any client can claim any address', async () => {
    const { t, ipFor, warnings } = await startWith('true');
    try {
      expect(warnings()).toHaveLength(1);
      expect(await ipFor('198.51.100.66, 10.0.0.1')).toBe('198.51.100.66');
    } finally {
      await t.close();
    }
  });

  it('when it lists the proxy address, then there is no warning and a client cannot forge its address past the proxy', async () => {
    const { t, ipFor, warnings } = await startWith('10.0.0.2');
    try {
      expect(warnings()).toEqual([]);
      // The proxy appends the address it saw; whatever the client wrote before it is ignored.
      expect(await ipFor('198.51.100.66, 203.0.113.9')).toBe('203.0.113.9');
    } finally {
      await t.close();
    }
  });

  it('when it is a hop count, then the start warns, since Fastify ignores it and every client gets the proxy address', async () => {
    const { t, ipFor, warnings } = await startWith('1');
    try {
      expect(warnings()).toHaveLength(1);
      expect(await ipFor('203.0.113.9')).toBe('10.0.0.2');
    } finally {
      await t.close();
    }
  });
});

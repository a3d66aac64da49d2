import { Writable } from 'node:stream';
import { Type } from '@fastify/type-provider-typebox';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { DEPLOYMENTS } from '../../deployments.js';
import type { ModuleFactory } from '../platform.js';
import { AppError } from './errors.js';

/** Test-only routes that fail the ways real code can. */
const failingModule: ModuleFactory = () => ({
  name: 'failing-test',
  routes: async (app) => {
    app.get('/boom', { config: { access: 'public' } }, async () => {
      throw new Error('secret internals: password=hunter2 at /srv/app/db.ts:42');
    });
    // An extension member named like a standard one, as the shop once sent an order's status.
    app.get('/clash', { config: { access: 'public' } }, async () => {
      throw new AppError('CLASH', 422, 'Clash', 'Extras name standard members', { status: 'paid', code: 'OTHER', orderStatus: 'paid' });
    });
    app.post(
      '/echo',
      {
        config: { access: 'public' },
        schema: {
          body: Type.Object({ text: Type.String() }, { additionalProperties: false }),
          response: { 200: Type.Object({ text: Type.String() }) },
        },
      },
      async (request) => request.body,
    );
  },
});

describe('HTTP errors as problem details', () => {
  let t: TestApp;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    t = await createTestApp({
      env: { BODY_LIMIT: '1kb' },
      modules: [...DEPLOYMENTS['all-in-one'].modules, failingModule],
      log: pino({ level: 'info' }, sink),
    });
  });
  afterAll(() => t.close());

  const expectProblem = (res: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) => {
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ status, code, type: expect.stringMatching(/^\/problems\//), title: expect.any(String) });
  };

  it('when an error carries an extension member named like a standard one, then the standard member wins', async () => {
    const res = await t.request({ method: 'GET', url: '/api/v1/clash', contract: false });
    expectProblem(res, 422, 'CLASH');
    expect(res.json()).toMatchObject({ orderStatus: 'paid' });
  });

  it('when a JSON body is over BODY_LIMIT, then 413 problem details', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/echo', payload: { text: 'x'.repeat(2000) } });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('when a body just under BODY_LIMIT is sent, then it is accepted', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/echo', payload: { text: 'x'.repeat(900) } });
    expect(res.statusCode).toBe(200);
  });

  it('when a JSON route gets a text/plain body, then 415 problem details', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/echo',
      payload: 'text=hello',
      headers: { 'content-type': 'text/plain' },
    });
    expectProblem(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('when the JSON is malformed, then 400 problem details with code MALFORMED_JSON', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/api/v1/echo',
      payload: '{"text": "unterminated',
      headers: { 'content-type': 'application/json' },
    });
    expectProblem(res, 400, 'MALFORMED_JSON');
  });

  it('when a JSON body is empty, then 400 problem details', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/echo', payload: '', headers: { 'content-type': 'application/json' } });
    expectProblem(res, 400, 'BAD_REQUEST');
  });

  it('when a field has the wrong type, then 400 VALIDATION_FAILED with its path', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/echo', payload: { text: { nested: true } } });
    expectProblem(res, 400, 'VALIDATION_FAILED');
    expect(res.json().errors).toEqual([{ path: '/text', message: expect.any(String) }]);
  });

  it('when a method is not routed, then a problem document, not the framework default', async () => {
    const res = await t.request({ method: 'DELETE', url: '/api/v1/echo' });
    expectProblem(res, 404, 'NOT_FOUND');
  });

  it('when a route throws a plain Error, then 500 problem details without the message or stack, and the log has both with the request id', async () => {
    lines.length = 0;
    const res = await t.request({ method: 'GET', url: '/api/v1/boom', contract: false, headers: { 'x-request-id': 'boom-trace' } });
    expectProblem(res, 500, 'INTERNAL');
    expect(res.json()).toEqual({
      type: '/problems/internal',
      title: 'Internal server error',
      status: 500,
      detail: expect.any(String),
      code: 'INTERNAL',
      instance: 'boom-trace',
    });
    expect(res.body).not.toMatch(/secret internals|hunter2|db\.ts|at /);

    const logged = lines.find((l) => l.level === 50);
    expect(logged).toMatchObject({
      reqId: 'boom-trace',
      err: { message: expect.stringContaining('secret internals'), stack: expect.stringContaining('Error') },
    });
  });

  it('when a request is logged, then every line of it carries the request id', async () => {
    lines.length = 0;
    await t.request({ method: 'GET', url: '/api/v1/boom', contract: false, headers: { 'x-request-id': 'every-line' } });
    const ofRequest = lines.filter((l) => l.err !== undefined || l.msg === 'request completed');
    expect(ofRequest.length).toBeGreaterThanOrEqual(2);
    for (const line of ofRequest) expect(line.reqId).toBe('every-line');
  });

  it('when a request completes, then one access line is logged without the query string', async () => {
    lines.length = 0;
    await t.request({
      method: 'GET',
      url: '/api/v1/boom?signature=do-not-log-me',
      contract: false,
      headers: { 'x-request-id': 'access-line' },
    });
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access).toHaveLength(1);
    expect(access[0]).toMatchObject({ reqId: 'access-line', method: 'GET', path: '/api/v1/boom', statusCode: 500 });
    expect(JSON.stringify(lines)).not.toContain('do-not-log-me');
  });
});

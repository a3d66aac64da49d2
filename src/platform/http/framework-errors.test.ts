/**
 * Answers that Fastify or Node give before any route runs are problem documents too: an
 * over-long path parameter (414), an undecodable URL, headers over the limit (431), malformed
 * HTTP.
 */
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const rawRequest = (port: number, request: string) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(request));
    let answer = '';
    socket.on('data', (d) => (answer += d.toString()));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });

const problemOf = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

describe('framework errors as problem details', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close().catch(() => {});
    t = undefined;
  });

  it('when a path parameter is over the length limit, then 414 URI_TOO_LONG as problem+json', async () => {
    t = await createTestApp();
    const res = await t.request({ method: 'GET', url: `/api/v1/products/${'a'.repeat(300)}` });
    expect(res.statusCode).toBe(414);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 414, code: 'URI_TOO_LONG', instance: expect.any(String) });
  });

  it('when a URL cannot be decoded, then 400 as problem+json', async () => {
    t = await createTestApp();
    const res = await t.request({ method: 'GET', url: '/api/v1/products/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('when the headers are too large or the HTTP is malformed, then Node’s parser error is a problem document', async () => {
    t = await createTestApp();
    await t.http.listen({ host: '127.0.0.1', port: 0 });
    const { port } = t.http.server.address() as { port: number };
    const big = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(big).toMatch(/^HTTP\/1\.1 431 /);
    expect(big).toContain('application/problem+json');
    expect(problemOf(big)).toMatchObject({ status: 431, code: 'REQUEST_HEADER_FIELDS_TOO_LARGE' });
    const malformed = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost x\r\n\r\n');
    expect(malformed).toMatch(/^HTTP\/1\.1 400 /);
    expect(problemOf(malformed)).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });
});

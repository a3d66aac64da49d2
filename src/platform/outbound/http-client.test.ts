import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import { compileDecoder } from './decode.js';
import { createOutboundClient, createUpstreamBreaker, type OutboundClientOptions } from './http-client.js';
import { OutboundError, parseRetryAfter } from './outbound-error.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let handler: Handler;
const seen: { method: string; url: string; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/things`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});
beforeEach(() => {
  seen.length = 0;
});

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Handler => {
  return (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
};
/** Answers each request with the next handler; the last one repeats. */
const sequence = (...handlers: Handler[]): Handler => {
  let i = 0;
  return (req, res) => (handlers[Math.min(i++, handlers.length - 1)] as Handler)(req, res);
};

const Thing = Type.Object({ id: Type.Integer(), name: Type.String() });
const decode = compileDecoder(Thing);
const silent = { warn() {}, debug() {}, info() {} };

function makeClient(overrides: Partial<OutboundClientOptions> = {}) {
  const clock = createFakeClock();
  const waits: number[] = [];
  const breaker = createUpstreamBreaker({ name: 'things', clock, failureThreshold: 5, cooldownMs: 30_000, log: silent });
  const client = createOutboundClient({
    name: 'things',
    baseUrl,
    timeoutMs: 300,
    retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 2000 },
    breaker,
    log: silent,
    sleep: async (ms) => {
      waits.push(ms);
    },
    now: () => clock.now().getTime(),
    ...overrides,
  });
  return { client, breaker, clock, waits };
}

const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => expect.unreachable('the call succeeded'),
    (err: unknown) => {
      expect(err).toBeInstanceOf(OutboundError);
      return err as OutboundError;
    },
  );

describe('outbound client', () => {
  it('when the upstream answers valid JSON, then it is decoded and the query is built from params only', async () => {
    handler = json(200, { id: 1, name: 'one', extra: true });
    const { client } = makeClient();
    const res = await client.request({ path: ['a b', 'ż'], query: { q: 'x&host=evil.example', n: 2, skip: undefined }, decode });
    expect(res.body).toEqual({ id: 1, name: 'one', extra: true });
    expect(seen[0]?.url).toBe('/v1/things/a%20b/%C5%BC?q=x%26host%3Devil.example&n=2');
  });

  it('when a path segment is a dot segment, then the request is refused before it leaves', async () => {
    handler = json(200, { id: 1, name: 'one' });
    const { client } = makeClient();
    await expect(client.request({ path: ['..'], decode })).rejects.toThrow(/not allowed/);
    await expect(client.request({ path: ['%2e%2E'], decode })).rejects.toThrow(/not allowed/);
    expect(seen).toHaveLength(0);
  });

  it('when the upstream fails with 5xx then recovers, then the call is retried and succeeds', async () => {
    handler = sequence(json(503, { error: 'busy' }), json(500, {}), json(200, { id: 2, name: 'two' }));
    const { client, waits } = makeClient();
    expect((await client.request({ decode })).body.id).toBe(2);
    expect(seen).toHaveLength(3);
    expect(waits).toHaveLength(2);
  });

  it('when the upstream answers 4xx, then it fails at once with the status and body', async () => {
    handler = json(404, { error: 'no such thing' });
    const { client } = makeClient();
    const err = await failure(client.request({ decode }));
    expect(err).toMatchObject({ kind: 'status', status: 404, details: { body: { error: 'no such thing' } } });
    expect(seen).toHaveLength(1);
  });

  it('when a POST fails with 5xx, then it is not retried unless marked idempotent', async () => {
    handler = json(502, {});
    const { client } = makeClient();
    await failure(client.request({ method: 'POST', json: { a: 1 }, decode }));
    expect(seen).toHaveLength(1);
    expect(seen[0]?.body).toBe('{"a":1}');
    await failure(client.request({ method: 'POST', form: new URLSearchParams({ a: '1' }), idempotent: true, decode }));
    expect(seen).toHaveLength(4);
  });

  it('when the body does not match the schema, then it fails as bad-response without retrying', async () => {
    handler = json(200, { id: 'one' });
    const { client } = makeClient();
    const err = await failure(client.request({ decode }));
    expect(err.kind).toBe('bad-response');
    expect(err.message).toMatch(/\/id/);
    expect(seen).toHaveLength(1);
  });

  it('when the body is not JSON, then it fails as bad-response', async () => {
    handler = (_req, res) => res.end('<html>oops</html>');
    const { client } = makeClient();
    expect((await failure(client.request({ decode }))).kind).toBe('bad-response');
  });

  it('when the body is larger than allowed, then it fails as bad-response', async () => {
    handler = json(200, { id: 1, name: 'x'.repeat(5000) });
    const { client } = makeClient({ maxBodyBytes: 1000 });
    expect((await failure(client.request({ decode }))).kind).toBe('bad-response');
  });

  it('when the upstream never answers, then each attempt times out and the call fails as timeout', async () => {
    handler = () => {};
    const { client } = makeClient({ timeoutMs: 50, retry: { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } });
    const err = await failure(client.request({ decode }));
    expect(err.kind).toBe('timeout');
    expect(seen).toHaveLength(2);
  });

  it('when nothing listens, then it fails as a network error', async () => {
    const { client } = makeClient({ baseUrl: 'http://127.0.0.1:1/nothing' });
    expect((await failure(client.request({ decode }))).kind).toBe('network');
  });

  it('when the upstream redirects, then the redirect is not followed', async () => {
    handler = (_req, res) => {
      res.writeHead(302, { location: 'http://127.0.0.2/elsewhere' });
      res.end();
    };
    const { client } = makeClient({ retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 0 } });
    expect((await failure(client.request({ decode }))).kind).toBe('network');
    expect(seen).toHaveLength(1);
  });

  it('when the upstream answers 429 with a short Retry-After, then it waits exactly that and retries', async () => {
    handler = sequence(json(429, {}, { 'retry-after': '1' }), json(200, { id: 3, name: 'three' }));
    const { client, waits } = makeClient();
    expect((await client.request({ decode })).body.id).toBe(3);
    expect(waits).toEqual([1000]);
  });

  it('when the upstream answers 429 with a long Retry-After, then it fails at once and the breaker refuses calls until then', async () => {
    handler = json(429, {}, { 'retry-after': '120' });
    const { client, breaker, clock } = makeClient();
    const err = await failure(client.request({ decode }));
    expect(err).toMatchObject({ kind: 'rate-limited', retryAfterMs: 120_000 });
    expect(seen).toHaveLength(1);
    const refused = await failure(client.request({ decode }));
    expect(refused).toMatchObject({ kind: 'circuit-open', retryAfterMs: 120_000 });
    expect(seen).toHaveLength(1);
    handler = json(200, { id: 4, name: 'four' });
    clock.advance(120_000);
    expect((await client.request({ decode })).body.id).toBe(4);
    expect(breaker.state()).toBe('closed');
  });

  it('when failures reach the threshold, then the breaker opens and calls fail fast without reaching the upstream', async () => {
    handler = json(500, {});
    const { client, breaker } = makeClient();
    expect((await failure(client.request({ decode }))).kind).toBe('status');
    expect(breaker.state()).toBe('closed');
    // Attempts 4 and 5 fail; the 5th consecutive fault opens the circuit, so the 6th is refused.
    expect((await failure(client.request({ decode }))).kind).toBe('circuit-open');
    expect(seen).toHaveLength(5);
    expect(breaker.state()).toBe('open');
    const err = await failure(client.request({ decode }));
    expect(err.kind).toBe('circuit-open');
    expect(err.retryAfterMs).toBe(30_000);
    expect(seen).toHaveLength(5);
  });

  it('when Retry-After is an HTTP date, then it is read relative to now', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChat, handshakeStatus, listen, ticketFor } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

const ALLOWED_ORIGIN = 'https://app.example.com';

describe('chat socket handshake: refused with an HTTP status before any upgrade', () => {
  let t: TestApp;
  let base: string;
  let u: TestUser;

  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGINS: ALLOWED_ORIGIN } });
    base = await listen(t);
    u = await t.createUser();
  });
  afterAll(() => t.close());

  it('when no credential is given, then 401', async () => {
    expect(await handshakeStatus(base, {})).toBe(401);
  });

  it('when the ticket or the bearer subprotocol token is made up, then 401', async () => {
    expect(await handshakeStatus(base, { ticket: 'not-a-ticket' })).toBe(401);
    expect(await handshakeStatus(base, { token: 'eyJhbGciOiJIUzI1NiJ9.e30.bad' })).toBe(401);
  });

  it('when a ticket is used a second time, then 401', async () => {
    const ticket = await ticketFor(t, u);
    expect(await handshakeStatus(base, { ticket })).toBe(101);
    expect(await handshakeStatus(base, { ticket })).toBe(401);
  });

  it('when the ticket is older than 30 s, then 401', async () => {
    const ticket = await ticketFor(t, u);
    t.clock.advance(31_000);
    expect(await handshakeStatus(base, { ticket })).toBe(401);
  });

  it('when the access token in the subprotocol has expired, then 401; a fresh one opens the socket', async () => {
    const fresh = await t.createUser();
    expect(await handshakeStatus(base, { token: fresh.token })).toBe(101);
    t.clock.advance(16 * 60_000);
    expect(await handshakeStatus(base, { token: fresh.token })).toBe(401);
  });

  it('when the access token belongs to a revoked session, then 401', async () => {
    const user = await t.createUser();
    const out = await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: user.token });
    expect(out.statusCode).toBe(204);
    expect(await handshakeStatus(base, { token: user.token })).toBe(401);
  });

  it('when a ticket is issued, then the answer may not be cached', async () => {
    const res = await t.request({ method: 'POST', url: '/api/v1/chat/ticket', token: (await t.createUser()).token });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('when the session logs out between ticket and upgrade, then the ticket is refused with 401', async () => {
    const user = await t.createUser();
    const ticket = await ticketFor(t, user);
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: user.token })).statusCode).toBe(204);
    expect(await handshakeStatus(base, { ticket })).toBe(401);
  });

  it('when the browser Origin is not in CORS_ORIGINS, then 403 even with a valid ticket', async () => {
    expect(await handshakeStatus(base, { ticket: await ticketFor(t, await t.createUser()), origin: 'https://evil.example' })).toBe(403);
  });

  it('when the Origin is allowed or absent (not a browser), then the socket opens and greets the user', async () => {
    const fresh = await t.createUser();
    expect(await handshakeStatus(base, { ticket: await ticketFor(t, fresh), origin: ALLOWED_ORIGIN })).toBe(101);
    const client = await connectChat(t, base, fresh);
    expect(client.frames[0]).toEqual({ type: 'welcome', userId: fresh.id });
    expect(client.ws.protocol).toBe('zaplecze.chat.v1');
    await client.close();
  });

  it('when asked for the protocol, then /asyncapi.json describes it and the OpenAPI description links it', async () => {
    const res = await t.request({ method: 'GET', url: '/asyncapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json();
    expect(doc.asyncapi).toBe('3.0.0');
    expect(doc.channels.chat.address).toBe('/api/v1/chat/ws');
    const names = Object.values(doc.channels.chat.messages).map((m) => (m as { name: string }).name);
    expect(names).toEqual(expect.arrayContaining(['subscribe', 'message (send)', 'message', 'ack', 'presence', 'typing', 'read', 'error']));
    const openapi = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    expect(openapi.info.description).toContain('/asyncapi.json');
  });
});

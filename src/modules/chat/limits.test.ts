import { afterEach, describe, expect, it } from 'vitest';
import {
  type ChatClient,
  connectChat,
  createRoom,
  handshakeStatus,
  listen,
  refusedHandshake,
  say,
  subscribe,
  ticketFor,
  waitFor,
} from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

// Each test builds an app with its own limits inside the test: give that room on a loaded machine.
describe('chat limits and disconnects', { timeout: 60_000 }, () => {
  let t: TestApp | undefined;
  const clients: ChatClient[] = [];
  afterEach(async () => {
    for (const c of clients.splice(0)) c.ws.terminate();
    await t?.close();
    t = undefined;
  });
  const track = (c: ChatClient) => {
    clients.push(c);
    return c;
  };

  it('when a connection sends faster than CHAT_RATE_LIMIT (burst twice that), then the extra frames get RATE_LIMITED and are dropped', async () => {
    // The test clock stands still, so the bucket does not refill during the test.
    t = await createTestApp({ env: { CHAT_RATE_LIMIT: '2' } });
    const base = await listen(t);
    const a = await t.createUser();
    const room = await createRoom(t, a);
    const alice = track(await connectChat(t, base, a));
    for (let i = 0; i < 5; i++) alice.send({ type: 'message', room, text: `m${i}`, clientId: `rl-${i}` });
    expect(await alice.next({ type: 'error', code: 'RATE_LIMITED' })).toBeTruthy();
    await waitFor(() => alice.all({ type: 'ack' }).length === 4, '4 acks');
    expect(alice.all({ type: 'ack' }).map((f) => f.clientId)).toEqual(['rl-0', 'rl-1', 'rl-2', 'rl-3']);
    t.clock.advance(1000);
    expect(await say(alice, room, 'after a second', 'rl-later')).toMatchObject({ type: 'ack' });
  });

  it('when a connection subscribes to more rooms than CHAT_MAX_ROOMS_PER_CONNECTION, then ROOM_LIMIT_REACHED', async () => {
    t = await createTestApp({ env: { CHAT_MAX_ROOMS_PER_CONNECTION: '2', CHAT_RATE_LIMIT: '1000' } });
    const base = await listen(t);
    const a = await t.createUser();
    const rooms = [await createRoom(t, a), await createRoom(t, a), await createRoom(t, a)];
    const alice = track(await connectChat(t, base, a));
    await subscribe(alice, rooms[0] as string);
    await subscribe(alice, rooms[1] as string);
    alice.send({ type: 'subscribe', room: rooms[2] });
    expect(await alice.next({ type: 'error', room: rooms[2] })).toMatchObject({ code: 'ROOM_LIMIT_REACHED' });
    alice.send({ type: 'unsubscribe', room: rooms[0] });
    expect(await alice.next({ type: 'unsubscribed', room: rooms[0] })).toMatchObject({ reason: 'requested' });
    await subscribe(alice, rooms[2] as string);
  });

  it('when a subscriber stops reading, then it is disconnected with 1013 once its send buffer passes CHAT_MAX_BUFFERED_BYTES', async () => {
    t = await createTestApp({ env: { CHAT_MAX_BUFFERED_BYTES: '64kb', CHAT_RATE_LIMIT: '100000' } });
    const base = await listen(t);
    const [a, b] = [await t.createUser(), await t.createUser()];
    const room = await createRoom(t, a, { members: [b] });
    const alice = track(await connectChat(t, base, a));
    const slow = track(await connectChat(t, base, b));
    await subscribe(alice, room);
    await subscribe(slow, room);
    await alice.next({ type: 'presence.join', userId: b.id });
    slow.ws.pause();
    // Kernel socket buffers absorb the first megabytes; the server notices once its own buffer grows.
    const text = 'x'.repeat(4000);
    let sent = 0;
    while (alice.all({ type: 'presence.leave', userId: b.id }).length === 0) {
      if (sent >= 6000) throw new Error('the slow subscriber was never disconnected');
      for (let i = 0; i < 50; i++) alice.send({ type: 'message', room, text, clientId: `slow-${sent++}` });
      await alice.next({ type: 'ack', clientId: `slow-${sent - 1}` });
    }
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(1013);
    expect(slow.all({ type: 'message' }).length).toBeLessThan(sent);
    // The fast reader is unaffected.
    expect(await say(alice, room, 'still here', 'slow-after')).toMatchObject({ type: 'ack' });
  });

  it('when a user has CHAT_MAX_CONNECTIONS_PER_USER sockets open, then one more is refused with 429 before the upgrade until one closes', async () => {
    const app = await createTestApp({ env: { CHAT_MAX_CONNECTIONS_PER_USER: '2' } });
    t = app;
    const base = await listen(app);
    const [u, other] = [await app.createUser(), await app.createUser()];
    const first = track(await connectChat(t, base, u));
    track(await connectChat(t, base, u));
    const refused = await refusedHandshake(base, { ticket: await ticketFor(t, u) });
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body).toMatchObject({ status: 429, code: 'CHAT_TOO_MANY_CONNECTIONS', limit: 2 });
    // The bearer subprotocol counts the same way; another user is not affected.
    expect(await handshakeStatus(base, { token: u.token })).toBe(429);
    track(await connectChat(t, base, other));
    // Closing one socket gives its slot back.
    await first.close();
    await waitFor(async () => (await handshakeStatus(base, { ticket: await ticketFor(app, u) })) === 101, 'a freed slot');
  });

  it('when a socket is refused for lack of credentials, then it takes no slot; kicked sockets give theirs back', async () => {
    t = await createTestApp({ env: { CHAT_MAX_CONNECTIONS_PER_USER: '1' } });
    const base = await listen(t);
    const u = await t.createUser();
    expect(await handshakeStatus(base, { ticket: 'made-up' })).toBe(401);
    const s = track(await connectChat(t, base, u));
    expect(await handshakeStatus(base, { token: u.token })).toBe(429);
    s.ws.terminate();
    await waitFor(async () => (await handshakeStatus(base, { token: u.token })) === 101, 'the slot of a dropped socket');
  });

  it('when an admin disables a user, then their open sockets are closed with 1008 at once', async () => {
    t = await createTestApp();
    const base = await listen(t);
    const u = await t.createUser();
    const s1 = track(await connectChat(t, base, u));
    const s2 = track(await connectChat(t, base, u));
    const admin = await t.admin();
    const res = await t.request({ method: 'PATCH', url: `/api/v1/admin/users/${u.id}`, token: admin.token, payload: { disabled: true } });
    expect(res.statusCode).toBe(200);
    expect(await s1.closed).toMatchObject({ code: 1008 });
    expect(await s2.closed).toMatchObject({ code: 1008 });
  });

  it('when a peer stops answering pings, then the heartbeat drops it', async () => {
    t = await createTestApp({ env: { CHAT_HEARTBEAT_INTERVAL: '100ms' } });
    const base = await listen(t);
    const u = await t.createUser();
    const deaf = track(await connectChat(t, base, u, { autoPong: false }));
    const healthy = track(await connectChat(t, base, await t.createUser()));
    const closed = await deaf.closed;
    expect(closed.code).toBe(1006);
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
  });

  it('when the session behind a socket ends (logout), then the socket is closed with 1008 within a heartbeat', async () => {
    t = await createTestApp({ env: { CHAT_HEARTBEAT_INTERVAL: '100ms' } });
    const base = await listen(t);
    const [u, other] = [await t.createUser(), await t.createUser()];
    const s = track(await connectChat(t, base, u));
    const stays = track(await connectChat(t, base, other));
    expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: u.token })).statusCode).toBe(204);
    expect(await s.closed).toMatchObject({ code: 1008 });
    expect(stays.ws.readyState).toBe(stays.ws.OPEN);
  });

  it('when the server shuts down, then sockets are closed with 1001', async () => {
    t = await createTestApp();
    const base = await listen(t);
    const s = track(await connectChat(t, base, await t.createUser()));
    const app = t;
    t = undefined;
    await app.close();
    expect(await s.closed).toMatchObject({ code: 1001 });
  });
});

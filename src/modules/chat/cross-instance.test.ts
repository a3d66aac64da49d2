import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CHAT,
  type ChatClient,
  connectChat,
  createRoom,
  handshakeStatus,
  listen,
  say,
  subscribe,
  waitFor,
} from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

// Two instances of one cluster: the same database and Redis, one client on each.
describe.runIf(process.env.TEST_REDIS_URL)('chat across instances through Redis', () => {
  let one: TestApp;
  let two: TestApp;
  let a: TestUser;
  let b: TestUser;
  let room: string;
  let alice: ChatClient;
  let bob: ChatClient;

  beforeAll(async () => {
    one = await createTestApp({ env: { CHAT_RATE_LIMIT: '1000' } });
    two = await createTestApp({ shareWith: one, env: { CHAT_RATE_LIMIT: '1000' } });
    [a, b] = [await one.createUser(), await one.createUser()];
    room = await createRoom(one, a, { members: [b] });
    alice = await connectChat(one, await listen(one), a);
    // The ticket comes from instance one and is redeemed on instance two.
    bob = await connectChat(one, await listen(two), b);
    await subscribe(alice, room);
    await subscribe(bob, room);
  });
  afterAll(async () => {
    alice?.ws.terminate();
    bob?.ws.terminate();
    await two?.close();
    await one?.close();
  });

  it('when the client on one instance sends, then the client on the other receives it, and presence spans both', async () => {
    await alice.next({ type: 'presence.join', userId: b.id });
    const online = (await bob.next({ type: 'presence', room })).online as string[];
    expect([...online].sort()).toEqual([a.id, b.id].sort());
    const ack = await say(alice, room, 'from one', 'x-1');
    expect(await bob.next({ type: 'message', id: ack.id })).toMatchObject({ text: 'from one', seq: ack.seq });
    const back = await say(bob, room, 'from two', 'x-2');
    expect(back.seq).toBe((ack.seq as number) + 1);
    expect(await alice.next({ type: 'message', id: back.id })).toMatchObject({ text: 'from two' });
  });

  it('when typing or an edit happens on one instance, then the other instance’s client receives it', async () => {
    bob.send({ type: 'typing', room });
    expect(await alice.next({ type: 'typing' })).toMatchObject({ userId: b.id });
    const ack = await say(alice, room, 'edit me', 'x-edit');
    const res = await two.request({
      method: 'PATCH',
      url: `${CHAT}/rooms/${room}/messages/${ack.id}`,
      token: a.token,
      payload: { text: 'edited on two' },
    });
    expect(res.statusCode).toBe(200);
    expect(await bob.next({ type: 'message.edited', id: ack.id })).toMatchObject({ text: 'edited on two' });
    expect(await alice.next({ type: 'message.edited', id: ack.id })).toMatchObject({ text: 'edited on two' });
  });

  it('when a member is removed through one instance, then their socket on the other stops receiving at once', async () => {
    const carol = await one.createUser();
    const r = await createRoom(one, a, { members: [carol] });
    const carolSocket = await connectChat(two, await listen(two), carol);
    await subscribe(carolSocket, r);
    await subscribe(alice, r);
    const removed = await one.request({ method: 'DELETE', url: `${CHAT}/rooms/${r}/members/${carol.id}`, token: a.token });
    expect(removed.statusCode).toBe(204);
    expect(await carolSocket.next({ type: 'unsubscribed', room: r })).toMatchObject({ reason: 'removed' });
    await alice.next({ type: 'presence.leave', room: r, userId: carol.id });
    await carolSocket.close();
  });

  it('when a user is disabled through one instance, then their socket on the other is closed with 1008', async () => {
    const dave = await one.createUser();
    const daveSocket = await connectChat(two, await listen(two), dave);
    const admin = await one.admin();
    const res = await one.request({
      method: 'PATCH',
      url: `/api/v1/admin/users/${dave.id}`,
      token: admin.token,
      payload: { disabled: true },
    });
    expect(res.statusCode).toBe(200);
    expect(await daveSocket.closed).toMatchObject({ code: 1008 });
  });

  it('when a user has sockets on both instances, then CHAT_MAX_CONNECTIONS_PER_USER counts them together', async () => {
    const capped = await createTestApp({ shareWith: one, env: { CHAT_MAX_CONNECTIONS_PER_USER: '2' } });
    const cappedToo = await createTestApp({ shareWith: one, env: { CHAT_MAX_CONNECTIONS_PER_USER: '2' } });
    const [base1, base2] = [await listen(capped), await listen(cappedToo)];
    const u = await capped.createUser();
    const opened = [await connectChat(capped, base1, u), await connectChat(capped, base2, u)];
    try {
      expect(await handshakeStatus(base1, { token: u.token })).toBe(429);
      expect(await handshakeStatus(base2, { token: u.token })).toBe(429);
      await opened[0]?.close();
      await waitFor(async () => (await handshakeStatus(base2, { token: u.token })) === 101, 'the slot freed on the other instance');
    } finally {
      for (const c of opened) c.ws.terminate();
      await cappedToo.close();
      await capped.close();
    }
  });
});

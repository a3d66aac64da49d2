import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, type ChatClient, connectChat, createRoom, listen, say, subscribe, waitFor } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

describe('chat messages over the socket: stored, acknowledged, ordered, recovered', () => {
  let t: TestApp;
  let base: string;
  let a: TestUser;
  let b: TestUser;
  let outsider: TestUser;
  let room: string;
  let alice: ChatClient;
  let bob: ChatClient;

  beforeAll(async () => {
    t = await createTestApp({ env: { CHAT_REPLAY_LIMIT: '5', CHAT_RATE_LIMIT: '1000' } });
    base = await listen(t);
    [a, b, outsider] = [await t.createUser(), await t.createUser(), await t.createUser()];
    room = await createRoom(t, a, { members: [b] });
    alice = await connectChat(t, base, a);
    bob = await connectChat(t, base, b);
    await subscribe(alice, room);
    await subscribe(bob, room);
  });
  afterAll(async () => {
    await alice.close();
    await bob.close();
    await t.close();
  });

  it('when a member sends a message, then it is acked with its id and seq and every subscriber receives it', async () => {
    const ack = await say(alice, room, 'hello bob', 'first');
    expect(ack).toMatchObject({ type: 'ack', room, clientId: 'first', id: expect.any(String), seq: expect.any(Number) });
    const received = await bob.next({ type: 'message', id: ack.id });
    expect(received).toMatchObject({
      room,
      seq: ack.seq,
      author: a.id,
      text: 'hello bob',
      clientId: 'first',
      editedAt: null,
      deletedAt: null,
    });
    expect(new Date(received.createdAt as string).toISOString()).toBe(received.createdAt);
    // Stored before the ack: the history has it.
    const history = await t.request({ method: 'GET', url: `${CHAT}/rooms/${room}/messages?limit=100`, token: b.token });
    expect(history.json().items.map((m: { id: string }) => m.id)).toContain(ack.id);
  });

  it('when a frame carries a NUL character anywhere, then an error frame names its path and nothing is written', async () => {
    const before = (await t.request({ method: 'GET', url: `${CHAT}/rooms/${room}`, token: a.token })).json().lastSeq;
    alice.send({ type: 'message', room, text: 'nul\u0000here', clientId: 'nul-text' });
    expect(await alice.next({ type: 'error', clientId: 'nul-text' })).toMatchObject({ code: 'BAD_FRAME', path: '/text', room });
    alice.send({ type: 'message', room, text: 'fine', clientId: 'nul-\u0000-id' });
    expect(await alice.next((f) => f.type === 'error' && f.path === '/clientId')).toMatchObject({ code: 'BAD_FRAME', room });
    alice.send({ type: 'message', room, text: 'fine', clientId: 'nul-key', 'x\u0000': 1 });
    expect(await alice.next({ type: 'error', clientId: 'nul-key' })).toMatchObject({ code: 'BAD_FRAME', path: '/x\u0000' });
    // The socket still works, and the refused frames left no message behind.
    const ack = await say(alice, room, 'after the NUL frames', 'nul-after');
    expect(ack).toMatchObject({ type: 'ack', seq: before + 1 });
  });

  it('when the same clientId is sent twice, then both are acked with the same id and it is stored and delivered once', async () => {
    const first = await say(alice, room, 'only once', 'dup-1');
    const again = await say(alice, room, 'only once', 'dup-1');
    expect(again).toMatchObject({ type: 'ack', id: first.id, seq: first.seq });
    await say(alice, room, 'marker', 'after-dup');
    await bob.next({ type: 'message', clientId: 'after-dup' });
    expect(bob.all({ type: 'message', clientId: 'dup-1' })).toHaveLength(1);
    const history = (await t.request({ method: 'GET', url: `${CHAT}/rooms/${room}/messages?limit=100`, token: a.token })).json();
    expect(history.items.filter((m: { clientId: string }) => m.clientId === 'dup-1')).toHaveLength(1);
  });

  it('when the same clientId is resent before the first ack, then every copy is acked with one id and one message exists', async () => {
    for (let i = 0; i < 3; i++) alice.send({ type: 'message', room, text: 'eager resend', clientId: 'dup-eager' });
    await waitFor(() => alice.all({ type: 'ack', clientId: 'dup-eager' }).length === 3, 'three acks');
    expect(new Set(alice.all({ type: 'ack', clientId: 'dup-eager' }).map((f) => f.id)).size).toBe(1);
    await say(alice, room, 'marker', 'after-eager');
    await bob.next({ type: 'message', clientId: 'after-eager' });
    expect(bob.all({ type: 'message', clientId: 'dup-eager' })).toHaveLength(1);
  });

  it('when many messages are sent back to back, then seq grows by one each time and receivers get them in seq order', async () => {
    for (let i = 0; i < 20; i++) alice.send({ type: 'message', room, text: `burst ${i}`, clientId: `burst-${i}` });
    await bob.next({ type: 'message', clientId: 'burst-19' });
    const burst = bob.all({ type: 'message' }).filter((f) => String(f.clientId).startsWith('burst-'));
    expect(burst.map((f) => f.text)).toEqual(Array.from({ length: 20 }, (_, i) => `burst ${i}`));
    const seqs = burst.map((f) => f.seq as number);
    expect(seqs).toEqual(seqs.map((_, i) => (seqs[0] as number) + i));
  });

  it('when a non-member subscribes or sends, then an error frame answers and nothing is stored or delivered', async () => {
    const intruder = await connectChat(t, base, outsider);
    intruder.send({ type: 'subscribe', room });
    expect(await intruder.next({ type: 'error', room })).toMatchObject({ code: 'NOT_A_MEMBER' });
    const refused = await say(intruder, room, 'let me in', 'intruder-1');
    expect(refused).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER', clientId: 'intruder-1' });
    intruder.send({ type: 'typing', room });
    expect(await intruder.next({ type: 'error', room })).toMatchObject({ code: 'NOT_A_MEMBER' });
    await say(alice, room, 'marker', 'after-intruder');
    await bob.next({ type: 'message', clientId: 'after-intruder' });
    expect(bob.all({ type: 'message', clientId: 'intruder-1' })).toHaveLength(0);
    expect(bob.all({ type: 'typing', userId: outsider.id })).toHaveLength(0);
    await intruder.close();
  });

  it('when a member is removed, then their socket is told at once, receives nothing more, and their frames are refused', async () => {
    const carol = await t.createUser();
    const r = await createRoom(t, a, { members: [carol] });
    const carolSocket = await connectChat(t, base, carol);
    await subscribe(carolSocket, r);
    await subscribe(alice, r);
    await say(alice, r, 'before removal', 'rm-before');
    await carolSocket.next({ type: 'message', clientId: 'rm-before' });

    const removed = await t.request({ method: 'DELETE', url: `${CHAT}/rooms/${r}/members/${carol.id}`, token: a.token });
    expect(removed.statusCode).toBe(204);
    expect(await carolSocket.next({ type: 'unsubscribed', room: r })).toMatchObject({ reason: 'removed' });
    await say(alice, r, 'after removal', 'rm-after');
    expect(await say(carolSocket, r, 'still here?', 'rm-carol')).toMatchObject({ type: 'error', code: 'NOT_A_MEMBER' });
    // A frame carol's socket would have got arrives at alice's first; by then carol has nothing.
    await alice.next({ type: 'message', clientId: 'rm-after' });
    await say(alice, r, 'later', 'rm-later');
    await alice.next({ type: 'message', clientId: 'rm-later' });
    expect(carolSocket.all({ type: 'message', clientId: 'rm-after' })).toHaveLength(0);
    expect(carolSocket.all({ type: 'message', clientId: 'rm-later' })).toHaveLength(0);
    carolSocket.send({ type: 'subscribe', room: r });
    expect(await carolSocket.next({ type: 'error', room: r })).toMatchObject({ code: 'NOT_A_MEMBER' });
    await carolSocket.close();
  });

  it('when a client reconnects with its last seq, then it receives exactly what it missed, in order', async () => {
    const r = await createRoom(t, a, { members: [b] });
    const bob2 = await connectChat(t, base, b);
    await subscribe(bob2, r);
    const seen = await say(alice, r, 'seen', 'rc-seen');
    await bob2.next({ type: 'message', clientId: 'rc-seen' });
    await bob2.close();
    for (let i = 0; i < 3; i++) await say(alice, r, `missed ${i}`, `rc-missed-${i}`);

    const back = await connectChat(t, base, b);
    expect(await subscribe(back, r, seen.seq as number)).toMatchObject({ lastSeq: (seen.seq as number) + 3 });
    for (let i = 0; i < 3; i++) {
      expect(await back.next({ type: 'message' })).toMatchObject({ text: `missed ${i}`, seq: (seen.seq as number) + 1 + i });
    }
    await say(alice, r, 'live again', 'rc-live');
    expect(await back.next({ type: 'message' })).toMatchObject({ clientId: 'rc-live', seq: (seen.seq as number) + 4 });
    expect(back.all({ type: 'message', clientId: 'rc-seen' })).toHaveLength(0);
    await back.close();
  });

  it('when a client missed more than CHAT_REPLAY_LIMIT, then it is told to page through REST, and that history has it all', async () => {
    const r = await createRoom(t, a, { members: [b] });
    for (let i = 0; i < 7; i++) await say(alice, r, `old ${i}`, `trunc-${i}`);
    const back = await connectChat(t, base, b);
    await subscribe(back, r, 1);
    const truncated = await back.next({ type: 'replay.truncated' });
    expect(truncated).toMatchObject({ room: r, afterSeq: 1, lastSeq: 7, history: `${CHAT}/rooms/${r}/messages?after=1` });
    expect(back.all({ type: 'message' })).toHaveLength(0);

    const page1 = (await t.request({ method: 'GET', url: `${truncated.history}&limit=4`, token: b.token })).json();
    const page2 = (
      await t.request({ method: 'GET', url: `${truncated.history}&limit=4&cursor=${page1.nextCursor}`, token: b.token })
    ).json();
    expect([...page1.items, ...page2.items].map((m: { seq: number }) => m.seq)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(page2.nextCursor).toBeNull();
    await back.close();
  });

  it('when text is over 4 KB, then TEXT_TOO_LONG and nothing is stored; a malformed frame gets BAD_FRAME and the socket stays', async () => {
    expect(await say(alice, room, 'x'.repeat(4097), 'too-long')).toMatchObject({ type: 'error', code: 'TEXT_TOO_LONG' });
    expect(await say(alice, room, 'ż'.repeat(2049), 'too-long-utf8')).toMatchObject({ type: 'error', code: 'TEXT_TOO_LONG' });
    alice.ws.send('not json');
    expect(await alice.next({ type: 'error', code: 'BAD_FRAME' })).toBeTruthy();
    alice.send({ type: 'message', room, text: 'hi', clientId: 'x', extra: true });
    expect(await alice.next({ type: 'error', code: 'BAD_FRAME' })).toBeTruthy();
    expect((await say(alice, room, 'y'.repeat(4096), 'max-len')).type).toBe('ack');
  });
});

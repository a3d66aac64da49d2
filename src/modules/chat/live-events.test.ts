import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, type ChatClient, connectChat, createRoom, listen, say, subscribe } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

describe('chat live events: presence, typing, read receipts, edits and deletions', () => {
  let t: TestApp;
  let base: string;
  let a: TestUser;
  let b: TestUser;
  let room: string;
  let alice: ChatClient;

  beforeAll(async () => {
    t = await createTestApp({ env: { CHAT_RATE_LIMIT: '1000' } });
    base = await listen(t);
    [a, b] = [await t.createUser(), await t.createUser()];
    room = await createRoom(t, a, { members: [b] });
    alice = await connectChat(t, base, a);
    await subscribe(alice, room);
  });
  afterAll(async () => {
    await alice.close();
    await t.close();
  });

  it('when a member subscribes, then it gets the online list and the others see it join; when it goes, they see it leave', async () => {
    expect(await alice.next({ type: 'presence', room })).toMatchObject({ online: [a.id] });
    const bob = await connectChat(t, base, b);
    await subscribe(bob, room);
    const online = await bob.next({ type: 'presence', room });
    expect([...(online.online as string[])].sort()).toEqual([a.id, b.id].sort());
    await alice.next({ type: 'presence.join', room, userId: b.id });
    // A second socket of the same user is not a second join, and closing one of two is not a leave.
    const bobAgain = await connectChat(t, base, b);
    await subscribe(bobAgain, room);
    await bobAgain.close();
    await say(alice, room, 'marker', 'presence-marker');
    await alice.next({ type: 'message', clientId: 'presence-marker' });
    expect(alice.all({ type: 'presence.leave', userId: b.id })).toHaveLength(0);
    await bob.close();
    await alice.next({ type: 'presence.leave', room, userId: b.id });
    expect(alice.all({ type: 'presence.join', userId: b.id })).toHaveLength(1);
    expect(alice.all({ type: 'presence.leave', userId: b.id })).toHaveLength(1);
  });

  it('when members are online, then presence and presence.join carry their display names', async () => {
    const [c, d] = [await t.createUser({ name: 'Celina Nowak' }), await t.createUser({ name: 'Dariusz Wojcik' })];
    const named = await createRoom(t, c, { members: [d] });
    const celina = await connectChat(t, base, c);
    const dariusz = await connectChat(t, base, d);
    try {
      await subscribe(celina, named);
      expect(await celina.next({ type: 'presence', room: named })).toMatchObject({
        online: [c.id],
        users: [{ userId: c.id, displayName: 'Celina Nowak' }],
      });
      await subscribe(dariusz, named);
      const seen = (await dariusz.next({ type: 'presence', room: named })).users as { userId: string }[];
      expect([...seen].sort((x, y) => x.userId.localeCompare(y.userId))).toEqual(
        [
          { userId: c.id, displayName: 'Celina Nowak' },
          { userId: d.id, displayName: 'Dariusz Wojcik' },
        ].sort((x, y) => x.userId.localeCompare(y.userId)),
      );
      expect(await celina.next({ type: 'presence.join', room: named, userId: d.id })).toMatchObject({ displayName: 'Dariusz Wojcik' });
    } finally {
      await dariusz.close();
      await celina.close();
    }
  });

  it('when a member types, then the others receive typing and the typist does not', async () => {
    const bob = await connectChat(t, base, b);
    await subscribe(bob, room);
    bob.send({ type: 'typing', room });
    expect(await alice.next({ type: 'typing', room })).toEqual({ type: 'typing', room, userId: b.id });
    await say(bob, room, 'marker', 'typing-marker');
    await bob.next({ type: 'message', clientId: 'typing-marker' });
    expect(bob.all({ type: 'typing' })).toHaveLength(0);
    await bob.close();
  });

  it('when a member reports a message read, then the room receives the receipt and the member list shows it', async () => {
    const bob = await connectChat(t, base, b);
    await subscribe(bob, room);
    const ack = await say(alice, room, 'read me', 'read-1');
    bob.send({ type: 'read', room, upToId: ack.id });
    expect(await alice.next({ type: 'read', room })).toEqual({ type: 'read', room, userId: b.id, upToId: ack.id, seq: ack.seq });
    const members = (await t.request({ method: 'GET', url: `${CHAT}/rooms/${room}/members`, token: a.token })).json();
    expect(members.items.find((m: { userId: string }) => m.userId === b.id)).toMatchObject({ readSeq: ack.seq });
    await bob.close();
  });

  it('when the author edits or deletes a message over REST, then subscribers receive message.edited and message.deleted', async () => {
    const bob = await connectChat(t, base, b);
    await subscribe(bob, room);
    const ack = await say(alice, room, 'tpyo', 'edit-1');
    const url = `${CHAT}/rooms/${room}/messages/${ack.id}`;
    const edited = await t.request({ method: 'PATCH', url, token: a.token, payload: { text: 'typo' } });
    expect(edited.statusCode).toBe(200);
    expect(edited.json()).toMatchObject({ id: ack.id, text: 'typo', editedAt: expect.any(String) });
    expect(await bob.next({ type: 'message.edited', id: ack.id })).toMatchObject({ text: 'typo', seq: ack.seq });

    expect((await t.request({ method: 'DELETE', url, token: b.token })).statusCode).toBe(404);
    expect((await t.request({ method: 'PATCH', url, token: b.token, payload: { text: 'mine now' } })).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url, token: a.token })).statusCode).toBe(204);
    expect(await bob.next({ type: 'message.deleted', id: ack.id })).toMatchObject({ text: null, deletedAt: expect.any(String) });
    expect((await t.request({ method: 'PATCH', url, token: a.token, payload: { text: 'back' } })).statusCode).toBe(404);
    await bob.close();
  });

  it('when an admin deletes anyone’s message, then it goes and subscribers are told', async () => {
    const ack = await say(alice, room, 'against the rules', 'admin-del');
    const admin = await t.admin();
    const res = await t.request({ method: 'DELETE', url: `${CHAT}/rooms/${room}/messages/${ack.id}`, token: admin.token });
    expect(res.statusCode).toBe(204);
    expect(await alice.next({ type: 'message.deleted', id: ack.id })).toMatchObject({ text: null });
    const history = (await t.request({ method: 'GET', url: `${CHAT}/rooms/${room}/messages`, token: a.token })).json();
    expect(history.items.find((m: { id: string }) => m.id === ack.id)).toMatchObject({ text: null, deletedAt: expect.any(String) });
  });
});

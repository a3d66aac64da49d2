import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT, connectChat, createRoom, listen, say, subscribe } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

describe('chat rooms over REST: who may create, join, invite, read', () => {
  let t: TestApp;
  let admin: TestUser;
  let owner: TestUser;
  let guest: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
    [owner, guest, stranger] = [await t.createUser(), await t.createUser(), await t.createUser()];
  });
  afterAll(() => t.close());

  const post = (user: TestUser, url: string, payload?: object) =>
    t.request({ method: 'POST', url: `${CHAT}${url}`, token: user.token, payload });
  const get = (user: TestUser, url: string) => t.request({ method: 'GET', url: `${CHAT}${url}`, token: user.token });

  it('when a user creates a public room, then 403; an admin gets 201 with Location, and anyone may join it', async () => {
    expect((await post(owner, '/rooms', { kind: 'public', name: 'general' })).json()).toMatchObject({
      code: 'CHAT_PUBLIC_ROOM_ADMIN_ONLY',
    });
    const res = await post(admin, '/rooms', { kind: 'public', name: 'general' });
    expect(res.statusCode).toBe(201);
    const room = res.json();
    expect(res.headers.location).toBe(`${CHAT}/rooms/${room.id}`);
    expect(room).toMatchObject({ kind: 'public', name: 'general', ownerId: admin.id, lastSeq: 0 });
    const listed = (await get(stranger, '/public-rooms?limit=100')).json();
    expect(listed.items.map((r: { id: string }) => r.id)).toContain(room.id);
    expect((await get(stranger, `/rooms/${room.id}`)).statusCode).toBe(200);
    expect((await get(stranger, `/rooms/${room.id}/messages`)).statusCode).toBe(404);
    expect((await post(stranger, `/rooms/${room.id}/join`)).statusCode).toBe(200);
    expect((await get(stranger, `/rooms/${room.id}/messages`)).statusCode).toBe(200);
    expect((await get(stranger, '/rooms')).json().items.map((r: { id: string }) => r.id)).toContain(room.id);
    expect((await post(stranger, `/rooms/${room.id}/leave`)).statusCode).toBe(204);
    expect((await get(stranger, `/rooms/${room.id}/messages`)).statusCode).toBe(404);
  });

  it('when members are listed, then each carries its display name; outsiders learn nothing', async () => {
    const [named, other] = [await t.createUser({ name: 'Halina Poeta' }), await t.createUser({ name: 'Ignacy Kot' })];
    const res = await post(named, '/rooms', { kind: 'private', name: 'names' });
    const room = res.json().id;
    expect((await post(named, `/rooms/${room}/members`, { userId: other.id })).statusCode).toBe(204);
    const members = (await get(other, `/rooms/${room}/members`)).json().items as { userId: string; displayName: string }[];
    expect(Object.fromEntries(members.map((m) => [m.userId, m.displayName]))).toEqual({
      [named.id]: 'Halina Poeta',
      [other.id]: 'Ignacy Kot',
    });
    expect((await get(stranger, `/rooms/${room}/members`)).json()).toMatchObject({ code: 'CHAT_ROOM_NOT_FOUND' });
  });

  it('when a private room exists, then only members see it, only the owner invites, and nobody joins uninvited', async () => {
    const room = await createRoom(t, owner, { kind: 'private', name: 'secret' });
    expect((await get(stranger, `/rooms/${room}`)).statusCode).toBe(404);
    expect((await post(stranger, `/rooms/${room}/join`)).json()).toMatchObject({ code: 'CHAT_ROOM_NOT_JOINABLE' });
    expect((await post(stranger, `/rooms/${room}/members`, { userId: stranger.id })).statusCode).toBe(404);
    expect((await post(owner, `/rooms/${room}/members`, { userId: guest.id })).statusCode).toBe(204);
    expect((await post(guest, `/rooms/${room}/members`, { userId: stranger.id })).json()).toMatchObject({ code: 'CHAT_NOT_ROOM_OWNER' });
    const members = (await get(guest, `/rooms/${room}/members`)).json();
    expect(members.items.map((m: { userId: string }) => m.userId).sort()).toEqual([owner.id, guest.id].sort());
    expect((await get(stranger, `/rooms/${room}/members`)).statusCode).toBe(404);
    expect((await t.request({ method: 'DELETE', url: `${CHAT}/rooms/${room}/members/${owner.id}`, token: guest.token })).statusCode).toBe(
      403,
    );
  });

  it('when two users open their direct room, then both get the same one (201 then 200) and it is fixed to the pair', async () => {
    const first = await post(owner, '/direct-rooms', { userId: guest.id });
    expect(first.statusCode).toBe(201);
    const again = await post(guest, '/direct-rooms', { userId: owner.id });
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(first.json()).toMatchObject({ kind: 'direct', name: null });
    const id = first.json().id;
    expect((await post(owner, '/direct-rooms', { userId: owner.id })).json()).toMatchObject({ code: 'CHAT_DIRECT_WITH_SELF' });
    expect((await post(owner, `/rooms/${id}/members`, { userId: stranger.id })).json()).toMatchObject({ code: 'CHAT_DIRECT_ROOM_FIXED' });
    expect((await post(owner, `/rooms/${id}/leave`)).json()).toMatchObject({ code: 'CHAT_DIRECT_ROOM_FIXED' });
    expect((await get(stranger, `/rooms/${id}`)).statusCode).toBe(404);
    expect((await post(stranger, `/rooms/${id}/join`)).statusCode).toBe(404);
  });

  it('when a direct room or an invitation names an unknown or disabled account, then 404 CHAT_USER_NOT_FOUND and nothing is created', async () => {
    const ghost = '01a20000-0000-7000-8000-000000000000';
    const dm = await post(owner, '/direct-rooms', { userId: ghost });
    expect(dm.statusCode).toBe(404);
    expect(dm.json().code).toBe('CHAT_USER_NOT_FOUND');
    const room = await createRoom(t, owner, { kind: 'private', name: 'invites' });
    expect((await post(owner, `/rooms/${room}/members`, { userId: ghost })).json().code).toBe('CHAT_USER_NOT_FOUND');

    const leaving = await t.createUser();
    const disabled = await t.request({
      method: 'PATCH',
      url: `/api/v1/admin/users/${leaving.id}`,
      token: admin.token,
      payload: { disabled: true },
    });
    expect(disabled.statusCode, disabled.body).toBe(200);
    expect((await post(owner, '/direct-rooms', { userId: leaving.id })).statusCode).toBe(404);
    expect((await post(owner, `/rooms/${room}/members`, { userId: leaving.id })).statusCode).toBe(404);
    const members = (await get(owner, `/rooms/${room}/members`)).json();
    expect(members.items.map((m: { userId: string }) => m.userId)).toEqual([owner.id]);
  });

  it('when history is paged, then before-pages go back newest first and after-pages forward, without gaps or repeats; forged cursors are 400', async () => {
    const base = await listen(t);
    const room = await createRoom(t, owner, { members: [guest] });
    const socket = await connectChat(t, base, owner);
    await subscribe(socket, room);
    for (let i = 1; i <= 7; i++) await say(socket, room, `m${i}`, `hist-${room}-${i}`);
    await socket.close();

    const seqs = async (query: string) => {
      const out: number[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(guest, `/rooms/${room}/messages?${query}${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.statusCode).toBe(200);
        const body = res.json();
        out.push(...body.items.map((m: { seq: number }) => m.seq));
        cursor = body.nextCursor;
      } while (cursor);
      return out;
    };
    expect(await seqs('limit=3')).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(await seqs('limit=2&before=5')).toEqual([4, 3, 2, 1]);
    expect(await seqs('limit=3&after=2')).toEqual([3, 4, 5, 6, 7]);
    expect((await get(guest, `/rooms/${room}/messages?before=3&after=1`)).json()).toMatchObject({ code: 'CHAT_HISTORY_DIRECTION' });
    expect((await get(guest, `/rooms/${room}/messages?cursor=bogus`)).json()).toMatchObject({ code: 'INVALID_CURSOR' });
    const forged = Buffer.from(JSON.stringify(['not-a-uuid'])).toString('base64url');
    for (const url of [`/rooms?cursor=${forged}`, `/public-rooms?cursor=${forged}`, `/rooms/${room}/members?cursor=${forged}`]) {
      expect((await get(guest, url)).json()).toMatchObject({ status: 400, code: 'INVALID_CURSOR' });
    }
    expect((await get(stranger, `/rooms/${room}/messages`)).statusCode).toBe(404);
  });

  it('when a member leaves, then they no longer read the room; without a token every chat route is 401', async () => {
    const room = await createRoom(t, owner, { members: [guest] });
    expect((await post(guest, `/rooms/${room}/leave`)).statusCode).toBe(204);
    expect((await get(guest, `/rooms/${room}/messages`)).statusCode).toBe(404);
    for (const url of ['/rooms', '/public-rooms', `/rooms/${room}`, `/rooms/${room}/messages`, `/rooms/${room}/members`]) {
      expect((await t.request({ method: 'GET', url: `${CHAT}${url}` })).statusCode).toBe(401);
    }
    expect((await t.request({ method: 'POST', url: `${CHAT}/ticket` })).statusCode).toBe(401);
  });
});

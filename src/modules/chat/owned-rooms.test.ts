import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';

describe('chat: private rooms a user may own (CHAT_MAX_OWNED_ROOMS)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CHAT_MAX_OWNED_ROOMS: '2' } });
  });
  afterAll(() => t.close());

  const create = (user: TestUser, kind: 'public' | 'private', name: string) =>
    t.request({ method: 'POST', url: `${CHAT}/rooms`, token: user.token, payload: { kind, name } });

  it('when a user owns the limit of private rooms, then one more answers 422 CHAT_ROOM_LIMIT_REACHED and is not created', async () => {
    const u = await t.createUser();
    expect((await create(u, 'private', 'one')).statusCode).toBe(201);
    expect((await create(u, 'private', 'two')).statusCode).toBe(201);
    const refused = await create(u, 'private', 'three');
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.json()).toMatchObject({ code: 'CHAT_ROOM_LIMIT_REACHED', limit: 2 });
    const mine = (await t.request({ method: 'GET', url: `${CHAT}/rooms?limit=100`, token: u.token })).json();
    expect(mine.items.map((r: { name: string }) => r.name).sort()).toEqual(['one', 'two']);
    // Another user's rooms are counted apart.
    expect((await create(await t.createUser(), 'private', 'theirs')).statusCode).toBe(201);
  });

  it('when an admin creates public rooms, then they do not count against the private-room limit', async () => {
    const admin = await t.admin();
    for (const name of ['p1', 'p2', 'p3']) expect((await create(admin, 'public', name)).statusCode).toBe(201);
    expect((await create(admin, 'private', 'mine')).statusCode).toBe(201);
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when one user creates many private rooms at once, then exactly the limit succeed (PostgreSQL)',
    async () => {
      const u = await t.createUser();
      const results = await Promise.all(Array.from({ length: 10 }, (_, i) => create(u, 'private', `race ${i}`)));
      const codes = results.map((r) => r.statusCode);
      expect(codes.filter((c) => c === 201)).toHaveLength(2);
      expect(codes.filter((c) => c === 422)).toHaveLength(8);
      const mine = (await t.request({ method: 'GET', url: `${CHAT}/rooms?limit=100`, token: u.token })).json();
      expect(mine.items).toHaveLength(2);
    },
  );
});

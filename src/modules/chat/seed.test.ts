import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHAT } from '../../../test/chat-fixtures.js';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { createIdentityDirectory } from '../identity/index.js';
import type { RoomFeed } from './feed.js';
import { createChatRepo } from './repo.js';
import { createChatService } from './service.js';

type Room = { name: string; kind: string };
async function publicRooms(t: TestApp): Promise<Room[]> {
  const u = await t.createUser();
  return (await t.request({ method: 'GET', url: `${CHAT}/public-rooms?limit=100`, token: u.token })).json().items;
}

describe('chat demo room: a public "general" room seeded with the demo catalog', () => {
  let seeded: TestApp;
  beforeAll(async () => {
    seeded = await createTestApp({ env: { CATALOG_SEED_ON_EMPTY: 'true' } });
  });
  afterAll(() => seeded.close());

  it('when the server starts with CATALOG_SEED_ON_EMPTY, then a public room "general" exists, once, also after another start', async () => {
    expect((await publicRooms(seeded)).filter((r) => r.name === 'general')).toEqual([expect.objectContaining({ kind: 'public' })]);
    // A second instance of the same cluster starts with the same switch.
    const again = await createTestApp({ shareWith: seeded, env: { CATALOG_SEED_ON_EMPTY: 'true' } });
    try {
      expect((await publicRooms(again)).filter((r) => r.name === 'general')).toHaveLength(1);
    } finally {
      await again.close();
    }
  });

  it('when several instances seed the same room at once, then it is created exactly once', async () => {
    const { platform, clock } = seeded;
    const chat = createChatService({
      repo: createChatRepo(platform.db),
      feed: {} as RoomFeed,
      clock,
      log: platform.log,
      users: createIdentityDirectory(platform),
      limits: { maxOwnedRooms: 1 },
    });
    const created = await Promise.all(Array.from({ length: 8 }, () => chat.ensurePublicRoom('lobby')));
    expect(created.filter(Boolean)).toHaveLength(1);
    expect((await publicRooms(seeded)).filter((r) => r.name === 'lobby')).toHaveLength(1);
  });

  it('when the server starts without the switch, then no room is seeded', async () => {
    const plain = await createTestApp();
    try {
      expect((await publicRooms(plain)).filter((r) => r.name === 'general')).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});

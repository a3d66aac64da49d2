import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { newId } from '../../platform/ids.js';
import { createMessageWriter } from './message-writer.js';
import { type ChatRepo, createChatRepo } from './repo.js';

describe('chat message writer (group commit)', () => {
  let t: TestApp;
  let repo: ChatRepo;

  beforeAll(async () => {
    t = await createTestApp();
    repo = createChatRepo(t.platform.db);
  });
  afterAll(() => t.close());

  it('when one message of a batch cannot be stored, then only it fails and the others of the batch are stored in order', async () => {
    const author = newId();
    const roomId = newId();
    await repo.insertRoom({ id: roomId, kind: 'private', name: 'w', ownerId: author, createdAt: t.clock.now() }, [author], t.clock.now());
    const writer = createMessageWriter({ repo, clock: t.clock });
    // The first write is in flight alone; the next three queue behind it and go as one batch.
    const first = writer.write(roomId, author, 'w-1', 'one');
    const good = writer.write(roomId, author, 'w-2', 'two');
    // PostgreSQL refuses U+0000 in text (the socket refuses such frames before; this is the last line).
    const bad = writer.write(roomId, author, 'w-3', 'bad\u0000text');
    const alsoGood = writer.write(roomId, author, 'w-4', 'four');
    const settled = await Promise.allSettled([first, good, bad, alsoGood]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    const stored = await repo.history(roomId, { after: 0 }, 10);
    expect(stored.map((m) => [m.clientId, m.seq])).toEqual([
      ['w-1', 1],
      ['w-2', 2],
      ['w-4', 3],
    ]);
  });
});

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

  it('when the database is unreachable, then a batch fails once, without a statement per message', async () => {
    const down = Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    let singleInserts = 0;
    let batchInserts = 0;
    const deadRepo: ChatRepo = {
      ...repo,
      insertMessageWithNextSeq: async () => {
        singleInserts++;
        // The first message goes alone and waits here, so the next ones queue into one batch.
        await new Promise((r) => setTimeout(r, 20));
        throw down;
      },
      insertMessagesWithNextSeqs: async () => {
        batchInserts++;
        throw down;
      },
    };
    const writer = createMessageWriter({ repo: deadRepo, clock: t.clock });
    const roomId = newId();
    const author = newId();
    const writes = Array.from({ length: 5 }, (_, i) => writer.write(roomId, author, `d-${i}`, `text ${i}`));
    const settled = await Promise.allSettled(writes);
    expect(settled.every((s) => s.status === 'rejected' && s.reason === down)).toBe(true);
    expect({ singleInserts, batchInserts }).toEqual({ singleInserts: 1, batchInserts: 1 });
  });
});

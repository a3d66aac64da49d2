import { describe, expect, it } from 'vitest';
import { type Message, upsertMessage } from './chat-state';

const msg = (over: Partial<Message>): Message => ({
  id: 'm',
  clientId: 'c',
  room: 'r',
  author: 'a',
  text: 't',
  seq: 1,
  createdAt: '2026-01-01T00:00:00Z',
  editedAt: null,
  deletedAt: null,
  ...over,
});

describe('upsertMessage', () => {
  it('when the server echoes a pending message, then the pending copy is replaced, not duplicated', () => {
    const pending = msg({ id: 'c1', clientId: 'c1', seq: Number.MAX_SAFE_INTEGER, pending: true });
    const list = upsertMessage([msg({ id: 'x', seq: 1 })], pending);
    const after = upsertMessage(list, msg({ id: 'real', clientId: 'c1', seq: 2 }));
    expect(after.map((m) => [m.id, Boolean(m.pending)])).toEqual([
      ['x', false],
      ['real', false],
    ]);
  });

  it('when messages arrive out of order or twice, then the list is by seq with each id once and pending last', () => {
    let list: Message[] = [];
    list = upsertMessage(list, msg({ id: 'p', clientId: 'p', seq: Number.MAX_SAFE_INTEGER, pending: true, author: 'me' }));
    for (const seq of [3, 1, 2, 3]) list = upsertMessage(list, msg({ id: `m${seq}`, clientId: `c${seq}`, seq }));
    expect(list.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'p']);
  });

  it('when another author uses the same clientId, then a pending message is not taken for theirs', () => {
    const mine = msg({ id: 'c1', clientId: 'c1', author: 'me', pending: true, seq: Number.MAX_SAFE_INTEGER });
    const list = upsertMessage([mine], msg({ id: 'theirs', clientId: 'c1', author: 'other', seq: 5 }));
    expect(list.map((m) => m.id)).toEqual(['theirs', 'c1']);
  });
});

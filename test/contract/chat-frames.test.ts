import { describe, expect, it } from 'vitest';
import { serverFrameFlaw } from '../chat-fixtures.js';

const USER = '01a24c33-9d0b-7020-a9dc-f0c6ef79d7de';

describe('chat frames against the AsyncAPI document', () => {
  it('when a server frame matches its schema, then it has no flaw', () => {
    expect(serverFrameFlaw({ type: 'welcome', userId: USER })).toBeUndefined();
  });

  it('when a server frame breaks its schema or is of no known type, then the flaw names the member or the type', () => {
    expect(serverFrameFlaw({ type: 'welcome', userId: 'me' })).toBe('welcome frame /userId must match format "uuid"');
    expect(serverFrameFlaw({ type: 'presence.join', room: USER, userId: USER })).toMatch(/^presence\.join frame \/ must have required/);
    expect(serverFrameFlaw({ type: 'hello' })).toBe("type 'hello' is no server frame of the AsyncAPI document");
  });
});

/**
 * The devices a login is compared with come from a loose index scan (repo.sessionUserAgents) that
 * jumps from one User-Agent to the next: it must still return every distinct value once, NULL
 * included, and the new session, written in the same statement as its events, must count for the
 * next login.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { newId } from '../../platform/ids.js';
import { createIdentityRepo, type IdentityRepo } from './repo.js';

describe('devices seen before a login', () => {
  let t: TestApp;
  let repo: IdentityRepo;
  beforeAll(async () => {
    t = await createTestApp();
    repo = createIdentityRepo(t.platform.db);
  });
  afterAll(() => t.close());

  async function sessionFrom(userId: string, userAgent: string | null) {
    const now = t.clock.now();
    const id = newId();
    await repo.insertSession(
      { id, userId, ip: '192.0.2.7', userAgent, createdAt: now, lastUsedAt: now, expiresAt: new Date(now.getTime() + 60_000) },
      `hash-${id}`,
      [{ userId, at: now, type: 'login', ip: '192.0.2.7', userAgent, sessionId: id, details: { device: 'test' } }],
    );
    return id;
  }

  it('when sessions repeat some User-Agents and some have none, then each distinct one comes back once, and NULL once', async () => {
    const u = await t.createUser();
    const other = await t.createUser();
    const before = await repo.sessionUserAgents(u.id);
    for (const agent of ['curl/8.5', 'Zed/1', 'curl/8.5', null, 'Alpha/2', null, 'Zed/1']) await sessionFrom(u.id, agent);
    await sessionFrom(other.id, 'Other/9');

    const seen = await repo.sessionUserAgents(u.id);
    expect(seen).toHaveLength(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set([...before, 'curl/8.5', 'Zed/1', 'Alpha/2', null]));
  });

  it('when a user has no session, then no device was seen', async () => {
    expect(await repo.sessionUserAgents(newId())).toEqual([]);
  });

  it('when a session is written, then its refresh token and its events are written with it', async () => {
    const u = await t.createUser();
    const sessionId = await sessionFrom(u.id, 'curl/8.5');
    expect((await repo.findSession(sessionId))?.userAgent).toBe('curl/8.5');
    expect(await repo.consumeRefreshToken(`hash-${sessionId}`, t.clock.now())).toEqual({ state: 'fresh', sessionId });
    const [event] = await repo.listSecurityEvents(u.id, { limit: 1 });
    expect(event).toMatchObject({ type: 'login', sessionId, userAgent: 'curl/8.5', ip: '192.0.2.7', details: { device: 'test' } });
    expect(event?.at).toEqual(t.clock.now());
  });
});

/**
 * The session mirror of services without identity, fed through the in-process bus (typed, as
 * the app's is) with a fake clock. The database check stands in while the follower is not current.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createFakeClock } from '../../../test/fake-clock.js';
import { EVENT_SCHEMAS } from '../../events.js';
import type { Principal, Role } from '../../platform/auth/access-tokens.js';
import { createMemoryLedger } from '../../platform/bus/delivery-ledger.js';
import { createMemoryBus } from '../../platform/bus/event-bus.js';
import { type TypedEventBus, typedEventBus } from '../../platform/bus/typed-events.js';
import { createLogger } from '../../platform/log.js';
import { createSessionMirror } from './session-mirror.js';

const TTL = 15 * 60_000;

function setup(options: { current?: () => boolean } = {}) {
  const clock = createFakeClock();
  const log = createLogger('silent');
  const bus: TypedEventBus = typedEventBus(
    createMemoryBus({ log, ledger: createMemoryLedger(), policy: { maxDeliveries: 1, retryBackoffMs: 10 } }),
    EVENT_SCHEMAS,
  );
  /** What the database says, per session id; absent: revoked or unknown. */
  const database = new Map<string, Role>();
  const asked: string[] = [];
  const applied: string[] = [];
  const follower = bus.follow('session.changed', { since: new Date(clock.now().getTime() - TTL) }, (event) => {
    mirror.apply(event.payload);
    applied.push(event.id);
  });
  const mirror = createSessionMirror({
    clock,
    ttlMs: TTL,
    isCurrent: options.current ?? (() => follower.current()),
    async liveRole(principal) {
      asked.push(principal.sid);
      return database.get(principal.sid);
    },
  });
  /** Publishes a change and waits until the mirror has it. */
  async function change(principal: Principal, role: Role | null) {
    const id = randomUUID();
    await bus.publish('session.changed', { sid: principal.sid, userId: principal.id, role }, id);
    await vi.waitFor(() => expect(applied).toContain(id));
  }
  return { clock, bus, mirror, database, asked, applied, change, follower };
}

const principal = (role: Role = 'user'): Principal => ({ id: randomUUID(), sid: randomUUID(), role });

describe('session mirror', () => {
  const buses: TypedEventBus[] = [];
  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
  });
  const open = (options?: Parameters<typeof setup>[0]) => {
    const s = setup(options);
    buses.push(s.bus);
    return s;
  };

  it('when a session has no entry and the follower is current, then it is live without asking the database', async () => {
    const { mirror, asked, follower } = open();
    expect(follower.current()).toBe(true);
    expect(await mirror.isLive(principal())).toBe(true);
    expect(asked).toEqual([]);
  });

  it('when a session is reported ended, then its tokens are refused and other sessions of the user are not', async () => {
    const { mirror, change } = open();
    const ended = principal();
    const sibling = { ...ended, sid: randomUUID() };
    await change(ended, null);
    expect(await mirror.isLive(ended)).toBe(false);
    expect(await mirror.isLive(sibling)).toBe(true);
  });

  it('when a role changes, then tokens of the old role are refused and tokens of the new role pass; a later change wins', async () => {
    const { mirror, change } = open();
    const asUser = principal('user');
    const asAdmin: Principal = { ...asUser, role: 'admin' };
    await change(asUser, 'admin');
    expect(await mirror.isLive(asUser)).toBe(false);
    expect(await mirror.isLive(asAdmin)).toBe(true);
    await change(asUser, 'user');
    expect(await mirror.isLive(asUser)).toBe(true);
    expect(await mirror.isLive(asAdmin)).toBe(false);
    await change(asUser, null);
    expect(await mirror.isLive(asUser)).toBe(false);
  });

  it('when the access-token TTL has passed since an entry came, then it is gone (no token of that time is still valid)', async () => {
    const { mirror, change, clock } = open();
    const ended = principal();
    await change(ended, null);
    clock.advance(TTL - 1);
    expect(await mirror.isLive(ended)).toBe(false);
    clock.advance(1);
    expect(await mirror.isLive(ended)).toBe(true);
    // Swept out of memory at the next sweep, not only ignored.
    clock.advance(60_000);
    expect(await mirror.isLive(principal())).toBe(true);
    expect(mirror.size()).toBe(0);
  });

  it('when the follower is not current, then the database decides: a revoked session, a stale role and a live one', async () => {
    let current = false;
    const { mirror, database, asked, change } = open({ current: () => current });
    const revoked = principal();
    const stale = principal('admin');
    const live = principal();
    database.set(stale.sid, 'user');
    database.set(live.sid, 'user');
    expect(await mirror.isLive(revoked)).toBe(false);
    expect(await mirror.isLive(stale)).toBe(false);
    expect(await mirror.isLive(live)).toBe(true);
    expect(asked).toEqual([revoked.sid, stale.sid, live.sid]);

    // Even an entry the mirror holds is not trusted while it may be behind.
    await change(live, null);
    expect(await mirror.isLive(live)).toBe(true);
    current = true;
    expect(await mirror.isLive(live)).toBe(false);
    expect(await mirror.isLive(revoked)).toBe(true);
    expect(asked).toHaveLength(4);
  });

  it('when the follower stops, then it is no longer current (the database decides again)', async () => {
    const { follower } = open();
    expect(follower.current()).toBe(true);
    await follower.stop();
    expect(follower.current()).toBe(false);
  });

  it('when a session.changed payload fails its schema, then the follower skips it and takes the next one', async () => {
    const { bus, mirror, change, applied } = open();
    const p = principal();
    await bus.publish('session.changed', { sid: 'not-a-uuid', userId: p.id, role: 'root' } as never);
    await change(p, null);
    expect(applied).toHaveLength(1);
    expect(await mirror.isLive(p)).toBe(false);
  });
});

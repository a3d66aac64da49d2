/**
 * A logout on the identity service bites on the other services of the split: commerce and
 * realtime refuse the session's tokens and realtime closes its sockets, through identity's
 * `session.changed` on NATS, and through the database while the mirror is not current.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectChat, listen } from '../test/chat-fixtures.js';
import { natsUrl, privateStreams } from '../test/nats-streams.js';
import { createTestApp, type TestApp, type TestUser } from '../test/test-app.js';
import { createMemoryLedger } from './platform/bus/delivery-ledger.js';
import { createMemoryBus, type EventBus } from './platform/bus/event-bus.js';
import { createLogger } from './platform/log.js';

const API = '/api/v1';
/** A heartbeat far longer than the test: a socket closed during it was closed by the event. */
const NO_HEARTBEAT = { CHAT_HEARTBEAT_INTERVAL: '10m' };
const waitFor = (fn: () => Promise<void>) => vi.waitFor(fn, { timeout: 20_000, interval: 50 });

/** An in-process bus whose followers never catch up: what a service sees while NATS is down. */
function busThatNeverCatchesUp(): EventBus {
  const bus = createMemoryBus({
    log: createLogger('silent'),
    ledger: createMemoryLedger(),
    policy: { maxDeliveries: 3, retryBackoffMs: 10 },
  });
  return { ...bus, follow: () => ({ current: () => false, stop: async () => {} }) };
}

describe('sessions across the split', () => {
  const apps: TestApp[] = [];
  const streams = privateStreams();
  afterEach(async () => {
    // The sharing apps first: they use the first one's database.
    for (const app of apps.splice(0).reverse()) await app.close();
    await streams.deleteAll();
  });
  const natsEnv = () => streams.env();
  const track = (app: TestApp) => {
    apps.push(app);
    return app;
  };
  const todoLists = (t: TestApp, u: TestUser) => t.request({ method: 'GET', url: `${API}/todo-lists`, token: u.token });
  const me = (t: TestApp, u: TestUser) => t.request({ method: 'GET', url: `${API}/users/me`, token: u.token });
  const logout = async (t: TestApp, u: TestUser) =>
    expect((await t.request({ method: 'POST', url: `${API}/auth/logout`, token: u.token })).statusCode).toBe(204);

  it.runIf(natsUrl)(
    'when a user logs out on identity, then commerce refuses the token (NATS) and the other session still passes',
    async () => {
      const env = natsEnv();
      const identity = track(await createTestApp({ deployment: 'identity', env }));
      const commerce = track(await createTestApp({ deployment: 'commerce', env, shareWith: identity }));
      const u = await identity.createUser();
      const other = await identity.login(u.email, u.password);
      expect((await todoLists(commerce, u)).statusCode).toBe(200);
      await logout(identity, u);
      await waitFor(async () => expect((await todoLists(commerce, u)).statusCode).toBe(401));
      expect((await todoLists(commerce, other)).statusCode).toBe(200);
    },
  );

  it.runIf(natsUrl)(
    'when a user logs out on one identity instance, then another refuses the token at once, not after its cache (its clock stands still)',
    async () => {
      const env = natsEnv();
      const one = track(await createTestApp({ deployment: 'identity', env }));
      const two = track(await createTestApp({ deployment: 'identity', env, shareWith: one }));
      const u = await one.createUser();
      // Instance two now trusts this answer until its (fake, frozen) clock moves on.
      expect((await me(two, u)).statusCode).toBe(200);
      await logout(one, u);
      await waitFor(async () => expect((await me(two, u)).statusCode).toBe(401));
    },
  );

  it.runIf(natsUrl)(
    'when a user logs out on identity, then their socket on realtime is closed with 1008 (NATS), other sockets stay',
    async () => {
      const env = { ...natsEnv(), ...NO_HEARTBEAT };
      const identity = track(await createTestApp({ deployment: 'identity', env }));
      const realtime = track(await createTestApp({ deployment: 'realtime', env, shareWith: identity }));
      const base = await listen(realtime);
      const u = await identity.createUser();
      const other = await identity.login(u.email, u.password);
      const socket = await connectChat(realtime, base, u);
      const stays = await connectChat(realtime, base, other);
      await logout(identity, u);
      expect(await socket.closed).toEqual({ code: 1008, reason: 'session ended' });
      expect(stays.ws.readyState).toBe(stays.ws.OPEN);
      await stays.close();
    },
  );

  it('when the mirror cannot catch up (no NATS), then commerce asks the database and a logout on identity still bites', async () => {
    const identity = track(await createTestApp({ deployment: 'identity' }));
    const commerce = track(await createTestApp({ deployment: 'commerce', shareWith: identity, bus: busThatNeverCatchesUp() }));
    const u = await identity.createUser();
    const other = await identity.login(u.email, u.password);
    expect((await todoLists(commerce, u)).statusCode).toBe(200);
    await logout(identity, u);
    expect((await todoLists(commerce, u)).statusCode).toBe(401);
    expect((await todoLists(commerce, other)).statusCode).toBe(200);
    // A role taken away bites the same way: the database knows the role, the token is stale.
    const admin = await identity.admin();
    const promoted = await identity.request({
      method: 'PATCH',
      url: `${API}/admin/users/${u.id}`,
      token: admin.token,
      payload: { role: 'admin' },
    });
    expect(promoted.statusCode).toBe(200);
    expect((await todoLists(commerce, other)).statusCode).toBe(401);
  });

  it('when the mirror cannot catch up (no NATS), then realtime closes the socket of a logged-out session at its next heartbeat', async () => {
    const identity = track(await createTestApp({ deployment: 'identity' }));
    const realtime = track(
      await createTestApp({
        deployment: 'realtime',
        shareWith: identity,
        bus: busThatNeverCatchesUp(),
        env: { CHAT_HEARTBEAT_INTERVAL: '100ms' },
      }),
    );
    const base = await listen(realtime);
    const u = await identity.createUser();
    const socket = await connectChat(realtime, base, u);
    await logout(identity, u);
    expect(await socket.closed).toMatchObject({ code: 1008 });
  });

  it('when a user logs out in one process (in-process bus), then their socket is closed with 1008 at once, not at a heartbeat', async () => {
    const t = track(await createTestApp({ env: NO_HEARTBEAT }));
    const base = await listen(t);
    const u = await t.createUser();
    const other = await t.createUser();
    const socket = await connectChat(t, base, u);
    const stays = await connectChat(t, base, other);
    await logout(t, u);
    expect(await socket.closed).toEqual({ code: 1008, reason: 'session ended' });
    expect(stays.ws.readyState).toBe(stays.ws.OPEN);
    await stays.close();
  });

  it('when an admin changes a role in one process, then sockets opened with the old role are closed, with a reason saying so', async () => {
    const t = track(await createTestApp({ env: NO_HEARTBEAT }));
    const base = await listen(t);
    const u = await t.createUser();
    const socket = await connectChat(t, base, u);
    const admin = await t.admin();
    const res = await t.request({ method: 'PATCH', url: `${API}/admin/users/${u.id}`, token: admin.token, payload: { role: 'admin' } });
    expect(res.statusCode).toBe(200);
    expect(await socket.closed).toEqual({ code: 1008, reason: 'role changed' });
  });
});

import { randomBytes, randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

const DEAD = '/api/v1/admin/events/dead';
const waitFor = (fn: () => unknown) => vi.waitFor(fn, { timeout: 10_000, interval: 20 });

const natsUrl = process.env.TEST_NATS_URL;
const stream = `TEST_${randomBytes(6).toString('hex')}`;
const buses: [string, Record<string, string>][] = [
  ['in-process bus', {}],
  ...(natsUrl ? [['NATS', { NATS_URL: natsUrl, NATS_STREAM: stream }] as [string, Record<string, string>]] : []),
];

afterAll(async () => {
  if (!natsUrl) return;
  const nc = await connect({ servers: natsUrl });
  await (await jetstreamManager(nc)).streams.delete(stream).catch(() => {});
  await nc.close();
});

describe.each(buses)('dead-letter admin routes (%s)', (_bus, busEnv) => {
  let t: TestApp;
  let adminToken: string;
  let broken = true;
  const attempts: string[] = [];
  const handled: string[] = [];

  beforeAll(async () => {
    t = await createTestApp({ env: { ...busEnv, EVENT_MAX_DELIVERIES: '3', EVENT_RETRY_BACKOFF: '1ms' } });
    adminToken = (await t.admin()).token;
    // A module of the test's own, reacting to a real event type that no module of the app consumes.
    t.platform.bus.subscribe('fragile', 'product.deleted', (e) => {
      attempts.push(e.id);
      if (broken) throw new Error(`cannot handle ${e.payload.sku}`);
      handled.push(e.id);
    });
    await t.platform.bus.ready();
  });
  afterAll(() => t?.close());

  const list = async (query = '') => {
    const res = await t.request({ method: 'GET', url: `${DEAD}${query}`, token: adminToken });
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      items: { id: string; eventId: string; module: string; error: string; deliveries: number; replayedAt: string | null }[];
      nextCursor: string | null;
    };
  };

  it('when a handler always fails, then the event is listed after the configured deliveries; a replay after the fix delivers it once', async () => {
    const eventId = randomUUID();
    await t.platform.bus.publish('product.deleted', { productId: randomUUID(), sku: 'SKU-1' }, eventId);
    await waitFor(async () => expect((await list()).items.map((i) => i.eventId)).toContain(eventId));
    expect(attempts.filter((id) => id === eventId)).toHaveLength(3);
    const letter = (await list()).items.find((i) => i.eventId === eventId);
    expect(letter).toMatchObject({
      module: 'fragile',
      type: 'product.deleted',
      payload: { sku: 'SKU-1' },
      deliveries: 3,
      error: 'Error: cannot handle SKU-1',
      replayedAt: null,
    });

    broken = false;
    const replay = await t.request({ method: 'POST', url: `${DEAD}/${letter?.id}/replay`, token: adminToken });
    expect(replay.statusCode, replay.body).toBe(202);
    expect(replay.json().replayedAt).toEqual(expect.any(String));
    await waitFor(() => expect(handled).toEqual([eventId]));

    const again = await t.request({ method: 'POST', url: `${DEAD}/${letter?.id}/replay`, token: adminToken });
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('DEAD_EVENT_ALREADY_REPLAYED');
    expect(handled).toEqual([eventId]);
  });

  it('when there are more letters than the limit, then the list pages newest first with a cursor', async () => {
    broken = true;
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) await t.platform.bus.publish('product.deleted', { productId: randomUUID(), sku: 'SKU-2' }, id);
    await waitFor(async () => expect((await list('?limit=100')).items.map((i) => i.eventId)).toEqual(expect.arrayContaining(ids)));
    const first = await list('?limit=2');
    expect(first.items).toHaveLength(2);
    const second = await list(`?limit=2&cursor=${first.nextCursor}`);
    const all = (await list('?limit=100')).items.map((i) => i.id);
    expect([...first.items, ...second.items].map((i) => i.id)).toEqual(all.slice(0, first.items.length + second.items.length));
    expect(all).toEqual([...all].sort().reverse());
  });

  it.each([
    ['an unknown letter', () => `${DEAD}/${randomUUID()}/replay`, 404, 'DEAD_EVENT_NOT_FOUND'],
    ['an id that is not a uuid', () => `${DEAD}/nope/replay`, 400, 'VALIDATION_FAILED'],
  ])('when an admin replays %s, then the answer is %i', async (_what, url, status, code) => {
    const res = await t.request({ method: 'POST', url: url(), token: adminToken });
    expect(res.statusCode).toBe(status);
    expect(res.json().code).toBe(code);
  });

  it('when the cursor is not one the list issued, then the answer is 400 INVALID_CURSOR', async () => {
    const res = await t.request({ method: 'GET', url: `${DEAD}?cursor=garbage`, token: adminToken });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_CURSOR');
  });

  it('when a user or an anonymous caller asks, then the answers are 403 and 401', async () => {
    const user = await t.createUser();
    expect((await t.request({ method: 'GET', url: DEAD, token: user.token })).statusCode).toBe(403);
    expect((await t.request({ method: 'POST', url: `${DEAD}/${randomUUID()}/replay`, token: user.token })).statusCode).toBe(403);
    expect((await t.request({ method: 'GET', url: DEAD })).statusCode).toBe(401);
  });
});

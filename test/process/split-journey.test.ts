/**
 * The split as users meet it: Caddy in front of 2 × identity, 2 × commerce, 2 × realtime and a
 * worker, on real PostgreSQL, Redis and NATS (runs only when all three TEST_*_URL are set, as in
 * .ci/run). Eight users register, log in, check out with an Idempotency-Key, pay in the sandbox and
 * chat across two realtime instances while instances are SIGKILLed mid-request; then every service
 * is restarted with SIGTERM, one instance at a time, under traffic.
 *
 * What users rely on: one order per key, stock equal to live reservations, an unpaid order expiring
 * once although the worker died, payments reaching `paid`, complete chat history after a reconnect,
 * a logout biting on commerce, a deleted account gone everywhere, no 5xx in a rolling restart, at
 * most one 502/503 per request at a crash, and an outbox that drains.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Split, startSplit } from '../../scripts/split/topology.js';
import { adminQuery, withDatabase } from '../test-databases.js';
import { type Answer, type ChatSocket, type Client, createClient, eventually, openChat } from './split-client.js';

const DATABASE_URL = process.env.TEST_DATABASE_URL;
const REDIS_URL = process.env.TEST_REDIS_URL;
const NATS_URL = process.env.TEST_NATS_URL;
const enabled = Boolean(DATABASE_URL && REDIS_URL && NATS_URL);

const USERS = 8;
const PASSWORD = 'a-perfectly-fine-passphrase';
const ADMIN = { email: 'admin@split.test', password: 'admin-password-for-the-split' };
const INITIAL_STOCK = 500;
/**
 * Longer than the checkout and payment phases (a crashed commerce instance restarts between
 * them), short enough that the expiry phase does not wait long.
 */
const PAYMENT_TIMEOUT_MS = 20_000;

interface User {
  email: string;
  id: string;
  token: string;
  orderId?: string;
}

describe.skipIf(!enabled)('the split under crashes and a rolling restart', () => {
  const database = `zaplecze_split_${process.pid}_${randomBytes(3).toString('hex')}`;
  const stream = `SPLIT_${process.pid}_${randomBytes(3).toString('hex')}`.toUpperCase();
  let split: Split;
  let sql: pg.Pool;
  let api: Client;
  let admin: User;
  let productId: string;
  const users: User[] = [];

  beforeAll(async () => {
    await adminQuery(`create database ${database}`);
    const url = withDatabase(DATABASE_URL as string, database);
    sql = new pg.Pool({ connectionString: url, max: 2 });
    split = await startSplit({
      env: {
        DATABASE_URL: url,
        REDIS_URL,
        NATS_URL,
        NATS_STREAM: stream,
        REDIS_KEY_PREFIX: `${stream.toLowerCase()}:`,
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
        ORDER_PAYMENT_TIMEOUT: `${PAYMENT_TIMEOUT_MS / 1000}s`,
        SHOP_SWEEP_INTERVAL: '500ms',
        // Cheap hashing: the test is about the split, not argon2's cost.
        PASSWORD_HASH_MEMORY_KIB: '8',
        PASSWORD_HASH_TIME_COST: '1',
        RATE_LIMIT_MAX: '100000',
        AUTH_RATE_LIMIT_MAX: '100000',
        LOG_LEVEL: 'warn',
      },
      replicas: { identity: 2, commerce: 2, realtime: 2, worker: 1 },
      port: 0,
      log: process.env.SPLIT_LOG ? (line) => process.stderr.write(`${line}\n`) : () => {},
    });
    api = createClient(split.url);
    const login = await api.call('POST', '/api/v1/auth/login', { body: ADMIN });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    admin = { email: ADMIN.email, id: login.body.user.id, token: login.body.accessToken };
    const product = await api.call('POST', '/api/v1/products', {
      token: admin.token,
      body: { sku: `SPLIT-${randomUUID().slice(0, 8)}`, kind: 'product', name: 'Split kettle', priceCents: 4999, currency: 'PLN', stock: INITIAL_STOCK },
    });
    expect(product.status, JSON.stringify(product.body)).toBe(201);
    productId = product.body.id;
  }, 180_000);

  afterAll(async () => {
    await split?.stop();
    await sql?.end();
    await adminQuery(`drop database if exists ${database} with (force)`).catch(() => {});
  }, 60_000);

  /** Runs `work` for every user at once, SIGKILLs `victim` while they are in flight, and restarts it. */
  async function withCrash<T>(victim: string, work: (i: number) => Promise<T>): Promise<T[]> {
    const all = Promise.all(Array.from({ length: USERS }, (_, i) => work(i)));
    await new Promise((r) => setTimeout(r, 15));
    const instance = split.instance(victim);
    instance.kill('SIGKILL');
    await instance.exited;
    const results = await all;
    await instance.restart();
    return results;
  }

  const expectAtMostOneGatewayError = (answers: Answer[]) => {
    for (const answer of answers) expect(answer.gatewayErrors).toBeLessThanOrEqual(1);
  };

  it('eight users register and log in while an identity instance is killed', async () => {
    const answers: Answer[] = [];
    const results = await withCrash('identity-1', async (i) => {
      const email = `split-${i}-${randomBytes(3).toString('hex')}@split.test`;
      const registered = await api.call('POST', '/api/v1/auth/register', { body: { email, password: PASSWORD, name: `Split ${i}` } });
      answers.push(registered);
      expect(registered.status, JSON.stringify(registered.body)).toBe(202);
      const login = await api.call('POST', '/api/v1/auth/login', { body: { email, password: PASSWORD } });
      answers.push(login);
      expect(login.status, JSON.stringify(login.body)).toBe(200);
      return { email, id: login.body.user.id as string, token: login.body.accessToken as string };
    });
    users.push(...results);
    expectAtMostOneGatewayError(answers);
    expect(new Set(users.map((u) => u.id)).size).toBe(USERS);
  }, 120_000);

  it('they check out with an Idempotency-Key while a commerce instance is killed: one order per key', async () => {
    for (const [i, user] of users.entries()) {
      const put = await api.call('PUT', `/api/v1/cart/items/${productId}`, { token: user.token, body: { quantity: 1 + (i % 3) } });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }
    const keys = users.map(() => randomUUID());
    const answers = await withCrash('commerce-1', (i) =>
      api.call('POST', '/api/v1/orders', { token: users[i]?.token, body: {}, headers: { 'idempotency-key': keys[i] as string } }),
    );
    expectAtMostOneGatewayError(answers);
    for (const [i, answer] of answers.entries()) {
      expect(answer.status, JSON.stringify(answer.body)).toBe(201);
      (users[i] as User).orderId = answer.body.id;
      // The client's retry of the same key names the same order.
      const again = await api.call('POST', '/api/v1/orders', { token: users[i]?.token, body: {}, headers: { 'idempotency-key': keys[i] as string } });
      expect(again.body.id).toBe(answer.body.id);
    }
    for (const user of users) {
      const { rows } = await sql.query('select id from shop.orders where user_id = $1', [user.id]);
      expect(rows.map((r) => r.id)).toEqual([user.orderId]);
    }
    await expectStockMatchesReservations();
  }, 120_000);

  it('they pay in the sandbox and every order reaches paid within 5 s', async () => {
    await Promise.all(
      users.map(async (user) => {
        const payment = await api.call('POST', `/api/v1/orders/${user.orderId}/payment`, { token: user.token, body: {} });
        expect(payment.status, JSON.stringify(payment.body)).toBe(200);
        const settled = await api.call('POST', `/api/v1/payments/sandbox/${payment.body.reference}/succeed`, { token: user.token, body: {} });
        expect(settled.status, JSON.stringify(settled.body)).toBe(202);
        await eventually(
          async () => ((await api.call('GET', `/api/v1/orders/${user.orderId}`, { token: user.token })).body.status === 'paid' ? true : undefined),
          `order ${user.orderId} paid`,
          5_000,
        );
      }),
    );
  }, 60_000);

  it('an unpaid order expires exactly once although the worker is killed before it is due', async () => {
    const [user] = users as [User];
    await api.call('PUT', `/api/v1/cart/items/${productId}`, { token: user.token, body: { quantity: 2 } });
    const order = await api.call('POST', '/api/v1/orders', { token: user.token, body: {}, headers: { 'idempotency-key': randomUUID() } });
    expect(order.status, JSON.stringify(order.body)).toBe(201);
    const worker = split.instance('worker-1');
    worker.kill('SIGKILL');
    await worker.exited;
    await new Promise((r) => setTimeout(r, 1_000));
    await worker.restart();
    await eventually(
      async () => ((await api.call('GET', `/api/v1/orders/${order.body.id}`, { token: user.token })).body.status === 'expired' ? true : undefined),
      'the unpaid order expired',
      PAYMENT_TIMEOUT_MS + 15_000,
    );
    // Give a second sweeper run the chance to expire it again, then count.
    await new Promise((r) => setTimeout(r, 1_500));
    const { rows } = await sql.query("select count(*)::int as n from platform.outbox_events where type = 'order.expired' and payload->'order'->>'id' = $1", [
      order.body.id,
    ]);
    expect(rows[0].n).toBe(1);
    await expectStockMatchesReservations();
  }, 60_000);

  it('two users chat across the two realtime instances; one dies mid-chat and the reconnect replays every message once', async () => {
    const [alice, bob] = users as [User, User];
    const room = await api.call('POST', '/api/v1/chat/rooms', { token: alice.token, body: { kind: 'private', name: 'split room' } });
    expect(room.status, JSON.stringify(room.body)).toBe(201);
    const added = await api.call('POST', `/api/v1/chat/rooms/${room.body.id}/members`, { token: alice.token, body: { userId: bob.id } });
    expect(added.status).toBe(204);
    const origin = new URL(split.url).origin;
    const ticket = async (user: User) => (await api.call('POST', '/api/v1/chat/ticket', { token: user.token, body: {} })).body.ticket as string;
    // Straight to one instance each, so the messages must cross between them.
    const a = await openChat(split.instance('realtime-1').url, await ticket(alice), origin);
    let b: ChatSocket = await openChat(split.instance('realtime-2').url, await ticket(bob), origin);
    for (const socket of [a, b]) {
      socket.send({ type: 'subscribe', room: room.body.id });
      await socket.next((f) => f.type === 'subscribed', 'subscribed');
    }
    const sent: number[] = [];
    const say = async (n: number) => {
      a.send({ type: 'message', room: room.body.id, text: `m${n}`, clientId: `c${n}` });
      const ack = await a.next((f) => f.type === 'ack' && f.clientId === `c${n}`, `ack ${n}`);
      sent.push(ack.seq);
    };
    for (let n = 1; n <= 10; n++) await say(n);
    await b.next((f) => f.type === 'message' && f.text === 'm10', 'm10 on the other instance');
    const lastSeen = Math.max(...b.frames.filter((f) => f.type === 'message').map((f) => f.seq as number));

    const realtime2 = split.instance('realtime-2');
    realtime2.kill('SIGKILL');
    await realtime2.exited;
    for (let n = 11; n <= 20; n++) await say(n);
    // The client reconnects through the gateway (which now reaches realtime-1) with its last seq.
    const seenBefore = b.frames.filter((f) => f.type === 'message');
    b = await openChat(split.url, await ticket(bob), origin);
    b.send({ type: 'subscribe', room: room.body.id, lastSeq: lastSeen });
    await b.next((f) => f.type === 'subscribed', 'subscribed again');
    await b.next((f) => f.type === 'message' && f.text === 'm20', 'm20 after the reconnect');
    const seqs = [...seenBefore, ...b.frames.filter((f) => f.type === 'message')].map((f) => f.seq as number);
    expect(new Set(sent).size).toBe(20);
    expect([...seqs].sort((x, y) => x - y)).toEqual([...sent].sort((x, y) => x - y));
    a.close();
    b.close();
    await realtime2.restart();
  }, 90_000);

  it('a rolling SIGTERM restart of every instance under traffic answers no 5xx', async () => {
    const [user] = users as [User];
    const statuses: number[] = [];
    let rolling = true;
    const traffic = (async () => {
      const paths = ['/api/v1/auth/sessions', `/api/v1/products/${productId}`, '/api/v1/cart', '/api/v1/chat/rooms', '/api/v1/orders'];
      for (let i = 0; rolling; i++) {
        const answer = await api.call('GET', paths[i % paths.length] as string, { token: user.token, retry: false });
        statuses.push(answer.status);
      }
    })();
    for (const instance of split.instances) {
      instance.kill('SIGTERM');
      expect(await instance.exited).toBe(0);
      await instance.restart();
    }
    rolling = false;
    await traffic;
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s >= 500 || s === 0)).toEqual([]);
  }, 240_000);

  it('a logout gives 401 on every commerce instance within 1 s', async () => {
    const login = await api.call('POST', '/api/v1/auth/login', { body: { email: users[1]?.email, password: PASSWORD } });
    const token = login.body.accessToken as string;
    const commerce = split.instances.filter((i) => i.deployment === 'commerce');
    for (const instance of commerce) {
      expect((await createClient(instance.url).call('GET', '/api/v1/cart', { token })).status).toBe(200);
    }
    const loggedOut = await api.call('POST', '/api/v1/auth/logout', { token, body: {} });
    expect(loggedOut.status).toBe(204);
    await Promise.all(
      commerce.map((instance) =>
        eventually(
          async () => ((await createClient(instance.url).call('GET', '/api/v1/cart', { token })).status === 401 ? true : undefined),
          `401 on ${instance.name}`,
          1_000,
        ),
      ),
    );
  }, 30_000);

  it("a deleted account's data is gone in every module", async () => {
    const user = users[2] as User;
    const list = await api.call('POST', '/api/v1/todo-lists', { token: user.token, body: { name: 'Split list' } });
    expect(list.status).toBe(201);
    expect((await api.call('POST', '/api/v1/todos', { token: user.token, body: { listId: list.body.id, title: 'gone soon' } })).status).toBe(201);
    await api.call('PUT', `/api/v1/cart/items/${productId}`, { token: user.token, body: { quantity: 1 } });
    const removed = await api.call('DELETE', `/api/v1/admin/users/${user.id}`, { token: admin.token });
    expect(removed.status).toBe(204);
    const left = async () => {
      const { rows } = await sql.query(
        `select (select count(*) from identity.users where id = $1)
              + (select count(*) from identity.sessions where user_id = $1)
              + (select count(*) from todos.todos where owner_id = $1)
              + (select count(*) from todos.lists where owner_id = $1)
              + (select count(*) from shop.cart_items where user_id = $1)
              + (select count(*) from files.files where owner_id = $1)
              + (select count(*) from chat.members where user_id = $1) as n`,
        [user.id],
      );
      return Number(rows[0].n) === 0 ? true : undefined;
    };
    await eventually(left, 'the deleted account gone from every module', 15_000);
    expect((await api.call('GET', '/api/v1/cart', { token: user.token })).status).toBe(401);
  }, 30_000);

  it('the outbox drains and stock still equals the live reservations', async () => {
    await eventually(async () => {
      const { rows } = await sql.query('select count(*)::int as n from platform.outbox_events where sent_at is null');
      return rows[0].n === 0 ? true : undefined;
    }, 'an empty outbox');
    await expectStockMatchesReservations();
  }, 30_000);

  async function expectStockMatchesReservations() {
    const { rows } = await sql.query(
      `select p.stock,
              coalesce((select sum(l.quantity) from catalog.stock_reservation_lines l
                         join catalog.stock_reservations r on r.order_id = l.order_id
                        where l.product_id = p.id and r.released_at is null), 0)::int as reserved
         from catalog.products p where p.id = $1`,
      [productId],
    );
    const { stock, reserved } = rows[0];
    expect(stock).toBeGreaterThanOrEqual(0);
    expect(INITIAL_STOCK - stock).toBe(reserved);
  }
});

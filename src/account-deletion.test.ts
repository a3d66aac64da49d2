/**
 * Deleting an account reaches every module that keeps the user's data, through `user.deleted`
 * on the bus: on the in-process bus, and on NATS (one process, and two processes sharing
 * PostgreSQL and NATS, where each module must still get the event once).
 */
import { count, eq } from 'drizzle-orm';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeS3 } from '../test/fake-s3.js';
import { multipart, png } from '../test/files-fixtures.js';
import { natsUrl, privateStreams } from '../test/nats-streams.js';
import { createProduct, putInCart } from '../test/shop-fixtures.js';
import { createTestApp, type TestApp, type TestUser } from '../test/test-app.js';
import { members } from './modules/chat/tables.js';
import { storedFiles } from './modules/files/tables.js';
import { sessions } from './modules/identity/tables.js';
import { cartItems } from './modules/shop/tables.js';
import { todoLists } from './modules/todos/tables.js';

const API = '/api/v1';

/** Gives the user a todo list, a file, a cart line and a chat room. */
async function fillAccount(t: TestApp, user: TestUser): Promise<void> {
  const list = await t.request({ method: 'POST', url: `${API}/todo-lists`, token: user.token, payload: { name: 'mine' } });
  expect(list.statusCode, list.body).toBe(201);
  const upload = multipart([{ filename: 'a.png', content: png(200), type: 'image/png' }]);
  const file = await t.request({ method: 'POST', url: `${API}/files`, token: user.token, ...upload });
  expect(file.statusCode, file.body).toBe(201);
  const product = await createProduct(t, await t.admin());
  await putInCart(t, user, product.id, 1);
  const room = await t.request({ method: 'POST', url: `${API}/chat/rooms`, token: user.token, payload: { kind: 'private', name: 'mine' } });
  expect(room.statusCode, room.body).toBe(201);
}

/** The storage keys of the user's files, to look for their blobs after the deletion. */
async function blobKeysOf(t: TestApp, userId: string): Promise<string[]> {
  const rows = await t.platform.db.select({ key: storedFiles.storageKey }).from(storedFiles).where(eq(storedFiles.ownerId, userId));
  return rows.map((r) => r.key);
}

/** What each module still holds of the user: rows in each module's tables, and file contents in storage. */
async function leftovers(t: TestApp, userId: string, blobKeys: string[]) {
  const db = t.platform.db;
  const n = async (q: Promise<{ n: number }[]>) => (await q)[0]?.n ?? -1;
  return {
    todoLists: await n(db.select({ n: count() }).from(todoLists).where(eq(todoLists.ownerId, userId))),
    files: await n(db.select({ n: count() }).from(storedFiles).where(eq(storedFiles.ownerId, userId))),
    blobs: (await Promise.all(blobKeys.map((key) => t.platform.storage.head(key)))).filter(Boolean).length,
    cartLines: await n(db.select({ n: count() }).from(cartItems).where(eq(cartItems.userId, userId))),
    chatMemberships: await n(db.select({ n: count() }).from(members).where(eq(members.userId, userId))),
    sessions: await n(db.select({ n: count() }).from(sessions).where(eq(sessions.userId, userId))),
  };
}

const nothing = { todoLists: 0, files: 0, blobs: 0, cartLines: 0, chatMemberships: 0, sessions: 0 };

async function deleteAndExpectCascade(deleter: TestApp, observer: TestApp, user: TestUser) {
  const blobKeys = await blobKeysOf(observer, user.id);
  const before = await leftovers(observer, user.id, blobKeys);
  expect(before).toEqual({ todoLists: 1, files: 1, blobs: 1, cartLines: 1, chatMemberships: 1, sessions: 1 });
  const admin = await deleter.admin();
  const res = await deleter.request({ method: 'DELETE', url: `${API}/admin/users/${user.id}`, token: admin.token });
  expect(res.statusCode, res.body).toBe(204);
  await vi.waitFor(async () => expect(await leftovers(observer, user.id, blobKeys)).toEqual(nothing), { timeout: 15_000, interval: 50 });
}

describe('deleting an account', () => {
  const apps: TestApp[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const streams = privateStreams();
  afterEach(async () => {
    // The second process first: it shares the first one's database.
    for (const app of apps.splice(0).reverse()) await app.close();
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await streams.deleteAll();
  });
  const natsEnv = () => streams.env();

  it('when an admin deletes an account (in-process bus), then its todos, files (their contents too), cart, chat memberships and sessions go', async () => {
    const t = await createTestApp();
    apps.push(t);
    const user = await t.createUser();
    await fillAccount(t, user);
    await deleteAndExpectCascade(t, t, user);
  });

  it.runIf(natsUrl)(
    'when an admin deletes an account on NATS, then every subscribing module cleans up (not only one of them)',
    async () => {
      const t = await createTestApp({ env: natsEnv() });
      apps.push(t);
      const user = await t.createUser();
      await fillAccount(t, user);
      await deleteAndExpectCascade(t, t, user);
    },
  );

  it.runIf(natsUrl)(
    'when two processes share PostgreSQL, NATS and S3, then an account deleted on one is cleaned up by every module',
    async () => {
      // Split mode shares blob storage too: whichever process handles the event deletes the blob.
      const s3 = await startFakeS3();
      cleanups.push(() => s3.close());
      const env = { ...natsEnv(), ...s3.env };
      const one = await createTestApp({ env });
      apps.push(one);
      const two = await createTestApp({ env, shareWith: one });
      apps.push(two);
      const user = await one.createUser();
      await fillAccount(one, user);
      await deleteAndExpectCascade(two, one, user);
    },
  );
});

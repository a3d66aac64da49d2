import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { API, createList, createTodo, type TodoWire } from '../../../test/todos-fixtures.js';
import { createTodosRepo } from './repo.js';

interface SyncPage {
  items: TodoWire[];
  deleted: { id: string; deletedAt: string }[];
  nextCursor: string | null;
  serverTime: string;
  reset: boolean;
}

const DAY = 86_400_000;

describe('delta sync: GET /todos?updatedSince=', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  async function sync(user: TestUser, updatedSince: string, extra = ''): Promise<SyncPage> {
    const res = await t.request({
      method: 'GET',
      url: `${API}/todos?updatedSince=${encodeURIComponent(updatedSince)}${extra}`,
      token: user.token,
    });
    if (res.statusCode !== 200) throw new Error(`sync failed: ${res.statusCode} ${res.body}`);
    return res.json();
  }

  /** A whole sync pass, following nextCursor; checks every page carries the same serverTime. */
  async function syncAll(user: TestUser, updatedSince: string, limit: number) {
    const pages: SyncPage[] = [await sync(user, updatedSince, `&limit=${limit}`)];
    while (pages.at(-1)?.nextCursor) {
      pages.push(await sync(user, updatedSince, `&limit=${limit}&cursor=${pages.at(-1)?.nextCursor}`));
    }
    const serverTimes = new Set(pages.map((p) => p.serverTime));
    expect(serverTimes.size).toBe(1);
    return {
      pages,
      items: pages.flatMap((p) => p.items),
      deleted: pages.flatMap((p) => p.deleted),
      serverTime: pages[0]?.serverTime as string,
    };
  }

  it('when a client syncs, changes and syncs again from serverTime, then it gets the changed items and the deleted ids', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const a = await createTodo(t, u, { listId: list.id, title: 'a' });
    const b = await createTodo(t, u, { listId: list.id, title: 'b' });
    t.clock.advance(5000);
    const first = await sync(u, new Date(t.clock.now().getTime() - DAY).toISOString());
    expect(first.items.map((i) => i.title)).toEqual(['a', 'b']);
    expect(first).toMatchObject({ deleted: [], nextCursor: null, reset: false });
    expect(Date.parse(first.serverTime)).toBeLessThanOrEqual(t.clock.now().getTime());

    t.clock.advance(5000);
    await t.request({ method: 'PATCH', url: `${API}/todos/${a.id}`, token: u.token, payload: { title: 'a2' } });
    t.clock.advance(10);
    await t.request({ method: 'DELETE', url: `${API}/todos/${b.id}`, token: u.token });
    t.clock.advance(10);
    const c = await createTodo(t, u, { listId: list.id, title: 'c' });

    const second = await sync(u, first.serverTime);
    expect(second.items.map((i) => [i.id, i.title])).toEqual([
      [a.id, 'a2'],
      [c.id, 'c'],
    ]);
    expect(second.deleted).toEqual([{ id: b.id, deletedAt: new Date(Date.parse(c.createdAt) - 10).toISOString() }]);
    expect(second.reset).toBe(false);
  });

  it('when updatedSince equals a change’s time exactly, then that change is included (inclusive bound)', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const a = await createTodo(t, u, { listId: list.id });
    t.clock.advance(60_000);
    const page = await sync(u, a.updatedAt);
    expect(page.items.map((i) => i.id)).toEqual([a.id]);
  });

  it('when nothing changed since serverTime, then the answer is empty', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    await createTodo(t, u, { listId: list.id });
    t.clock.advance(5000);
    const first = await sync(u, '2000-01-01T00:00:00Z');
    t.clock.advance(5000);
    expect(await sync(u, first.serverTime)).toMatchObject({ items: [], deleted: [], nextCursor: null });
  });

  it('when changes span pages, then one pass returns each change once, in change order, with one serverTime', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const since = t.clock.now().toISOString();
    const made: TodoWire[] = [];
    for (let i = 0; i < 5; i++) {
      made.push(await createTodo(t, u, { listId: list.id, title: `t${i}` }));
      t.clock.advance(1);
    }
    await t.request({ method: 'DELETE', url: `${API}/todos/${made[1]?.id}`, token: u.token });
    t.clock.advance(1);
    await t.request({ method: 'DELETE', url: `${API}/todos/${made[3]?.id}`, token: u.token });
    t.clock.advance(1);
    await t.request({ method: 'PATCH', url: `${API}/todos/${made[0]?.id}`, token: u.token, payload: { completed: true } });
    t.clock.advance(5000);
    const pass = await syncAll(u, since, 2);
    expect(pass.pages.length).toBe(3);
    expect(pass.items.map((i) => i.title)).toEqual(['t2', 't4', 't0']);
    expect(pass.deleted.map((d) => d.id)).toEqual([made[1]?.id, made[3]?.id]);
  });

  it('when a todo changes while a client pages through a sync, then the next sync from that serverTime brings it', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const since = t.clock.now().toISOString();
    const todos = [];
    for (let i = 0; i < 4; i++) todos.push(await createTodo(t, u, { listId: list.id, title: `t${i}` }));
    t.clock.advance(5000);
    const page1 = await sync(u, since, '&limit=2');
    // The first item of page 1 changes (same millisecond as the pass: the hardest case).
    await t.request({ method: 'PATCH', url: `${API}/todos/${page1.items[0]?.id}`, token: u.token, payload: { title: 'edited' } });
    const page2 = await sync(u, since, `&limit=2&cursor=${page1.nextCursor}`);
    expect(page2.serverTime).toBe(page1.serverTime);
    const next = await sync(u, page1.serverTime);
    expect(next.items.map((i) => i.title)).toContain('edited');
  });

  it('when a list is deleted, then every todo in it comes back as a tombstone', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const x = await createTodo(t, u, { listId: list.id });
    const y = await createTodo(t, u, { listId: list.id });
    const since = t.clock.now().toISOString();
    t.clock.advance(1000);
    await t.request({ method: 'DELETE', url: `${API}/todo-lists/${list.id}`, token: u.token });
    const page = await sync(u, since);
    expect(page.deleted.map((d) => d.id).sort()).toEqual([x.id, y.id].sort());
    expect(page.items).toEqual([]);
  });

  it('when todos are bulk-completed or renumbered by a move, then they show up as changed', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const a = await createTodo(t, u, { listId: list.id });
    const b = await createTodo(t, u, { listId: list.id });
    t.clock.advance(5000);
    const since = t.clock.now().toISOString();
    await t.request({ method: 'POST', url: `${API}/todos/bulk`, token: u.token, payload: { action: 'complete', ids: [a.id, b.id] } });
    const page = await sync(u, since);
    expect(page.items.map((i) => [i.id, i.completed])).toEqual([
      [a.id, true],
      [b.id, true],
    ]);
  });

  it('when updatedSince is older than the retention, then a full resync: reset true, every todo, no tombstones', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const keep = await createTodo(t, u, { listId: list.id, title: 'keep' });
    const gone = await createTodo(t, u, { listId: list.id, title: 'gone' });
    await t.request({ method: 'DELETE', url: `${API}/todos/${gone.id}`, token: u.token });
    const old = new Date(t.clock.now().getTime() - 31 * DAY).toISOString();
    const page = await sync(u, old);
    expect(page).toMatchObject({ reset: true, deleted: [] });
    expect(page.items.map((i) => i.id)).toEqual([keep.id]);
    const paged = await syncAll(u, old, 1);
    expect(paged.pages.every((p) => p.reset)).toBe(true);
  });

  it('when tombstones pass the retention, then the purge removes them and newer ones stay', async () => {
    let u = await t.createUser();
    const list = await createList(t, u);
    const old = await createTodo(t, u, { listId: list.id });
    await t.request({ method: 'DELETE', url: `${API}/todos/${old.id}`, token: u.token });
    t.clock.advance(31 * DAY);
    u = await t.login(u.email, u.password);
    const recent = await createTodo(t, u, { listId: list.id });
    await t.request({ method: 'DELETE', url: `${API}/todos/${recent.id}`, token: u.token });
    const purged = await createTodosRepo(t.platform.db).purgeTombstones(new Date(t.clock.now().getTime() - 30 * DAY));
    expect(purged).toBeGreaterThanOrEqual(1);
    const page = await sync(u, new Date(t.clock.now().getTime() - DAY).toISOString());
    expect(page.deleted.map((d) => d.id)).toEqual([recent.id]);
  });

  it('when updatedSince comes with filters or a foreign cursor, then 400', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const res = await t.request({ method: 'GET', url: `${API}/todos?updatedSince=2030-01-01T00:00:00Z&listId=${list.id}`, token: u.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/querystring/listId', message: 'cannot be combined with updatedSince' }]);
    for (let i = 0; i < 2; i++) await createTodo(t, u, { listId: list.id });
    const normal = await t.request({ method: 'GET', url: `${API}/todos?limit=1`, token: u.token });
    const mixed = await t.request({
      method: 'GET',
      url: `${API}/todos?updatedSince=2030-01-01T00:00:00Z&cursor=${normal.json().nextCursor}`,
      token: u.token,
    });
    expect(mixed.statusCode).toBe(400);
    expect(mixed.json().code).toBe('INVALID_CURSOR');
  });

  it('when a write is in flight during a sync, then the sync waits for it, so the change is not lost', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    const todo = await createTodo(t, u, { listId: list.id, title: 'before' });
    t.clock.advance(5000);
    const repo = createTodosRepo(t.platform.db);
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => {
      locked = resolve;
    });
    let release!: () => void;
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    // A writer that stamps its change now but commits only later.
    const writer = repo.transaction(async (tx) => {
      await tx.lockOwner(u.id);
      await tx.updateTodo(u.id, todo.id, { title: 'slow write' }, t.clock.now());
      locked();
      await released;
    });
    await lockTaken;
    t.clock.advance(60_000);
    // Without the wait, this sync would miss the uncommitted change and hand out a serverTime
    // a minute after its timestamp, so the next sync would miss it too.
    const syncing = sync(u, todo.updatedAt);
    setTimeout(release, 100);
    await writer;
    const page = await syncing;
    expect(page.items.map((i) => i.title)).toEqual(['slow write']);
  });
});

import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { API, createList, createTodo, listAll, type TodoWire } from '../../../test/todos-fixtures.js';
import { createTodosRepo } from './repo.js';
import { deletedTodos } from './tables.js';

describe('todo lists and todos', () => {
  let t: TestApp;
  let ada: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    ada = await t.createUser();
  });
  afterAll(() => t.close());

  it('when a list is created, then 201 with Location and ETag, and it reads back', async () => {
    const res = await t.request({ method: 'POST', url: `${API}/todo-lists`, token: ada.token, payload: { name: '  Groceries ' } });
    expect(res.statusCode).toBe(201);
    const list = res.json();
    expect(list).toMatchObject({ name: 'Groceries', version: 1 });
    expect(res.headers.location).toBe(`${API}/todo-lists/${list.id}`);
    expect(res.headers.etag).toBe(`"${list.id}.1"`);
    const got = await t.request({ method: 'GET', url: res.headers.location as string, token: ada.token });
    expect(got.statusCode).toBe(200);
    expect(got.json()).toEqual(list);
  });

  it('when lists are listed, then they come in creation order, paged by cursor', async () => {
    const u = await t.createUser();
    const made = [];
    for (const name of ['a', 'b', 'c']) made.push(await createList(t, u, name));
    const first = await t.request({ method: 'GET', url: `${API}/todo-lists?limit=2`, token: u.token });
    expect(first.json().items.map((l: { name: string }) => l.name)).toEqual(['a', 'b']);
    const second = await t.request({ method: 'GET', url: `${API}/todo-lists?limit=2&cursor=${first.json().nextCursor}`, token: u.token });
    expect(second.json()).toMatchObject({ items: [{ name: 'c' }], nextCursor: null });
  });

  it('when a list is renamed with a stale If-Match, then 412 and the name stays', async () => {
    const list = await createList(t, ada, 'Old');
    const ok = await t.request({
      method: 'PATCH',
      url: `${API}/todo-lists/${list.id}`,
      token: ada.token,
      headers: { 'if-match': `"${list.id}.1"` },
      payload: { name: 'New' },
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.headers.etag).toBe(`"${list.id}.2"`);
    const stale = await t.request({
      method: 'PATCH',
      url: `${API}/todo-lists/${list.id}`,
      token: ada.token,
      headers: { 'if-match': `"${list.id}.1"` },
      payload: { name: 'Newer' },
    });
    expect(stale.statusCode).toBe(412);
    expect(stale.json().code).toBe('PRECONDITION_FAILED');
    expect((await t.request({ method: 'GET', url: `${API}/todo-lists/${list.id}`, token: ada.token })).json().name).toBe('New');
  });

  it('when a todo is created with defaults, then it is open, normal priority, at the end of its list', async () => {
    const list = await createList(t, ada);
    const res = await t.request({ method: 'POST', url: `${API}/todos`, token: ada.token, payload: { listId: list.id, title: 'Buy milk' } });
    expect(res.statusCode).toBe(201);
    const todo = res.json();
    expect(res.headers.location).toBe(`${API}/todos/${todo.id}`);
    expect(res.headers.etag).toBe(`"${todo.id}.1"`);
    expect(todo).toMatchObject({
      listId: list.id,
      title: 'Buy milk',
      notes: null,
      completed: false,
      completedAt: null,
      dueAt: null,
      priority: 'normal',
      tags: [],
      version: 1,
    });
    const second = await createTodo(t, ada, { listId: list.id });
    expect(second.position).toBeGreaterThan(todo.position);
  });

  it('when a todo is created with every field, then tags are trimmed, lower-cased and merged', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, {
      listId: list.id,
      title: 'File taxes',
      notes: 'PIT-37',
      completed: true,
      dueAt: '2030-04-30T12:00:00+02:00',
      priority: 'high',
      tags: ['Money ', 'money', 'urgent'],
    });
    expect(todo).toMatchObject({
      notes: 'PIT-37',
      completed: true,
      dueAt: '2030-04-30T10:00:00.000Z',
      priority: 'high',
      tags: ['money', 'urgent'],
    });
    expect(todo.completedAt).toBe(t.clock.now().toISOString());
  });

  it('when a todo is completed and reopened, then completedAt follows, and the version grows', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, { listId: list.id });
    t.clock.advance(1000);
    const done = await t.request({ method: 'PATCH', url: `${API}/todos/${todo.id}`, token: ada.token, payload: { completed: true } });
    expect(done.json()).toMatchObject({ completed: true, completedAt: t.clock.now().toISOString(), version: 2 });
    expect(done.json().updatedAt).toBe(t.clock.now().toISOString());
    const open = await t.request({
      method: 'PATCH',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      payload: { completed: false, notes: null, dueAt: null },
    });
    expect(open.json()).toMatchObject({ completed: false, completedAt: null, notes: null, version: 3 });
  });

  it('when a todo is fetched with its ETag in If-None-Match, then 304', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, { listId: list.id });
    const got = await t.request({ method: 'GET', url: `${API}/todos/${todo.id}`, token: ada.token });
    expect(got.headers.etag).toBe(`"${todo.id}.1"`);
    const again = await t.request({
      method: 'GET',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      headers: { 'if-none-match': `"${todo.id}.1"` },
    });
    expect(again.statusCode).toBe(304);
  });

  it('when a todo is patched with a stale If-Match, then 412 and nothing changes; a current one succeeds', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, { listId: list.id, title: 'v1' });
    await t.request({ method: 'PATCH', url: `${API}/todos/${todo.id}`, token: ada.token, payload: { title: 'v2' } });
    const stale = await t.request({
      method: 'PATCH',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      headers: { 'if-match': `"${todo.id}.1"` },
      payload: { title: 'lost update' },
    });
    expect(stale.statusCode).toBe(412);
    const weak = await t.request({
      method: 'PATCH',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      headers: { 'if-match': `W/"${todo.id}.2"` },
      payload: { title: 'weak' },
    });
    expect(weak.statusCode).toBe(412);
    const current = await t.request({
      method: 'PATCH',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      headers: { 'if-match': `"${todo.id}.2"` },
      payload: { title: 'v3' },
    });
    expect(current.statusCode).toBe(200);
    expect(current.json()).toMatchObject({ title: 'v3', version: 3 });
    const staleDelete = await t.request({
      method: 'DELETE',
      url: `${API}/todos/${todo.id}`,
      token: ada.token,
      headers: { 'if-match': `"${todo.id}.2"` },
    });
    expect(staleDelete.statusCode).toBe(412);
  });

  it('when a todo changes list by PATCH, then it goes to the end of the new list', async () => {
    const a = await createList(t, ada, 'A');
    const b = await createList(t, ada, 'B');
    const inB = await createTodo(t, ada, { listId: b.id });
    const todo = await createTodo(t, ada, { listId: a.id });
    const res = await t.request({ method: 'PATCH', url: `${API}/todos/${todo.id}`, token: ada.token, payload: { listId: b.id } });
    expect(res.json().listId).toBe(b.id);
    expect(res.json().position).toBeGreaterThan(inB.position);
  });

  it('when a todo names a list that does not exist, then 404 TODO_LIST_NOT_FOUND', async () => {
    const res = await t.request({
      method: 'POST',
      url: `${API}/todos`,
      token: ada.token,
      payload: { listId: '0190a000-0000-7000-8000-000000000000', title: 'x' },
    });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('TODO_LIST_NOT_FOUND');
  });

  it('when a todo is deleted, then 204 and it is gone', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, { listId: list.id });
    expect((await t.request({ method: 'DELETE', url: `${API}/todos/${todo.id}`, token: ada.token })).statusCode).toBe(204);
    const gone = await t.request({ method: 'GET', url: `${API}/todos/${todo.id}`, token: ada.token });
    expect(gone.statusCode).toBe(404);
    expect(gone.json().code).toBe('TODO_NOT_FOUND');
  });

  it('when a list is deleted, then its todos go with it', async () => {
    const list = await createList(t, ada);
    const todo = await createTodo(t, ada, { listId: list.id });
    expect((await t.request({ method: 'DELETE', url: `${API}/todo-lists/${list.id}`, token: ada.token })).statusCode).toBe(204);
    expect((await t.request({ method: 'GET', url: `${API}/todos/${todo.id}`, token: ada.token })).statusCode).toBe(404);
    expect((await t.request({ method: 'GET', url: `${API}/todo-lists/${list.id}`, token: ada.token })).statusCode).toBe(404);
  });

  it.each([
    ['POST', '/todos', { listId: 'not-a-uuid', title: '' }, ['/listId', '/title']],
    ['POST', '/todos', { title: 'x'.repeat(501), priority: 'urgent', colour: 'red' }, ['/listId', '/title', '/priority', '/colour']],
    ['POST', '/todos', { title: '   ' }, ['/listId', '/title']],
    ['POST', '/todos', { title: 'ok', tags: ['a,b'], dueAt: 'tomorrow' }, ['/listId', '/tags/0', '/dueAt']],
    ['POST', '/todo-lists', { name: '' }, ['/name']],
    ['PATCH', '/todos/0190a000-0000-7000-8000-000000000000', {}, ['/']],
    ['POST', '/todos/bulk', { action: 'archive', ids: [] }, ['/action', '/ids']],
    [
      'POST',
      '/todos/bulk',
      { action: 'complete', ids: Array.from({ length: 101 }, (_, i) => `0190a000-0000-7000-8000-${String(i).padStart(12, '0')}`) },
      ['/ids'],
    ],
  ])('when %s %s gets an invalid body, then 400 names every bad field', async (method, url, payload, paths) => {
    const res = await t.request({ method: method as 'POST', url: `${API}${url}`, token: ada.token, payload });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    const got = body.errors.map((e: { path: string }) => e.path);
    for (const path of paths) expect(got).toContain(path);
  });

  it('when an admin deletes an account, then its lists, todos and tombstones are erased', async () => {
    const gone = await t.createUser();
    const list = await createList(t, gone);
    const doomed = await createTodo(t, gone, { listId: list.id });
    await createTodo(t, gone, { listId: list.id });
    await t.request({ method: 'DELETE', url: `${API}/todos/${doomed.id}`, token: gone.token });
    const keep = await createTodo(t, ada, { listId: (await createList(t, ada)).id });
    const admin = await t.admin();
    expect((await t.request({ method: 'DELETE', url: `${API}/admin/users/${gone.id}`, token: admin.token })).statusCode).toBe(204);
    const repo = createTodosRepo(t.platform.db);
    await expect.poll(async () => (await repo.countTodos(gone.id)) + (await repo.countLists(gone.id))).toBe(0);
    const tombstones = await t.platform.db.select().from(deletedTodos).where(eq(deletedTodos.ownerId, gone.id));
    expect(tombstones).toEqual([]);
    expect((await t.request({ method: 'GET', url: `${API}/todos/${keep.id}`, token: ada.token })).statusCode).toBe(200);
  });

  it('when the OpenAPI document is fetched, then every todos operation is in it with its access and the sync contract', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const ops = ['/todo-lists', '/todo-lists/{id}', '/todo-lists/{id}/move', '/todos', '/todos/bulk', '/todos/{id}', '/todos/{id}/move'];
    for (const path of ops) expect(Object.keys(doc.paths)).toContain(`${API}${path}`);
    const list = doc.paths[`${API}/todos`].get;
    expect(list['x-access']).toBe('user');
    expect(list.description).toContain('updatedSince');
    expect(JSON.stringify(list.parameters)).toContain('serverTime');
  });

  it('when the query has bad values, then 400 with querystring paths', async () => {
    const res = await t.request({ method: 'GET', url: `${API}/todos?sort=title&completed=maybe&limit=500`, token: ada.token });
    expect(res.statusCode).toBe(400);
    const paths = res.json().errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/querystring/sort', '/querystring/completed', '/querystring/limit']));
    const cursor = await t.request({ method: 'GET', url: `${API}/todos?cursor=garbage`, token: ada.token });
    expect(cursor.statusCode).toBe(400);
    expect(cursor.json().code).toBe('INVALID_CURSOR');
  });

  it('when a cursor of one sort is used with another, then 400 INVALID_CURSOR (not a server error)', async () => {
    const u = await t.createUser();
    const list = await createList(t, u);
    for (let i = 0; i < 3; i++) await createTodo(t, u, { listId: list.id });
    const page = await t.request({ method: 'GET', url: `${API}/todos?sort=createdAt&limit=1`, token: u.token });
    const res = await t.request({
      method: 'GET',
      url: `${API}/todos?sort=priority&limit=1&cursor=${page.json().nextCursor}`,
      token: u.token,
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('INVALID_CURSOR');
  });
});

describe('filters and sorts of GET /todos', () => {
  let t: TestApp;
  let u: TestUser;
  let home: { id: string };
  let work: { id: string };
  const byTitle: Record<string, TodoWire> = {};
  let start: number;
  const titles = (items: TodoWire[]) => items.map((i) => i.title);

  beforeAll(async () => {
    t = await createTestApp();
    u = await t.createUser();
    home = await createList(t, u, 'Home');
    work = await createList(t, u, 'Work');
    start = t.clock.now().getTime();
    const now = start;
    const day = 86_400_000;
    const rows: [string, { id: string }, Record<string, unknown>][] = [
      ['overdue bill', home, { dueAt: new Date(now - day).toISOString(), priority: 'high', tags: ['money'] }],
      ['paid bill', home, { dueAt: new Date(now - 2 * day).toISOString(), completed: true, tags: ['money'] }],
      ['water plants', home, { dueAt: new Date(now + day).toISOString(), priority: 'low', notes: 'the Ficus too' }],
      ['call 100% Mike', work, { priority: 'high' }],
      ['write report', work, { dueAt: new Date(now + 3 * day).toISOString(), tags: ['writing', 'q3'] }],
      ['review report', work, { dueAt: new Date(now + 3 * day).toISOString(), priority: 'low', tags: ['q3'] }],
    ];
    for (const [title, list, extra] of rows) {
      byTitle[title] = await createTodo(t, u, { listId: list.id, title, ...extra });
      t.clock.advance(10);
    }
    // Someone else's matching data must never show up.
    const other = await t.createUser();
    const otherList = await createList(t, other);
    await createTodo(t, other, { listId: otherList.id, title: 'overdue bill', tags: ['money'], dueAt: new Date(now - day).toISOString() });
  });
  afterAll(() => t.close());

  it.each<[string, Record<string, string | boolean | number>, string[]]>([
    ['listId', { listId: 'work' }, ['call 100% Mike', 'write report', 'review report']],
    ['completed=true', { completed: true }, ['paid bill']],
    ['completed=false', { completed: false, listId: 'home' }, ['overdue bill', 'water plants']],
    ['overdue', { overdue: true }, ['overdue bill']],
    ['overdue=false', { overdue: false, listId: 'home' }, ['paid bill', 'water plants']],
    ['tag (any case)', { tag: 'MONEY' }, ['overdue bill', 'paid bill']],
    ['q in title', { q: 'REPORT' }, ['write report', 'review report']],
    ['q in notes', { q: 'ficus' }, ['water plants']],
    ['q with LIKE wildcards is literal', { q: '100%' }, ['call 100% Mike']],
    ['due window [after, before)', { dueAfter: 'now', dueBefore: 'now+3d' }, ['water plants']],
    ['filters combine', { tag: 'q3', listId: 'work', q: 'write' }, ['write report']],
  ])('when filtering by %s, then only the caller’s matching todos come back', async (_name, query, expected) => {
    const now = start;
    const resolved = Object.fromEntries(
      Object.entries(query).map(([k, v]) => [
        k,
        v === 'work'
          ? work.id
          : v === 'home'
            ? home.id
            : v === 'now'
              ? new Date(now).toISOString()
              : v === 'now+3d'
                ? new Date(now + 3 * 86_400_000).toISOString()
                : v,
      ]),
    );
    const items = await listAll(t, u, { ...resolved, sort: 'createdAt' });
    expect(titles(items)).toEqual(expected);
  });

  it.each<[string, string[]]>([
    ['createdAt', ['overdue bill', 'paid bill', 'water plants', 'call 100% Mike', 'write report', 'review report']],
    ['-createdAt', ['review report', 'write report', 'call 100% Mike', 'water plants', 'paid bill', 'overdue bill']],
    ['dueAt', ['paid bill', 'overdue bill', 'water plants', 'write report', 'review report', 'call 100% Mike']],
    ['-dueAt', ['review report', 'write report', 'water plants', 'overdue bill', 'paid bill', 'call 100% Mike']],
  ])('when sorted by %s and paged one by one, then every todo comes once in order (ties by id)', async (sort, expected) => {
    const items = await listAll(t, u, { sort, limit: 1 });
    expect(titles(items)).toEqual(expected);
  });

  it('when sorted by priority both ways with pages of 2, then ties keep id order and nothing repeats', async () => {
    const asc = await listAll(t, u, { sort: 'priority', limit: 2 });
    expect(asc.map((i) => i.priority)).toEqual(['low', 'low', 'normal', 'normal', 'high', 'high']);
    expect(titles(asc)).toEqual(['water plants', 'review report', 'paid bill', 'write report', 'overdue bill', 'call 100% Mike']);
    const desc = await listAll(t, u, { sort: '-priority', limit: 2 });
    expect(titles(desc)).toEqual([...titles(asc)].reverse());
  });

  it('when sorted by position (the default), then todos come grouped by list in list order', async () => {
    const items = await listAll(t, u, { listId: home.id, limit: 2 });
    expect(titles(items)).toEqual(['overdue bill', 'paid bill', 'water plants']);
    const all = await listAll(t, u, { limit: 4 });
    expect(all).toHaveLength(6);
    expect(new Set(all.map((i) => i.id)).size).toBe(6);
  });

  it('when dueAfter is not before dueBefore, then 400 names dueBefore', async () => {
    const at = t.clock.now().toISOString();
    const res = await t.request({ method: 'GET', url: `${API}/todos?dueAfter=${at}&dueBefore=${at}`, token: u.token });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ path: '/querystring/dueBefore', message: 'must be later than dueAfter' }]);
  });

  it('when a sorted page is requested, then the answer equals the rows of the todos they name', async () => {
    const [first] = await listAll(t, u, { sort: 'createdAt', limit: 6 });
    expect(first).toEqual(byTitle['overdue bill']);
  });
});

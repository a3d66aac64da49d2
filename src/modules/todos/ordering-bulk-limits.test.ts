import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { API, createList, createTodo, listAll, type TodoWire } from '../../../test/todos-fixtures.js';
import { GAP } from './positions.js';

const fail = (why: string): never => {
  throw new Error(why);
};
const MISSING = '0190a000-0000-7000-8000-000000000000';

describe('reordering with POST /todos/:id/move', () => {
  let t: TestApp;
  let u: TestUser;
  beforeAll(async () => {
    t = await createTestApp();
    u = await t.createUser();
  });
  afterAll(() => t.close());

  async function listWith(titles: string[]) {
    const list = await createList(t, u);
    const made = new Map<string, string>();
    for (const title of titles) made.set(title, (await createTodo(t, u, { listId: list.id, title })).id);
    const id = (title: string) => made.get(title) ?? fail(`no todo ${title}`);
    return { list, id };
  }
  const order = async (listId: string) => (await listAll(t, u, { listId })).map((i) => i.title);
  const move = (id: string, payload: object) => t.request({ method: 'POST', url: `${API}/todos/${id}/move`, token: u.token, payload });

  it('when a todo moves before another, then it lands right there and no other todo changes', async () => {
    const { list, id } = await listWith(['a', 'b', 'c', 'd']);
    const res = await move(id('d'), { before: id('b') });
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toBe(`"${id('d')}.2"`);
    expect(await order(list.id)).toEqual(['a', 'd', 'b', 'c']);
    const all = await listAll(t, u, { listId: list.id });
    expect(all.filter((i) => i.title !== 'd').every((i) => i.version === 1)).toBe(true);
  });

  it('when a todo moves after the last or before the first, then it becomes last or first', async () => {
    const { list, id } = await listWith(['a', 'b', 'c']);
    await move(id('a'), { after: id('c') });
    expect(await order(list.id)).toEqual(['b', 'c', 'a']);
    await move(id('a'), { before: id('b') });
    expect(await order(list.id)).toEqual(['a', 'b', 'c']);
    await move(id('b'), { after: id('a') });
    expect(await order(list.id)).toEqual(['a', 'b', 'c']);
  });

  it('when a todo moves next to a todo of another list, then it joins that list there', async () => {
    const one = await listWith(['x', 'y']);
    const two = await listWith(['p', 'q']);
    const res = await move(one.id('x'), { after: two.id('p') });
    expect(res.json().listId).toBe(two.list.id);
    expect(await order(two.list.id)).toEqual(['p', 'x', 'q']);
    expect(await order(one.list.id)).toEqual(['y']);
  });

  it('when a move names only listId, then the todo goes to the end of that list', async () => {
    const one = await listWith(['x']);
    const two = await listWith(['p', 'q']);
    await move(one.id('x'), { listId: two.list.id });
    expect(await order(two.list.id)).toEqual(['p', 'q', 'x']);
  });

  it('when the same gap is split until no integer is left, then only that list is renumbered and the order holds', async () => {
    const { list, id } = await listWith(['first', 'last']);
    const other = await listWith(['untouched']);
    const expected = ['first', 'last'];
    // Each new todo goes right after `first`, halving the same gap each time: 2^20 runs out after 20.
    for (let i = 0; i < 25; i++) {
      const todo = await createTodo(t, u, { listId: list.id, title: `n${i}` });
      const res = await move(todo.id, { after: id('first') });
      expect(res.statusCode).toBe(200);
      expected.splice(1, 0, `n${i}`);
    }
    const items = await listAll(t, u, { listId: list.id });
    expect(items.map((i) => i.title)).toEqual(expected);
    expect(new Set(items.map((i) => i.position)).size).toBe(items.length);
    // A renumbering happened (positions are back on the GAP grid for the early ones).
    expect(items.some((i) => i.version > 2 && i.title !== 'first')).toBe(true);
    expect((await listAll(t, u, { listId: other.list.id }))[0]?.version).toBe(1);
    expect(items.every((i) => Number.isSafeInteger(i.position))).toBe(true);
    expect(GAP).toBe(2 ** 20);
  });

  it.each<[string, (ids: Record<string, string>) => object, string]>([
    ['before itself', (i) => ({ before: i.a }), '/before'],
    ['both before and after', (i) => ({ before: i.b, after: i.b }), '/after'],
    ['a listId other than the anchor’s', (i) => ({ after: i.b, listId: i.otherList }), '/listId'],
    ['nothing', () => ({}), '/'],
  ])('when a move gives %s, then 400 names the field and nothing moves', async (_name, body, path) => {
    const { list, id } = await listWith(['a', 'b']);
    const otherList = await createList(t, u);
    const res = await move(id('a'), body({ a: id('a'), b: id('b'), otherList: otherList.id }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(await order(list.id)).toEqual(['a', 'b']);
  });

  it('when lists are moved, then GET /todo-lists follows the new order', async () => {
    const v = await t.createUser();
    const [a, b, c] = [await createList(t, v, 'a'), await createList(t, v, 'b'), await createList(t, v, 'c')];
    const res = await t.request({ method: 'POST', url: `${API}/todo-lists/${c.id}/move`, token: v.token, payload: { before: a.id } });
    expect(res.statusCode).toBe(200);
    const names = (await t.request({ method: 'GET', url: `${API}/todo-lists`, token: v.token }))
      .json()
      .items.map((l: { name: string }) => l.name);
    expect(names).toEqual(['c', 'a', 'b']);
    expect(b.id).toBeTruthy();
  });
});

describe('bulk actions with POST /todos/bulk', () => {
  let t: TestApp;
  let u: TestUser;
  let listId: string;
  beforeAll(async () => {
    t = await createTestApp();
    u = await t.createUser();
    listId = (await createList(t, u)).id;
  });
  afterAll(() => t.close());

  const bulk = (payload: object) => t.request({ method: 'POST', url: `${API}/todos/bulk`, token: u.token, payload });
  const three = async () => [await createTodo(t, u, { listId }), await createTodo(t, u, { listId }), await createTodo(t, u, { listId })];

  it('when todos are completed in bulk, then all are completed; again changes nothing', async () => {
    const ids = (await three()).map((x) => x.id);
    const res = await bulk({ action: 'complete', ids });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ action: 'complete', changed: 3 });
    expect(res.json().items.map((i: TodoWire) => [i.id, i.completed])).toEqual(ids.map((id) => [id, true]));
    const again = await bulk({ action: 'complete', ids });
    expect(again.json().changed).toBe(0);
    const reopened = await bulk({ action: 'reopen', ids });
    expect(reopened.json().changed).toBe(3);
    expect(reopened.json().items.every((i: TodoWire) => !i.completed && i.completedAt === null)).toBe(true);
  });

  it('when todos are deleted in bulk, then they are gone', async () => {
    const ids = (await three()).map((x) => x.id);
    const res = await bulk({ action: 'delete', ids });
    expect(res.json()).toEqual({ action: 'delete', changed: 3, items: [] });
    for (const id of ids) expect((await t.request({ method: 'GET', url: `${API}/todos/${id}`, token: u.token })).statusCode).toBe(404);
  });

  it.each(['complete', 'delete'])('when one id of a bulk %s is missing, then 404 lists it and nothing changes', async (action) => {
    const todos = await three();
    const ids = [...todos.map((x) => x.id), MISSING];
    const res = await bulk({ action, ids });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'TODO_NOT_FOUND', missing: [MISSING] });
    for (const todo of todos) {
      const now = await t.request({ method: 'GET', url: `${API}/todos/${todo.id}`, token: u.token });
      expect(now.json()).toEqual(todo);
    }
  });

  it('when ids repeat, then 400 and nothing changes', async () => {
    const [a] = await three();
    const res = await bulk({ action: 'complete', ids: [a?.id, a?.id] });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].path).toBe('/ids');
  });
});

describe('limits per user', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TODO_MAX_LISTS_PER_USER: '2', TODO_MAX_TODOS_PER_USER: '3' } });
  });
  afterAll(() => t.close());

  it('when a user has the most lists, then one more is 422 TODO_LIST_LIMIT_REACHED; deleting one frees a place', async () => {
    const u = await t.createUser();
    const first = await createList(t, u);
    await createList(t, u);
    const res = await t.request({ method: 'POST', url: `${API}/todo-lists`, token: u.token, payload: { name: 'third' } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'TODO_LIST_LIMIT_REACHED', limit: 2 });
    expect((await t.createUser().then((other) => createList(t, other))).id).toBeTruthy();
    await t.request({ method: 'DELETE', url: `${API}/todo-lists/${first.id}`, token: u.token });
    expect((await createList(t, u)).id).toBeTruthy();
  });

  it('when a user has the most todos across lists, then one more is 422 TODO_LIMIT_REACHED', async () => {
    const u = await t.createUser();
    const [a, b] = [await createList(t, u), await createList(t, u)];
    await createTodo(t, u, { listId: a.id });
    await createTodo(t, u, { listId: b.id });
    const third = await createTodo(t, u, { listId: b.id });
    const res = await t.request({ method: 'POST', url: `${API}/todos`, token: u.token, payload: { listId: a.id, title: 'fourth' } });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'TODO_LIMIT_REACHED', limit: 3 });
    await t.request({ method: 'DELETE', url: `${API}/todos/${third.id}`, token: u.token });
    expect((await createTodo(t, u, { listId: a.id })).id).toBeTruthy();
  });

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when one user creates many todos at once, then exactly the limit succeed (PostgreSQL)',
    async () => {
      const u = await t.createUser();
      const list = await createList(t, u);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          t.request({ method: 'POST', url: `${API}/todos`, token: u.token, payload: { listId: list.id, title: `race ${i}` } }),
        ),
      );
      const codes = results.map((r) => r.statusCode).sort();
      expect(codes.filter((c) => c === 201)).toHaveLength(3);
      expect(codes.filter((c) => c === 422)).toHaveLength(9);
      expect(await listAll(t, u, {})).toHaveLength(3);
    },
  );

  it.runIf(process.env.TEST_DATABASE_URL)(
    'when one user creates many lists at once, then exactly the limit succeed (PostgreSQL)',
    async () => {
      const u = await t.createUser();
      const results = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          t.request({ method: 'POST', url: `${API}/todo-lists`, token: u.token, payload: { name: `race ${i}` } }),
        ),
      );
      expect(results.filter((r) => r.statusCode === 201)).toHaveLength(2);
      expect((await t.request({ method: 'GET', url: `${API}/todo-lists`, token: u.token })).json().items).toHaveLength(2);
    },
  );
});

describe('concurrent moves (PostgreSQL)', () => {
  it.runIf(process.env.TEST_DATABASE_URL)('when many todos of one list move at once, then every position stays distinct', async () => {
    const t = await createTestApp();
    try {
      const u = await t.createUser();
      const list = await createList(t, u);
      const todos: TodoWire[] = [];
      for (let i = 0; i < 10; i++) todos.push(await createTodo(t, u, { listId: list.id, title: `t${i}` }));
      const anchor = todos[0] as TodoWire;
      const moves = await Promise.all(
        todos
          .slice(1)
          .map((x) => t.request({ method: 'POST', url: `${API}/todos/${x.id}/move`, token: u.token, payload: { after: anchor.id } })),
      );
      expect(moves.every((r) => r.statusCode === 200)).toBe(true);
      const items = await listAll(t, u, { listId: list.id });
      expect(items).toHaveLength(10);
      expect(items[0]?.id).toBe(anchor.id);
      expect(new Set(items.map((i) => i.position)).size).toBe(10);
    } finally {
      await t.close();
    }
  });
});

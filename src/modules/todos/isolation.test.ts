import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { API, createList, createTodo, type TodoWire } from '../../../test/todos-fixtures.js';

/** Ids in play: A's (the victim's) and B's (the caller's own). */
interface Ids {
  listA: string;
  todoA: string;
  listB: string;
  todoB: string;
}

describe('privacy: one user never reaches another user’s lists or todos', () => {
  let t: TestApp;
  let a: TestUser;
  let b: TestUser;
  let ids: Ids;
  let listABefore: unknown;
  let todoABefore: TodoWire;

  beforeAll(async () => {
    t = await createTestApp();
    a = await t.createUser();
    b = await t.createUser();
    const listA = await createList(t, a, 'A private');
    const todoA = await createTodo(t, a, { listId: listA.id, title: 'A secret', tags: ['secret'] });
    const listB = await createList(t, b, 'B own');
    const todoB = await createTodo(t, b, { listId: listB.id, title: 'B own' });
    ids = { listA: listA.id, todoA: todoA.id, listB: listB.id, todoB: todoB.id };
    listABefore = (await t.request({ method: 'GET', url: `${API}/todo-lists/${listA.id}`, token: a.token })).json();
    todoABefore = todoA;
  });
  afterAll(() => t.close());

  // B, the caller, names A's ids somewhere in each request.
  const foreign: [string, (i: Ids) => InjectOptions, string][] = [
    ['GET a list', (i) => ({ method: 'GET', url: `/todo-lists/${i.listA}` }), 'TODO_LIST_NOT_FOUND'],
    ['PATCH a list', (i) => ({ method: 'PATCH', url: `/todo-lists/${i.listA}`, payload: { name: 'pwned' } }), 'TODO_LIST_NOT_FOUND'],
    ['DELETE a list', (i) => ({ method: 'DELETE', url: `/todo-lists/${i.listA}` }), 'TODO_LIST_NOT_FOUND'],
    ['move a list', (i) => ({ method: 'POST', url: `/todo-lists/${i.listA}/move`, payload: { after: i.listB } }), 'TODO_LIST_NOT_FOUND'],
    [
      'move own list next to a list',
      (i) => ({ method: 'POST', url: `/todo-lists/${i.listB}/move`, payload: { before: i.listA } }),
      'TODO_LIST_NOT_FOUND',
    ],
    ['GET a todo', (i) => ({ method: 'GET', url: `/todos/${i.todoA}` }), 'TODO_NOT_FOUND'],
    ['PATCH a todo', (i) => ({ method: 'PATCH', url: `/todos/${i.todoA}`, payload: { completed: true } }), 'TODO_NOT_FOUND'],
    ['DELETE a todo', (i) => ({ method: 'DELETE', url: `/todos/${i.todoA}` }), 'TODO_NOT_FOUND'],
    ['move a todo', (i) => ({ method: 'POST', url: `/todos/${i.todoA}/move`, payload: { after: i.todoB } }), 'TODO_NOT_FOUND'],
    [
      'move own todo next to a todo',
      (i) => ({ method: 'POST', url: `/todos/${i.todoB}/move`, payload: { after: i.todoA } }),
      'TODO_NOT_FOUND',
    ],
    [
      'move own todo into a list',
      (i) => ({ method: 'POST', url: `/todos/${i.todoB}/move`, payload: { listId: i.listA } }),
      'TODO_LIST_NOT_FOUND',
    ],
    [
      'create a todo in a list',
      (i) => ({ method: 'POST', url: '/todos', payload: { listId: i.listA, title: 'planted' } }),
      'TODO_LIST_NOT_FOUND',
    ],
    [
      'PATCH own todo into a list',
      (i) => ({ method: 'PATCH', url: `/todos/${i.todoB}`, payload: { listId: i.listA } }),
      'TODO_LIST_NOT_FOUND',
    ],
    [
      'bulk-complete a todo',
      (i) => ({ method: 'POST', url: '/todos/bulk', payload: { action: 'complete', ids: [i.todoA] } }),
      'TODO_NOT_FOUND',
    ],
    [
      'bulk-delete own and foreign todos',
      (i) => ({ method: 'POST', url: '/todos/bulk', payload: { action: 'delete', ids: [i.todoB, i.todoA] } }),
      'TODO_NOT_FOUND',
    ],
  ];

  it.each(foreign)('when B tries to %s of A, then 404 with no data of A', async (_name, build, code) => {
    const req = build(ids);
    const res = await t.request({ ...req, url: `${API}${req.url}`, token: b.token });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe(code);
    expect(res.body).not.toContain('A secret');
    expect(res.body).not.toContain('A private');
  });

  it.each<[string, (i: Ids) => string]>([
    ['GET /todos', () => '/todos'],
    ['GET /todos?listId=<A list>', (i) => `/todos?listId=${i.listA}`],
    ['GET /todos?tag=secret', () => '/todos?tag=secret'],
    ['GET /todos?q=secret', () => '/todos?q=secret'],
    ['GET /todos?updatedSince=<epoch>', () => '/todos?updatedSince=2000-01-01T00:00:00Z'],
    ['GET /todo-lists', () => '/todo-lists'],
  ])('when B lists with %s, then only B’s own rows come back', async (_name, url) => {
    const res = await t.request({ method: 'GET', url: `${API}${url(ids)}`, token: b.token });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain(ids.todoA);
    expect(res.body).not.toContain(ids.listA);
    for (const item of res.json().items) expect([ids.todoB, ids.listB]).toContain(item.id);
  });

  it('when B has tried everything, then A’s list and todo are exactly as before, and B’s own todo too', async () => {
    expect((await t.request({ method: 'GET', url: `${API}/todo-lists/${ids.listA}`, token: a.token })).json()).toEqual(listABefore);
    expect((await t.request({ method: 'GET', url: `${API}/todos/${ids.todoA}`, token: a.token })).json()).toEqual(todoABefore);
    const own = await t.request({ method: 'GET', url: `${API}/todos/${ids.todoB}`, token: b.token });
    expect(own.json()).toMatchObject({ listId: ids.listB, version: 1 });
  });

  it('when A deletes a todo, then B’s delta sync does not see its tombstone', async () => {
    const since = t.clock.now().toISOString();
    const doomed = await createTodo(t, a, { listId: ids.listA, title: 'doomed' });
    await t.request({ method: 'DELETE', url: `${API}/todos/${doomed.id}`, token: a.token });
    const mine = await t.request({ method: 'GET', url: `${API}/todos?updatedSince=${since}`, token: a.token });
    expect(mine.json().deleted.map((d: { id: string }) => d.id)).toContain(doomed.id);
    const theirs = await t.request({ method: 'GET', url: `${API}/todos?updatedSince=${since}`, token: b.token });
    expect(theirs.json().deleted).toEqual([]);
  });

  it.each<[string, string, unknown?]>([
    ['GET', '/todo-lists'],
    ['POST', '/todo-lists', { name: 'x' }],
    ['GET', '/todo-lists/0190a000-0000-7000-8000-000000000000'],
    ['PATCH', '/todo-lists/0190a000-0000-7000-8000-000000000000', { name: 'x' }],
    ['DELETE', '/todo-lists/0190a000-0000-7000-8000-000000000000'],
    ['POST', '/todo-lists/0190a000-0000-7000-8000-000000000000/move', { after: '0190a000-0000-7000-8000-000000000001' }],
    ['GET', '/todos'],
    ['GET', '/todos?updatedSince=2000-01-01T00:00:00Z'],
    ['POST', '/todos', { listId: '0190a000-0000-7000-8000-000000000000', title: 'x' }],
    ['POST', '/todos/bulk', { action: 'complete', ids: ['0190a000-0000-7000-8000-000000000000'] }],
    ['GET', '/todos/0190a000-0000-7000-8000-000000000000'],
    ['PATCH', '/todos/0190a000-0000-7000-8000-000000000000', { title: 'x' }],
    ['DELETE', '/todos/0190a000-0000-7000-8000-000000000000'],
    ['POST', '/todos/0190a000-0000-7000-8000-000000000000/move', { listId: '0190a000-0000-7000-8000-000000000000' }],
  ])('when %s %s comes without a token, then 401 with a Bearer challenge', async (method, url, payload) => {
    const res = await t.request({ method: method as 'GET', url: `${API}${url}`, ...(payload ? { payload: payload as object } : {}) });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.json().code).toBe('UNAUTHORIZED');
  });
});

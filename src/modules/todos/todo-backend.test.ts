/**
 * The Todo-Backend contract (todobackend.com/specs) restated as this project's tests, plus the
 * parts it leaves to the server: CORS on every answer, the switch, the cap and data separation.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { API, createList, createTodo } from '../../../test/todos-fixtures.js';

const ROOT = '/todo-backend';
const HOST = 'todos.test:8080';

interface BackendTodo {
  id: string;
  title: string;
  completed: boolean;
  order: number | null;
  url: string;
}

const expectCors = (res: LightMyRequestResponse) => {
  expect(res.headers['access-control-allow-origin']).toBe('*');
  expect(res.headers['access-control-allow-headers']).toBe('Content-Type');
  expect(res.headers['access-control-allow-methods']).toBe('GET,POST,PATCH,DELETE,OPTIONS');
};

describe('Todo-Backend compatibility (TODO_BACKEND_COMPAT=true)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { TODO_BACKEND_COMPAT: 'true', TODO_BACKEND_MAX_ITEMS: '5', CORS_ORIGINS: 'https://app.example.com' } });
  });
  afterAll(() => t.close());

  // Requests as the spec runner's browser sends them: cross-origin, JSON, a Host header.
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    t.request({
      method,
      url: url.startsWith('http') ? new URL(url).pathname : url,
      headers: { host: HOST, origin: 'https://www.todobackend.com', 'content-type': 'application/json' },
      ...(payload ? { payload } : {}),
    });
  const post = async (payload: object): Promise<BackendTodo> => {
    const res = await call('POST', ROOT, payload);
    expect(res.statusCode).toBe(201);
    return res.json();
  };
  const reset = async () => expect((await call('DELETE', ROOT)).statusCode).toBe(204);

  describe('the pre-requisites', () => {
    it('when the root is fetched, then it answers with CORS headers', async () => {
      const res = await call('GET', ROOT);
      expect(res.statusCode).toBe(200);
      expectCors(res);
    });

    it('when the root gets a POST, then it answers with the todo that was posted', async () => {
      const todo = await post({ title: 'a todo' });
      expect(todo.title).toBe('a todo');
    });

    it('when the root gets a DELETE, then it succeeds and a GET answers an empty array', async () => {
      await post({ title: 'doomed' });
      const res = await call('DELETE', ROOT);
      expect(res.statusCode).toBe(204);
      expectCors(res);
      expect((await call('GET', ROOT)).json()).toEqual([]);
    });
  });

  describe('storing new todos by posting to the root url', () => {
    it('when a todo is posted, then it is in the list at the root url', async () => {
      await reset();
      await post({ title: 'walk the dog' });
      expect((await call('GET', ROOT)).json().map((x: BackendTodo) => x.title)).toEqual(['walk the dog']);
    });

    it('when a todo is posted, then it starts not completed', async () => {
      expect((await post({ title: 'blah' })).completed).toBe(false);
    });

    it('when a todo is posted, then it has an absolute url (and Location) that returns it', async () => {
      const res = await call('POST', ROOT, { title: 'blah' });
      const todo = res.json() as BackendTodo;
      expect(todo.url).toBe(`http://${HOST}${ROOT}/${todo.id}`);
      expect(res.headers.location).toBe(todo.url);
      const fetched = await call('GET', todo.url);
      expect(fetched.statusCode).toBe(200);
      expect(fetched.json()).toEqual(todo);
      expectCors(fetched);
    });
  });

  describe('working with an existing todo', () => {
    it('when following the url of a todo in the list, then that todo comes back', async () => {
      await reset();
      await post({ title: 'todo the first' });
      await post({ title: 'todo the second' });
      const list = (await call('GET', ROOT)).json() as BackendTodo[];
      const second = list.find((x) => x.title === 'todo the second') as BackendTodo;
      expect((await call('GET', second.url)).json().title).toBe('todo the second');
    });

    it('when the title is PATCHed, then it changes and the change persists', async () => {
      const todo = await post({ title: 'initial title' });
      const res = await call('PATCH', todo.url, { title: 'bathe the cat' });
      expect(res.statusCode).toBe(200);
      expect(res.json().title).toBe('bathe the cat');
      expectCors(res);
      expect((await call('GET', todo.url)).json().title).toBe('bathe the cat');
    });

    it('when completed is PATCHed, then it changes and the change persists', async () => {
      const todo = await post({ title: 'x' });
      expect((await call('PATCH', todo.url, { completed: true })).json().completed).toBe(true);
      expect((await call('GET', todo.url)).json()).toMatchObject({ title: 'x', completed: true });
    });

    it('when a todo url gets a DELETE, then the todo is gone from its url and from the list', async () => {
      await reset();
      const todo = await post({ title: 'delete me' });
      const res = await call('DELETE', todo.url);
      expect(res.statusCode).toBe(204);
      expectCors(res);
      const gone = await call('GET', todo.url);
      expect(gone.statusCode).toBe(404);
      expectCors(gone);
      expect((await call('GET', ROOT)).json()).toEqual([]);
    });
  });

  describe('tracking todo order', () => {
    it('when a todo is posted with an order, then it keeps it; a PATCH changes it and it is remembered', async () => {
      const todo = await post({ title: 'blah', order: 523 });
      expect(todo.order).toBe(523);
      expect((await call('PATCH', todo.url, { order: 95 })).json().order).toBe(95);
      expect((await call('GET', todo.url)).json().order).toBe(95);
    });

    it('when todos have orders, then the root lists them by order, unordered ones last', async () => {
      await reset();
      await post({ title: 'none' });
      await post({ title: 'third', order: 30 });
      await post({ title: 'first', order: 10 });
      await post({ title: 'second', order: 20 });
      expect((await call('GET', ROOT)).json().map((x: BackendTodo) => x.title)).toEqual(['first', 'second', 'third', 'none']);
    });
  });

  describe('what the contract leaves to the server', () => {
    it.each(['', '/0190a000-0000-7000-8000-000000000000'])(
      'when a browser preflights %s, then 204 with exactly the contract’s CORS headers',
      async (path) => {
        const res = await t.request({
          method: 'OPTIONS',
          url: `${ROOT}${path}`,
          headers: {
            origin: 'https://www.todobackend.com',
            'access-control-request-method': 'PATCH',
            'access-control-request-headers': 'content-type',
          },
        });
        expect(res.statusCode).toBe(204);
        expectCors(res);
        expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      },
    );

    it('when a preflight comes without Origin (a plain OPTIONS), then it still answers 204 with CORS', async () => {
      const res = await t.request({ method: 'OPTIONS', url: ROOT });
      expect(res.statusCode).toBe(204);
      expectCors(res);
    });

    it('when the request is invalid or unknown, then the problem answer carries CORS too', async () => {
      const bad = await call('POST', ROOT, { title: { text: 'x' }, colour: 'red' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().errors.map((e: { path: string }) => e.path)).toEqual(expect.arrayContaining(['/title', '/colour']));
      expectCors(bad);
      const notUuid = await call('GET', `${ROOT}/not-a-uuid`);
      expect(notUuid.statusCode).toBe(404);
      expectCors(notUuid);
      const broken = await t.request({ method: 'POST', url: ROOT, headers: { 'content-type': 'application/json' }, payload: '{"title":' });
      expect(broken.statusCode).toBe(400);
      expectCors(broken);
    });

    it('when responses go to other origins, then the resource policy lets them read it', async () => {
      expect((await call('GET', ROOT)).headers['cross-origin-resource-policy']).toBe('cross-origin');
    });

    it('when the store holds TODO_BACKEND_MAX_ITEMS, then another POST is 422 TODO_BACKEND_FULL until some are deleted', async () => {
      await reset();
      for (let i = 0; i < 5; i++) await post({ title: `t${i}` });
      const full = await call('POST', ROOT, { title: 'one too many' });
      expect(full.statusCode).toBe(422);
      expect(full.json()).toMatchObject({ code: 'TODO_BACKEND_FULL', limit: 5 });
      expectCors(full);
      await reset();
      await post({ title: 'room again' });
    });

    it('when users and the anonymous store both have todos, then neither sees the other', async () => {
      await reset();
      const anon = await post({ title: 'anonymous todo' });
      const u = await t.createUser();
      const list = await createList(t, u);
      const mine = await createTodo(t, u, { listId: list.id, title: 'private todo' });
      const users = await t.request({ method: 'GET', url: `${API}/todos`, token: u.token });
      expect(users.json().items.map((x: { id: string }) => x.id)).toEqual([mine.id]);
      expect((await call('GET', `${ROOT}/${mine.id}`)).statusCode).toBe(404);
      expect((await call('GET', ROOT)).json().map((x: BackendTodo) => x.id)).toEqual([anon.id]);
      await call('DELETE', ROOT);
      expect((await t.request({ method: 'GET', url: `${API}/todos/${mine.id}`, token: u.token })).statusCode).toBe(200);
    });

    it('when other routes get cross-origin requests, then the platform allowlist still decides', async () => {
      const allowed = await t.request({
        method: 'OPTIONS',
        url: `${API}/todos`,
        headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      });
      expect(allowed.statusCode).toBe(204);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const denied = await t.request({
        method: 'GET',
        url: `${API}/todo-lists`,
        headers: { origin: 'https://evil.example' },
      });
      expect(denied.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('Todo-Backend urls with PUBLIC_URL', () => {
  it('when PUBLIC_URL is set, then todo urls are built from it, whatever the Host header says', async () => {
    const t = await createTestApp({ env: { TODO_BACKEND_COMPAT: 'true', PUBLIC_URL: 'https://api.example.com/' } });
    try {
      const res = await t.request({ method: 'POST', url: ROOT, headers: { host: 'attacker.example' }, payload: { title: 'x' } });
      const todo = res.json() as BackendTodo;
      expect(todo.url).toBe(`https://api.example.com${ROOT}/${todo.id}`);
    } finally {
      await t.close();
    }
  });
});

describe('Todo-Backend switched off (the default)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['GET', ROOT],
    ['POST', ROOT],
    ['DELETE', ROOT],
    ['GET', `${ROOT}/0190a000-0000-7000-8000-000000000000`],
    ['OPTIONS', ROOT],
  ])('when %s %s is requested, then 404 without CORS headers', async (method, url) => {
    const res = await t.request({
      method: method as 'GET',
      url,
      headers: { origin: 'https://www.todobackend.com', 'access-control-request-method': 'GET' },
      ...(method === 'POST' ? { payload: { title: 'x' } } : {}),
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});

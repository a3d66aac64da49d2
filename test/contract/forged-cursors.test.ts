/**
 * Every list takes an opaque cursor. A cursor the API did not issue (well-formed JSON with the
 * wrong types, out-of-range numbers, NUL characters, another list's cursor) must answer 400
 * INVALID_CURSOR and never reach a query. The lists are read from the OpenAPI document, so a new
 * list is covered without touching this file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../test-app.js';

const UUID = '0190a1b2-3c4d-7e5f-8a9b-0c1d2e3f4a5b';
const cursorOf = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');

const FORGED: [string, string][] = [
  ['not base64 JSON', 'not-a-cursor'],
  ['an object', cursorOf({ id: UUID })],
  ['a huge number for a uuid', cursorOf([1e300])],
  ['a uuid with a NUL', cursorOf([`${UUID}\u0000`])],
  ['a NUL alone', cursorOf(['\u0000'])],
  ['a malformed id', cursorOf(['not a uuid!'])],
  ['an integer overflowing 32 and 53 bits', cursorOf([2 ** 64, UUID])],
  ['a fraction and a uuid', cursorOf([1.5, UUID])],
  ['an impossible date', cursorOf(['2024-13-45T99:00:00Z', UUID])],
  ['a year PostgreSQL cannot hold', cursorOf(['+275760-09-13T00:00:00.000Z', UUID])],
  ['a price sort with a text key', cursorOf(['price:asc', 'abc', UUID])],
  ['a name sort with a number key', cursorOf(['name:asc', 7, 'x'])],
  ['a relevance sort with a huge rank', cursorOf(['relevance:desc', 1e300, UUID])],
  ['a position sort with text', cursorOf(['position', 'x', 'y', 'z'])],
  ['a history cursor with a fraction', cursorOf(['a', 1.5])],
  ['a history cursor with a negative seq', cursorOf(['b', -1])],
  ['a sync cursor with a loose date', cursorOf(['sync', '1', UUID, '1', 0])],
  ['a created-at key with a text id', cursorOf(['2024-01-01T00:00:00.000Z', 'x'])],
];

interface ListRoute {
  path: string;
  access: string;
}

describe('forged cursors', () => {
  let t: TestApp;
  let admin: TestUser;
  let lists: ListRoute[];
  let roomId: string;

  beforeAll(async () => {
    t = await createTestApp();
    admin = await t.admin();
    const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    lists = [];
    for (const [path, item] of Object.entries<Record<string, { parameters?: { name: string }[]; 'x-access'?: string }>>(doc.paths)) {
      const get = item.get;
      if (get?.parameters?.some((p) => p.name === 'cursor')) lists.push({ path, access: get['x-access'] ?? 'public' });
    }
    const room = await t.request({
      method: 'POST',
      url: '/api/v1/chat/rooms',
      token: admin.token,
      payload: { name: 'cursors', kind: 'private' },
    });
    expect(room.statusCode).toBe(201);
    roomId = room.json().id;
  });
  afterAll(() => t?.close());

  it('when the document is read, then it lists the lists this test expects at least', () => {
    const paths = lists.map((l) => l.path);
    for (const p of ['/api/v1/products', '/api/v1/todos', '/api/v1/files', '/api/v1/orders', '/api/v1/chat/rooms/{roomId}/messages']) {
      expect(paths).toContain(p);
    }
  });

  it('when any list gets a cursor it did not issue, then 400 INVALID_CURSOR, never a 5xx', async () => {
    const failures: string[] = [];
    const urls = lists.flatMap(({ path }) => {
      const url = path.replace('{roomId}', roomId);
      // Delta sync of todos has its own cursor.
      return url.endsWith('/todos') ? [url, `${url}?updatedSince=2024-01-01T00:00:00.000Z`] : [url];
    });
    for (const url of urls) {
      for (const [what, cursor] of FORGED) {
        const sep = url.includes('?') ? '&' : '?';
        const res = await t.request({ method: 'GET', url: `${url}${sep}cursor=${encodeURIComponent(cursor)}`, token: admin.token });
        if (res.statusCode !== 400 || res.json().code !== 'INVALID_CURSOR')
          failures.push(`${url} with ${what}: ${res.statusCode} ${res.body.slice(0, 120)}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('when a cursor of one list is sent to another, then 400 INVALID_CURSOR', async () => {
    for (let i = 0; i < 3; i++) {
      const created = await t.request({ method: 'POST', url: '/api/v1/todo-lists', token: admin.token, payload: { name: `list ${i}` } });
      expect(created.statusCode).toBe(201);
    }
    const page = await t.request({ method: 'GET', url: '/api/v1/todo-lists?limit=1', token: admin.token });
    const { nextCursor } = page.json();
    expect(nextCursor).toEqual(expect.any(String));
    const same = await t.request({ method: 'GET', url: `/api/v1/todo-lists?limit=1&cursor=${nextCursor}`, token: admin.token });
    expect(same.statusCode).toBe(200);
    const other = await t.request({ method: 'GET', url: `/api/v1/chat/rooms/${roomId}/messages?cursor=${nextCursor}`, token: admin.token });
    expect(other.statusCode).toBe(400);
    expect(other.json().code).toBe('INVALID_CURSOR');
  });
});

/** Helpers the todos tests share: create lists and todos through the HTTP API, as a client would. */
import type { TestApp, TestUser } from './test-app.js';

export const API = '/api/v1';

export async function createList(t: TestApp, user: TestUser, name = 'Inbox'): Promise<{ id: string; position: number; version: number }> {
  const res = await t.request({ method: 'POST', url: `${API}/todo-lists`, token: user.token, payload: { name } });
  if (res.statusCode !== 201) throw new Error(`create list failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

export interface TodoWire {
  id: string;
  listId: string;
  title: string;
  notes: string | null;
  completed: boolean;
  completedAt: string | null;
  dueAt: string | null;
  priority: 'low' | 'normal' | 'high';
  tags: string[];
  position: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export async function createTodo(t: TestApp, user: TestUser, body: Record<string, unknown> & { listId: string }): Promise<TodoWire> {
  const res = await t.request({ method: 'POST', url: `${API}/todos`, token: user.token, payload: { title: 'A todo', ...body } });
  if (res.statusCode !== 201) throw new Error(`create todo failed: ${res.statusCode} ${res.body}`);
  return res.json();
}

/** Every page of GET /todos with `query`, following nextCursor. */
export async function listAll(t: TestApp, user: TestUser, query: Record<string, string | number | boolean>): Promise<TodoWire[]> {
  const items: TodoWire[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 100; page++) {
    const qs = new URLSearchParams(
      Object.entries({ ...query, ...(cursor ? { cursor } : {}) }).map(([k, v]): [string, string] => [k, String(v)]),
    );
    const res = await t.request({ method: 'GET', url: `${API}/todos?${qs}`, token: user.token });
    if (res.statusCode !== 200) throw new Error(`list failed: ${res.statusCode} ${res.body}`);
    const body = res.json();
    items.push(...body.items);
    cursor = body.nextCursor;
    if (!cursor) return items;
  }
  throw new Error('too many pages');
}

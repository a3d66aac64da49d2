import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';

type Access = 'public' | 'user' | 'admin';
type Caller = 'anonymous' | 'user' | 'admin';

const SOME_ID = '0190a000-0000-7000-8000-0000000000aa';

/**
 * Every identity route, who may call it, and a request that is harmless for any caller.
 * The OpenAPI check below fails when a route is added without a row here.
 */
const ROUTES: { method: 'GET' | 'POST' | 'PATCH' | 'DELETE'; path: string; access: Access; payload?: Record<string, unknown> }[] = [
  { method: 'POST', path: '/auth/register', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/login', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/refresh', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/password-reset/request', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/password-reset/confirm', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/verify-email/confirm', access: 'public', payload: {} },
  { method: 'POST', path: '/auth/logout', access: 'user' },
  { method: 'POST', path: '/auth/logout-all', access: 'user' },
  { method: 'GET', path: '/auth/sessions', access: 'user' },
  { method: 'DELETE', path: '/auth/sessions/{id}', access: 'user' },
  { method: 'POST', path: '/auth/verify-email/request', access: 'user' },
  { method: 'GET', path: '/users/me', access: 'user' },
  { method: 'PATCH', path: '/users/me', access: 'user', payload: {} },
  { method: 'POST', path: '/users/me/password', access: 'user', payload: {} },
  { method: 'POST', path: '/users/me/email', access: 'user', payload: {} },
  { method: 'GET', path: '/users/me/security-events', access: 'user' },
  { method: 'GET', path: '/admin/users', access: 'admin' },
  { method: 'GET', path: '/admin/users/{id}', access: 'admin' },
  { method: 'PATCH', path: '/admin/users/{id}', access: 'admin', payload: {} },
  { method: 'DELETE', path: '/admin/users/{id}', access: 'admin' },
];

/** What the guard answers: 401 without a valid token, 403 for a user on admin routes, else the route runs. */
function expected(access: Access, caller: Caller): 401 | 403 | 'allowed' {
  if (access === 'public') return 'allowed';
  if (caller === 'anonymous') return 401;
  if (access === 'admin' && caller === 'user') return 403;
  return 'allowed';
}

const SCENARIOS = ROUTES.flatMap((route) =>
  (['anonymous', 'user', 'admin'] as const).map((caller) => ({ ...route, caller, expect: expected(route.access, caller) })),
);

describe('identity access matrix', () => {
  let t: TestApp;
  const bodies: string[] = [];
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each(SCENARIOS)('when $caller calls $method $path ($access), then $expect', async (row) => {
    // Fresh tokens per row: some routes (logout) end the session they are called with.
    const token = row.caller === 'user' ? (await t.createUser()).token : row.caller === 'admin' ? (await t.admin()).token : undefined;
    const res = await t.request({
      method: row.method,
      url: `/api/v1${row.path.replace('{id}', SOME_ID)}`,
      token,
      ...(row.payload ? { payload: row.payload } : {}),
    });
    bodies.push(res.body);
    if (row.expect === 'allowed') {
      expect(res.statusCode).not.toBe(401);
      expect(res.statusCode).not.toBe(403);
      expect(res.statusCode).toBeLessThan(500);
    } else {
      expect(res.statusCode).toBe(row.expect);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe(row.expect === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN');
      if (row.expect === 401) expect(res.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    }
  });

  it('when an anonymous caller sends a body to a user route, then 401 comes before validation', async () => {
    const res = await t.request({ method: 'PATCH', url: '/api/v1/users/me', payload: { role: 'admin' } });
    expect(res.statusCode).toBe(401);
  });

  it('when the matrix ran, then no answer carried a password hash or SQL text', () => {
    expect(bodies.length).toBe(SCENARIOS.length);
    for (const body of bodies) {
      expect(body).not.toMatch(/passwordHash|password_hash|\$argon2/);
      expect(body).not.toMatch(/\bselect\b.*\bfrom\b|insert into|delete from|syntax error|violates|relation "|identity\.users/i);
    }
  });

  it('when the OpenAPI document is read, then every identity route is in this table with the same access', async () => {
    const spec = (await t.request({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { 'x-access'?: string; security?: unknown[] }>>;
    };
    const documented: string[] = [];
    for (const [path, operations] of Object.entries(spec.paths)) {
      if (!/^\/api\/v1\/(auth\/|users\/me|admin\/users)/.test(path)) continue;
      for (const [method, op] of Object.entries(operations)) {
        documented.push(`${method.toUpperCase()} ${path.slice('/api/v1'.length)} ${op['x-access']}`);
        if (op['x-access'] !== 'public') expect(op.security).toEqual([{ bearerAuth: [] }]);
      }
    }
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.access}`).sort());
  });
});

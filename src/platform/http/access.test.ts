import { Type } from '@fastify/type-provider-typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp, type TestUser } from '../../../test/test-app.js';
import { DEPLOYMENTS } from '../../deployments.js';
import type { ModuleFactory } from '../platform.js';
import { caller } from './access.js';

const Who = Type.Object({ id: Type.Union([Type.String(), Type.Null()]), role: Type.Union([Type.String(), Type.Null()]) });

const guardedModule: ModuleFactory = () => ({
  name: 'guarded-test',
  routes: async (app) => {
    const schema = { response: { 200: Who } };
    app.get('/open', { config: { access: 'public' }, schema }, async (request) => ({
      id: request.user?.id ?? null,
      role: request.user?.role ?? null,
    }));
    app.get('/mine', { config: { access: 'user' }, schema }, async (request) => caller(request));
    app.get('/staff', { config: { access: 'admin' }, schema }, async (request) => caller(request));
  },
});

describe('route access', () => {
  it('when a route under /api does not declare config.access, then building the app fails naming the route', async () => {
    const undeclared: ModuleFactory = () => ({
      name: 'undeclared-test',
      routes: async (app) => {
        app.get('/forgotten', async () => ({ ok: true }));
      },
    });
    await expect(createTestApp({ modules: [...DEPLOYMENTS['all-in-one'].modules, undeclared] })).rejects.toThrow(
      /GET \/api\/v1\/forgotten does not declare config\.access/,
    );
  });

  describe('enforcement', () => {
    let t: TestApp;
    let user: TestUser;
    let admin: TestUser;
    beforeAll(async () => {
      t = await createTestApp({ modules: [...DEPLOYMENTS['all-in-one'].modules, guardedModule] });
      user = await t.createUser();
      admin = await t.admin();
    });
    afterAll(() => t.close());

    const get = (url: string, token?: string, headers: Record<string, string> = {}) =>
      t.request({ method: 'GET', url: `/api/v1${url}`, token, headers });

    it.each([
      // route, who, status
      ['/open', 'anonymous', 200],
      ['/open', 'user', 200],
      ['/open', 'garbage token', 200],
      ['/mine', 'anonymous', 401],
      ['/mine', 'garbage token', 401],
      ['/mine', 'user', 200],
      ['/mine', 'admin', 200],
      ['/staff', 'anonymous', 401],
      ['/staff', 'user', 403],
      ['/staff', 'admin', 200],
    ] as const)('when %s is called by %s, then %i', async (url, who, status) => {
      const token = who === 'user' ? user.token : who === 'admin' ? admin.token : who === 'garbage token' ? 'not.a.jwt' : undefined;
      const res = await get(url, token);
      expect(res.statusCode).toBe(status);
      if (status === 401) {
        expect(res.json().code).toBe('UNAUTHORIZED');
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="zaplecze"/);
      }
      if (status === 403) expect(res.json().code).toBe('FORBIDDEN');
    });

    it('when a public route gets a valid token, then it knows the caller; with an invalid one it treats the caller as anonymous', async () => {
      expect((await get('/open', user.token)).json()).toEqual({ id: user.id, role: 'user' });
      expect((await get('/open', 'not.a.jwt')).json()).toEqual({ id: null, role: null });
    });

    it('when the token is invalid, then the challenge says invalid_token', async () => {
      const res = await get('/mine', 'not.a.jwt');
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
    });

    it('when the Authorization header is not a bearer token, then 401', async () => {
      expect((await get('/mine', undefined, { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` })).statusCode).toBe(401);
      expect((await get('/mine', undefined, { authorization: 'Bearer' })).statusCode).toBe(401);
    });

    it('when the session was logged out, then its still-unexpired token is refused', async () => {
      const other = await t.createUser();
      expect((await get('/mine', other.token)).statusCode).toBe(200);
      expect((await t.request({ method: 'POST', url: '/api/v1/auth/logout', token: other.token })).statusCode).toBe(204);
      expect((await get('/mine', other.token)).statusCode).toBe(401);
    });
  });
});

/**
 * Route-level access: every route under /api declares `config: { access }` once, and this
 * one mechanism enforces it, documents it in OpenAPI (security + `x-access`), and refuses to
 * start when a route forgot to declare it.
 *
 * - `public`: anyone; a valid bearer token still sets `request.user` (an invalid one is ignored).
 * - `user`:   a valid, live access token of any role.
 * - `admin`:  a valid, live access token with role admin.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { AccessTokens, Principal } from '../auth/access-tokens.js';
import { Forbidden, Unauthorized } from './errors.js';

export type Access = 'public' | 'user' | 'admin';

/** Answers whether a principal's session is still live (not revoked, user not disabled). */
export type SessionGate = (principal: Principal) => Promise<boolean>;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route. Required for every route under /api. */
    access?: Access;
  }
  interface FastifyRequest {
    /** The caller, when a valid access token was presented. */
    user: Principal | null;
  }
  interface FastifyInstance {
    /**
     * Checks an access token presented some other way than the Authorization header (e.g. a
     * WebSocket subprotocol), with the same rules as the guard: the principal, or null.
     */
    authenticateToken(token: string): Promise<Principal | null>;
    /** Whether a principal's session is still live (the session gates), for connections that outlive their token. */
    isPrincipalLive(principal: Principal): Promise<boolean>;
  }
}

const CHALLENGE = { 'WWW-Authenticate': 'Bearer realm="zaplecze"' };

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  return match?.[1] ?? '';
}

/**
 * Installs the guard. Call before any module registers routes.
 * `protectedPrefix`: routes under it must declare access (others default to public).
 */
export function installAccessControl(
  app: FastifyInstance,
  options: { tokens: AccessTokens; sessionGates: SessionGate[]; protectedPrefix: string },
) {
  app.decorateRequest('user', null);
  async function isLive(principal: Principal): Promise<boolean> {
    for (const gate of options.sessionGates) if (!(await gate(principal))) return false;
    return true;
  }
  async function verifyToken(token: string): Promise<Principal | null> {
    const result = await options.tokens.verify(token);
    if (typeof result === 'string') return null;
    return (await isLive(result)) ? result : null;
  }
  app.decorate('authenticateToken', verifyToken);
  app.decorate('isPrincipalLive', isLive);

  async function authenticate(request: FastifyRequest): Promise<Principal | 'missing' | 'rejected'> {
    const token = bearerToken(request);
    if (token === undefined) return 'missing';
    if (!token) return 'rejected';
    return (await verifyToken(token)) ?? 'rejected';
  }

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access;
    if (!access) {
      if (route.url.startsWith(options.protectedPrefix)) {
        throw new Error(`Route ${route.method} ${route.url} does not declare config.access`);
      }
      return;
    }
    documentAccess(route, access);
    const check = async (request: FastifyRequest) => {
      const who = await authenticate(request);
      if (access === 'public') {
        if (typeof who === 'object') request.user = who;
        return;
      }
      if (who === 'missing') throw Unauthorized('This route needs a bearer access token', {}, CHALLENGE);
      if (who === 'rejected') {
        throw Unauthorized(
          'The access token is invalid, expired or revoked',
          {},
          {
            'WWW-Authenticate': 'Bearer realm="zaplecze", error="invalid_token"',
          },
        );
      }
      if (access === 'admin' && who.role !== 'admin') throw Forbidden('This route is for administrators');
      request.user = who;
    };
    // A public route called without a token (health checks, catalog reads) skips the promise.
    const guard = (request: FastifyRequest, _reply: FastifyReply, done: (err?: Error) => void) => {
      if (access === 'public' && request.headers.authorization === undefined) return done();
      check(request).then(() => done(), done);
    };
    // onRequest: refuse before the body is read, so anonymous uploads cost nothing.
    route.onRequest = [guard, ...toArray(route.onRequest)];
  });
}

const toArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function documentAccess(route: RouteOptions, access: Access) {
  route.schema ??= {};
  const schema = route.schema as Record<string, unknown>;
  schema['x-access'] = access;
  schema.response ??= {};
  const responses = schema.response as Record<string, unknown>;
  if (access !== 'public') {
    schema.security = [{ bearerAuth: [] }];
    responses[401] ??= { $ref: 'Problem#', description: 'Missing, invalid, expired or revoked token' };
    if (access === 'admin') responses[403] ??= { $ref: 'Problem#', description: 'Caller is not an admin' };
  } else {
    schema.security ??= [];
  }
}

/** The caller of a route declared `user` or `admin`; throws if used on a public route without a token. */
export function caller(request: FastifyRequest): Principal {
  if (!request.user) throw Unauthorized('This route needs a bearer access token', {}, CHALLENGE);
  return request.user;
}

/**
 * Serves the browser client built into dist/web (see web/) at /app/. Hashed files under
 * /app/assets/ are immutable for a year and sent precompressed (br, gzip) when the client
 * accepts it; a missing asset is a 404 problem, never HTML. Every other /app/* path is the
 * single-page app's index.html with no-cache, so a deploy is picked up on the next navigation.
 * All of it is public and outside the rate limit: a page load fetches several assets at once.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Where the web client lives in the URL space. */
export const WEB_APP_PATH = '/app/';

/** The build output folder, relative to the package root (dist/web). */
export const WEB_APP_ROOT = new URL('../../../dist/web/', import.meta.url).pathname;

/**
 * Registers the client when `root` holds a build (index.html); returns whether it did, so the
 * caller can send `/` to the app or, without a build, to the API docs.
 */
export async function installWebApp(app: FastifyInstance, options: { root: string }): Promise<boolean> {
  const root = resolve(options.root);
  const indexFile = join(root, 'index.html');
  if (!existsSync(indexFile)) return false;
  const indexHtml = readFileSync(indexFile);
  const routeConfig = { access: 'public', rateLimit: false } as const;

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, {
      root: join(root, 'assets'),
      serve: false,
      preCompressed: true,
      immutable: true,
      maxAge: '365d',
      index: false,
      dotfiles: 'deny',
    });
    scope.get<{ Params: { '*': string } }>(`${WEB_APP_PATH}assets/*`, { schema: { hide: true }, config: routeConfig }, (request, reply) =>
      reply.sendFile(request.params['*']),
    );
    const sendIndex = (_request: unknown, reply: import('fastify').FastifyReply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(indexHtml);
    scope.get('/app', { schema: { hide: true }, config: routeConfig }, sendIndex);
    scope.get(`${WEB_APP_PATH}*`, { schema: { hide: true }, config: routeConfig }, sendIndex);
  });
  return true;
}

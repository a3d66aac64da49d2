/**
 * The Todo-Backend (todobackend.com) contract at `<prefix>/todo-backend`, registered only when
 * TODO_BACKEND_COMPAT=true. Anonymous and open to every origin by design, so this encapsulated
 * plugin answers its own CORS: the platform's allowlist CORS is switched off for these routes
 * (`config.cors: false`) and an onSend hook stamps the contract's headers on every reply,
 * errors and rate-limit answers included. Other routes keep the global allowlist.
 */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { NoContent, problem } from '../../platform/http/route-helpers.js';
import * as S from './schema.js';
import type { TodoBackendService } from './todo-backend-service.js';
import { toBackendTodoWire } from './wire.js';

export interface TodoBackendRoutesOptions {
  service: TodoBackendService;
  /** PUBLIC_URL when configured: todo urls are built from it, else from the request's Host. */
  publicUrl: string | undefined;
}

/** The headers the contract asks for on every response, preflights included. */
export const TODO_BACKEND_CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': 'Content-Type',
  'access-control-allow-methods': 'GET,POST,PATCH,DELETE,OPTIONS',
} as const;

const open = { access: 'public' as const, cors: false as const };

export const todoBackendRoutes: FastifyPluginAsyncTypebox<TodoBackendRoutesOptions> = async (app, { service, publicUrl }) => {
  app.addSchema(S.BackendTodo);
  const prefix = app.prefix;
  const rootUrl = (request: FastifyRequest) => `${publicUrl ?? `${request.protocol}://${request.host || 'localhost'}`}${prefix}`;

  app.addHook('onSend', async (_request, reply, payload) => {
    reply.headers(TODO_BACKEND_CORS);
    // Helmet's same-origin resource policy would stop other sites' clients reading the answers.
    reply.header('cross-origin-resource-policy', 'cross-origin');
    return payload;
  });

  // Browser clients of the contract send `Content-Type: application/json` on bodiless DELETEs.
  app.removeContentTypeParser('application/json');
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body.toString();
    if (text === '') return done(null, undefined);
    return parseJson(request, text, done);
  });

  const tags = ['todo-backend'];
  const preflight = { config: open, schema: { hide: true } };
  app.options('/', preflight, async (_request, reply) => reply.code(204).send());
  app.options('/:id', preflight, async (_request, reply) => reply.code(204).send());

  app.get(
    '/',
    { config: open, schema: { tags, summary: 'Every Todo-Backend todo', response: { 200: Type.Array(Type.Ref('BackendTodo')) } } },
    async (request) => {
      const base = rootUrl(request);
      return (await service.list()).map((t) => toBackendTodoWire(t, base));
    },
  );

  app.post(
    '/',
    {
      config: open,
      schema: {
        tags,
        summary: 'Add a todo (completed false unless given)',
        body: S.BackendCreateBody,
        response: { 201: Type.Ref('BackendTodo'), 422: problem('TODO_BACKEND_FULL: TODO_BACKEND_MAX_ITEMS reached') },
      },
    },
    async (request, reply) => {
      const todo = toBackendTodoWire(await service.create(request.body), rootUrl(request));
      return reply.code(201).header('location', todo.url).send(todo);
    },
  );

  app.delete(
    '/',
    { config: open, schema: { tags, summary: 'Delete every todo', response: { 204: NoContent } } },
    async (_request, reply) => {
      await service.deleteAll();
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/:id',
    {
      config: open,
      schema: {
        tags,
        summary: 'One todo',
        params: S.BackendIdParams,
        response: { 200: Type.Ref('BackendTodo'), 404: problem('No such todo') },
      },
    },
    async (request) => toBackendTodoWire(await service.get(request.params.id), rootUrl(request)),
  );

  app.patch(
    '/:id',
    {
      config: open,
      schema: {
        tags,
        summary: 'Change title, completed or order',
        params: S.BackendIdParams,
        body: S.BackendPatchBody,
        response: { 200: Type.Ref('BackendTodo'), 404: problem('No such todo') },
      },
    },
    async (request) => toBackendTodoWire(await service.update(request.params.id, request.body), rootUrl(request)),
  );

  app.delete(
    '/:id',
    {
      config: open,
      schema: { tags, summary: 'Delete one todo', params: S.BackendIdParams, response: { 204: NoContent, 404: problem('No such todo') } },
    },
    async (request, reply) => {
      await service.delete(request.params.id);
      return reply.code(204).send(null);
    },
  );
};

/** HTTP routes of the todos module (private to each user): validate -> service -> wire shape. */
import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import { caller } from '../../platform/http/access.js';
import { IfMatchHeader, IfNoneMatchHeader, NoContent, NotModified, problem, sendTagged } from '../../platform/http/route-helpers.js';
import * as S from './schema.js';
import type { TodosService } from './service.js';
import { etagOf, toListWire, toTodoWire } from './wire.js';

export interface TodosRoutesOptions {
  todos: TodosService;
}

const user = { access: 'user' as const };

export const todosRoutes: FastifyPluginAsyncTypebox<TodosRoutesOptions> = async (app, { todos }) => {
  app.addSchema(S.TodoList);
  app.addSchema(S.Todo);
  const base = app.prefix;

  // --- lists ---
  const lists = { tags: ['todo lists'] };

  app.get(
    '/todo-lists',
    {
      config: user,
      schema: { ...lists, summary: 'The caller’s lists, by position', querystring: S.ListListsQuery, response: { 200: S.ListPage } },
    },
    async (request) => {
      const page = await todos.listLists(caller(request).id, request.query);
      return { items: page.items.map(toListWire), nextCursor: page.nextCursor };
    },
  );

  app.post(
    '/todo-lists',
    {
      config: user,
      schema: {
        ...lists,
        summary: 'Create a list (at the end)',
        body: S.CreateListBody,
        response: { 201: Type.Ref('TodoList'), 422: problem('TODO_LIST_LIMIT_REACHED: the caller has TODO_MAX_LISTS_PER_USER lists') },
      },
    },
    async (request, reply) => {
      const list = await todos.createList(caller(request).id, request.body);
      return reply.code(201).header('location', `${base}/todo-lists/${list.id}`).header('etag', etagOf(list)).send(toListWire(list));
    },
  );

  app.get(
    '/todo-lists/:id',
    {
      config: user,
      schema: {
        ...lists,
        summary: 'One list',
        params: S.IdParams,
        headers: IfNoneMatchHeader,
        response: { 200: Type.Ref('TodoList'), 304: NotModified, 404: problem('No such list of the caller') },
      },
    },
    async (request, reply) => {
      const list = await todos.getList(caller(request).id, request.params.id);
      return sendTagged(request, reply, etagOf(list), toListWire(list));
    },
  );

  app.patch(
    '/todo-lists/:id',
    {
      config: user,
      schema: {
        ...lists,
        summary: 'Rename a list',
        params: S.IdParams,
        headers: IfMatchHeader,
        body: S.UpdateListBody,
        response: { 200: Type.Ref('TodoList'), 404: problem('No such list of the caller'), 412: problem('If-Match failed') },
      },
    },
    async (request, reply) => {
      const list = await todos.renameList(caller(request).id, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(list)).send(toListWire(list));
    },
  );

  app.delete(
    '/todo-lists/:id',
    {
      config: user,
      schema: {
        ...lists,
        summary: 'Delete a list and all its todos',
        params: S.IdParams,
        headers: IfMatchHeader,
        response: { 204: NoContent, 404: problem('No such list of the caller'), 412: problem('If-Match failed') },
      },
    },
    async (request, reply) => {
      await todos.deleteList(caller(request).id, request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/todo-lists/:id/move',
    {
      config: user,
      schema: {
        ...lists,
        summary: 'Put a list right before or after another of the caller’s lists',
        params: S.IdParams,
        body: S.MoveListBody,
        response: { 200: Type.Ref('TodoList'), 404: problem('This or the other list is not the caller’s') },
      },
    },
    async (request, reply) => {
      const list = await todos.moveList(caller(request).id, request.params.id, request.body);
      return reply.header('etag', etagOf(list)).send(toListWire(list));
    },
  );

  // --- todos ---
  const tags = ['todos'];

  app.get(
    '/todos',
    {
      config: user,
      schema: {
        tags,
        summary: 'The caller’s todos: filter, sort, page; or a delta sync with updatedSince',
        description:
          'Filters combine with AND; `sort` orders with id as the tie-break, and `nextCursor` continues the same query. ' +
          'With `updatedSince` (delta sync) the answer lists every todo changed at or after that instant and `deleted` ' +
          'tombstones, oldest change first, plus `serverTime` to pass as `updatedSince` next time. The same change may ' +
          'arrive twice; none is ever missed. When `updatedSince` is older than TODO_SYNC_RETENTION the answer is a ' +
          'full resync: `reset: true` and every todo.',
        querystring: S.ListTodosQuery,
        response: { 200: S.TodoPage },
      },
    },
    async (request) => {
      const page = await todos.listTodos(caller(request).id, request.query);
      return {
        items: page.items.map(toTodoWire),
        nextCursor: page.nextCursor,
        deleted: page.deleted?.map((d) => ({ id: d.id, deletedAt: d.deletedAt.toISOString() })),
        serverTime: page.serverTime?.toISOString(),
        reset: page.reset,
      };
    },
  );

  app.post(
    '/todos',
    {
      config: user,
      schema: {
        tags,
        summary: 'Create a todo at the end of one of the caller’s lists',
        body: S.CreateTodoBody,
        response: {
          201: Type.Ref('Todo'),
          404: problem('TODO_LIST_NOT_FOUND: listId is not one of the caller’s lists'),
          422: problem('TODO_LIMIT_REACHED: the caller has TODO_MAX_TODOS_PER_USER todos'),
        },
      },
    },
    async (request, reply) => {
      const todo = await todos.createTodo(caller(request).id, request.body);
      return reply.code(201).header('location', `${base}/todos/${todo.id}`).header('etag', etagOf(todo)).send(toTodoWire(todo));
    },
  );

  app.post(
    '/todos/bulk',
    {
      config: user,
      schema: {
        tags,
        summary: 'Complete, reopen or delete up to 100 todos at once, all or nothing',
        body: S.BulkBody,
        response: {
          200: S.BulkResult,
          404: problem('TODO_NOT_FOUND: some ids are missing or not the caller’s (`missing`); nothing changed'),
        },
      },
    },
    async (request) => {
      const result = await todos.bulk(caller(request).id, request.body.action, request.body.ids);
      return { ...result, items: result.items.map(toTodoWire) };
    },
  );

  app.get(
    '/todos/:id',
    {
      config: user,
      schema: {
        tags,
        summary: 'One todo, with its ETag',
        params: S.IdParams,
        headers: IfNoneMatchHeader,
        response: { 200: Type.Ref('Todo'), 304: NotModified, 404: problem('No such todo of the caller') },
      },
    },
    async (request, reply) => {
      const todo = await todos.getTodo(caller(request).id, request.params.id);
      return sendTagged(request, reply, etagOf(todo), toTodoWire(todo));
    },
  );

  app.patch(
    '/todos/:id',
    {
      config: user,
      schema: {
        tags,
        summary: 'Change a todo (a new listId moves it to the end of that list)',
        params: S.IdParams,
        headers: IfMatchHeader,
        body: S.UpdateTodoBody,
        response: { 200: Type.Ref('Todo'), 404: problem('No such todo (or list) of the caller'), 412: problem('If-Match failed') },
      },
    },
    async (request, reply) => {
      const todo = await todos.updateTodo(caller(request).id, request.params.id, request.body, request.headers['if-match']);
      return reply.header('etag', etagOf(todo)).send(toTodoWire(todo));
    },
  );

  app.delete(
    '/todos/:id',
    {
      config: user,
      schema: {
        tags,
        summary: 'Delete a todo (delta sync reports it in `deleted`)',
        params: S.IdParams,
        headers: IfMatchHeader,
        response: { 204: NoContent, 404: problem('No such todo of the caller'), 412: problem('If-Match failed') },
      },
    },
    async (request, reply) => {
      await todos.deleteTodo(caller(request).id, request.params.id, request.headers['if-match']);
      return reply.code(204).send(null);
    },
  );

  app.post(
    '/todos/:id/move',
    {
      config: user,
      schema: {
        tags,
        summary: 'Put a todo right before or after another (in that one’s list), or at the end of listId',
        description:
          'Positions are gapped integers: only the moved todo changes, except when the gap between two neighbours is used up; ' +
          'then that list alone is renumbered in the same transaction (its todos get a new position and updatedAt).',
        params: S.IdParams,
        body: S.MoveTodoBody,
        response: { 200: Type.Ref('Todo'), 404: problem('This todo, the other todo or the list is not the caller’s') },
      },
    },
    async (request, reply) => {
      const todo = await todos.moveTodo(caller(request).id, request.params.id, request.body);
      return reply.header('etag', etagOf(todo)).send(toTodoWire(todo));
    },
  );
};

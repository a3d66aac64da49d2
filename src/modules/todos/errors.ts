/** The todos module's coded errors. */
import { defineError } from '../../platform/http/errors.js';

export const TodoNotFound = defineError('TODO_NOT_FOUND', 404, 'Todo not found');
export const TodoListNotFound = defineError('TODO_LIST_NOT_FOUND', 404, 'Todo list not found');
export const TodoListLimitReached = defineError('TODO_LIST_LIMIT_REACHED', 422, 'Too many todo lists');
export const TodoLimitReached = defineError('TODO_LIMIT_REACHED', 422, 'Too many todos');
export const TodoBackendFull = defineError('TODO_BACKEND_FULL', 422, 'The Todo-Backend store is full');

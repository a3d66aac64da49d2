/**
 * What every routes file uses to declare and answer routes the same way: documented problem
 * answers, the empty answers, the conditional-request headers, and sending a resource with its
 * ETag (304 when the client's copy is current).
 */
import { Type } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { matchesIfNoneMatch } from './etag.js';

/** A documented problem answer: `response: { 404: problem('No such todo of the caller') }`. */
export const problem = (description: string) => ({ $ref: 'Problem#', description });

/** The body of a 204 answer. */
export const NoContent = Type.Null({ description: 'No content' });

/** The body of a 304 answer. */
export const NotModified = Type.Null({ description: 'Not modified: the If-None-Match tag is current' });

/** `If-Match` on a write: optimistic concurrency (412 when another version is current). */
export const IfMatchHeader = Type.Object(
  {
    'if-match': Type.Optional(
      Type.String({ description: 'ETag of the version you read; another current version answers 412. Without it: last write wins' }),
    ),
  },
  { additionalProperties: true },
);

/** `If-None-Match` on a read: revalidation (304 when the tag is current). */
export const IfNoneMatchHeader = Type.Object(
  { 'if-none-match': Type.Optional(Type.String({ description: 'ETag you hold; unchanged answers 304' })) },
  { additionalProperties: true },
);

/** Sends `body` with its ETag `tag`, or an empty 304 when the request's If-None-Match holds that tag. */
export function sendTagged<T>(request: FastifyRequest, reply: FastifyReply, tag: string, body: T) {
  reply.header('etag', tag);
  if (matchesIfNoneMatch(request.headers['if-none-match'], tag)) return reply.code(304).send();
  return body;
}

/**
 * Request ids: a caller's `x-request-id` is kept when it is a sane token, otherwise a new
 * UUID is made. Fastify binds it into every log line of the request (`reqId`), and it is
 * echoed in the response header and in problem details (`instance`).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';

const SAFE = /^[\w.:@/+=-]{1,128}$/;

/** Fastify's `genReqId`. */
export function requestIdFrom(req: IncomingMessage): string {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && SAFE.test(given) ? given : randomUUID();
}

/** Echoes the id on every response, errors included. */
export function installRequestIdEcho(app: FastifyInstance) {
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    done();
  });
}

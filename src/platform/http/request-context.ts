/**
 * The request being served, reachable from code that is not handed it (the audit trail, logs of
 * a service): @fastify/request-context keeps it in AsyncLocalStorage for the request's lifetime.
 * Undefined outside a request (jobs, event consumers).
 */
import { fastifyRequestContext, requestContext } from '@fastify/request-context';
import type { FastifyInstance, FastifyRequest } from 'fastify';

declare module '@fastify/request-context' {
  interface RequestContextData {
    request: FastifyRequest;
  }
}

/** Registers the context first, so every later hook and handler runs inside it. */
export async function installRequestContext(app: FastifyInstance) {
  await app.register(fastifyRequestContext, { defaultStoreValues: (request) => ({ request }) });
}

export function currentRequest(): FastifyRequest | undefined {
  return requestContext.get('request');
}

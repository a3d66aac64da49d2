/**
 * Who makes an audited change: the caller of the request that makes it (its user, request id and
 * address), or the system for work no one asked for in a request (jobs, provider events).
 * Routes hand it to the services explicitly: an ambient request context (AsyncLocalStorage) would
 * switch on async-hook bookkeeping for every promise of every request, ~8 % of a cheap request's
 * CPU, to serve a few admin writes.
 */
import type { FastifyRequest } from 'fastify';

export interface AuditActor {
  id: string | null;
  role: string | null;
  requestId: string | null;
  clientAddress: string | null;
}

export const SYSTEM_ACTOR: AuditActor = Object.freeze({ id: null, role: null, requestId: null, clientAddress: null });

export function actorOf(request: FastifyRequest): AuditActor {
  return { id: request.user?.id ?? null, role: request.user?.role ?? null, requestId: request.id, clientAddress: request.ip };
}

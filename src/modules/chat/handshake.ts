/**
 * Who may open a chat socket, decided before the upgrade so a refusal is a plain HTTP answer
 * (401 or 403), never an opened-then-closed socket. Credentials, in this order:
 *  - `?ticket=`: single-use, 30 s, from POST /api/v1/chat/ticket (browsers: nothing long-lived in URLs or logs);
 *  - the subprotocol `bearer.<access token>` offered next to `zaplecze.chat.v1`;
 *  - an `Authorization: Bearer` header (non-browser clients; checked by the access guard).
 * A browser's Origin must be this server's own or one of CORS_ORIGINS; no Origin (not a browser) passes.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Principal } from '../../platform/auth/access-tokens.js';
import type { KeyValueStore } from '../../platform/cache/key-value-store.js';
import type { Clock } from '../../platform/clock.js';
import { Forbidden, Unauthorized } from '../../platform/http/errors.js';
import { BEARER_PROTOCOL_PREFIX } from './frames.js';

/** How long a ticket may wait before it is used. */
export const TICKET_TTL_MS = 30_000;

export type Tickets = ReturnType<typeof createTickets>;

/** Single-use tickets in the shared key-value store, so any instance can redeem one. */
export function createTickets(store: KeyValueStore, clock: Clock) {
  return {
    async issue(who: Principal) {
      const ticket = randomBytes(24).toString('base64url');
      const expiresAt = new Date(clock.now().getTime() + TICKET_TTL_MS);
      await store.set(`ticket:${ticket}`, JSON.stringify({ ...who, expiresAt: expiresAt.getTime() }), TICKET_TTL_MS);
      return { ticket, expiresAt };
    },
    /** The principal of a valid ticket, which is used up; null for an unknown, used or expired one. */
    async redeem(ticket: string): Promise<Principal | null> {
      const raw = await store.get(`ticket:${ticket}`);
      // The marker makes two simultaneous redeems of one ticket succeed once.
      if (!raw || !(await store.setIfAbsent(`used:${ticket}`, '1', TICKET_TTL_MS))) return null;
      await store.del(`ticket:${ticket}`);
      const { id, role, sid, expiresAt } = JSON.parse(raw) as Principal & { expiresAt: number };
      return clock.now().getTime() < expiresAt ? { id, role, sid } : null;
    },
  };
}

const protocolsOf = (request: FastifyRequest) =>
  (request.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

/** Origins a browser may open a socket from: CORS_ORIGINS, PUBLIC_URL's, and this server's own. */
export function isOriginAllowed(request: FastifyRequest, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  if (allowed.has(origin)) return true;
  try {
    return new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}

/** A preValidation hook for the socket route: sets `request.user` or answers 401/403. */
export function createHandshakeGuard(app: FastifyInstance, options: { tickets: Tickets; allowedOrigins: ReadonlySet<string> }) {
  return async (request: FastifyRequest) => {
    if (!isOriginAllowed(request, options.allowedOrigins)) throw Forbidden('This Origin may not open chat sockets');
    const { ticket } = request.query as { ticket?: string };
    const bearer = protocolsOf(request).find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
    let who: Principal | null = null;
    if (ticket) {
      who = await options.tickets.redeem(ticket);
      // A ticket outlives nothing: a logout or revoked session since it was issued ends it too.
      if (who && !(await app.isPrincipalLive(who))) who = null;
    } else if (bearer) who = await app.authenticateToken(bearer.slice(BEARER_PROTOCOL_PREFIX.length));
    else if (request.user) who = request.user;
    else throw Unauthorized('Open the socket with ?ticket= or a bearer.<token> subprotocol');
    if (!who) throw Unauthorized('The ticket or token is invalid, expired, used or revoked');
    request.user = who;
  };
}

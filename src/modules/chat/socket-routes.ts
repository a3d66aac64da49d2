/**
 * GET /api/v1/chat/ws: the chat WebSocket. The route is `public` for the access guard because
 * browsers cannot send an Authorization header on a WebSocket: the handshake guard
 * (handshake.ts) authenticates in preValidation instead, so a refusal is an HTTP 401/403
 * before any upgrade.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import websocket from '@fastify/websocket';
import type { FastifyPluginAsync } from 'fastify';
import type { Principal } from '../../platform/auth/access-tokens.js';
import { createConnectionCap } from './connection-cap.js';
import { SUBPROTOCOL } from './frames.js';
import { createHandshakeGuard, type Tickets } from './handshake.js';
import { startHeartbeat } from './heartbeat.js';
import type { Hub } from './hub.js';
import { CloseCodes, type SessionDeps, startSession } from './session.js';

export interface SocketRoutesOptions {
  tickets: Tickets;
  allowedOrigins: ReadonlySet<string>;
  hub: Hub;
  session: SessionDeps;
  /** Largest frame a client may send; ws closes the socket with 1009 above it. */
  maxPayload: number;
  heartbeatMs: number;
  /** Most sockets one user may have open across the cluster. */
  maxConnectionsPerUser: number;
}

/** How long shutdown waits for clients to answer the 1001 close before cutting them off. */
const CLOSE_GRACE_MS = 2000;

export const socketRoutes: FastifyPluginAsync<SocketRoutesOptions> = async (app, options) => {
  const { hub } = options;
  await app.register(websocket, {
    options: {
      maxPayload: options.maxPayload,
      // Offer the protocol name back, never the bearer token that may sit next to it.
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
    },
    preClose: (done) => {
      closeAll().then(() => done(), done);
    },
  });

  /** Closes every socket with 1001 (going away) and waits a little for the close handshakes. */
  async function closeAll() {
    const sockets = [...app.websocketServer.clients];
    for (const session of hub.connections()) session.kick(CloseCodes.goingAway, 'server shutting down');
    for (const socket of sockets) if (socket.readyState === socket.OPEN) socket.close(CloseCodes.goingAway, 'server shutting down');
    const closed = Promise.all(sockets.map((s) => (s.readyState === s.CLOSED ? null : new Promise((r) => s.once('close', r)))));
    const timer = new Promise((r) => setTimeout(r, CLOSE_GRACE_MS).unref());
    await Promise.race([closed, timer]);
    for (const socket of sockets) socket.terminate();
  }

  const { log } = options.session;
  const sessions = new WeakMap<object, { session: ReturnType<typeof startSession>; principal: Principal }>();
  const handshakeResponses = new WeakMap<IncomingMessage, ServerResponse>();
  // A peer that has not answered the previous ping is gone (half-open TCP): drop it. A socket
  // outlives its access token, so its session is checked again too: after a logout, a password
  // change or a revoked session the socket closes within one interval (disabling an account
  // closes it at once, see index.ts).
  const heartbeat = startHeartbeat({
    intervalMs: options.heartbeatMs,
    sockets: () => app.websocketServer.clients,
    visit(socket) {
      const entry = sessions.get(socket);
      // Closed since the round began: nothing left to ping or check.
      if (!entry || socket.readyState === socket.CLOSED) return undefined;
      const { session, principal } = entry;
      if (!session.alive) {
        socket.terminate();
        return undefined;
      }
      session.alive = false;
      socket.ping();
      return app.isPrincipalLive(principal).then(
        (live) => live || session.kick(CloseCodes.policy, 'session ended'),
        (err) => log.warn({ err, userId: principal.id }, 'chat session check failed'),
      );
    },
  });
  app.addHook('onClose', async () => heartbeat.stop());

  app.get(
    '/chat/ws',
    {
      websocket: true,
      config: { access: 'public' },
      preValidation: [
        createHandshakeGuard(app, { tickets: options.tickets, allowedOrigins: options.allowedOrigins }),
        createConnectionCap(options.session.realtime, options.maxConnectionsPerUser),
        async (request, reply) => {
          handshakeResponses.set(request.raw, reply.raw);
        },
      ],
    },
    (socket, request) => {
      const who = request.user;
      // Let the HTTP request and response of the handshake go: @fastify/websocket's error
      // listener and the socket's reference to the response would keep both (several KiB) alive
      // for as long as the socket is open, on every idle connection.
      const theirs = socket.listeners('error') as ((err: Error) => void)[];
      socket.on('error', (err) => log.debug({ err }, 'chat socket error'));
      // Ours first, then theirs removed: removing the last listener of a type would delete the
      // key, turning the emitter's listener table into slow (dictionary) properties.
      for (const listener of theirs) socket.removeListener('error', listener);
      handshakeResponses.get(request.raw)?.detachSocket(request.raw.socket);
      handshakeResponses.delete(request.raw);
      if (!who) return socket.close(CloseCodes.policy, 'unauthenticated');
      sessions.set(socket, { session: startSession(socket, who, options.session), principal: who });
    },
  );
};

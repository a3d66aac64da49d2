/**
 * At most `limit` chat sockets per user across the cluster. Each upgrade takes a slot of the
 * user's key on the realtime port before the socket opens, so one more is refused with HTTP 429
 * (a problem document) instead of an opened-then-closed socket. The slot goes back when the
 * connection's TCP socket closes, whatever ended it (close, kick, shutdown, failed upgrade);
 * a slot of an instance that died expires with that instance's other realtime entries.
 */
import type { FastifyRequest } from 'fastify';
import { PRESENCE_TTL_MS, type RealtimePort } from '../../platform/realtime/realtime.js';
import { TooManyConnections } from './errors.js';

const userSockets = (userId: string) => `chat:sockets:${userId}`;

/** A preValidation hook, after the handshake guard set `request.user`. */
export function createConnectionCap(realtime: RealtimePort, limit: number) {
  return async (request: FastifyRequest) => {
    const userId = request.user?.id;
    // Only upgrades hold a socket; a plain GET of the route opens nothing.
    if (!userId || !request.ws) return;
    const key = userSockets(userId);
    const slot = await realtime.claimSlot(key, limit);
    if (!slot) {
      throw TooManyConnections(
        `At most ${limit} chat connections per user; close one first`,
        { limit },
        {
          // The soonest a slot of a crashed instance frees itself; a closed socket frees one at once.
          'retry-after': String(Math.ceil(PRESENCE_TTL_MS / 1000)),
        },
      );
    }
    // Not `request`: this listener lives as long as the socket, and through the request it would
    // keep the whole handshake (request, reply, their raw objects, ~1 KiB each) for every idle socket.
    const log = request.log;
    const release = () => {
      realtime.releaseSlot(key, slot).catch((err) => log.warn({ err, userId }, 'chat connection slot not released'));
    };
    const tcp = request.raw.socket;
    if (tcp.destroyed) release();
    else tcp.once('close', release);
  };
}

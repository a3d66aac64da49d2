/**
 * The chat module: rooms (public, private, direct), their members and messages over REST, and
 * real-time delivery over one WebSocket with presence, typing and read receipts. Fan-out and
 * presence go through the platform's realtime port, so they span every instance. It publishes
 * no bus events; it closes the sockets of accounts identity reports disabled or deleted.
 */
import { readFileSync } from 'node:fs';
import type { Follower } from '../../platform/bus/event-bus.js';
import { publicUrl } from '../../platform/config.js';
import { API_PREFIX } from '../../platform/http/api-prefix.js';
import type { ModuleFactory } from '../../platform/platform.js';
import { catalogSettings } from '../catalog/index.js';
import { createIdentityDirectory, IdentityEvents } from '../identity/index.js';
import { buildAsyncApi } from './asyncapi.js';
import { withChatMetrics } from './chat-metrics.js';
import { createRoomFeed } from './feed.js';
import { createTickets } from './handshake.js';
import { createHub } from './hub.js';
import { createChatRepo } from './repo.js';
import { chatRoutes } from './routes.js';
import { MAX_TEXT_BYTES } from './schema.js';
import { createChatService } from './service.js';
import { chatSettings } from './settings.js';
import { socketRoutes } from './socket-routes.js';

/** The public room every demo deployment has, created with the demo catalog. */
const DEMO_ROOM = 'general';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Plugs chat into the app: REST and the WebSocket under /api/v1/chat, /asyncapi.json at the root. */
export const chatModule: ModuleFactory = (platform) => {
  const { realtime, clock } = platform;
  // The demo room follows the catalog's demo-data switch, so chat reads that one key of the catalog's.
  const config = catalogSettings.read(chatSettings.read(platform.config));
  const log = platform.log.child({ module: 'chat' });
  const feed = createRoomFeed(realtime, log);
  const hub = createHub({ realtime, log });
  const service = createChatService({
    repo: createChatRepo(platform.db),
    feed,
    clock,
    log,
    users: createIdentityDirectory(platform),
    limits: { maxOwnedRooms: config.CHAT_MAX_OWNED_ROOMS },
  });
  const chat = withChatMetrics(service, hub, platform.metrics);
  const tickets = createTickets(platform.cacheFor('chat'), clock);
  const base = publicUrl(config);
  const allowedOrigins = new Set([...config.CORS_ORIGINS, new URL(base).origin]);

  let sessionFollower: Follower | undefined;

  async function seed() {
    if (await chat.ensurePublicRoom(DEMO_ROOM)) log.info({ room: DEMO_ROOM }, 'demo chat room created');
  }

  return {
    name: 'chat',
    routes: async (app) => {
      await app.register(chatRoutes, { chat, tickets });
      await app.register(socketRoutes, {
        tickets,
        allowedOrigins,
        hub,
        // A message frame carries up to MAX_TEXT_BYTES of text plus a little JSON.
        maxPayload: MAX_TEXT_BYTES * 4 + 1024,
        heartbeatMs: config.CHAT_HEARTBEAT_INTERVAL,
        maxConnectionsPerUser: config.CHAT_MAX_CONNECTIONS_PER_USER,
        session: {
          hub,
          chat,
          feed,
          realtime,
          clock,
          log,
          limits: {
            maxRooms: config.CHAT_MAX_ROOMS_PER_CONNECTION,
            ratePerSecond: config.CHAT_RATE_LIMIT,
            maxBufferedBytes: config.CHAT_MAX_BUFFERED_BYTES,
            replayLimit: config.CHAT_REPLAY_LIMIT,
          },
          historyPath: (roomId, afterSeq) => `${API_PREFIX}/chat/rooms/${roomId}/messages?after=${afterSeq}`,
        },
      });
    },
    rootRoutes: async (app) => {
      const document = buildAsyncApi({ version: pkg.version, publicUrl: base });
      app.get('/asyncapi.json', { schema: { hide: true }, config: { access: 'public' } }, async () => document);
    },
    async start() {
      await hub.start();
      // Every instance follows (a subscription would reach one): each closes its own sockets of the session.
      // From now: there are no sockets yet, and a socket opened later was checked against the session gate.
      sessionFollower = platform.bus.follow(IdentityEvents.sessionChanged, { since: clock.now() }, (event) =>
        hub.sessionChanged(event.payload.sid, event.payload.role),
      );
      // The demo data's chat room, with the demo catalog (same switch); a no-op once it exists.
      if (config.CATALOG_SEED_ON_EMPTY) await seed();
    },
    // The bus delivers an event to one instance of this module (the worker's, in the split); the
    // kick goes through the realtime port and reaches the sockets of every instance.
    subscribe: () => [
      platform.bus.subscribe('chat', IdentityEvents.userDisabled, async (event) => {
        await feed.kick(event.payload.userId, 'account disabled');
      }),
      platform.bus.subscribe('chat', IdentityEvents.userDeleted, async (event) => {
        const { userId } = event.payload;
        await feed.kick(userId, 'account deleted');
        await chat.forgetUser(userId);
      }),
    ],
    async stop() {
      await sessionFollower?.stop();
      await hub.stop();
    },
    seed,
  };
};

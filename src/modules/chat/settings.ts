/**
 * Chat settings: connection, room and rate limits of the WebSocket, replay and heartbeat.
 * Composed into the app by src/settings.ts; the module reads them with `chatSettings.read(platform.config)`.
 */
import { bytes, type ConfigOf, defineSettings, durationBetween, int } from '../../platform/config.js';

/** Every variable the chat module reads. Order is the order of the docs. */
export const chatSettings = defineSettings('chat', {
  CHAT_MAX_CONNECTIONS_PER_USER: {
    doc: 'Chat WebSockets one user may have open at once across every instance; one more is refused before the upgrade with 429 CHAT_TOO_MANY_CONNECTIONS.',
    example: '10',
    default: '10',
    parse: int(1, 10_000),
  },
  CHAT_MAX_OWNED_ROOMS: {
    doc: 'Private chat rooms one user may own; creating one more answers 422 CHAT_ROOM_LIMIT_REACHED. Public rooms (admins) are not counted.',
    example: '50',
    default: '50',
    parse: int(1, 100_000),
  },
  CHAT_MAX_ROOMS_PER_CONNECTION: {
    doc: 'Rooms one chat WebSocket may be subscribed to at once; one more answers an error frame ROOM_LIMIT_REACHED.',
    example: '100',
    default: '100',
    parse: int(1, 10_000),
  },
  CHAT_RATE_LIMIT: {
    doc: 'Frames per second one chat WebSocket may send (bursts of twice that pass); more answer an error frame RATE_LIMITED and are dropped.',
    example: '10',
    default: '10',
    parse: int(1, 1_000_000),
  },
  CHAT_MAX_BUFFERED_BYTES: {
    doc: 'Bytes the server may hold unsent for one chat WebSocket; a client that reads slower is disconnected with close code 1013.',
    example: '1mb',
    default: '1mb',
    parse: bytes,
  },
  CHAT_REPLAY_LIMIT: {
    doc: 'Most missed messages a reconnecting chat client is sent per room; with more it is told to page through the REST history.',
    example: '500',
    default: '500',
    parse: int(1, 10_000),
  },
  CHAT_HEARTBEAT_INTERVAL: {
    doc: 'How often the server pings each chat WebSocket; a peer that has not answered the previous ping is dropped.',
    example: '30s',
    default: '30s',
    parse: durationBetween('100ms', '10m'),
  },
});

/** The parsed chat settings. */
export type ChatConfig = ConfigOf<typeof chatSettings>;

/** The AsyncAPI 3 description of the chat WebSocket, built from the same schemas that validate frames. */
import type { TSchema } from '@fastify/type-provider-typebox';
import { API_PREFIX } from '../../platform/http/api-prefix.js';
import { CLIENT_FRAMES, SERVER_FRAMES, SUBPROTOCOL } from './frames.js';

const key = (schema: TSchema) =>
  String((schema as { title?: string }).title)
    .replace(/[^\w.]+/g, '_')
    .replace(/_$/, '');

/** The document; `version` is the API version, `publicUrl` the server's base URL. */
export function buildAsyncApi(options: { version: string; publicUrl: string }) {
  const url = new URL(options.publicUrl);
  const messages: Record<string, unknown> = {};
  for (const schema of [...CLIENT_FRAMES, ...SERVER_FRAMES]) {
    const { title, description } = schema as { title?: string; description?: string };
    messages[key(schema)] = {
      name: title,
      title,
      ...(description ? { summary: description } : {}),
      contentType: 'application/json',
      payload: schema,
    };
  }
  const refs = (schemas: TSchema[]) => schemas.map((s) => ({ $ref: `#/channels/chat/messages/${key(s)}` }));
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Zaplecze chat',
      version: options.version,
      description:
        `Real-time chat over one WebSocket. Get a ticket with \`POST ${API_PREFIX}/chat/ticket\` and open ` +
        `\`${API_PREFIX}/chat/ws?ticket=...\` offering the subprotocol \`` +
        SUBPROTOCOL +
        '` (or offer `bearer.<access token>` as a second subprotocol instead of a ticket). Every frame is a JSON text ' +
        'frame with a `type`. Subscribe to rooms you are a member of; send `lastSeq` to receive what you missed. ' +
        'Every accepted message is stored, then acknowledged with `ack` (a resent `clientId` is acknowledged again, stored once). ' +
        'The handshake is refused with HTTP 401 (no, bad, used or expired credential; a session ended since the ticket), ' +
        '403 (Origin not allowed) or 429 `CHAT_TOO_MANY_CONNECTIONS` (the user has CHAT_MAX_CONNECTIONS_PER_USER sockets open ' +
        'across the cluster). A frame with a NUL character gets `error` `BAD_FRAME` with its `path` and changes nothing. ' +
        'Presence frames carry the display names of the room’s members. ' +
        'Close codes: 1001 server shutting down, 1008 policy (account disabled, session ended), 1009 frame too large, 1013 reading too slowly.',
    },
    servers: {
      zaplecze: {
        host: url.host,
        protocol: url.protocol === 'https:' ? 'wss' : 'ws',
        description: 'The API server',
      },
    },
    channels: {
      chat: { address: `${API_PREFIX}/chat/ws`, messages },
    },
    operations: {
      receiveClientFrames: {
        action: 'receive',
        channel: { $ref: '#/channels/chat' },
        summary: 'Frames clients send',
        messages: refs(CLIENT_FRAMES),
      },
      sendServerFrames: {
        action: 'send',
        channel: { $ref: '#/channels/chat' },
        summary: 'Frames the server sends',
        messages: refs(SERVER_FRAMES),
      },
    },
  };
}

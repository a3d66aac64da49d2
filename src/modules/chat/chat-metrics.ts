/**
 * Chat as metrics: open WebSocket sessions on this instance (read at scrape time) and messages
 * stored (a resend of the same client id is not counted twice; Prometheus turns the counter
 * into messages per second). Unchanged service when metrics are off.
 */
import type { Metrics } from '../../platform/metrics/metrics.js';
import type { Hub } from './hub.js';
import type { ChatService } from './service.js';

/** The chat service, counting stored messages, plus the open-sockets gauge read from the hub. */
export function withChatMetrics(chat: ChatService, hub: Hub, metrics: Metrics): ChatService {
  if (!metrics.enabled) return chat;
  metrics.gauge('zaplecze_chat_open_sockets', 'Chat WebSocket sessions open on this instance.', () => hub.connections().length);
  const messages = metrics.counter('zaplecze_chat_messages_total', 'Chat messages stored (resends of the same message not counted).');
  return {
    ...chat,
    async postMessage(authorId, roomId, text, clientId) {
      const posted = await chat.postMessage(authorId, roomId, text, clientId);
      if (posted && !posted.duplicate) messages.inc();
      return posted;
    },
  };
}

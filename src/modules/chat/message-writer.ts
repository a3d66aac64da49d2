/**
 * Group commit of chat messages, per room. While one batch of a room is being stored, the
 * messages that arrive queue up and are stored together by the next statement, in arrival
 * order. One busy sender then costs one round trip per batch instead of one per message, and
 * seqs still follow the order frames arrived in. Each caller learns its own outcome.
 */
import type { Clock } from '../../platform/clock.js';
import { isDataError, isUniqueViolation } from '../../platform/db/errors.js';
import { newId } from '../../platform/ids.js';
import type { ChatRepo } from './repo.js';
import type { MessageRow } from './tables.js';

/** What happened to one message: stored now, stored by an earlier frame, or refused (not a member). */
export type WriteOutcome = { outcome: 'stored'; message: MessageRow } | { outcome: 'duplicate' } | { outcome: 'not-member' };

interface Pending {
  message: Omit<MessageRow, 'seq' | 'roomId' | 'editedAt' | 'deletedAt'> & { text: string };
  resolve(outcome: WriteOutcome): void;
  reject(err: unknown): void;
}

/** Most messages one statement stores. */
const MAX_BATCH = 200;

export function createMessageWriter(deps: { repo: ChatRepo; clock: Clock }) {
  const { repo, clock } = deps;
  const queues = new Map<string, Pending[]>();

  async function storeOneByOne(roomId: string, batch: Pending[]) {
    for (const p of batch) {
      const attempt = () => repo.insertMessageWithNextSeq({ roomId, ...p.message });
      try {
        p.resolve(await attempt());
      } catch (err) {
        // The same frame arrived at once elsewhere (another socket or instance): now it is stored.
        if (isUniqueViolation(err, 'messages_author_client_unique')) attempt().then(p.resolve, p.reject);
        else p.reject(err);
      }
    }
  }

  async function drain(roomId: string, queue: Pending[]) {
    while (queue.length > 0) {
      const batch = queue.splice(0, MAX_BATCH);
      try {
        if (batch.length === 1) {
          await storeOneByOne(roomId, batch);
          continue;
        }
        const stored = await repo.insertMessagesWithNextSeqs(
          roomId,
          batch.map((p) => p.message),
        );
        const unsettled: Pending[] = [];
        batch.forEach((p, ord) => {
          const seq = stored.get(ord);
          if (seq === undefined) unsettled.push(p);
          else p.resolve({ outcome: 'stored', message: { ...p.message, roomId, seq, editedAt: null, deletedAt: null } });
        });
        // Not stored: a duplicate or a non-member; the single statement tells which.
        if (unsettled.length) await storeOneByOne(roomId, unsettled);
      } catch (err) {
        // One message can fail the whole statement (a racing duplicate, text the database
        // refuses): store them one by one, so only that one fails and the others are kept.
        // A failure no message caused (the database is down) fails the batch once, instead of
        // sending up to MAX_BATCH more statements to a database that cannot answer them.
        if (isDataError(err)) await storeOneByOne(roomId, batch);
        else for (const p of batch) p.reject(err);
      }
    }
    queues.delete(roomId);
  }

  return {
    /** Queues a message of `authorId` for `roomId`; resolves once it is committed (or refused). */
    write(roomId: string, authorId: string, clientId: string, text: string): Promise<WriteOutcome> {
      return new Promise((resolve, reject) => {
        const pending: Pending = { message: { id: newId(), authorId, clientId, text, createdAt: clock.now() }, resolve, reject };
        const queue = queues.get(roomId);
        if (queue) return void queue.push(pending);
        const fresh = [pending];
        queues.set(roomId, fresh);
        void drain(roomId, fresh);
      });
    },
  };
}

/** Folds chat frames into what a room screen shows: messages (pending until acked), presence, typing. */
import type { components } from '../api/openapi.gen';

export type Message = components['schemas']['ChatMessage'] & { pending?: boolean };

export interface RoomView {
  messages: Message[];
  online: Set<string>;
  /** userId -> epoch ms when the typing hint expires. */
  typing: Map<string, number>;
}

export const emptyRoom = (): RoomView => ({ messages: [], online: new Set(), typing: new Map() });

/** Inserts or replaces by id (or by the author's clientId for a pending one), keeping seq order. */
export function upsertMessage(list: Message[], m: Message): Message[] {
  const rest = list.filter((x) => x.id !== m.id && !(x.pending && x.clientId === m.clientId && x.author === m.author));
  return [...rest, m].sort((a, b) => (a.pending ? 1 : 0) - (b.pending ? 1 : 0) || a.seq - b.seq);
}

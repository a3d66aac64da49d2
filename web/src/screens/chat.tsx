/**
 * Chat: your rooms and public ones, a room's history and live messages in a role="log",
 * who is online and typing, messages pending until the server acks them, and direct messages
 * with anyone in the room.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { ChatSocket, type ConnectionState, type ServerFrame } from '../api/chat-socket';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { useSession } from '../auth';
import { RequireUser } from '../require-user';
import { Field, Form, Select } from '../ui/form';
import { shortId } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';
import { emptyRoom, type Message, type RoomView, upsertMessage } from './chat-state';

type Room = components['schemas']['ChatRoom'];
/** Display names arrive with members once the server sends them; until then a short id. */
type Member = components['schemas']['ChatMember'] & { name?: string | null; displayName?: string | null };

let shared: ChatSocket | null = null;
const socket = () => {
  shared ??= new ChatSocket();
  return shared;
};

/** Direct rooms have no name; their title says what they are. */
const roomTitle = (room: Room) => room.name ?? 'Direct message';

function RoomList(props: { rooms: Room[]; current: string | undefined }) {
  return (
    <ul class="rooms">
      {props.rooms.map((r) => (
        <li key={r.id}>
          <a href={`/app/chat/${r.id}`} aria-current={r.id === props.current ? 'page' : undefined}>
            {roomTitle(r)}
          </a>
        </li>
      ))}
    </ul>
  );
}

function RoomPane(props: { room: Room; me: string; onDirect: (userId: string) => void }) {
  const { room, me } = props;
  const [view, setView] = useState<RoomView>(emptyRoom);
  const [members, setMembers] = useState<Member[]>([]);
  const [text, setText] = useState('');
  const [state, setState] = useState<ConnectionState>(socket().state);
  const [, tick] = useState(0);
  const history = useLoad(
    () => ok(api.GET('/api/v1/chat/rooms/{roomId}/messages', { params: { path: { roomId: room.id }, query: { limit: 50 } } })),
    [room.id],
  );
  const log = useRef<HTMLOListElement>(null);
  const lastTyping = useRef(0);

  useEffect(() => {
    void api
      .GET('/api/v1/chat/rooms/{roomId}/members', { params: { path: { roomId: room.id }, query: { limit: 100 } } })
      .then(({ data }) => data && setMembers(data.items as Member[]));
  }, [room.id]);

  const names = useMemo(() => {
    const m = new Map<string, string>();
    for (const x of members) m.set(x.userId, x.displayName || x.name || shortId(x.userId));
    return m;
  }, [members]);
  const nameOf = (id: string) => (id === me ? 'You' : (names.get(id) ?? shortId(id)));

  // History first (newest first from the server), then live frames from the seq it ends at.
  useEffect(() => {
    if (!history.data) return;
    const past = [...history.data.items].reverse();
    setView((v) => ({ ...v, messages: past.reduce(upsertMessage, v.messages) }));
    const s = socket();
    const offState = s.onState(setState);
    const offFrame = s.onFrame((f: ServerFrame) => {
      if (!('room' in f) || f.room !== room.id) return;
      setView((v) => apply(v, f));
      if (f.type === 'presence.join') {
        void api
          .GET('/api/v1/chat/rooms/{roomId}/members', { params: { path: { roomId: room.id }, query: { limit: 100 } } })
          .then(({ data }) => data && setMembers(data.items as Member[]));
      }
    });
    s.start();
    s.subscribe(room.id, Math.max(0, ...past.map((m) => m.seq)));
    return () => {
      offFrame();
      offState();
      s.unsubscribe(room.id);
    };
  }, [history.data, room.id]);

  // Typing hints expire after a few seconds without a new one.
  useEffect(() => {
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, []);

  useEffect(() => {
    log.current?.lastElementChild?.scrollIntoView?.({ block: 'nearest' });
  }, [view.messages.length]);

  function apply(v: RoomView, f: ServerFrame): RoomView {
    switch (f.type) {
      case 'message':
      case 'message.edited':
      case 'message.deleted': {
        const { type: _type, ...m } = f;
        const typing = new Map(v.typing);
        typing.delete(m.author);
        return { ...v, messages: upsertMessage(v.messages, m), typing };
      }
      case 'ack':
        return {
          ...v,
          messages: v.messages.map((m) => (m.pending && m.clientId === f.clientId ? { ...m, pending: false, id: f.id, seq: f.seq } : m)),
        };
      case 'presence':
        return { ...v, online: new Set(f.online) };
      case 'presence.join':
        return { ...v, online: new Set([...v.online, f.userId]) };
      case 'presence.leave': {
        const online = new Set(v.online);
        online.delete(f.userId);
        return { ...v, online };
      }
      case 'typing':
        if (f.userId === me) return v;
        return { ...v, typing: new Map(v.typing).set(f.userId, Date.now() + 4000) };
      default:
        return v;
    }
  }

  const send = () => {
    const body = text.trim();
    if (!body) return;
    const clientId = socket().send(room.id, body);
    const pending: Message = {
      id: clientId,
      clientId,
      room: room.id,
      author: me,
      text: body,
      seq: Number.MAX_SAFE_INTEGER,
      createdAt: new Date().toISOString(),
      editedAt: null,
      deletedAt: null,
      pending: true,
    };
    setView((v) => ({ ...v, messages: [...v.messages, pending] }));
    setText('');
  };

  const typingNow = [...view.typing].filter(([, until]) => until > Date.now()).map(([id]) => nameOf(id));
  const online = [...view.online];

  return (
    <div class="room">
      <p class="muted" role="status">
        {state === 'open' ? 'Connected' : state === 'connecting' ? 'Connecting…' : 'Offline — reconnecting'}
      </p>
      <section aria-labelledby="online-title" class="presence">
        <h2 id="online-title">Online ({online.length})</h2>
        <ul data-testid="online">
          {online.map((id) => (
            <li key={id}>
              {nameOf(id)}
              {id !== me ? (
                <button type="button" class="link" onClick={() => props.onDirect(id)}>
                  Message <span class="visually-hidden">{nameOf(id)}</span> directly
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      </section>
      <ProblemAlert problem={history.problem} />
      {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable log must be reachable by keyboard to scroll it (WCAG 2.1.1) */}
      <div class="log" role="log" aria-label="Messages" aria-busy={history.busy ? 'true' : 'false'} tabIndex={0}>
        <ol ref={log}>
          {view.messages.map((m) => (
            <li key={m.id} class={m.pending ? 'pending' : undefined} data-pending={m.pending ? 'true' : undefined}>
              <strong>{nameOf(m.author)}</strong>: {m.deletedAt ? <em>deleted</em> : m.text}
              {m.pending ? <span class="muted"> (sending…)</span> : null}
            </li>
          ))}
        </ol>
      </div>
      <p class="typing" aria-live="polite">
        {typingNow.length ? `${typingNow.join(', ')} ${typingNow.length === 1 ? 'is' : 'are'} typing…` : ''}
      </p>
      <form
        class="form inline"
        aria-label="Send a message"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
      >
        <div class="field grow">
          <label for="message">Message</label>
          <input
            id="message"
            value={text}
            autoComplete="off"
            maxLength={4000}
            onInput={(e) => {
              setText(e.currentTarget.value);
              if (Date.now() - lastTyping.current > 2000) {
                lastTyping.current = Date.now();
                socket().typing(room.id);
              }
            }}
          />
        </div>
        <button type="submit" disabled={!text.trim()}>
          Send
        </button>
      </form>
    </div>
  );
}

function ChatView() {
  const session = useSession();
  const me = session?.user.id ?? '';
  const { params } = useRoute();
  const { route } = useLocation();
  const mine = useLoad(() => ok(api.GET('/api/v1/chat/rooms', { params: { query: { limit: 100 } } })), []);
  const open = useLoad(() => ok(api.GET('/api/v1/chat/public-rooms', { params: { query: { limit: 100 } } })), []);
  const [name, setName] = useState('');
  // Only administrators may open public rooms; everyone else's rooms are private (invite or DM).
  const isAdmin = session?.user.role === 'admin';
  const [kind, setKind] = useState<'public' | 'private'>('private');
  const action = useAction();
  const rooms = mine.data?.items ?? [];
  const joinable = (open.data?.items ?? []).filter((r) => !rooms.some((m) => m.id === r.id));
  const current = rooms.find((r) => r.id === params.room);

  useEffect(() => () => shared?.stop(), []);

  const create = async () => {
    const room = await action.run(() =>
      ok(api.POST('/api/v1/chat/rooms', { body: { kind: isAdmin ? kind : 'private', name: name.trim() } })),
    );
    if (room) {
      setName('');
      await mine.reload();
      route(`/app/chat/${room.id}`);
    }
  };
  const join = async (roomId: string) => {
    const room = await action.run(() => ok(api.POST('/api/v1/chat/rooms/{roomId}/join', { params: { path: { roomId } } })));
    if (room) {
      await Promise.all([mine.reload(), open.reload()]);
      route(`/app/chat/${room.id}`);
    }
  };
  const direct = async (userId: string) => {
    const room = await action.run(() => ok(api.POST('/api/v1/chat/direct-rooms', { body: { userId } })));
    if (room) {
      await mine.reload();
      route(`/app/chat/${room.id}`);
    }
  };

  return (
    <Page title={current ? roomTitle(current) : 'Chat'} busy={mine.busy || open.busy}>
      <ProblemAlert problem={mine.problem ?? open.problem} />
      <div class="chat">
        <nav aria-label="Rooms">
          <h2>Your rooms</h2>
          {mine.data && rooms.length === 0 ? <p>None yet.</p> : null}
          <RoomList rooms={rooms} current={params.room} />
          {joinable.length ? (
            <>
              <h2>Public rooms</h2>
              <ul class="rooms">
                {joinable.map((r) => (
                  <li key={r.id}>
                    <button type="button" class="link" onClick={() => join(r.id)}>
                      Join {r.name}
                    </button>
                  </li>
                ))}
              </ul>
            </>
          ) : null}
          <Form problem={action.problem} busy={action.busy} onSubmit={create} label="New room">
            <Field label="New room name" path="/name" value={name} onValue={setName} required maxLength={100} />
            {isAdmin ? (
              <Select
                label="Who may join"
                path="/kind"
                value={kind}
                onValue={(v) => setKind(v as 'public' | 'private')}
                options={[
                  ['private', 'Invited people'],
                  ['public', 'Everyone'],
                ]}
              />
            ) : null}
            <button type="submit" disabled={!name.trim()}>
              Create room
            </button>
          </Form>
        </nav>
        {current ? (
          <RoomPane key={current.id} room={current} me={me} onDirect={direct} />
        ) : (
          <p>{params.room && mine.data ? 'This room is not one of yours.' : 'Pick a room.'}</p>
        )}
      </div>
    </Page>
  );
}

export function Chat() {
  return (
    <RequireUser title="Chat">
      <ChatView />
    </RequireUser>
  );
}

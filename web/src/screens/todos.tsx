/** Todos: lists, adding, completing, and reordering with "move up" / "move down" buttons. */
import { useLayoutEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { Field, Form } from '../ui/form';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

type Todo = components['schemas']['Todo'];

function TodoList(props: { listId: string }) {
  const todos = useLoad(
    () => ok(api.GET('/api/v1/todos', { params: { query: { listId: props.listId, limit: 100, sort: 'position' } } })),
    [props.listId],
  );
  const [title, setTitle] = useState('');
  const action = useAction();
  const [refocus, setRefocus] = useState<{ id: string; dir: 'up' | 'down' } | null>(null);
  const items = [...(todos.data?.items ?? [])].sort((a, b) => a.position - b.position);

  const add = async () => {
    const made = await action.run(() => ok(api.POST('/api/v1/todos', { body: { listId: props.listId, title: title.trim() } })));
    if (made) {
      setTitle('');
      await todos.reload();
    }
  };
  const toggle = async (t: Todo) => {
    // Show the new state at once (a checkbox must not snap back while the request runs).
    todos.setData((d) => (d ? { ...d, items: d.items.map((x) => (x.id === t.id ? { ...x, completed: !t.completed } : x)) } : d));
    await action.run(() =>
      ok(
        api.PATCH('/api/v1/todos/{id}', {
          params: { path: { id: t.id }, header: { 'if-match': `"${t.id}.${t.version}"` } },
          body: { completed: !t.completed },
        }),
      ),
    );
    await todos.reload(); // the server's state, also when the change was refused
  };
  const move = async (index: number, by: -1 | 1) => {
    const t = items[index];
    const other = items[index + by];
    if (!t || !other) return;
    const body = by < 0 ? { before: other.id } : { after: other.id };
    const done = await action.run(() => ok(api.POST('/api/v1/todos/{id}/move', { params: { path: { id: t.id } }, body })));
    if (done) {
      setRefocus({ id: t.id, dir: by < 0 ? 'up' : 'down' });
      await todos.reload();
    }
  };

  // Keep keyboard focus on the moved item once the list has re-rendered: the same button, or
  // the other one when the item reached the end (a disabled button cannot hold focus). In the
  // commit that re-renders the list, so focus is never seen on the body in between.
  useLayoutEffect(() => {
    if (!refocus || todos.busy) return;
    const same = document.getElementById(`move-${refocus.dir}-${refocus.id}`) as HTMLButtonElement | null;
    const other = document.getElementById(`move-${refocus.dir === 'up' ? 'down' : 'up'}-${refocus.id}`);
    (same && !same.disabled ? same : other)?.focus();
    setRefocus(null);
  }, [refocus, todos.busy]);

  return (
    <div aria-busy={todos.busy || action.busy ? 'true' : 'false'}>
      <ProblemAlert problem={todos.problem} />
      <ul class="todos">
        {items.map((t, i) => (
          <li key={t.id} class={t.completed ? 'done' : undefined}>
            <input id={`done-${t.id}`} type="checkbox" checked={t.completed} onChange={() => toggle(t)} />
            <label for={`done-${t.id}`}>{t.title}</label>
            <button type="button" id={`move-up-${t.id}`} class="icon" disabled={i === 0} onClick={() => move(i, -1)}>
              ↑<span class="visually-hidden"> Move “{t.title}” up</span>
            </button>
            <button type="button" id={`move-down-${t.id}`} class="icon" disabled={i === items.length - 1} onClick={() => move(i, 1)}>
              ↓<span class="visually-hidden"> Move “{t.title}” down</span>
            </button>
          </li>
        ))}
      </ul>
      <Form problem={action.problem} busy={action.busy} onSubmit={add} label="Add a todo" class="form inline">
        <Field label="New todo" path="/title" value={title} onValue={setTitle} required maxLength={200} />
        <button type="submit" disabled={!title.trim()}>
          Add
        </button>
      </Form>
    </div>
  );
}

function TodosView() {
  const lists = useLoad(() => ok(api.GET('/api/v1/todo-lists', { params: { query: { limit: 100 } } })), []);
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState('');
  const action = useAction();
  const items = lists.data?.items ?? [];
  const current = selected ?? items[0]?.id ?? null;
  const create = async () => {
    const list = await action.run(() => ok(api.POST('/api/v1/todo-lists', { body: { name: name.trim() } })));
    if (list) {
      setName('');
      await lists.reload();
      setSelected(list.id);
    }
  };
  return (
    <Page title="Todos" busy={lists.busy}>
      <ProblemAlert problem={lists.problem} />
      <div class="with-aside">
        <div>
          {current ? (
            <>
              <h2>{items.find((l) => l.id === current)?.name}</h2>
              <TodoList key={current} listId={current} />
            </>
          ) : (
            <p>Create a list to start.</p>
          )}
        </div>
        <nav aria-label="Todo lists" class="card">
          <h2>Lists</h2>
          <ul class="rooms">
            {items.map((l) => (
              <li key={l.id}>
                <button type="button" class="link" aria-current={l.id === current ? 'true' : undefined} onClick={() => setSelected(l.id)}>
                  {l.name}
                </button>
              </li>
            ))}
          </ul>
          <Form problem={action.problem} busy={action.busy} onSubmit={create} label="New list">
            <Field label="New list name" path="/name" value={name} onValue={setName} required />
            <button type="submit" disabled={!name.trim()}>
              Create list
            </button>
          </Form>
        </nav>
      </div>
    </Page>
  );
}

export function Todos() {
  return (
    <RequireUser title="Todos">
      <TodosView />
    </RequireUser>
  );
}

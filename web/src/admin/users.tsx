/** Admin users: search, change role, disable / enable. */
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';
import { AdminNav } from './admin-nav';

type User = components['schemas']['User'];

function Users() {
  const [q, setQ] = useState('');
  const [applied, setApplied] = useState('');
  const list = useLoad(
    () => ok(api.GET('/api/v1/admin/users', { params: { query: { limit: 50, ...(applied ? { q: applied } : {}) } } })),
    [applied],
  );
  const action = useAction();
  const update = async (u: User, body: { role?: User['role']; disabled?: boolean }) => {
    const next = await action.run(() => ok(api.PATCH('/api/v1/admin/users/{id}', { params: { path: { id: u.id } }, body })));
    if (next) list.setData((d) => (d ? { ...d, items: d.items.map((x) => (x.id === next.id ? next : x)) } : d));
  };
  return (
    <Page title="Admin users" busy={list.busy || action.busy}>
      <AdminNav />
      {/* biome-ignore lint/a11y/useSemanticElements: the <search> element is too new for some screen readers; role=search is understood everywhere */}
      <form
        class="form inline"
        role="search"
        aria-label="Users"
        onSubmit={(e) => {
          e.preventDefault();
          setApplied(q.trim());
        }}
      >
        <div class="field">
          <label for="user-search">Name or email</label>
          <input id="user-search" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
        </div>
        <button type="submit">Search</button>
      </form>
      <ProblemAlert problem={list.problem ?? action.problem} focus={Boolean(action.problem)} />
      <table>
        <caption class="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Account</th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((u) => (
            <tr key={u.id}>
              <td>{u.name}</td>
              <td>{u.email}</td>
              <td>
                <label class="visually-hidden" for={`role-${u.id}`}>
                  Role of {u.email}
                </label>
                <select id={`role-${u.id}`} value={u.role} onChange={(e) => update(u, { role: e.currentTarget.value as User['role'] })}>
                  <option value="user">user</option>
                  <option value="admin">admin</option>
                </select>
              </td>
              <td>
                <button type="button" class="link" onClick={() => update(u, { disabled: !u.disabled })}>
                  {u.disabled ? 'Enable' : 'Disable'} <span class="visually-hidden">{u.email}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </Page>
  );
}

export function AdminUsers() {
  return (
    <RequireUser title="Admin users" admin>
      <Users />
    </RequireUser>
  );
}

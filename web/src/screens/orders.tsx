/** The customer's orders, newest first, with "load more". */
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { dateTime, money, statusLabel } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

type Order = components['schemas']['Order'];

export function OrderTable(props: { orders: Order[]; hrefOf: (o: Order) => string; caption: string }) {
  return (
    <table>
      <caption class="visually-hidden">{props.caption}</caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Placed</th>
          <th scope="col">Items</th>
          <th scope="col">Total</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {props.orders.map((o) => (
          <tr key={o.id}>
            <td>
              <a href={props.hrefOf(o)}>#{o.id.slice(-8)}</a>
            </td>
            <td>{dateTime(o.createdAt)}</td>
            <td>{o.itemCount}</td>
            <td>{money(o.totalCents, o.currency)}</td>
            <td>
              <span class={`status status-${o.status}`}>{statusLabel(o.status)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function OrdersView() {
  const first = useLoad(() => ok(api.GET('/api/v1/orders', { params: { query: { limit: 20 } } })), []);
  const [more, setMore] = useState<Order[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined);
  const action = useAction();
  const next = cursor === undefined ? first.data?.nextCursor : cursor;
  const loadMore = async () => {
    if (!next) return;
    const page = await action.run(() => ok(api.GET('/api/v1/orders', { params: { query: { limit: 20, cursor: next } } })));
    if (page) {
      setMore((m) => [...m, ...page.items]);
      setCursor(page.nextCursor);
    }
  };
  const orders = [...(first.data?.items ?? []), ...more];
  return (
    <Page title="Orders" busy={first.busy || action.busy}>
      <ProblemAlert problem={first.problem ?? action.problem} />
      {first.data && orders.length === 0 ? <p>No orders yet.</p> : null}
      {orders.length ? <OrderTable orders={orders} hrefOf={(o) => `/app/orders/${o.id}`} caption="Your orders" /> : null}
      {next ? (
        <button type="button" onClick={loadMore}>
          Load more
        </button>
      ) : null}
    </Page>
  );
}

export function Orders() {
  return (
    <RequireUser title="Orders">
      <OrdersView />
    </RequireUser>
  );
}

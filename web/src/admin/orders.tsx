/** Admin orders: filter by status, open one, fulfil it, refund it. */
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { money, statusLabel } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';
import { AdminNav } from './admin-nav';
import { AdminOrderTable, OrderLines } from './order-parts';

type Order = components['schemas']['Order'];
type Status = Order['status'];
const STATUSES: Status[] = ['pending_payment', 'paid', 'fulfilled', 'shipped', 'delivered', 'cancelled', 'expired', 'refunded'];

function OrderAdmin(props: { order: Order; onChange: (o: Order) => void }) {
  const o = props.order;
  const action = useAction();
  const refund = async () => {
    const next = await action.run(() => ok(api.POST('/api/v1/admin/orders/{id}/refund', { params: { path: { id: o.id } }, body: {} })));
    if (next) props.onChange(next);
  };
  const fulfil = async () => {
    const next = await action.run(() =>
      ok(api.PATCH('/api/v1/admin/orders/{id}', { params: { path: { id: o.id } }, body: { status: 'fulfilled' } })),
    );
    if (next) props.onChange(next);
  };
  return (
    <section class="card" aria-labelledby="order-title" aria-busy={action.busy ? 'true' : 'false'}>
      <h2 id="order-title">
        Order #{o.id.slice(-8)}: <span class={`status status-${o.status}`}>{statusLabel(o.status)}</span>
      </h2>
      <ProblemAlert problem={action.problem} focus />
      <OrderLines order={o} />
      <div class="row">
        {o.status === 'paid' ? (
          <button type="button" onClick={fulfil} disabled={action.busy}>
            Mark fulfilled
          </button>
        ) : null}
        {['paid', 'fulfilled', 'shipped', 'delivered'].includes(o.status) && o.refundedCents < o.totalCents ? (
          <button type="button" class="secondary" onClick={refund} disabled={action.busy}>
            Refund {money(o.totalCents - o.refundedCents, o.currency)}
          </button>
        ) : null}
      </div>
    </section>
  );
}

function Orders() {
  const [status, setStatus] = useState<Status | ''>('');
  const list = useLoad(
    () => ok(api.GET('/api/v1/admin/orders', { params: { query: { limit: 50, ...(status ? { status } : {}) } } })),
    [status],
  );
  const [open, setOpen] = useState<Order | null>(null);
  const replace = (o: Order) => {
    setOpen(o);
    list.setData((d) => (d ? { ...d, items: d.items.map((x) => (x.id === o.id ? o : x)) } : d));
  };
  return (
    <Page title="Admin orders" busy={list.busy}>
      <AdminNav />
      <div class="form inline">
        <div class="field">
          <label for="status-filter">Status</label>
          <select id="status-filter" value={status} onChange={(e) => setStatus(e.currentTarget.value as Status | '')}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {statusLabel(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ProblemAlert problem={list.problem} />
      {open ? <OrderAdmin key={open.id} order={open} onChange={replace} /> : null}
      <AdminOrderTable orders={list.data?.items ?? []} onOpen={setOpen} />
    </Page>
  );
}

export function AdminOrders() {
  return (
    <RequireUser title="Admin orders" admin>
      <Orders />
    </RequireUser>
  );
}

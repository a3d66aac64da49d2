/** Admin dashboard: the numbers from /admin/stats (orders, revenue, refunds per day; low stock). */
import { api, ok } from '../api/client';
import { RequireUser } from '../require-user';
import { money } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useLoad } from '../ui/use-load';
import { AdminNav } from './admin-nav';

function Dashboard() {
  const { data, busy, problem } = useLoad(() => ok(api.GET('/api/v1/admin/stats', { params: { query: {} } })), []);
  const totals = new Map<string, { orders: number; paid: number; revenue: number; refunded: number }>();
  for (const d of data?.days ?? []) {
    const t = totals.get(d.currency) ?? { orders: 0, paid: 0, revenue: 0, refunded: 0 };
    t.orders += d.orders;
    t.paid += d.paidOrders;
    t.revenue += d.revenueCents;
    t.refunded += d.refundedCents;
    totals.set(d.currency, t);
  }
  return (
    <Page title="Admin dashboard" busy={busy}>
      <AdminNav />
      <ProblemAlert problem={problem} />
      {data ? (
        <>
          <p class="muted">
            {data.from.slice(0, 10)} to {data.to.slice(0, 10)}
          </p>
          <div class="stats">
            {[...totals].map(([currency, t]) => (
              <dl key={currency} class="card">
                <dt>Orders</dt>
                <dd>{t.orders}</dd>
                <dt>Paid orders</dt>
                <dd>{t.paid}</dd>
                <dt>Revenue</dt>
                <dd>{money(t.revenue, currency)}</dd>
                <dt>Refunded</dt>
                <dd>{money(t.refunded, currency)}</dd>
              </dl>
            ))}
            {totals.size === 0 ? <p>No orders in this period.</p> : null}
          </div>
          <h2>Low stock (at most {data.lowStockThreshold})</h2>
          {data.lowStock.length ? (
            <ul>
              {data.lowStock.map((p) => (
                <li key={p.productId}>
                  {p.name} ({p.sku}): {p.stock}
                </li>
              ))}
            </ul>
          ) : (
            <p>Nothing is running low.</p>
          )}
        </>
      ) : null}
    </Page>
  );
}

export function AdminDashboard() {
  return (
    <RequireUser title="Admin dashboard" admin>
      <Dashboard />
    </RequireUser>
  );
}

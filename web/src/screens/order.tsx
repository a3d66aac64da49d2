/**
 * One order. While it waits for payment, the sandbox gateway's "Pay" / "Decline" step is shown
 * and the order is re-read every second, so it turns `paid` (or cancelled) without a reload;
 * later changes (fulfilment, a refund) show when the page polls again or the tab regains focus.
 */
import { useEffect } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { dateTime, money, statusLabel } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

type Order = components['schemas']['Order'];

export function OrderLines(props: { order: Order }) {
  const o = props.order;
  return (
    <>
      <table>
        <caption class="visually-hidden">Order lines</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col">Quantity</th>
            <th scope="col">Price</th>
            <th scope="col">Total</th>
          </tr>
        </thead>
        <tbody>
          {o.lines.map((l) => (
            <tr key={l.productId}>
              <td>{l.name}</td>
              <td>{l.quantity}</td>
              <td>{money(l.unitPriceCents, o.currency)}</td>
              <td>{money(l.lineTotalCents, o.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="total">
        Total: <strong>{money(o.totalCents, o.currency)}</strong>
        {o.refundedCents > 0 ? <> · refunded {money(o.refundedCents, o.currency)}</> : null}
      </p>
    </>
  );
}

function OrderView(props: { id: string }) {
  const {
    data: order,
    setData,
    busy,
    problem,
  } = useLoad(() => ok(api.GET('/api/v1/orders/{id}', { params: { path: { id: props.id } } })), [props.id]);
  const action = useAction();
  const pending = order?.status === 'pending_payment';

  useEffect(() => {
    const refresh = async () => {
      const { data } = await api.GET('/api/v1/orders/{id}', { params: { path: { id: props.id } } });
      if (data) setData(data);
    };
    const timer = pending ? setInterval(refresh, 1000) : undefined;
    window.addEventListener('focus', refresh);
    return () => {
      clearInterval(timer);
      window.removeEventListener('focus', refresh);
    };
  }, [pending, props.id, setData]);

  const settle = async (outcome: 'succeed' | 'fail') => {
    const ref = order?.payment?.reference;
    if (!ref) return;
    await action.run(() =>
      outcome === 'succeed'
        ? ok(api.POST('/api/v1/payments/sandbox/{ref}/succeed', { params: { path: { ref } } }))
        : ok(api.POST('/api/v1/payments/sandbox/{ref}/fail', { params: { path: { ref } } })),
    );
  };

  return (
    <Page title={order ? `Order #${order.id.slice(-8)}` : 'Order'} busy={busy}>
      <ProblemAlert problem={problem ?? action.problem} focus={Boolean(action.problem)} />
      {order ? (
        <>
          <p>
            Status:{' '}
            <strong class={`status status-${order.status}`} data-testid="order-status" aria-live="polite">
              {statusLabel(order.status)}
            </strong>
            {order.paidAt ? <> · paid {dateTime(order.paidAt)}</> : null}
          </p>
          {pending && order.payment?.provider === 'sandbox' ? (
            <section class="card sandbox" aria-labelledby="sandbox-title">
              <h2 id="sandbox-title">Sandbox payment</h2>
              <p>This shop uses a test gateway: no money moves. Pay before {dateTime(order.expiresAt)} or the order is cancelled.</p>
              <div class="row">
                <button type="button" disabled={action.busy} onClick={() => settle('succeed')}>
                  Pay {money(order.totalCents, order.currency)}
                </button>
                <button type="button" class="secondary" disabled={action.busy} onClick={() => settle('fail')}>
                  Decline
                </button>
              </div>
            </section>
          ) : null}
          <OrderLines order={order} />
          <p>
            <a href="/app/orders">All orders</a>
          </p>
        </>
      ) : null}
    </Page>
  );
}

export function OrderPage() {
  const { params } = useRoute();
  return (
    <RequireUser title="Order">
      <OrderView id={params.id ?? ''} />
    </RequireUser>
  );
}

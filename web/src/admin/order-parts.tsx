/** Order pieces the admin screens share with the customer screens. */
import type { components } from '../api/openapi.gen';
import { dateTime, money, statusLabel } from '../ui/format';

export { OrderLines } from '../screens/order';

type Order = components['schemas']['Order'];

export function AdminOrderTable(props: { orders: Order[]; onOpen: (o: Order) => void }) {
  return (
    <table>
      <caption class="visually-hidden">Orders</caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Customer</th>
          <th scope="col">Placed</th>
          <th scope="col">Total</th>
          <th scope="col">Status</th>
        </tr>
      </thead>
      <tbody>
        {props.orders.map((o) => (
          <tr key={o.id}>
            <td>
              <button type="button" class="link" onClick={() => props.onOpen(o)}>
                Open order #{o.id.slice(-8)}
              </button>
            </td>
            <td>{o.userId.slice(-8)}</td>
            <td>{dateTime(o.createdAt)}</td>
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

/** The cart: quantities, removal, totals, and the way to checkout. */
import { api, ok } from '../api/client';
import { RequireUser } from '../require-user';
import { money } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

function CartView() {
  const { data: cart, setData, busy, problem } = useLoad(() => ok(api.GET('/api/v1/cart')), []);
  const action = useAction();
  const setQuantity = async (productId: string, quantity: number) => {
    const next = await action.run(() =>
      quantity > 0
        ? ok(api.PUT('/api/v1/cart/items/{productId}', { params: { path: { productId } }, body: { quantity } }))
        : ok(api.DELETE('/api/v1/cart/items/{productId}', { params: { path: { productId } } })),
    );
    if (next) setData(next);
  };
  return (
    <Page title="Cart" busy={busy || action.busy}>
      <ProblemAlert problem={problem ?? action.problem} focus={Boolean(action.problem)} />
      {cart && cart.items.length === 0 ? (
        <p>
          Your cart is empty. <a href="/app/">Browse the catalog</a>.
        </p>
      ) : null}
      {cart && cart.items.length > 0 ? (
        <>
          <table>
            <caption class="visually-hidden">Items in your cart</caption>
            <thead>
              <tr>
                <th scope="col">Item</th>
                <th scope="col">Price</th>
                <th scope="col">Quantity</th>
                <th scope="col">Total</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {cart.items.map((line) => (
                <tr key={line.productId}>
                  <td>
                    <a href={`/app/products/${line.productId}`}>{line.name ?? line.sku ?? line.productId}</a>
                    {line.problem ? (
                      <div class="field-error">
                        {line.problem === 'unavailable' ? 'No longer available' : `Only ${line.available} left`}
                      </div>
                    ) : null}
                  </td>
                  <td>{line.unitPriceCents === null ? '—' : money(line.unitPriceCents, line.currency)}</td>
                  <td>
                    <label class="visually-hidden" for={`q-${line.productId}`}>
                      Quantity of {line.name ?? line.sku}
                    </label>
                    <input
                      id={`q-${line.productId}`}
                      class="qty"
                      type="number"
                      min={0}
                      value={line.quantity}
                      onChange={(e) => setQuantity(line.productId, Number(e.currentTarget.value))}
                    />
                  </td>
                  <td>{money(line.lineTotalCents, line.currency)}</td>
                  <td>
                    <button type="button" class="link" onClick={() => setQuantity(line.productId, 0)}>
                      Remove <span class="visually-hidden">{line.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="total">
            Total: <strong>{money(cart.totalCents, cart.currency)}</strong>
          </p>
          {cart.orderable ? (
            <a class="button" href="/app/checkout">
              Checkout
            </a>
          ) : (
            <p>Fix the marked items before checking out.</p>
          )}
        </>
      ) : null}
    </Page>
  );
}

export function CartPage() {
  return (
    <RequireUser title="Cart">
      <CartView />
    </RequireUser>
  );
}

/** One product: the fields of its kind, stock, images, and "add to cart". */
import { useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { api, ok } from '../api/client';
import { useSession } from '../auth';
import { money } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';

const LABELS: Record<string, string> = { isbn: 'ISBN', author: 'Author', authors: 'Authors', director: 'Director', year: 'Year' };
const label = (key: string) => LABELS[key] ?? key.replace(/([A-Z])/g, ' $1').replace(/^./, (c) => c.toUpperCase());
const show = (v: unknown) => (Array.isArray(v) ? v.join(', ') : typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));

export function ProductPage() {
  const { params } = useRoute();
  const id = params.id ?? '';
  const session = useSession();
  const { route } = useLocation();
  const { data: p, busy, problem } = useLoad(() => ok(api.GET('/api/v1/products/{id}', { params: { path: { id } } })), [id]);
  const [quantity, setQuantity] = useState('1');
  const action = useAction();
  const [added, setAdded] = useState(false);

  const add = async () => {
    const done = await action.run(() =>
      ok(api.PUT('/api/v1/cart/items/{productId}', { params: { path: { productId: id } }, body: { quantity: Number(quantity) } })),
    );
    if (done) setAdded(true);
  };

  return (
    <Page title={p?.name ?? 'Product'} busy={busy}>
      <ProblemAlert problem={problem} />
      {p ? (
        <div class="product-detail">
          <div class="images">
            {p.imageUrls.map((url, i) => (
              <img key={url} src={url} alt={`${p.name} (${i + 1} of ${p.imageUrls.length})`} width={320} height={240} />
            ))}
          </div>
          <div>
            <p class="price">{money(p.priceCents, p.currency)}</p>
            <p>{p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}</p>
            {p.description ? <p>{p.description}</p> : null}
            <dl class="attributes">
              <dt>Kind</dt>
              <dd>{p.kind}</dd>
              <dt>SKU</dt>
              <dd>{p.sku}</dd>
              {Object.entries(p.attributes).map(([k, v]) => (
                <>
                  <dt key={`${k}-t`}>{label(k)}</dt>
                  <dd key={`${k}-d`}>{show(v)}</dd>
                </>
              ))}
            </dl>
            {session ? (
              <form
                class="form inline"
                aria-label="Add to cart"
                onSubmit={(e) => {
                  e.preventDefault();
                  void add();
                }}
              >
                <ProblemAlert problem={action.problem} focus />
                <div class="field">
                  <label for="qty">Quantity</label>
                  <input
                    id="qty"
                    type="number"
                    min={1}
                    max={Math.max(1, p.stock)}
                    value={quantity}
                    onInput={(e) => setQuantity(e.currentTarget.value)}
                  />
                </div>
                <button type="submit" disabled={action.busy || p.stock < 1}>
                  Add to cart
                </button>
              </form>
            ) : (
              <p>
                <a href={`/app/sign-in?next=/app/products/${p.id}`}>Sign in</a> to buy.
              </p>
            )}
            {added ? (
              <p role="status">
                Added. <a href="/app/cart">Go to the cart</a> or{' '}
                <button type="button" class="link" onClick={() => route('/app/')}>
                  keep shopping
                </button>
                .
              </p>
            ) : null}
          </div>
        </div>
      ) : null}
    </Page>
  );
}

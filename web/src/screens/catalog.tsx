/** The catalog: search, a kind filter and "load more" over the cursor-paged product list. */
import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { money } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction } from '../ui/use-load';
import { WeatherWidget } from './weather';

type Product = components['schemas']['Product'];
type Kind = '' | Product['kind'];
const PAGE = 12;

export function Catalog() {
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<Kind>('');
  const [applied, setApplied] = useState<{ q: string; kind: Kind }>({ q: '', kind: '' });
  const [items, setItems] = useState<Product[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const { busy, problem, run } = useAction();

  const load = async (filters: { q: string; kind: Kind }, after: string | null) => {
    const page = await run(() =>
      ok(
        api.GET('/api/v1/products', {
          params: {
            query: {
              limit: PAGE,
              ...(filters.q ? { q: filters.q } : {}),
              ...(filters.kind ? { kind: filters.kind } : {}),
              ...(after ? { cursor: after } : {}),
            },
          },
        }),
      ),
    );
    if (!page) return;
    setItems((prev) => (after ? [...prev, ...page.items] : page.items));
    setCursor(page.nextCursor);
    setLoaded(true);
  };
  useEffect(() => {
    void load(applied, null);
  }, [applied]);

  return (
    <Page title="Catalog" busy={busy}>
      <div class="with-aside">
        <div>
          {/* biome-ignore lint/a11y/useSemanticElements: the <search> element is too new for some screen readers; role=search is understood everywhere */}
          <form
            class="form inline"
            role="search"
            aria-label="Products"
            onSubmit={(e) => {
              e.preventDefault();
              setApplied({ q: q.trim(), kind });
            }}
          >
            <div class="field">
              <label for="search">Search</label>
              <input id="search" type="search" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="kind">Kind</label>
              <select
                id="kind"
                value={kind}
                onChange={(e) => {
                  const k = e.currentTarget.value as Kind;
                  setKind(k);
                  setApplied({ q: q.trim(), kind: k });
                }}
              >
                <option value="">All</option>
                <option value="product">Products</option>
                <option value="book">Books</option>
                <option value="movie">Movies</option>
              </select>
            </div>
            <button type="submit">Search</button>
          </form>
          <ProblemAlert problem={problem} />
          <ul class="grid" aria-label="Products" data-ready={loaded ? 'true' : undefined}>
            {items.map((p) => (
              <li key={p.id} class="card product">
                {p.imageUrls[0] ? <img src={p.imageUrls[0]} alt="" width={240} height={160} loading="lazy" /> : null}
                <h2>
                  <a href={`/app/products/${p.id}`}>{p.name}</a>
                </h2>
                <p class="muted">{p.kind}</p>
                <p class="price">{money(p.priceCents, p.currency)}</p>
                <p>{p.stock > 0 ? `${p.stock} in stock` : 'Out of stock'}</p>
              </li>
            ))}
          </ul>
          {loaded && items.length === 0 ? <p>No products match.</p> : null}
          {cursor ? (
            <button type="button" onClick={() => load(applied, cursor)} disabled={busy}>
              Load more
            </button>
          ) : null}
        </div>
        <WeatherWidget />
      </div>
    </Page>
  );
}

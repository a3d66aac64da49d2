/** Admin products: create, edit (If-Match on the version shown), archive, and JSON import. */
import { useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import type { components } from '../api/openapi.gen';
import { RequireUser } from '../require-user';
import { Field, Form, Select } from '../ui/form';
import { money } from '../ui/format';
import { Page } from '../ui/page';
import { ProblemAlert } from '../ui/problem-alert';
import { useAction, useLoad } from '../ui/use-load';
import { AdminNav } from './admin-nav';

type Product = components['schemas']['Product'];
type Input = components['schemas']['ProductInput'];
const etag = (p: Product) => `"${p.id}.${p.version}"`;

const blank = { sku: '', kind: 'product', name: '', description: '', price: '', currency: 'EUR', stock: '0' };
type Draft = typeof blank;
const draftOf = (p: Product): Draft => ({
  sku: p.sku,
  kind: p.kind,
  name: p.name,
  description: p.description,
  price: (p.priceCents / 100).toFixed(2),
  currency: p.currency,
  stock: String(p.stock),
});
const inputOf = (d: Draft): Input => ({
  sku: d.sku.trim(),
  kind: d.kind as Input['kind'],
  name: d.name.trim(),
  description: d.description,
  priceCents: Math.round(Number(d.price) * 100),
  currency: d.currency.trim().toUpperCase(),
  stock: Number(d.stock),
});

function Editor(props: { product: Product | null; onSaved: () => void; onCancel: () => void }) {
  const [d, setD] = useState<Draft>(props.product ? draftOf(props.product) : blank);
  const { busy, problem, run } = useAction();
  const set = (k: keyof Draft) => (v: string) => setD((x) => ({ ...x, [k]: v }));
  const save = async () => {
    const p = props.product;
    const body = inputOf(d);
    const done = await run(() =>
      p
        ? ok(api.PUT('/api/v1/products/{id}', { params: { path: { id: p.id }, header: { 'if-match': etag(p) } }, body }))
        : ok(api.POST('/api/v1/products', { body })),
    );
    if (done) props.onSaved();
  };
  return (
    <Form problem={problem} busy={busy} onSubmit={save} label={props.product ? 'Edit product' : 'New product'} class="form card">
      <h2>{props.product ? `Edit ${props.product.name}` : 'New product'}</h2>
      <Field label="SKU" path="/sku" value={d.sku} onValue={set('sku')} required />
      <Select
        label="Kind"
        path="/kind"
        value={d.kind}
        onValue={set('kind')}
        options={[
          ['product', 'Product'],
          ['book', 'Book'],
          ['movie', 'Movie'],
        ]}
      />
      <Field label="Name" path="/name" value={d.name} onValue={set('name')} required />
      <Field label="Description" path="/description" value={d.description} onValue={set('description')} />
      <Field label="Price" path="/priceCents" value={d.price} onValue={set('price')} inputMode="decimal" required />
      <Field label="Currency" path="/currency" value={d.currency} onValue={set('currency')} maxLength={3} required />
      <Field label="Stock" path="/stock" type="number" min={0} value={d.stock} onValue={set('stock')} required />
      <div class="row">
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" class="secondary" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </Form>
  );
}

function Importer(props: { onDone: () => void }) {
  const [text, setText] = useState('');
  const { busy, problem, run } = useAction();
  const [result, setResult] = useState('');
  const submit = async () => {
    let items: Input[];
    try {
      items = JSON.parse(text) as Input[];
    } catch {
      setResult('That is not valid JSON: paste an array of products.');
      return;
    }
    const done = await run(() => ok(api.POST('/api/v1/products/import', { body: items })));
    if (done) {
      setResult(`Imported ${done.created} products.`);
      props.onDone();
    }
  };
  return (
    <Form problem={problem} busy={busy} onSubmit={submit} label="Import products" class="form card">
      <h2>Import</h2>
      <div class="field">
        <label for="import-json">Products as a JSON array</label>
        <textarea id="import-json" rows={4} value={text} onInput={(e) => setText(e.currentTarget.value)} />
      </div>
      <button type="submit" disabled={busy || !text.trim()}>
        Import
      </button>
      {result ? <p role="status">{result}</p> : null}
    </Form>
  );
}

function Products() {
  const list = useLoad(() => ok(api.GET('/api/v1/products', { params: { query: { limit: 100 } } })), []);
  const [editing, setEditing] = useState<Product | 'new' | null>(null);
  const action = useAction();
  const archive = async (p: Product) => {
    const done = await action.run(() =>
      ok(
        api.PATCH('/api/v1/products/{id}', {
          params: { path: { id: p.id }, header: { 'if-match': etag(p) } },
          body: { status: 'archived' },
        }),
      ),
    );
    if (done) await list.reload();
  };
  const saved = () => {
    setEditing(null);
    void list.reload();
  };
  return (
    <Page title="Admin products" busy={list.busy || action.busy}>
      <AdminNav />
      <div class="row">
        <button type="button" onClick={() => setEditing('new')}>
          New product
        </button>
      </div>
      {editing ? (
        <Editor
          key={editing === 'new' ? 'new' : editing.id}
          product={editing === 'new' ? null : editing}
          onSaved={saved}
          onCancel={() => setEditing(null)}
        />
      ) : null}
      <ProblemAlert problem={list.problem ?? action.problem} focus={Boolean(action.problem)} />
      <table>
        <caption class="visually-hidden">Products</caption>
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Name</th>
            <th scope="col">Price</th>
            <th scope="col">Stock</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(list.data?.items ?? []).map((p) => (
            <tr key={p.id}>
              <td>{p.sku}</td>
              <td>{p.name}</td>
              <td>{money(p.priceCents, p.currency)}</td>
              <td>{p.stock}</td>
              <td>{p.status}</td>
              <td class="row">
                <button type="button" class="link" onClick={() => setEditing(p)}>
                  Edit <span class="visually-hidden">{p.name}</span>
                </button>
                {p.status === 'active' ? (
                  <button type="button" class="link" onClick={() => archive(p)}>
                    Archive <span class="visually-hidden">{p.name}</span>
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <Importer onDone={() => void list.reload()} />
    </Page>
  );
}

export function AdminProducts() {
  return (
    <RequireUser title="Admin products" admin>
      <Products />
    </RequireUser>
  );
}

/**
 * Checkout: the shipping address, then one order. Each attempt has its own Idempotency-Key,
 * kept while the form is unchanged, so a retry after a lost answer cannot order twice.
 */
import { useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ok } from '../api/client';
import { randomId } from '../api/ids';
import { RequireUser } from '../require-user';
import { Field, Form } from '../ui/form';
import { Page } from '../ui/page';
import { useAction } from '../ui/use-load';

const EMPTY = { name: '', line1: '', line2: '', city: '', postalCode: '', country: '' };

function CheckoutForm() {
  const { route } = useLocation();
  const [address, setAddress] = useState(EMPTY);
  const [note, setNote] = useState('');
  const { busy, problem, run } = useAction();
  const attempt = useRef<{ key: string; body: string } | null>(null);
  const body = useMemo(
    () => ({
      shippingAddress: {
        name: address.name.trim(),
        line1: address.line1.trim(),
        ...(address.line2.trim() ? { line2: address.line2.trim() } : {}),
        city: address.city.trim(),
        postalCode: address.postalCode.trim(),
        country: address.country.trim().toUpperCase(),
      },
      ...(note.trim() ? { note: note.trim() } : {}),
    }),
    [address, note],
  );
  const set = (key: keyof typeof EMPTY) => (v: string) => setAddress((a) => ({ ...a, [key]: v }));

  const submit = async () => {
    const serialized = JSON.stringify(body);
    // Same request again (a retry): same key. A changed form is a new attempt: a new key.
    if (attempt.current?.body !== serialized) attempt.current = { key: randomId(), body: serialized };
    const key = attempt.current.key;
    const order = await run(() => ok(api.POST('/api/v1/orders', { body, params: { header: { 'idempotency-key': key } } })));
    if (order) route(`/app/orders/${order.id}`);
  };

  return (
    <Page title="Checkout">
      <Form problem={problem} busy={busy} onSubmit={submit} label="Shipping address">
        <fieldset>
          <legend>Shipping address</legend>
          <Field label="Full name" path="/shippingAddress/name" value={address.name} onValue={set('name')} autoComplete="name" required />
          <Field
            label="Street and number"
            path="/shippingAddress/line1"
            value={address.line1}
            onValue={set('line1')}
            autoComplete="address-line1"
            required
          />
          <Field
            label="Apartment, floor (optional)"
            path="/shippingAddress/line2"
            value={address.line2}
            onValue={set('line2')}
            autoComplete="address-line2"
          />
          <Field
            label="City"
            path="/shippingAddress/city"
            value={address.city}
            onValue={set('city')}
            autoComplete="address-level2"
            required
          />
          <Field
            label="Postal code"
            path="/shippingAddress/postalCode"
            value={address.postalCode}
            onValue={set('postalCode')}
            autoComplete="postal-code"
            required
          />
          <Field
            label="Country code"
            path="/shippingAddress/country"
            value={address.country}
            onValue={set('country')}
            autoComplete="country"
            hint="Two letters, e.g. PL"
            maxLength={2}
            required
          />
        </fieldset>
        <Field label="Note (optional)" path="/note" value={note} onValue={setNote} />
        <button type="submit" disabled={busy}>
          Place order
        </button>
      </Form>
    </Page>
  );
}

export function Checkout() {
  return (
    <RequireUser title="Checkout">
      <CheckoutForm />
    </RequireUser>
  );
}

/**
 * The weather widget. It asks only when a city is given (and remembers the last one), so a page
 * load never depends on the weather provider.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ok } from '../api/client';
import { Field, Form } from '../ui/form';
import { useAction } from '../ui/use-load';

const KEY = 'zaplecze.weather-city';
const fetchCurrent = (city: string) => ok(api.GET('/api/v1/weather/current', { params: { query: { city } } }));
type Current = Awaited<ReturnType<typeof fetchCurrent>>;

export function WeatherWidget() {
  const [city, setCity] = useState(() => localStorage.getItem(KEY) ?? '');
  const [current, setCurrent] = useState<Current | null>(null);
  const { busy, problem, run } = useAction();
  const show = async (name: string) => {
    const found = await run(() => fetchCurrent(name));
    if (found) {
      setCurrent(found);
      localStorage.setItem(KEY, name);
    }
  };
  useEffect(() => {
    if (city) void show(city);
  }, []);
  const c = current;
  return (
    <aside class="card weather" aria-labelledby="weather-title" aria-busy={busy ? 'true' : 'false'}>
      <h2 id="weather-title">Weather</h2>
      <Form problem={problem} busy={busy} onSubmit={() => show(city.trim())} label="Weather" class="form inline">
        <Field label="City" path="/city" value={city} onValue={setCity} required autoComplete="address-level2" />
        <button type="submit" disabled={busy || !city.trim()}>
          Show
        </button>
      </Form>
      {c ? (
        <p aria-live="polite">
          <strong>{c.place.name ?? city}</strong>: {c.current.temperature ?? '—'} °C, {c.current.description ?? ''}
          {c.stale ? ' (not current)' : ''}
        </p>
      ) : null}
    </aside>
  );
}

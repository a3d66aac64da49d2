/**
 * The weather API against a fake Open-Meteo (node:http on 127.0.0.1) started here: shape,
 * validation, caching, coalescing, stale data, the circuit breaker, 429, bad bodies, timeouts
 * and the per-user/IP rate limit. Each stateful scenario gets its own app (breaker and cache).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../test/test-app.js';
import { identityModule } from '../identity/index.js';
import { weatherModule } from './index.js';

// ---------------------------------------------------------------------------------------------
// The fake Open-Meteo

interface Reply {
  status?: number;
  body?: unknown;
  /** Sent as is instead of `body`. */
  raw?: string;
  headers?: Record<string, string>;
  /** Never answer (the socket stays open until the fake closes). */
  hang?: boolean;
}
type Script = (query: URLSearchParams) => Reply;
type Endpoint = 'forecast' | 'geocoding';

const PLACES: Record<string, object> = {
  warsaw: {
    id: 756135,
    name: 'Warsaw',
    latitude: 52.22977,
    longitude: 21.01178,
    elevation: 113,
    timezone: 'Europe/Warsaw',
    country_code: 'PL',
    country: 'Poland',
    admin1: 'Masovia',
  },
  kraków: { name: 'Kraków', latitude: 50.06143, longitude: 19.93658, timezone: 'Europe/Warsaw', country_code: 'PL', country: 'Poland' },
};

function isoDay(ms: number) {
  return new Date(ms).toISOString().slice(0, 10);
}

function forecastBody(query: URLSearchParams, nowMs: number, temperature: number) {
  const days = Number(query.get('forecast_days'));
  const dates = Array.from({ length: days }, (_, i) => isoDay(nowMs + i * 86_400_000));
  return {
    latitude: Number(query.get('latitude')),
    longitude: Number(query.get('longitude')),
    generationtime_ms: 0.1,
    utc_offset_seconds: 0,
    timezone: 'UTC',
    timezone_abbreviation: 'UTC',
    elevation: 100,
    current_units: { time: 'iso8601', temperature_2m: '°C' },
    current: {
      time: new Date(nowMs).toISOString().slice(0, 16),
      interval: 900,
      temperature_2m: temperature,
      apparent_temperature: temperature - 2,
      relative_humidity_2m: 80,
      precipitation: 0.2,
      wind_speed_10m: 12.5,
      wind_direction_10m: 250,
      weather_code: 3,
    },
    daily: {
      time: dates,
      temperature_2m_min: dates.map((_, i) => i - 1),
      temperature_2m_max: dates.map((_, i) => i + 5),
      precipitation_sum: dates.map((_, i) => i / 10),
      wind_speed_10m_max: dates.map((_, i) => 20 + i),
      weather_code: dates.map(() => 61),
    },
  };
}

async function startFakeOpenMeteo() {
  const calls: Record<Endpoint, URLSearchParams[]> = { forecast: [], geocoding: [] };
  const queued: Record<Endpoint, Script[]> = { forecast: [], geocoding: [] };
  const fallback: Record<Endpoint, Script | undefined> = { forecast: undefined, geocoding: undefined };
  let held: Promise<void> | undefined;
  let now = () => Date.now();

  const defaults: Record<Endpoint, Script> = {
    // The temperature is the call number, so a test can tell which fetch an answer came from.
    forecast: (query) => ({ body: forecastBody(query, now(), calls.forecast.length) }),
    geocoding: (query) => {
      const place = PLACES[query.get('name') ?? ''];
      return { body: place ? { results: [place], generationtime_ms: 0.2 } : { generationtime_ms: 0.2 } };
    },
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const endpoint: Endpoint | undefined =
      url.pathname === '/v1/forecast' ? 'forecast' : url.pathname === '/v1/search' ? 'geocoding' : undefined;
    if (!endpoint) {
      res.writeHead(404).end();
      return;
    }
    calls[endpoint].push(url.searchParams);
    if (endpoint === 'forecast' && held) await held;
    const script = queued[endpoint].shift() ?? fallback[endpoint] ?? defaults[endpoint];
    const reply = script(url.searchParams);
    if (reply.hang) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(reply.raw ?? JSON.stringify(reply.body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    env: { WEATHER_FORECAST_URL: `${base}/v1/forecast`, WEATHER_GEOCODING_URL: `${base}/v1/search` },
    calls,
    /** The next answers of `endpoint`, in order; then back to `always` or the default. */
    next(endpoint: Endpoint, ...replies: Reply[]) {
      queued[endpoint].push(...replies.map((reply) => () => reply));
    },
    always(endpoint: Endpoint, reply: Reply | undefined) {
      fallback[endpoint] = reply && (() => reply);
    },
    /** Forecast answers wait until the returned function is called. */
    hold() {
      let release!: () => void;
      held = new Promise<void>((resolve) => {
        release = resolve;
      });
      return () => {
        held = undefined;
        release();
      };
    },
    useClock(clock: { now(): Date }) {
      now = () => clock.now().getTime();
    },
    reset() {
      calls.forecast.length = 0;
      calls.geocoding.length = 0;
      queued.forecast.length = 0;
      queued.geocoding.length = 0;
      fallback.forecast = undefined;
      fallback.geocoding = undefined;
      held = undefined;
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

// ---------------------------------------------------------------------------------------------

type Fake = Awaited<ReturnType<typeof startFakeOpenMeteo>>;
let fake: Fake;
const apps: TestApp[] = [];

beforeAll(async () => {
  fake = await startFakeOpenMeteo();
});
afterAll(() => fake.close());
afterEach(async () => {
  fake.reset();
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

const TTL = 10 * 60_000;
const SWR = 5 * 60_000;
const STALE_IF_ERROR = 6 * 3_600_000;

async function weatherApp(env: Record<string, string> = {}, withAccounts = false) {
  const t = await createTestApp({
    env: {
      ...fake.env,
      WEATHER_RATE_LIMIT: '100000',
      WEATHER_RETRIES: '1',
      WEATHER_CACHE_TTL: '10m',
      WEATHER_STALE_WHILE_REVALIDATE: '5m',
      WEATHER_STALE_IF_ERROR: '6h',
      ...env,
    },
    modules: withAccounts ? [identityModule, weatherModule] : [weatherModule],
  });
  apps.push(t);
  fake.useClock(t.clock);
  return t;
}

const get = (t: TestApp, url: string, extra: { token?: string; remoteAddress?: string } = {}) =>
  t.request({ method: 'GET', url: `/api/v1/weather/${url}`, ...extra });

/** Distinct coordinates per call, so the cache never answers for the previous request. */
let spot = 0;
const freshPoint = () => {
  spot += 1;
  return `lat=${(10 + spot / 10).toFixed(2)}&lon=20`;
};

describe('weather: answers', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { ...fake.env, WEATHER_RATE_LIMIT: '100000' }, modules: [weatherModule] });
    fake.useClock(t.clock);
  });
  afterAll(() => t.close());

  it('when asked by city, then our own shape with the resolved place, units, observation time and source', async () => {
    const res = await get(t, 'current?city=Warsaw');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=600');
    const body = res.json();
    expect(body).toEqual({
      place: {
        name: 'Warsaw',
        region: 'Masovia',
        country: 'Poland',
        countryCode: 'PL',
        latitude: 52.22977,
        longitude: 21.01178,
        elevation: 113,
        timezone: 'Europe/Warsaw',
      },
      current: {
        temperature: 1,
        apparentTemperature: -1,
        relativeHumidity: 80,
        precipitation: 0.2,
        windSpeed: 12.5,
        windDirection: 250,
        weatherCode: 3,
        description: 'Overcast',
      },
      units: {
        temperature: '°C',
        apparentTemperature: '°C',
        relativeHumidity: '%',
        precipitation: 'mm',
        windSpeed: 'km/h',
        windDirection: '°',
      },
      source: 'open-meteo',
      observedAt: `${t.clock.now().toISOString().slice(0, 16)}:00.000Z`,
      retrievedAt: t.clock.now().toISOString(),
      stale: false,
    });
    // The provider is asked with parameters we build, never with the caller's URL.
    expect(Object.fromEntries(fake.calls.geocoding[0] ?? [])).toEqual({ name: 'warsaw', count: '1', language: 'en', format: 'json' });
    expect(Object.fromEntries(fake.calls.forecast[0] ?? [])).toMatchObject({
      latitude: '52.23',
      longitude: '21.01',
      timezone: 'auto',
      forecast_days: '7',
      temperature_unit: 'celsius',
      wind_speed_unit: 'kmh',
      precipitation_unit: 'mm',
    });
  });

  it('when asked by coordinates, then the place is the rounded point with no name and the source time zone', async () => {
    const res = await get(t, 'current?lat=-33.86882&lon=151.20929');
    expect(res.statusCode).toBe(200);
    expect(res.json().place).toEqual({
      name: null,
      region: null,
      country: null,
      countryCode: null,
      latitude: -33.87,
      longitude: 151.21,
      elevation: 100,
      timezone: 'UTC',
    });
    expect(fake.calls.geocoding).toHaveLength(0);
  });

  it('when a forecast is asked for n days, then n daily rows with min/max temperature, precipitation and max wind', async () => {
    const three = await get(t, 'forecast?lat=40&lon=-3.7&days=3');
    expect(three.statusCode).toBe(200);
    const body = three.json();
    expect(body.days).toHaveLength(3);
    expect(body.days[0]).toEqual({
      date: t.clock.now().toISOString().slice(0, 10),
      temperatureMin: -1,
      temperatureMax: 5,
      precipitationSum: 0,
      windSpeedMax: 20,
      weatherCode: 61,
      description: 'Slight rain',
    });
    expect(body.units).toEqual({ temperatureMin: '°C', temperatureMax: '°C', precipitationSum: 'mm', windSpeedMax: 'km/h' });
    expect(body).toMatchObject({ source: 'open-meteo', stale: false });
    const week = await get(t, 'forecast?lat=40&lon=-3.7');
    expect(week.json().days).toHaveLength(7);
  });

  it('when the city has non-ASCII letters, then it reaches the provider intact', async () => {
    const res = await get(t, `current?city=${encodeURIComponent('KRAKÓW')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().place.name).toBe('Kraków');
    expect(fake.calls.geocoding.at(-1)?.get('name')).toBe('kraków');
  });

  it('when the city is unknown, then 404 CITY_NOT_FOUND, and asking again does not ask the provider again', async () => {
    const before = fake.calls.geocoding.length;
    const res = await get(t, 'current?city=Atlantis');
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.json()).toMatchObject({ code: 'CITY_NOT_FOUND', status: 404 });
    expect((await get(t, 'forecast?city=atlantis')).statusCode).toBe(404);
    expect(fake.calls.geocoding.length - before).toBe(1);
  });

  it.each([
    ['current', '', '/querystring/city'],
    ['current', '?city=Warsaw&lat=1&lon=2', '/querystring/city'],
    ['current', '?lat=52', '/querystring/lon'],
    ['current', '?lon=21', '/querystring/lat'],
    ['current', '?lat=90.01&lon=0', '/querystring/lat'],
    ['current', '?lat=0&lon=-180.5', '/querystring/lon'],
    ['current', '?lat=abc&lon=0', '/querystring/lat'],
    ['current', '?lat=0x10&lon=0', '/querystring/lat'],
    ['current', '?lat=Infinity&lon=0', '/querystring/lat'],
    ['current', '?lat=%20&lon=0', '/querystring/lat'],
    ['current', '?city=', '/querystring/city'],
    ['current', `?city=${'a'.repeat(101)}`, '/querystring/city'],
    ['current', '?city=Warsaw1', '/querystring/city'],
    ['current', '?city=..%2F..%2Fadmin', '/querystring/city'],
    ['current', '?city=x%26host%3Devil.example', '/querystring/city'],
    ['current', '?city=...', '/querystring/city'],
    ['current', '?city=Warsaw&url=http%3A%2F%2Fevil.example', '/querystring/url'],
    ['forecast', '?city=Warsaw&days=0', '/querystring/days'],
    ['forecast', '?city=Warsaw&days=8', '/querystring/days'],
    ['current', '?city=Warsaw&days=2', '/querystring/days'],
  ])('when GET %s%s, then 400 VALIDATION_FAILED at %s and the provider is not called', async (route, query, path) => {
    const before = fake.calls.geocoding.length + fake.calls.forecast.length;
    const res = await get(t, `${route}${query}`);
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect(fake.calls.geocoding.length + fake.calls.forecast.length).toBe(before);
  });

  it('when the routes are listed in the OpenAPI document, then they are public and document their failures', async () => {
    const doc = (await t.request({ method: 'GET', url: '/openapi.json' })).json();
    const op = doc.paths['/api/v1/weather/current'].get;
    expect(op['x-access']).toBe('public');
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '400', '404', '429', '502', '503', '504']));
  });
});

describe('weather: cache', () => {
  it('when the same place is asked again while fresh, then the cache answers and current and forecast share one call', async () => {
    const t = await weatherApp();
    expect((await get(t, 'current?city=Warsaw')).json().stale).toBe(false);
    t.clock.advance(TTL - 1000);
    const again = await get(t, 'current?city=warsaw');
    expect(again.json()).toMatchObject({ stale: false, current: { temperature: 1 } });
    expect(again.headers['cache-control']).toBe('public, max-age=1');
    expect((await get(t, 'forecast?lat=52.2298&lon=21.0118&days=2')).json().days).toHaveLength(2);
    expect(fake.calls.geocoding).toHaveLength(1);
    expect(fake.calls.forecast).toHaveLength(1);
    // Kept in the platform cache (memory, or Redis with TEST_REDIS_URL) as JSON under a normalised key.
    const stored = JSON.parse((await t.platform.cacheFor('weather').get('weather:v1:point:52.23,21.01')) ?? 'null');
    expect(stored).toMatchObject({ v: { timezone: 'UTC', current: { temperature: 1 } } });
    expect(JSON.parse((await t.platform.cacheFor('weather').get('weather:v1:place:warsaw')) ?? 'null')).toMatchObject({
      v: { name: 'Warsaw' },
    });
  });

  it('when the entry is past TTL and the revalidate window, then the provider is asked again and the answer is fresh', async () => {
    const t = await weatherApp();
    await get(t, 'current?lat=1&lon=1');
    t.clock.advance(TTL + SWR);
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.json()).toMatchObject({ stale: false, current: { temperature: 2 }, retrievedAt: t.clock.now().toISOString() });
    expect(fake.calls.forecast).toHaveLength(2);
  });

  it('when the entry is just past TTL, then it is served at once as stale and refreshed in the background', async () => {
    const t = await weatherApp();
    await get(t, 'current?lat=1&lon=1');
    t.clock.advance(TTL + 1);
    const stale = await get(t, 'current?lat=1&lon=1');
    expect(stale.json()).toMatchObject({ stale: true, current: { temperature: 1 } });
    expect(stale.headers['cache-control']).toBe('public, max-age=0');
    await expect.poll(async () => (await get(t, 'current?lat=1&lon=1')).json().current.temperature).toBe(2);
    expect(fake.calls.forecast).toHaveLength(2);
  });

  it('when the provider fails after the entry went stale, then the stale weather is served with stale: true', async () => {
    const t = await weatherApp();
    await get(t, 'current?city=Warsaw');
    t.clock.advance(TTL + SWR + 60_000);
    fake.always('forecast', { status: 500, body: { error: true, reason: 'boom' } });
    const res = await get(t, 'current?city=Warsaw');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stale: true, current: { temperature: 1 }, place: { name: 'Warsaw' } });
    expect(fake.calls.forecast).toHaveLength(3); // the first fetch, then one attempt and one retry
    const forecast = await get(t, 'forecast?city=Warsaw&days=1');
    expect(forecast.json()).toMatchObject({ stale: true });
  });

  it('when the provider fails and the entry is older than the stale-if-error window, then 502 UPSTREAM_FAILED', async () => {
    const t = await weatherApp();
    await get(t, 'current?lat=1&lon=1');
    t.clock.advance(TTL + STALE_IF_ERROR);
    fake.always('forecast', { status: 503 });
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_FAILED', status: 502 });
  });

  it('when 100 requests for one city arrive at once, then the provider is called once for geocoding and once for weather', async () => {
    const t = await weatherApp();
    const release = fake.hold();
    const all = Promise.all(Array.from({ length: 100 }, () => get(t, 'current?city=Warsaw')));
    await expect.poll(() => fake.calls.forecast.length).toBe(1);
    release();
    const responses = await all;
    expect(responses.map((r) => r.statusCode)).toEqual(Array(100).fill(200));
    expect(new Set(responses.map((r) => r.json().current.temperature))).toEqual(new Set([1]));
    expect(fake.calls.geocoding).toHaveLength(1);
    expect(fake.calls.forecast).toHaveLength(1);
  });

  it('when concurrent requests name one place differently (case, spaces, nearby coordinates), then they share one call', async () => {
    const t = await weatherApp();
    const release = fake.hold();
    const urls = ['lat=52.2298&lon=21.0118', 'lat=52.23&lon=21.01', 'lat=52.2349&lon=21.0051', 'city=%20warsaw', 'city=WARSAW'];
    const all = Promise.all(urls.map((q) => get(t, `current?${q}`)));
    await expect.poll(() => fake.calls.forecast.length).toBe(1);
    release();
    expect((await all).map((r) => r.statusCode)).toEqual(Array(urls.length).fill(200));
    expect(fake.calls.forecast).toHaveLength(1);
    expect(fake.calls.geocoding).toHaveLength(1);
  });
});

describe('weather: provider failures', () => {
  it('when the provider keeps failing, then the breaker opens (503 + Retry-After, no call), half-opens after the cooldown and closes on success', async () => {
    const t = await weatherApp({ WEATHER_RETRIES: '0' });
    fake.always('forecast', { status: 500 });
    for (let i = 0; i < 5; i++) expect((await get(t, `current?${freshPoint()}`)).json().code).toBe('UPSTREAM_FAILED');
    expect(fake.calls.forecast).toHaveLength(5);

    const open = await get(t, `current?${freshPoint()}`);
    expect(open.statusCode).toBe(503);
    expect(open.headers['retry-after']).toBe('30');
    expect(open.json()).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    expect(fake.calls.forecast).toHaveLength(5);

    // After the cooldown one probe goes through; it fails, so the circuit opens again.
    t.clock.advance(30_000);
    expect((await get(t, `current?${freshPoint()}`)).statusCode).toBe(502);
    expect(fake.calls.forecast).toHaveLength(6);
    expect((await get(t, `current?${freshPoint()}`)).statusCode).toBe(503);
    expect(fake.calls.forecast).toHaveLength(6);

    // The next probe succeeds and closes it: calls flow again.
    t.clock.advance(30_000);
    fake.always('forecast', undefined);
    expect((await get(t, `current?${freshPoint()}`)).statusCode).toBe(200);
    expect((await get(t, `current?${freshPoint()}`)).statusCode).toBe(200);
    expect(fake.calls.forecast).toHaveLength(8);
  });

  it('when the circuit is open but the place is cached, then the stale weather is served instead of 503', async () => {
    const t = await weatherApp({ WEATHER_RETRIES: '0' });
    await get(t, 'current?lat=5&lon=5');
    fake.always('forecast', { status: 502 });
    for (let i = 0; i < 5; i++) await get(t, `current?${freshPoint()}`);
    t.clock.advance(TTL + SWR);
    const res = await get(t, 'current?lat=5&lon=5');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ stale: true, current: { temperature: 1 } });
  });

  it('when the provider answers 429 with a long Retry-After, then 503 with that Retry-After, and no call until it has passed', async () => {
    const t = await weatherApp();
    fake.next('forecast', { status: 429, headers: { 'retry-after': '120' } });
    const limited = await get(t, 'current?lat=1&lon=1');
    expect(limited.statusCode).toBe(503);
    expect(limited.headers['retry-after']).toBe('120');
    expect(limited.json().code).toBe('UPSTREAM_UNAVAILABLE');
    expect(fake.calls.forecast).toHaveLength(1);

    t.clock.advance(60_000);
    const waiting = await get(t, 'current?lat=2&lon=2');
    expect(waiting.statusCode).toBe(503);
    expect(waiting.headers['retry-after']).toBe('60');
    expect(fake.calls.forecast).toHaveLength(1);

    t.clock.advance(60_000);
    expect((await get(t, 'current?lat=2&lon=2')).statusCode).toBe(200);
  });

  it('when the provider answers 429 with a short Retry-After, then the call waits it out, retries and succeeds', async () => {
    const t = await weatherApp();
    fake.next('forecast', { status: 429, headers: { 'retry-after': '1' } });
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.statusCode).toBe(200);
    expect(fake.calls.forecast).toHaveLength(2);
  });

  it.each([
    ['a body of the wrong shape', { body: { latitude: 'north', current: {} } }],
    ['a body that is not JSON', { raw: '<html>maintenance</html>' }],
    [
      'daily arrays of different lengths',
      {
        body: {
          ...forecastBody(new URLSearchParams('forecast_days=2'), Date.now(), 1),
          daily: {
            time: ['2026-01-01', '2026-01-02'],
            temperature_2m_min: [1],
            temperature_2m_max: [1, 2],
            precipitation_sum: [0, 0],
            wind_speed_10m_max: [1, 1],
            weather_code: [0, 0],
          },
        },
      },
    ],
    [
      'an unknown weather code',
      {
        body: {
          ...forecastBody(new URLSearchParams('forecast_days=1'), Date.now(), 1),
          current: {
            time: '2026-01-01T00:00',
            temperature_2m: 1,
            apparent_temperature: 1,
            relative_humidity_2m: 1,
            precipitation: 0,
            wind_speed_10m: 1,
            wind_direction_10m: 1,
            weather_code: 1000,
          },
        },
      },
    ],
  ])('when the provider sends %s, then 502 UPSTREAM_BAD_RESPONSE without its content, and the app keeps serving', async (_what, reply) => {
    const t = await weatherApp();
    fake.next('forecast', reply as Reply);
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.statusCode).toBe(502);
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_BAD_RESPONSE', status: 502 });
    expect(res.body).not.toMatch(/maintenance|north|127\.0\.0\.1/);
    expect(fake.calls.forecast).toHaveLength(1); // a bad body is not retried
    expect((await get(t, 'current?lat=1&lon=1')).statusCode).toBe(200);
  });

  it('when the geocoding answer is malformed, then 502 UPSTREAM_BAD_RESPONSE', async () => {
    const t = await weatherApp();
    fake.next('geocoding', { body: { results: [{ name: 'Warsaw', latitude: 500, longitude: 21 }] } });
    const res = await get(t, 'current?city=Warsaw');
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('UPSTREAM_BAD_RESPONSE');
  });

  it('when the provider never answers, then each attempt times out and the answer is 504 UPSTREAM_TIMEOUT', async () => {
    const t = await weatherApp({ WEATHER_TIMEOUT: '100ms', WEATHER_RETRIES: '1' });
    fake.always('forecast', { hang: true });
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.statusCode).toBe(504);
    expect(res.json()).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(fake.calls.forecast).toHaveLength(2);
  });

  it('when the provider cannot be reached at all, then 502 UPSTREAM_FAILED', async () => {
    const t = await weatherApp({ WEATHER_FORECAST_URL: 'http://127.0.0.1:1/v1/forecast', WEATHER_RETRIES: '0' });
    const res = await get(t, 'current?lat=1&lon=1');
    expect(res.statusCode).toBe(502);
    expect(res.json().code).toBe('UPSTREAM_FAILED');
  });
});

describe('weather: rate limit', () => {
  it('when one IP exceeds WEATHER_RATE_LIMIT across both routes, then 429 + Retry-After; other IPs and signed-in users have their own budget', async () => {
    const t = await weatherApp({ WEATHER_RATE_LIMIT: '3' }, true);
    const user = await t.createUser();
    const a = { remoteAddress: '10.0.0.1' };
    expect((await get(t, 'current?lat=1&lon=1', a)).statusCode).toBe(200);
    expect((await get(t, 'forecast?lat=1&lon=1', a)).statusCode).toBe(200);
    expect((await get(t, 'current?city=!', a)).statusCode).toBe(400); // bad requests count too
    const limited = await get(t, 'current?lat=1&lon=1', a);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

    expect((await get(t, 'current?lat=1&lon=1', { remoteAddress: '10.0.0.2' })).statusCode).toBe(200);

    // The same IP with a token counts against the user, not the IP.
    const asUser = { ...a, token: user.token };
    for (let i = 0; i < 3; i++) expect((await get(t, 'current?lat=1&lon=1', asUser)).statusCode).toBe(200);
    expect((await get(t, 'current?lat=1&lon=1', { remoteAddress: '10.0.0.3', token: user.token })).statusCode).toBe(429);
  });
});

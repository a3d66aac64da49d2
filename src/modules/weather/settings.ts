/**
 * Weather settings: the Open-Meteo endpoints and how they are called, cached and rate limited.
 * Composed into the app by src/settings.ts; the module reads them with `weatherSettings.read(platform.config)`.
 */
import { type ConfigOf, defineSettings, duration, durationBetween, int, url } from '../../platform/config.js';

/** Every variable the weather module reads. Order is the order of the docs. */
export const weatherSettings = defineSettings('weather', {
  WEATHER_FORECAST_URL: {
    doc: 'Open-Meteo forecast endpoint (or a self-hosted/compatible one). With WEATHER_GEOCODING_URL, the only hosts the weather module calls.',
    example: 'https://api.open-meteo.com/v1/forecast',
    default: 'https://api.open-meteo.com/v1/forecast',
    parse: url('http:', 'https:'),
  },
  WEATHER_GEOCODING_URL: {
    doc: 'Open-Meteo geocoding endpoint, used to turn ?city= into coordinates.',
    example: 'https://geocoding-api.open-meteo.com/v1/search',
    default: 'https://geocoding-api.open-meteo.com/v1/search',
    parse: url('http:', 'https:'),
  },
  WEATHER_TIMEOUT: {
    doc: 'Timeout of each attempt to call Open-Meteo (connect, headers and body).',
    example: '3s',
    default: '3s',
    parse: durationBetween('20ms', '60s'),
  },
  WEATHER_RETRIES: {
    doc: 'Retries after a failed call to Open-Meteo (timeouts, network errors, 5xx, 429), with jittered exponential backoff.',
    example: '2',
    default: '2',
    parse: int(0, 5),
  },
  WEATHER_CACHE_TTL: {
    doc: 'How long fetched weather is fresh (served from the cache without asking Open-Meteo).',
    example: '10m',
    default: '10m',
    parse: durationBetween('1s'),
  },
  WEATHER_STALE_WHILE_REVALIDATE: {
    doc: 'After WEATHER_CACHE_TTL, how long stale weather is still served at once (stale: true) while a refresh runs behind. 0s: never.',
    example: '5m',
    default: '5m',
    parse: duration,
  },
  WEATHER_STALE_IF_ERROR: {
    doc: 'After WEATHER_CACHE_TTL, how long stale weather may be served (stale: true) when Open-Meteo fails. 0s: never.',
    example: '6h',
    default: '6h',
    parse: duration,
  },
  WEATHER_RATE_LIMIT: {
    doc: 'Weather requests per minute per signed-in user, or per client IP for anonymous callers.',
    example: '60',
    default: '60',
    parse: int(1, 1_000_000),
  },
});

/** The parsed weather settings. */
export type WeatherConfig = ConfigOf<typeof weatherSettings>;

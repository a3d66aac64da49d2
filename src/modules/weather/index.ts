/**
 * The weather module: current weather and a daily forecast for a city or coordinates, from
 * Open-Meteo, through the platform's resilient outbound client (timeouts, retries, circuit
 * breaker) and a shared stale-while-revalidate cache. Exports only its module factory.
 */

import { createOutboundClient, createUpstreamBreaker } from '../../platform/outbound/http-client.js';
import { createSwrCache } from '../../platform/outbound/swr-cache.js';
import type { ModuleFactory } from '../../platform/platform.js';
import type { Place, WeatherSnapshot } from './model.js';
import { createOpenMeteo } from './open-meteo.js';
import { weatherRoutes } from './routes.js';
import { createWeatherService } from './service.js';
import { weatherSettings } from './settings.js';

/** Consecutive provider faults (per endpoint, per process) that open the circuit. */
const BREAKER_THRESHOLD = 5;
/** How long an open circuit refuses calls before one probe is let through. */
const BREAKER_COOLDOWN_MS = 30_000;
/** Geocoding answers (including "not found") stay fresh a day and may stand in for a failing provider a week. */
const PLACE_FRESH_MS = 24 * 3_600_000;
const PLACE_STALE_IF_ERROR_MS = 7 * 24 * 3_600_000;

/** Plugs weather into the app: GET /weather/current and /weather/forecast, public, rate limited per user or IP. */
export const weatherModule: ModuleFactory = (platform) => {
  const { clock } = platform;
  const config = weatherSettings.read(platform.config);
  const log = platform.log.child({ module: 'weather' });
  const retry = {
    attempts: 1 + config.WEATHER_RETRIES,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    // Waiting longer than a timeout's worth inside a request helps nobody; answer 503 instead.
    maxRetryAfterMs: Math.max(1000, config.WEATHER_TIMEOUT),
  };
  const client = (name: string, baseUrl: string) =>
    createOutboundClient({
      name,
      baseUrl,
      timeoutMs: config.WEATHER_TIMEOUT,
      retry,
      breaker: createUpstreamBreaker({ name, clock, failureThreshold: BREAKER_THRESHOLD, cooldownMs: BREAKER_COOLDOWN_MS, log }),
      headers: { 'user-agent': 'zaplecze-weather/1' },
      log,
    });
  // Its own bounded store: a flood of place lookups cannot evict other modules' keys.
  const weatherCache = platform.cacheFor('weather', 20_000);
  const provider = createOpenMeteo({
    forecast: client('open-meteo-forecast', config.WEATHER_FORECAST_URL),
    geocoding: client('open-meteo-geocoding', config.WEATHER_GEOCODING_URL),
  });
  const weather = createWeatherService({
    provider,
    places: createSwrCache<Place | null>({
      store: weatherCache,
      clock,
      namespace: 'weather:v1:place:',
      freshMs: PLACE_FRESH_MS,
      staleWhileRevalidateMs: 0,
      staleIfErrorMs: PLACE_STALE_IF_ERROR_MS,
      log,
    }),
    snapshots: createSwrCache<WeatherSnapshot>({
      store: weatherCache,
      clock,
      namespace: 'weather:v1:point:',
      freshMs: config.WEATHER_CACHE_TTL,
      staleWhileRevalidateMs: config.WEATHER_STALE_WHILE_REVALIDATE,
      staleIfErrorMs: config.WEATHER_STALE_IF_ERROR,
      log,
    }),
  });
  return {
    name: 'weather',
    routes: async (app) => app.register(weatherRoutes, { weather, clock, rateLimit: config.WEATHER_RATE_LIMIT }),
    stop: () => weather.settle(),
  };
};

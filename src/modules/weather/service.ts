/**
 * Weather use cases: resolve the place (geocoding, cached for a day), then load the weather of
 * its grid point (cached with TTL, stale-while-revalidate and stale-if-error; one upstream call
 * per point however many ask at once). Provider failures become coded HTTP errors here.
 */
import type { AppError } from '../../platform/http/errors.js';
import { OutboundError } from '../../platform/outbound/outbound-error.js';
import type { SwrCache } from '../../platform/outbound/swr-cache.js';
import { CityNotFound, UpstreamBadResponse, UpstreamFailed, UpstreamTimeout, UpstreamUnavailable } from './errors.js';
import type { Place, PlaceQuery, WeatherReport, WeatherSnapshot } from './model.js';
import type { WeatherProvider } from './open-meteo.js';

/** Coordinates are rounded to this many decimals (~1.1 km) for caching and for the provider. */
const COORDINATE_DECIMALS = 2;

const round = (value: number) => {
  const rounded = Number(value.toFixed(COORDINATE_DECIMALS));
  return rounded === 0 ? 0 : rounded; // no -0 in keys or answers
};

/** The cache key of a city: case, Unicode form and runs of spaces do not make a new entry. */
export const cityKey = (city: string) => city.normalize('NFC').trim().replace(/\s+/g, ' ').toLowerCase();

/** The cache key of a point: `lat,lon` at two decimals. */
export const pointKey = (latitude: number, longitude: number) =>
  `${round(latitude).toFixed(COORDINATE_DECIMALS)},${round(longitude).toFixed(COORDINATE_DECIMALS)}`;

export interface WeatherServiceDeps {
  provider: WeatherProvider;
  /** Geocoding answers by city key; null caches "no such city". */
  places: SwrCache<Place | null>;
  /** Snapshots by point key. */
  snapshots: SwrCache<WeatherSnapshot>;
}

export type WeatherService = ReturnType<typeof createWeatherService>;

export function createWeatherService({ provider, places, snapshots }: WeatherServiceDeps) {
  async function resolvePlace(query: PlaceQuery): Promise<Place> {
    if (!('city' in query)) {
      const latitude = round(query.latitude);
      const longitude = round(query.longitude);
      return { name: null, region: null, country: null, countryCode: null, latitude, longitude, elevation: null, timezone: null };
    }
    const key = cityKey(query.city);
    const { value } = await places.load(key, () => provider.geocode(key));
    if (!value) throw CityNotFound(`No place called '${query.city.trim()}' was found`);
    return value;
  }

  return {
    /** Current conditions and the 7-day forecast for a city or point, from cache or Open-Meteo. */
    async getReport(query: PlaceQuery): Promise<WeatherReport> {
      try {
        const place = await resolvePlace(query);
        const latitude = round(place.latitude);
        const longitude = round(place.longitude);
        const loaded = await snapshots.load(pointKey(latitude, longitude), () => provider.fetchWeather(latitude, longitude));
        const snapshot = loaded.value;
        return {
          place: {
            ...place,
            elevation: place.elevation ?? snapshot.elevation,
            timezone: place.timezone ?? snapshot.timezone,
          },
          snapshot,
          stale: loaded.stale,
          retrievedAt: loaded.storedAt,
          freshUntil: loaded.freshUntil,
        };
      } catch (err) {
        throw err instanceof OutboundError ? toAppError(err) : err;
      }
    },
    /** Waits for background cache refreshes (shutdown, tests). */
    settle: () => Promise.all([places.settle(), snapshots.settle()]).then(() => undefined),
  };
}

const retryAfterHeader = (ms: number | undefined) => ({ 'Retry-After': String(Math.max(1, Math.ceil((ms ?? 30_000) / 1000))) });

/** Maps a provider failure to what our client should hear; the provider's own words stay in the log. */
function toAppError(err: OutboundError): AppError {
  switch (err.kind) {
    case 'circuit-open':
      return UpstreamUnavailable(
        'The weather provider is failing; requests to it are paused. Try again later.',
        {},
        retryAfterHeader(err.retryAfterMs),
      );
    case 'rate-limited':
      return UpstreamUnavailable('The weather provider asked us to slow down. Try again later.', {}, retryAfterHeader(err.retryAfterMs));
    case 'timeout':
      return UpstreamTimeout('The weather provider did not answer in time.');
    case 'bad-response':
      return UpstreamBadResponse('The weather provider sent an answer we could not read.');
    case 'status':
      return (err.status ?? 500) >= 500
        ? UpstreamFailed(`The weather provider failed (HTTP ${err.status}).`)
        : UpstreamBadResponse(`The weather provider refused the request (HTTP ${err.status}).`);
    default:
      return UpstreamFailed('The weather provider could not be reached.');
  }
}

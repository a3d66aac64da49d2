/**
 * The Open-Meteo adapter: builds the two requests we make (geocoding search, forecast), checks
 * each answer against a schema of the fields we use, and maps it to our model. Nothing here
 * takes a URL or host from a caller; the outbound clients are bound to configured base URLs.
 */
import { Type } from '@fastify/type-provider-typebox';
import { compileDecoder, DecodeError } from '../../platform/outbound/decode.js';
import type { OutboundClient } from '../../platform/outbound/http-client.js';
import type { Conditions, ForecastDay, Place, WeatherSnapshot } from './model.js';

/** Days fetched per place; the API serves 1..7 from one cached answer. */
export const FORECAST_DAYS = 7;

const Num = Type.Union([Type.Number(), Type.Null()]);
const Code = Type.Union([Type.Integer({ minimum: 0, maximum: 99 }), Type.Null()]);
const Latitude = Type.Number({ minimum: -90, maximum: 90 });
const Longitude = Type.Number({ minimum: -180, maximum: 180 });
const ShortText = (maxLength: number) => Type.String({ minLength: 1, maxLength });

// Only the fields we read; Open-Meteo may add others.
const GeocodingBody = Type.Object({
  results: Type.Optional(
    Type.Array(
      Type.Object({
        name: ShortText(200),
        latitude: Latitude,
        longitude: Longitude,
        elevation: Type.Optional(Num),
        timezone: Type.Optional(ShortText(64)),
        country: Type.Optional(ShortText(100)),
        country_code: Type.Optional(Type.String({ pattern: '^[A-Za-z]{2}$' })),
        admin1: Type.Optional(ShortText(100)),
      }),
      { maxItems: 100 },
    ),
  ),
});

const CURRENT = [
  'temperature_2m',
  'apparent_temperature',
  'relative_humidity_2m',
  'precipitation',
  'wind_speed_10m',
  'wind_direction_10m',
  'weather_code',
] as const;
const DAILY = ['temperature_2m_min', 'temperature_2m_max', 'precipitation_sum', 'wind_speed_10m_max', 'weather_code'] as const;

const ForecastBody = Type.Object({
  latitude: Latitude,
  longitude: Longitude,
  elevation: Type.Optional(Num),
  timezone: ShortText(64),
  utc_offset_seconds: Type.Integer({ minimum: -86_400, maximum: 86_400 }),
  current: Type.Object({
    // Local time of the place (we ask for timezone=auto), without an offset.
    time: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?$' }),
    temperature_2m: Num,
    apparent_temperature: Num,
    relative_humidity_2m: Num,
    precipitation: Num,
    wind_speed_10m: Num,
    wind_direction_10m: Num,
    weather_code: Code,
  }),
  daily: Type.Object({
    time: Type.Array(Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$' }), { minItems: 1, maxItems: 16 }),
    temperature_2m_min: Type.Array(Num, { maxItems: 16 }),
    temperature_2m_max: Type.Array(Num, { maxItems: 16 }),
    precipitation_sum: Type.Array(Num, { maxItems: 16 }),
    wind_speed_10m_max: Type.Array(Num, { maxItems: 16 }),
    weather_code: Type.Array(Code, { maxItems: 16 }),
  }),
});

const decodeGeocoding = compileDecoder(GeocodingBody);
const decodeForecastBody = compileDecoder(ForecastBody);

/** Turns a forecast answer into our snapshot; throws DecodeError when its parts disagree. */
export function toSnapshot(body: unknown): WeatherSnapshot {
  const f = decodeForecastBody(body);
  const { daily } = f;
  const uneven = DAILY.filter((field) => daily[field].length !== daily.time.length);
  if (uneven.length) throw new DecodeError(uneven.map((field) => `/daily/${field} length differs from /daily/time`));
  const observedMs = Date.parse(`${f.current.time.length === 16 ? `${f.current.time}:00` : f.current.time}Z`) - f.utc_offset_seconds * 1000;
  if (Number.isNaN(observedMs)) throw new DecodeError(['/current/time is not a valid time']);
  const c = f.current;
  const current: Conditions = {
    temperature: c.temperature_2m,
    apparentTemperature: c.apparent_temperature,
    relativeHumidity: c.relative_humidity_2m,
    precipitation: c.precipitation,
    windSpeed: c.wind_speed_10m,
    windDirection: c.wind_direction_10m,
    weatherCode: c.weather_code,
  };
  const days: ForecastDay[] = daily.time.map((date, i) => ({
    date,
    temperatureMin: daily.temperature_2m_min[i] ?? null,
    temperatureMax: daily.temperature_2m_max[i] ?? null,
    precipitationSum: daily.precipitation_sum[i] ?? null,
    windSpeedMax: daily.wind_speed_10m_max[i] ?? null,
    weatherCode: daily.weather_code[i] ?? null,
  }));
  return {
    latitude: f.latitude,
    longitude: f.longitude,
    elevation: f.elevation ?? null,
    timezone: f.timezone,
    observedAt: new Date(observedMs).toISOString(),
    current,
    days,
  };
}

/** Turns a geocoding answer into the best match, or null when there is none. */
export function toPlace(body: unknown): Place | null {
  const best = decodeGeocoding(body).results?.[0];
  if (!best) return null;
  return {
    name: best.name,
    region: best.admin1 ?? null,
    country: best.country ?? null,
    countryCode: best.country_code?.toUpperCase() ?? null,
    latitude: best.latitude,
    longitude: best.longitude,
    elevation: best.elevation ?? null,
    timezone: best.timezone ?? null,
  };
}

/** The two questions we ask Open-Meteo. */
export interface WeatherProvider {
  /** The best match for a city name, or null when there is none. */
  geocode(city: string): Promise<Place | null>;
  /** Current conditions and a 7-day daily forecast for a point, in °C, km/h and mm. */
  fetchWeather(latitude: number, longitude: number): Promise<WeatherSnapshot>;
}

/** Creates the adapter over two outbound clients bound to the configured endpoints. */
export function createOpenMeteo(clients: { forecast: OutboundClient; geocoding: OutboundClient }): WeatherProvider {
  return {
    async geocode(city) {
      const res = await clients.geocoding.request({
        query: { name: city, count: 1, language: 'en', format: 'json' },
        decode: toPlace,
      });
      return res.body;
    },
    async fetchWeather(latitude, longitude) {
      const res = await clients.forecast.request({
        query: {
          latitude: latitude.toFixed(2),
          longitude: longitude.toFixed(2),
          current: CURRENT.join(','),
          daily: DAILY.join(','),
          timezone: 'auto',
          forecast_days: FORECAST_DAYS,
          temperature_unit: 'celsius',
          wind_speed_unit: 'kmh',
          precipitation_unit: 'mm',
          timeformat: 'iso8601',
        },
        decode: toSnapshot,
      });
      return res.body;
    },
  };
}

/** Maps queries to the model and reports to wire shapes. The wire shape is a promise; the model is not. */
import type { Static } from '@fastify/type-provider-typebox';
import { ValidationFailed } from '../../platform/http/errors.js';
import type { PlaceQuery, WeatherReport } from './model.js';
import type * as S from './schema.js';
import { describeWeatherCode } from './weather-codes.js';

const at = (path: string, message: string) => ({ path: `/querystring/${path}`, message });

/** The place asked for: exactly one of `city`, or `lat` with `lon`. Throws 400 with field paths otherwise. */
export function toPlaceQuery(query: { city?: string; lat?: number; lon?: number }): PlaceQuery {
  const hasCity = query.city !== undefined;
  const hasLat = query.lat !== undefined;
  const hasLon = query.lon !== undefined;
  const errors = [];
  if (hasCity && (hasLat || hasLon)) errors.push(at('city', 'give either city, or lat and lon, not both'));
  else if (!hasCity && !hasLat && !hasLon) errors.push(at('city', 'give either city, or lat and lon'));
  else if (hasLat !== hasLon) errors.push(at(hasLat ? 'lon' : 'lat', `is required with ${hasLat ? 'lat' : 'lon'}`));
  if (errors.length) throw ValidationFailed(`${errors[0]?.path} ${errors[0]?.message}`, { errors });
  return hasCity ? { city: query.city as string } : { latitude: query.lat as number, longitude: query.lon as number };
}

const provenance = (report: WeatherReport) => ({
  source: 'open-meteo' as const,
  observedAt: report.snapshot.observedAt,
  retrievedAt: report.retrievedAt.toISOString(),
  stale: report.stale,
});

const place = (report: WeatherReport) => ({ ...report.place, timezone: report.place.timezone ?? report.snapshot.timezone });

export function toCurrentWire(report: WeatherReport): Static<typeof S.CurrentWeather> {
  const c = report.snapshot.current;
  return {
    place: place(report),
    current: { ...c, description: describeWeatherCode(c.weatherCode) },
    units: {
      temperature: '°C',
      apparentTemperature: '°C',
      relativeHumidity: '%',
      precipitation: 'mm',
      windSpeed: 'km/h',
      windDirection: '°',
    },
    ...provenance(report),
  };
}

/** Today's date (YYYY-MM-DD) in `timezone`, or null when the zone is unknown to this runtime. */
function localDate(now: Date, timezone: string): string | null {
  try {
    return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
  } catch {
    return null;
  }
}

export function toForecastWire(report: WeatherReport, days: number, now: Date): Static<typeof S.Forecast> {
  // A snapshot cached across local midnight starts with yesterday; the forecast starts today.
  const today = localDate(now, report.snapshot.timezone);
  const upcoming = today ? report.snapshot.days.filter((day) => day.date >= today) : report.snapshot.days;
  return {
    place: place(report),
    days: upcoming.slice(0, days).map((day) => ({ ...day, description: describeWeatherCode(day.weatherCode) })),
    units: { temperatureMin: '°C', temperatureMax: '°C', precipitationSum: 'mm', windSpeedMax: 'km/h' },
    ...provenance(report),
  };
}

/** Cache-Control for a report: public for the rest of its freshness, revalidate once stale. */
export function cacheControl(report: WeatherReport, nowMs: number): string {
  const seconds = report.stale ? 0 : Math.max(0, Math.floor((report.freshUntil.getTime() - nowMs) / 1000));
  return `public, max-age=${seconds}`;
}
